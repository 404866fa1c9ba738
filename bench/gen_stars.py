"""Generate two years of five-star creation for a prefecture (run by hand, never in tests).

How to run (from the repository root), on a separate PostgreSQL database (created when
missing):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_s \\
        python bench/gen_stars.py                    # 郑州市 4101, 2025 and 2026 (~1 minute)
    ... python bench/gen_stars.py --prefix 4108      # 焦作市 (2,024 villages) instead
    ... python bench/gen_stars.py --reset            # delete earlier bench rows first

Without DATABASE_URL it writes to a SQLite database in --data-dir (default
/tmp/lianxin-bench-s). It migrates and imports the division tree of the prefix from the
shipped data (4101 郑州市: 15 counties and districts, 208 townships, 3,306 villages and
communities — the DESIGN.md scale of ~3,000 per prefecture-level city), then for each county
and for the two years (``--year`` and the year before, deterministic for a given seed):

- the county's star catalogs of both unit types (`catalog_ensure`, village and community sets
  differ in one star) and its settings (`settings_ensure`), through the real services;
- per township and year: quotas (one five-star, four four-star, capped by its villages), a
  closed public notice (公示) and, in the current year, an open one;
- per village and year: a level drawn so that about 70% of the branches hold three or more
  stars in the current year (about 60% the year before); a creation plan (last year all
  confirmed; this year 3% none, 7% draft, 15% submitted, 75% confirmed) targeting the stars
  it holds plus 0–2 more, with one `PlanStar` per star of its set; one declaration per
  targeted star: the held ones awarded (1% later withdrawn), the others, this year, spread
  over every state of the pipeline (notice, approved, township passed, submitted, returned,
  draft, rejected after an upheld objection, cancelled, or not declared: "planned"), last
  year rejected, cancelled or not declared; 12% went through a returned round first; every
  move is a `ReviewStep`; a `StarAward` per awarded declaration; 4% a progress star (进步星,
  50,000 yuan);
- the three contests (大比武) per year: a heat per township with up to 6 entries ranked by
  score (the best two advance) and a county final of the advanced entries; this year's
  results round is still being scored (no ranks).

Rows are written with `bulk_create` (no audit signals), one transaction per county and year.
Then run bench/stars_battlemap.py against the same database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SH = ZoneInfo("Asia/Shanghai")
BATCH = 5000
HEAT_SIZE = 6
ADVANCE = 2
RETURNED_FIRST = 0.12
WITHDRAWN_SHARE = 0.01
PROGRESS_SHARE = 0.04
PROGRESS_AMOUNT = Decimal(50000)

# Level of a branch (stars held at year end): ≈70% at ≥3 this year, ≈62% last year.
LEVELS_NOW = {0: 4, 1: 6, 2: 20, 3: 35, 4: 25, 5: 10}
LEVELS_LAST = {0: 6, 1: 9, 2: 23, 3: 35, 4: 20, 5: 7}
# What became of a targeted star the branch does not hold (None: never declared).
OTHERS_NOW: dict[str | None, int] = {
    "notice": 15,
    "approved": 10,
    "township_passed": 15,
    "submitted": 15,
    "returned": 15,
    "draft": 10,
    "rejected": 5,
    "cancelled": 5,
    None: 10,
}
OTHERS_LAST: dict[str | None, int] = {"rejected": 30, "cancelled": 30, None: 40}
PLANS_NOW = {"": 3, "draft": 7, "submitted": 15, "confirmed": 75}

# Review steps: (stage, action, from, to).
SUB = ("village", "submitted", "draft", "submitted")
RESUB = ("village", "submitted", "returned", "submitted")
PASS = ("township", "passed", "submitted", "township_passed")
T_RET = ("township", "returned", "submitted", "returned")
C_RET = ("county", "returned", "township_passed", "returned")
APPR = ("county", "approved", "township_passed", "approved")
PUB = ("notice", "published", "approved", "notice")
OBJ = ("notice", "objected", "notice", "notice")
ANS = ("notice", "answered", "notice", "notice")
AWD = ("notice", "awarded", "notice", "awarded")
REJ = ("notice", "rejected", "notice", "rejected")
CANCEL = ("village", "cancelled", "submitted", "cancelled")
WD = ("county", "withdrawn", "awarded", "withdrawn")
PATHS: dict[str, list[tuple[str, str, str, str]]] = {
    "draft": [],
    "submitted": [SUB],
    "township_passed": [SUB, PASS],
    "approved": [SUB, PASS, APPR],
    "notice": [SUB, PASS, APPR, PUB],
    "awarded": [SUB, PASS, APPR, PUB, AWD],
    "rejected": [SUB, PASS, APPR, PUB, OBJ, ANS, REJ],
    "cancelled": [SUB, CANCEL],
    "withdrawn": [SUB, PASS, APPR, PUB, AWD, WD],
}
ACTOR_LABELS = {
    "village": "村（社区）文书",
    "township": "乡镇组织委员",
    "county": "县创建专班",
    "notice": "县创建专班",
}
STAGE_OF = {"village": "村（社区）", "township": "乡镇初审", "county": "专班审核"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣"


def ensure_database() -> None:
    """Create the PostgreSQL database DATABASE_URL names when it does not exist yet."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup(data_dir: Path) -> None:
    ensure_database()
    os.environ.setdefault("LIANXIN_DATA_DIR", str(data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def import_prefecture(prefix: str) -> tuple[Any, list[Any]]:
    """The prefecture from the shipped division data (idempotent); its villages by path."""
    from lianxin.territory.divisions import import_prefix
    from lianxin.territory.models import Unit, UnitKind

    import_prefix(prefix)
    top = Unit.objects.get(code=prefix)
    villages = list(
        Unit.objects.filter(path__startswith=top.path, kind=UnitKind.VILLAGE, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
    return top, villages


def reset(top: Any) -> None:
    """Delete the generated rows under the prefecture (catalogs and settings stay). Plain SQL
    deletes (`_raw_delete`): no per-row delete signals, so no audit event per row; the
    append-only tables need the maintenance opening of the audit guard."""
    from django.db import transaction

    from lianxin.audit.guard import audit_maintenance
    from lianxin.stars import models as s

    p = top.path
    doomed = [
        s.StarAward.objects.filter(unit__path__startswith=p),
        s.Objection.objects.filter(declaration__unit__path__startswith=p),
        s.StandardScore.objects.filter(step__declaration__unit__path__startswith=p),
        s.ReviewStep.objects.filter(declaration__unit__path__startswith=p),
        s.DeclarationEntry.objects.filter(declaration__unit__path__startswith=p),
        s.Declaration.objects.filter(unit__path__startswith=p),
        s.PublicNotice.objects.filter(township__path__startswith=p),
        s.ContestScore.objects.filter(entry__unit__path__startswith=p),
        s.ContestEntry.objects.filter(contest__is_final=True, unit__path__startswith=p),
        s.ContestEntry.objects.filter(unit__path__startswith=p),
        s.Contest.objects.filter(host__path__startswith=p),
        s.PlanStar.objects.filter(plan__unit__path__startswith=p),
        s.PlanMeasure.objects.filter(plan__unit__path__startswith=p),
        s.PlanMilestone.objects.filter(plan__unit__path__startswith=p),
        s.CreationPlan.objects.filter(unit__path__startswith=p),
        s.Quota.objects.filter(township__path__startswith=p),
    ]
    with transaction.atomic(), audit_maintenance():
        for qs in doomed:
            qs._raw_delete(qs.db)  # DELETE … WHERE id IN (SELECT … joined on the path)


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


@dataclass
class Fate:
    """What one village does in one year, before any row is written."""

    village: Any
    stars: dict[str, Any]  # code → Star of its set
    plan_status: str
    targets: list[str]
    # code (or "" for the progress star) → final declaration status (None: not declared)
    declared: dict[str, str | None] = field(default_factory=dict)
    returned_first: set[str] = field(default_factory=set)


class Generator:
    """Two years of five-star creation, county by county."""

    def __init__(self, year: int, seed: int) -> None:
        self.year = year
        self.rng = random.Random(seed)
        self.totals: Counter[str] = Counter()

    # --- catalogs ----------------------------------------------------------------------------

    def catalogs(self, county: Any, villages: list[Any]) -> dict[tuple[int, str], dict[str, Any]]:
        """(year, unit type) → the county's active stars by code, through the services."""
        from lianxin.stars import workflow as wf
        from lianxin.stars.models import Star
        from lianxin.stars.services.catalog import catalog_ensure, settings_ensure

        types = {wf.unit_type_of(v.name, v.display_name) for v in villages}
        out: dict[tuple[int, str], dict[str, Any]] = {}
        for year in (self.year - 1, self.year):
            settings_ensure(county=county, year=year)
            for t in sorted(types):
                star_set = catalog_ensure(county=county, year=year, unit_type=t)
                out[(year, t)] = {
                    s.code: s
                    for s in Star.objects.filter(star_set=star_set, is_active=True).order_by(
                        "sort_order", "id"
                    )
                }
        return out

    # --- one county, one year ------------------------------------------------------------------

    def county_year(
        self,
        county: Any,
        villages: list[Any],
        stars: dict[tuple[int, str], dict[str, Any]],
        year: int,
    ) -> None:
        from django.db import transaction

        from lianxin.stars import workflow as wf

        final = year < self.year
        rng = self.rng
        fates: list[Fate] = []
        for v in villages:
            set_stars = stars[(year, wf.unit_type_of(v.name, v.display_name))]
            codes = list(set_stars)
            level = _pick(rng, LEVELS_LAST if final else LEVELS_NOW)
            level = min(level, len(codes))
            wanted = min(len(codes), level + rng.choice((0, 0, 1, 1, 2)))
            targets = rng.sample(codes, wanted)
            plan_status = (
                ("confirmed" if rng.random() < 0.97 else "") if final else _pick(rng, PLANS_NOW)
            )
            fate = Fate(v, set_stars, plan_status, targets)
            for k, code in enumerate(targets):
                if k < level:
                    status = "withdrawn" if rng.random() < WITHDRAWN_SHARE else "awarded"
                else:
                    status = _pick(rng, OTHERS_LAST if final else OTHERS_NOW)
                fate.declared[code] = status
                if status not in (None, "draft") and rng.random() < RETURNED_FIRST:
                    fate.returned_first.add(code)
            if rng.random() < PROGRESS_SHARE:
                fate.declared[""] = "awarded"
            fates.append(fate)
        with transaction.atomic():
            self.quotas(villages, year)
            self.plans(fates, year)
            self.declarations(fates, year, final)
            self.contests(county, villages, year, final)

    def quotas(self, villages: list[Any], year: int) -> None:
        from lianxin.stars.models import Quota

        per_township = Counter(v.parent_id for v in villages)
        rows = []
        for township_id, n in per_township.items():
            for level, count in ((5, 1), (4, min(4, n - 1))):
                if count >= 1:
                    rows.append(Quota(township_id=township_id, year=year, level=level, count=count))
        Quota.objects.bulk_create(rows, batch_size=BATCH)
        self.totals["quotas"] += len(rows)

    def plans(self, fates: list[Fate], year: int) -> None:
        from lianxin.stars.models import CreationPlan, PlanStar

        rng = self.rng
        made: list[tuple[CreationPlan, Fate]] = []
        for f in fates:
            if not f.plan_status:
                continue
            reported = f.plan_status in ("submitted", "confirmed")
            submitted = _at(dt.date(year, 2, 1) + dt.timedelta(days=rng.randrange(40)))
            plan = CreationPlan(
                unit_id=f.village.pk,
                year=year,
                status=f.plan_status,
                target_level=len(f.targets),
                summary="对标“五星”标准，巩固优势星，补齐短板星。",
                submitted_at=submitted if reported else None,
                confirmed_at=(
                    submitted + dt.timedelta(days=rng.randint(2, 15))
                    if f.plan_status == "confirmed"
                    else None
                ),
            )
            made.append((plan, f))
        CreationPlan.objects.bulk_create([p for p, _ in made], batch_size=BATCH)
        rows = [
            PlanStar(
                plan_id=p.pk,
                star_id=star.pk,
                is_target=code in f.targets,
                strengths=f"{star.short_name}基础较好" if code in f.targets else "",
                weaknesses=f"{star.short_name}仍有短板",
            )
            for p, f in made
            for code, star in f.stars.items()
        ]
        PlanStar.objects.bulk_create(rows, batch_size=BATCH)
        self.totals["plans"] += len(made)
        self.totals["plan_stars"] += len(rows)

    def declarations(self, fates: list[Fate], year: int, final: bool) -> None:
        from lianxin.stars.models import (
            Declaration,
            Objection,
            PublicNotice,
            ReviewStep,
            StarAward,
        )

        rng = self.rng
        # Notices: per township a closed one, and this year an open one.
        townships = sorted({f.village.parent_id for f in fates})
        parents = {f.village.parent_id: f.village.parent for f in fates}
        notices: dict[tuple[int, bool], PublicNotice] = {}
        for t in townships:
            for is_open in (False, True) if not final else (False,):
                starts = dt.date(year, 10, 20) if is_open else dt.date(year, 10, 1)
                notices[(t, is_open)] = PublicNotice(
                    township_id=t,
                    year=year,
                    number=f"BS{year}-{parents[t].code}-{2 if is_open else 1}",
                    title=f"{parents[t].display_name}{year}年度“五星”支部创建公示",
                    starts_on=starts,
                    ends_on=starts + dt.timedelta(days=5),
                    contact="0371-12345678",
                    status="open" if is_open else "closed",
                    closed_at=None if is_open else _at(starts + dt.timedelta(days=6)),
                )
        PublicNotice.objects.bulk_create(list(notices.values()), batch_size=BATCH)

        decls: list[Declaration] = []
        plans: list[tuple[Fate, str, str, list[tuple[int, tuple[str, str, str, str]]]]] = []
        for f in fates:
            for code, status in f.declared.items():
                if status is None:
                    continue
                steps: list[tuple[int, tuple[str, str, str, str]]] = []
                rnd = 1
                if code in f.returned_first:
                    first = rng.choice(([SUB, T_RET], [SUB, PASS, C_RET]))
                    steps += [(1, s) for s in first]
                    rnd = 2
                if status == "returned":
                    path = list(rng.choice(([SUB, T_RET], [SUB, PASS, C_RET])))
                else:
                    path = list(PATHS[status])
                if rnd == 2 and path and path[0] == SUB:
                    path[0] = RESUB
                steps += [(rnd, s) for s in path]
                in_notice = status in ("notice", "awarded", "rejected", "withdrawn")
                star = f.stars.get(code) if code else None
                decls.append(
                    Declaration(
                        unit_id=f.village.pk,
                        year=year,
                        kind="star" if code else "progress",
                        star_id=star.pk if star is not None else None,
                        status=status,
                        round=rnd,
                        statement="对照创建标准逐项自查，已达标。",
                        submitted_at=None,
                        notice_id=(
                            notices[(f.village.parent_id, status == "notice")].pk
                            if in_notice
                            else None
                        ),
                        last_reason=(
                            "佐证材料不全，请补充后重报"
                            if status == "returned"
                            else "异议成立"
                            if status == "rejected"
                            else "经核查存在问题，撤销星级"
                            if status == "withdrawn"
                            else ""
                        ),
                        version=len(steps) + 1,
                    )
                )
                plans.append((f, code, status, steps))
        # Dates: the first step between 1 August and 10 September, the next 2–7 days apart.
        stamped: list[list[tuple[int, tuple[str, str, str, str], dt.datetime]]] = []
        for d, (_f, _code, _status, steps) in zip(decls, plans, strict=True):
            day = dt.date(year, 8, 1) + dt.timedelta(days=rng.randrange(40))
            rows = []
            for rnd, step in steps:
                rows.append((rnd, step, _at(day, rng.randint(8, 17))))
                day += dt.timedelta(days=rng.randint(2, 7))
            submits = [at for _r, s, at in rows if s[1] == "submitted"]
            d.submitted_at = submits[-1] if submits else None
            stamped.append(rows)
        Declaration.objects.bulk_create(decls, batch_size=BATCH)

        steps_rows: list[ReviewStep] = []
        awards: list[StarAward] = []
        objections: list[Objection] = []
        for d, (f, code, status, _steps), rows in zip(decls, plans, stamped, strict=True):
            for rnd, (stage, action, before, after), at in rows:
                steps_rows.append(
                    ReviewStep(
                        declaration_id=d.pk,
                        round=rnd,
                        stage=stage,
                        action=action,
                        from_status=before,
                        to_status=after,
                        reason=(
                            "佐证材料不全，请补充后重报"
                            if action == "returned"
                            else "异议成立"
                            if action == "rejected"
                            else ""
                        ),
                        total_score=(
                            Decimal(rng.randint(70, 98))
                            if action in ("passed", "approved")
                            else None
                        ),
                        actor_label=ACTOR_LABELS[stage],
                        at=at,
                    )
                )
                if action == "objected":
                    objections.append(
                        Objection(
                            declaration_id=d.pk,
                            notice_id=d.notice_id,
                            channel="phone",
                            received_on=at.date(),
                            objector="",
                            content="反映该村有关工作台账不实。",
                            answer="经核查，反映问题属实。",
                            upheld=True,
                            answered_at=at + dt.timedelta(days=1),
                        )
                    )
            if status in ("awarded", "withdrawn"):
                awarded_at = next(at for _r, s, at in rows if s[1] == "awarded")
                withdrawn = next((at for _r, s, at in rows if s[1] == "withdrawn"), None)
                awards.append(
                    StarAward(
                        unit_id=f.village.pk,
                        year=year,
                        kind="star" if code else "progress",
                        star_id=d.star_id,
                        star_code=code,
                        declaration_id=d.pk,
                        awarded_on=awarded_at.date(),
                        amount=None if code else PROGRESS_AMOUNT,
                        withdrawn_on=withdrawn.date() if withdrawn else None,
                        withdraw_reason="经核查存在问题，撤销星级" if withdrawn else "",
                    )
                )
        ReviewStep.objects.bulk_create(steps_rows, batch_size=BATCH)
        Objection.objects.bulk_create(objections, batch_size=BATCH)
        StarAward.objects.bulk_create(awards, batch_size=BATCH)
        self.totals["notices"] += len(notices)
        self.totals["declarations"] += len(decls)
        self.totals["review_steps"] += len(steps_rows)
        self.totals["objections"] += len(objections)
        self.totals["awards"] += len(awards)

    def contests(self, county: Any, villages: list[Any], year: int, final: bool) -> None:
        from lianxin.stars.models import Contest, ContestEntry

        rng = self.rng
        by_township: dict[int, list[Any]] = defaultdict(list)
        for v in villages:
            by_township[v.parent_id].append(v)
        rounds = (("ideas", 3, 10), ("measures", 6, 25), ("results", 12, 10))
        for code, month, day in rounds:
            ranked = final or code != "results"
            status = "closed" if ranked else "scoring"
            heats = {
                t: Contest(
                    host_id=t,
                    year=year,
                    round=code,
                    title=f"{vs[0].parent.display_name}{year}年{code}大比武",
                    held_on=dt.date(year, month, day),
                    status=status,
                    closed_at=_at(dt.date(year, month, day), 18) if ranked else None,
                )
                for t, vs in by_township.items()
            }
            final_day = dt.date(year, month, day) + dt.timedelta(days=10)
            final_contest = Contest(
                host_id=county.pk,
                year=year,
                round=code,
                is_final=True,
                title=f"{county.display_name}{year}年{code}大比武决赛",
                held_on=final_day,
                status=status,
                closed_at=_at(final_day, 18) if ranked else None,
            )
            Contest.objects.bulk_create([*heats.values(), final_contest], batch_size=BATCH)
            entries: list[ContestEntry] = []
            for t, vs in by_township.items():
                chosen = rng.sample(vs, min(HEAT_SIZE, len(vs)))
                scores = sorted(
                    (Decimal(rng.randint(7000, 9800)) / 100 for _ in chosen), reverse=True
                )
                for rank, (v, score) in enumerate(zip(chosen, scores, strict=True), start=1):
                    entries.append(
                        ContestEntry(
                            contest_id=heats[t].pk,
                            unit_id=v.pk,
                            presenter=_name(rng),
                            title=f"{v.display_name}创建{code}汇报",
                            score_count=5 if ranked else rng.randint(0, 4),
                            average_score=score if ranked else None,
                            rank=rank if ranked else None,
                            advanced=ranked and rank <= ADVANCE,
                        )
                    )
            ContestEntry.objects.bulk_create(entries, batch_size=BATCH)
            finals: list[ContestEntry] = []
            if ranked:
                advanced = [e for e in entries if e.advanced]
                scores = sorted(
                    (Decimal(rng.randint(7500, 9900)) / 100 for _ in advanced), reverse=True
                )
                rng.shuffle(advanced)
                for rank, (e, score) in enumerate(zip(advanced, scores, strict=True), start=1):
                    finals.append(
                        ContestEntry(
                            contest_id=final_contest.pk,
                            unit_id=e.unit_id,
                            presenter=e.presenter,
                            title=e.title,
                            score_count=7,
                            average_score=score,
                            rank=rank,
                            heat_entry_id=e.pk,
                        )
                    )
                ContestEntry.objects.bulk_create(finals, batch_size=BATCH)
            self.totals["contests"] += len(heats) + 1
            self.totals["contest_entries"] += len(entries) + len(finals)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefix", default="4101", help="division code of the prefecture")
    parser.add_argument("--year", type=int, default=2026, help="the current year")
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--data-dir", default="/tmp/lianxin-bench-s")
    parser.add_argument("--reset", action="store_true", help="delete earlier bench rows first")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    setup(Path(args.data_dir))
    from django.db import connection

    from lianxin.stars.models import Declaration
    from lianxin.territory.models import Unit, UnitKind

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    top, villages = import_prefecture(args.prefix)
    townships = {v.parent_id for v in villages}
    print(
        f"prefecture: {top.display_name} {top.code}: {len(townships)} townships, "
        f"{len(villages)} villages ({time.perf_counter() - t0:.1f} s with migrate)"
    )
    if args.reset:
        reset(top)
    elif Declaration.objects.filter(unit__path__startswith=top.path).exists():
        print("the prefecture already has declarations: use --reset (or a fresh database)")
        return 1
    counties = list(
        Unit.objects.filter(path__startswith=top.path, kind=UnitKind.COUNTY).order_by("path")
    )
    gen = Generator(args.year, args.seed)
    t = time.perf_counter()
    for county in counties:
        mine = [v for v in villages if v.path.startswith(county.path)]
        if not mine:
            continue
        stars = gen.catalogs(county, mine)
        for year in (args.year - 1, args.year):
            gen.county_year(county, mine, stars, year)
        print(
            f"  {county.display_name:<8} {len(mine):>4} villages: "
            f"{gen.totals['declarations']:,} declarations, {gen.totals['awards']:,} awards "
            f"({time.perf_counter() - t:.1f} s)",
            flush=True,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    elapsed = time.perf_counter() - t
    for key, value in gen.totals.items():
        print(f"  {key:<16} {value:>10,}")
    print(f"generated in {elapsed:.1f} s ({time.perf_counter() - t0:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
