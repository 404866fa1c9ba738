"""Generate a year of consultation for a county (run by hand, never in tests).

How to run (from the repository root), on a separate PostgreSQL database:

    createdb -h 127.0.0.1 -U postgres lianxin_bench_c
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_c \\
        python bench/gen_consultation.py                 # 289 villages, 2025 (about a minute)
    ... python bench/gen_consultation.py --villages 20   # smaller
    ... python bench/gen_consultation.py --reset         # delete earlier bench rows first

Without DATABASE_URL it writes to a SQLite database in --data-dir (default
/tmp/lianxin-bench-c). It migrates, imports 孟州市 (410883: 11 townships, 289 villages and
communities) from the division data shipped in the package, and for each village, for the
year (deterministic for a given seed):

- a pool of 120 residents in 30 households registered at the village itself (the FKs of
  sign-ins and supports need them; no ID numbers or phones);
- 24 meetings (two a month, at random days and hours) of the types the village holds
  (communities and villages differ), weighted towards 居民议事会 and 两委会议: 96% closed with
  `eligible_count` frozen and 10–80 sign-ins (`Attendance` rows of pool residents; the
  electorate is sometimes bigger than the room, so some quorums fail), 4% cancelled; 5% not
  public; locked minutes for 60% of the closed ones; plus 2 planned meetings in January of
  the next year, each with a pending item (the village page's "upcoming");
- 1–3 agenda items per closed meeting: 80% put to a vote (one `Ballot` per voting attendee,
  92% of those present; tallies, the base and `support_rate` computed with the same rules
  as `votes.vote_close`, so passed / rejected follow the meeting type's threshold), 20%
  discussed without a vote;
- a `Decision` for 70% of the passed items, with 2–4 `Milestone`s; implemented (all
  milestones at 100%) when its duration ends by 31 December, else in progress with partial
  milestones; 3% cancelled; 80% finish by their due date;
- about 8 residents' proposals (open, scheduled on a planned meeting, decided through an
  agenda item, declined, withdrawn) with 0–25 supports each;
- the secretary's pledge for the year (draft … evaluated) with 3–6 items, mid-year reports,
  and 15–30 year-end scores with their average; one published 四议两公开 matter.

Rows are written with `bulk_create`, and the two big tables (sign-ins and ballots) with
PostgreSQL COPY (other databases: `bulk_create`), one transaction per 20 villages. Then run
bench/consultation_figures.py against the same database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = "410883"
SH = ZoneInfo("Asia/Shanghai")
CHUNK = 20  # villages per transaction
BATCH = 5000
POOL = 120  # residents per village
PER_HOUSEHOLD = 4
MEETINGS_PER_MONTH = 2
PROPOSALS_PER_VILLAGE = 8

# Meeting mix (weights), for villages and for communities.
VILLAGE_TYPES = {
    "resident_council": 30,
    "property_face_to_face": 6,
    "branch_committee": 12,
    "two_committees": 18,
    "party_congress": 12,
    "village_reps": 16,
    "village_assembly": 6,
}
COMMUNITY_TYPES = {
    "resident_council": 34,
    "property_face_to_face": 16,
    "branch_committee": 12,
    "two_committees": 18,
    "party_congress": 10,
    "resident_reps": 10,
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡德福金凤淑珍振"
)
TOPICS = [
    "村内主干道路灯维修",
    "文化广场健身器材更新",
    "小区停车位划线",
    "垃圾分类投放点设置",
    "农田灌溉渠清淤",
    "村卫生室延长开放时间",
    "老年食堂运营方案",
    "雨污分流改造",
    "村集体土地流转",
    "小区电梯加装",
]


def setup(data_dir: Path) -> None:
    os.environ.setdefault("LIANXIN_DATA_DIR", str(data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def import_county() -> tuple[Any, list[Any]]:
    """孟州市 from the shipped division data (idempotent); its villages in path order."""
    from lianxin.territory.divisions import import_prefix
    from lianxin.territory.models import Unit, UnitKind

    import_prefix(COUNTY)
    county = Unit.objects.get(code=COUNTY)
    villages = list(
        Unit.objects.filter(path__startswith=county.path, kind=UnitKind.VILLAGE).order_by("path")
    )
    return county, villages


def reset(county: Any) -> None:
    """Delete the bench rows under the county (append-only tables need the maintenance
    opening of the audit guard)."""
    from django.db import transaction

    from lianxin.audit.guard import audit_maintenance
    from lianxin.consultation import models as c
    from lianxin.people.models import Household, Resident

    prefix = county.path
    with transaction.atomic(), audit_maintenance():
        c.PledgeScore.objects.filter(pledge__unit__path__startswith=prefix).delete()
        c.PledgeReport.objects.filter(item__pledge__unit__path__startswith=prefix).delete()
        c.PledgeItem.objects.filter(pledge__unit__path__startswith=prefix).delete()
        c.Pledge.objects.filter(unit__path__startswith=prefix).delete()
        c.Milestone.objects.filter(decision__unit__path__startswith=prefix).delete()
        c.Decision.objects.filter(unit__path__startswith=prefix).delete()
        c.Ballot.objects.filter(item__meeting__unit__path__startswith=prefix).delete()
        c.AgendaItem.objects.filter(meeting__unit__path__startswith=prefix).delete()
        c.Matter.objects.filter(unit__path__startswith=prefix).delete()
        c.Minutes.objects.filter(meeting__unit__path__startswith=prefix).delete()
        c.Attendance.objects.filter(meeting__unit__path__startswith=prefix).delete()
        c.Meeting.objects.filter(unit__path__startswith=prefix).delete()
        c.ProposalSupport.objects.filter(proposal__unit__path__startswith=prefix).delete()
        c.ResidentProposal.objects.filter(unit__path__startswith=prefix).delete()
        Resident.objects.filter(household__number__startswith="BC").delete()
        Household.objects.filter(number__startswith="BC").delete()


@contextlib.contextmanager
def explicit_timestamps(*models: Any) -> Iterator[None]:
    """Let `bulk_create` keep the generated created_at / updated_at (auto_now and
    auto_now_add would stamp every row with the time of the run)."""
    fields = [
        f for m in models for f in m._meta.concrete_fields if f.name in ("created_at", "updated_at")
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def copy_rows(model: Any, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Append-only history rows without reading their ids back: COPY on PostgreSQL."""
    from django.db import connection

    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=BATCH
        )
        return
    with connection.cursor() as cursor:
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SH)


class Generator:
    """One year of consultation for a list of villages, chunk by chunk."""

    def __init__(self, year: int, seed: int) -> None:
        from lianxin.consultation.models import MeetingType

        self.year = year
        self.rng = random.Random(seed)
        self.types = {t.code: t for t in MeetingType.objects.all()}
        self.totals: Counter[str] = Counter()
        self.year_end = dt.date(year, 12, 31)

    # --- one chunk of villages ---------------------------------------------------------------

    def chunk(self, villages: list[Any]) -> None:
        from django.db import transaction

        with transaction.atomic():
            pools = self.residents(villages)
            proposals = self.proposals(villages, pools)
            self.meetings(villages, pools, proposals)
            self.pledges(villages)
            self.matters(villages)

    def residents(self, villages: list[Any]) -> dict[int, list[tuple[int, str]]]:
        """POOL residents per village in households at the village: id and name."""
        from lianxin.people.models import Household, Resident

        now = _at(dt.date(self.year - 1, 12, 1), 9)
        households = []
        for v in villages:
            for h in range(POOL // PER_HOUSEHOLD):
                households.append(
                    Household(
                        unit_id=v.pk,
                        number=f"BC{v.code}-{h:03d}",
                        address=f"{h + 1}号",
                        head_name=_name(self.rng),
                        residence_type="owner",
                        created_at=now,
                        updated_at=now,
                    )
                )
        with explicit_timestamps(Household, Resident):
            Household.objects.bulk_create(households, batch_size=BATCH)
            people = []
            for hh in households:
                for r in range(PER_HOUSEHOLD):
                    name = hh.head_name if r == 0 else _name(self.rng)
                    people.append(
                        Resident(
                            household_id=hh.pk,
                            name=name,
                            relation="户主" if r == 0 else "家庭成员",
                            created_at=now,
                            updated_at=now,
                        )
                    )
            Resident.objects.bulk_create(people, batch_size=BATCH)
        unit_of = {hh.pk: hh.unit_id for hh in households}
        pools: dict[int, list[tuple[int, str]]] = {v.pk: [] for v in villages}
        for p in people:
            pools[unit_of[p.household_id]].append((p.pk, p.name))
        self.totals["households"] += len(households)
        self.totals["residents"] += len(people)
        return pools

    def proposals(
        self, villages: list[Any], pools: dict[int, list[tuple[int, str]]]
    ) -> dict[int, list[Any]]:
        """Proposals with their supports; the scheduled and decided ones are linked to agenda
        items by `meetings` (their status says which kind of meeting will take them)."""
        from lianxin.consultation.models import ProposalSupport, ResidentProposal

        rng = self.rng
        made: list[ResidentProposal] = []
        start = dt.datetime(self.year, 1, 1, tzinfo=SH)
        for v in villages:
            for _ in range(PROPOSALS_PER_VILLAGE):
                created = start + dt.timedelta(seconds=rng.randrange(330 * 86400))
                proposer_id, proposer_name = rng.choice(pools[v.pk])
                u = rng.random()
                status = (
                    "open"
                    if u < 0.30
                    else "scheduled"
                    if u < 0.40
                    else "decided"
                    if u < 0.75
                    else "declined"
                    if u < 0.90
                    else "withdrawn"
                )
                made.append(
                    ResidentProposal(
                        unit_id=v.pk,
                        title=rng.choice(TOPICS),
                        body="建议村（社区）组织居民商议，尽快解决。",
                        proposer_id=proposer_id,
                        proposer_label=proposer_name[0] + "*" * (len(proposer_name) - 1),
                        status=status,
                        answer="经研究，暂不具备实施条件。" if status == "declined" else "",
                        created_at=created,
                        updated_at=created,
                    )
                )
        with explicit_timestamps(ResidentProposal):
            ResidentProposal.objects.bulk_create(made, batch_size=BATCH)
        supports: list[tuple[Any, ...]] = []
        by_village: dict[int, list[ResidentProposal]] = {v.pk: [] for v in villages}
        for p in made:
            others = [r for r in pools[p.unit_id] if r[0] != p.proposer_id]
            chosen = rng.sample(others, rng.randint(0, 25))
            for resident_id, _resident_name in chosen:
                at = p.created_at + dt.timedelta(seconds=rng.randrange(20 * 86400))
                supports.append((p.pk, resident_id, at))
            p.support_count = len(chosen)
            by_village[p.unit_id].append(p)
        copy_rows(ProposalSupport, ["proposal_id", "resident_id", "at"], supports)
        ResidentProposal.objects.bulk_update(made, ["support_count"], batch_size=BATCH)
        self.totals["proposals"] += len(made)
        self.totals["supports"] += len(supports)
        return by_village

    def meetings(
        self,
        villages: list[Any],
        pools: dict[int, list[tuple[int, str]]],
        proposals: dict[int, list[Any]],
    ) -> None:
        from lianxin.consultation.models import Attendance, Meeting, Minutes

        rng = self.rng
        meetings: list[Meeting] = []
        present: dict[int, list[tuple[int, str]]] = {}  # meeting index → attendees
        for v in villages:
            weights = COMMUNITY_TYPES if v.display_name.endswith("社区") else VILLAGE_TYPES
            for month in range(1, 13):
                for k in range(MEETINGS_PER_MONTH):
                    day = dt.date(self.year, month, 1 + 14 * k + rng.randrange(14))
                    starts = _at(day, rng.randint(8, 18), rng.choice((0, 30)))
                    mtype = self.types[_pick(rng, weights)]
                    closed = rng.random() >= 0.04
                    crowd = rng.sample(pools[v.pk], rng.randint(10, 80)) if closed else []
                    # The electorate frozen at opening: the room is 55–100% of it.
                    eligible = math.ceil(len(crowd) / rng.uniform(0.55, 1.0)) if closed else None
                    present[len(meetings)] = crowd
                    meetings.append(
                        Meeting(
                            unit_id=v.pk,
                            meeting_type_id=mtype.pk,
                            title=f"{v.display_name}{month}月{mtype.name}",
                            starts_at=starts,
                            ends_at=starts + dt.timedelta(hours=2),
                            host_label="村（社区）书记",
                            is_public=rng.random() >= 0.05,
                            status="closed" if closed else "cancelled",
                            eligible_count=eligible,
                            opened_at=starts if closed else None,
                            closed_at=starts + dt.timedelta(hours=2) if closed else None,
                            cancel_reason="" if closed else "天气原因取消",
                            created_at=starts - dt.timedelta(days=7),
                            updated_at=starts + dt.timedelta(hours=2),
                        )
                    )
            for k in range(2):  # upcoming: January of the next year
                starts = _at(dt.date(self.year + 1, 1, 8 + 10 * k), 15)
                mtype = self.types["resident_council"]
                present[len(meetings)] = []
                meetings.append(
                    Meeting(
                        unit_id=v.pk,
                        meeting_type_id=mtype.pk,
                        title=f"{v.display_name}{self.year + 1}年1月居民议事会",
                        starts_at=starts,
                        host_label="村（社区）书记",
                        status="planned",
                        created_at=starts - dt.timedelta(days=20),
                        updated_at=starts - dt.timedelta(days=20),
                    )
                )
        with explicit_timestamps(Meeting, Minutes):
            Meeting.objects.bulk_create(meetings, batch_size=BATCH)
            minutes = [
                self._minutes(m) for m in meetings if m.status == "closed" and rng.random() < 0.6
            ]
            Minutes.objects.bulk_create(minutes, batch_size=BATCH)
        attendance = [
            (m.pk, f"resident:{rid}", name, rid, "staff" if rng.random() < 0.6 else "code", at)
            for i, m in enumerate(meetings)
            for rid, name, at in (
                (rid, name, m.starts_at + dt.timedelta(seconds=rng.randrange(-1800, 900)))
                for rid, name in present[i]
            )
        ]
        copy_rows(
            Attendance,
            ["meeting_id", "elector_key", "label", "resident_id", "method", "at"],
            attendance,
        )
        self.totals["meetings"] += len(meetings)
        self.totals["meetings_closed"] += sum(m.status == "closed" for m in meetings)
        self.totals["attendance"] += len(attendance)
        self.totals["minutes"] += len(minutes)
        self.items(meetings, present, proposals)

    def _minutes(self, meeting: Any) -> Any:
        from lianxin.consultation.models import Minutes

        body = f"{meeting.title}会议记录：到会人员就议题逐项讨论并表决，形成决议。"
        locked = meeting.closed_at + dt.timedelta(days=1)
        return Minutes(
            meeting_id=meeting.pk,
            body=body,
            recorder_label="村（社区）文书",
            locked_at=locked,
            digest=hashlib.sha256(body.encode()).hexdigest(),
            created_at=meeting.closed_at,
            updated_at=locked,
        )

    def items(
        self,
        meetings: list[Any],
        present: dict[int, list[tuple[int, str]]],
        proposals: dict[int, list[Any]],
    ) -> None:
        """Agenda items, their ballots and tallies (the rules of votes.vote_close)."""
        from lianxin.consultation import workflow as wf
        from lianxin.consultation.models import AgendaItem, Ballot, ResidentProposal

        rng = self.rng
        types_by_pk = {t.pk: t for t in self.types.values()}
        # The proposals each village still has to put on an agenda, oldest first.
        waiting = {
            unit: sorted(
                (p for p in ps if p.status in ("decided", "scheduled")), key=lambda p: p.created_at
            )
            for unit, ps in proposals.items()
        }
        items: list[AgendaItem] = []
        votes: list[list[tuple[int, str, str]]] = []  # per item: (resident, name, choice)
        for i, m in enumerate(meetings):
            mtype = types_by_pk[m.meeting_type_id]
            if m.status == "cancelled":
                continue
            n_items = 1 if m.status == "planned" else rng.choices((1, 2, 3), (25, 40, 35))[0]
            crowd = present[i]
            for order in range(1, n_items + 1):
                proposal = self._take_proposal(waiting[m.unit_id], m)
                item = AgendaItem(
                    meeting_id=m.pk,
                    order=order,
                    title=proposal.title if proposal else rng.choice(TOPICS),
                    source="proposal" if proposal else "staff",
                    proposal_id=proposal.pk if proposal else None,
                    electorate=mtype.electorate,
                    threshold=mtype.threshold,
                    threshold_share=mtype.threshold_share,
                    base=mtype.base,
                    created_at=m.created_at,
                    updated_at=m.updated_at,
                )
                ballots: list[tuple[int, str, str]] = []
                if m.status == "closed":
                    moment = m.starts_at + dt.timedelta(minutes=30 * order)
                    if rng.random() < 0.8:
                        ballots = self._vote(item, m, crowd, moment)
                    else:
                        item.status = "discussed"
                        item.outcome_note = "已充分讨论，形成共识，不再表决。"
                    item.decided_at = moment + dt.timedelta(minutes=20)
                items.append(item)
                votes.append(ballots)
        with explicit_timestamps(AgendaItem):
            AgendaItem.objects.bulk_create(items, batch_size=BATCH)
        rows = [
            (item.pk, f"resident:{rid}", name, choice, "in_person", item.vote_closed_at)
            for item, ballots in zip(items, votes, strict=True)
            for rid, name, choice in ballots
        ]
        copy_rows(Ballot, ["item_id", "elector_key", "label", "choice", "channel", "at"], rows)
        # Proposals taken by a decided item are decided; by a planned meeting, scheduled.
        taken = [item for item in items if item.proposal_id is not None]
        status_of = {it.proposal_id: ("decided" if it.decided_at else "scheduled") for it in taken}
        ResidentProposal.objects.bulk_update(
            [
                ResidentProposal(pk=pk, status=status)  # type: ignore[misc]
                for pk, status in status_of.items()
            ],
            ["status"],
            batch_size=BATCH,
        )
        # Proposals that found no meeting stay open.
        leftover = [p.pk for ps in waiting.values() for p in ps]
        ResidentProposal.objects.filter(pk__in=leftover).update(status="open")
        self.totals["items"] += len(items)
        self.totals["items_voted"] += sum(1 for it in items if it.vote_closed_at)
        self.totals["ballots"] += len(rows)
        self.decisions([it for it in items if it.status == wf.PASSED], meetings)

    def _take_proposal(self, waiting: list[Any], meeting: Any) -> Any:
        """The oldest waiting proposal that fits this meeting (decided ones go to a closed
        meeting after they were made, scheduled ones to a planned meeting)."""
        want = "decided" if meeting.status == "closed" else "scheduled"
        for k, p in enumerate(waiting):
            if p.status == want and p.created_at < meeting.starts_at:
                if self.rng.random() < 0.5 or meeting.status == "planned":
                    return waiting.pop(k)
                return None
        return None

    def _vote(
        self, item: Any, meeting: Any, crowd: list[tuple[int, str]], moment: dt.datetime
    ) -> list[tuple[int, str, str]]:
        from lianxin.consultation import workflow as wf

        rng = self.rng
        p_yes = rng.uniform(0.35, 0.97)
        ballots = []
        for rid, name in crowd:
            if rng.random() >= 0.92:
                continue
            u = rng.random()
            choice = "yes" if u < p_yes else "no" if u < p_yes + (1 - p_yes) * 0.6 else "abstain"
            ballots.append((rid, name, choice))
        counts = Counter(choice for _r, _n, choice in ballots)
        eligible = meeting.eligible_count or 0
        base = wf.vote_base(item.base, cast=len(ballots), present=len(crowd), eligible=eligible)
        passed = wf.vote_passes(item.threshold, counts["yes"], base, share=item.threshold_share)
        item.status = wf.PASSED if passed else wf.REJECTED
        item.vote_opened_at = moment
        item.vote_closed_at = moment + dt.timedelta(minutes=20)
        item.eligible_count = eligible
        item.present_count = len(crowd)
        item.ballot_count = len(ballots)
        item.yes_count = counts["yes"]
        item.no_count = counts["no"]
        item.abstain_count = counts["abstain"]
        item.support_rate = wf.support_rate(counts["yes"], base)
        item.outcome_note = "表决通过。" if passed else "未获通过。"
        return ballots

    def decisions(self, passed: list[Any], meetings: list[Any]) -> None:
        from lianxin.consultation.models import Decision, Milestone

        rng = self.rng
        unit_of = {m.pk: m.unit_id for m in meetings}
        made: list[Decision] = []
        for item in passed:
            if rng.random() >= 0.7:
                continue
            decided = item.decided_at.astimezone(SH).date()
            due = decided + dt.timedelta(days=rng.randint(30, 120))
            on_time = rng.random() < 0.8
            finish = (
                decided + dt.timedelta(days=rng.randint(10, (due - decided).days))
                if on_time
                else due + dt.timedelta(days=rng.randint(1, 60))
            )
            status = "done" if finish <= self.year_end else "in_progress"
            if rng.random() < 0.03:
                status = "cancelled"
            made.append(
                Decision(
                    unit_id=unit_of[item.meeting_id],
                    item_id=item.pk,
                    title=item.title,
                    summary=f"会议议定：{item.title}。",
                    responsible="村（社区）“两委”",
                    decided_on=decided,
                    due_on=due,
                    done_on=finish if status == "done" else None,
                    status=status,
                    is_public=rng.random() >= 0.05,
                    created_at=item.decided_at,
                    updated_at=item.decided_at,
                )
            )
            made[-1].finish = finish  # type: ignore[attr-defined]
        with explicit_timestamps(Decision, Milestone):
            Decision.objects.bulk_create(made, batch_size=BATCH)
            milestones = []
            for d in made:
                n = rng.randint(2, 4)
                span = (d.finish - d.decided_on).days  # type: ignore[attr-defined]
                progress = []
                for k in range(1, n + 1):
                    end = d.decided_on + dt.timedelta(days=max(1, span * k // n))
                    due = d.decided_on + dt.timedelta(days=(d.due_on - d.decided_on).days * k // n)
                    done = end <= self.year_end and d.status != "cancelled"
                    pct = 100 if done else rng.choice((0, 20, 40, 60, 80))
                    progress.append(pct)
                    milestones.append(
                        Milestone(
                            decision_id=d.pk,
                            order=k,
                            title=f"第{k}阶段",
                            due_on=due,
                            done_on=end if done else None,
                            progress=pct,
                            created_at=d.created_at,
                            updated_at=d.created_at,
                        )
                    )
                d.progress = sum(progress) // n
            Milestone.objects.bulk_create(milestones, batch_size=BATCH)
        Decision.objects.bulk_update(made, ["progress"], batch_size=BATCH)
        self.totals["decisions"] += len(made)
        self.totals["milestones"] += len(milestones)

    def pledges(self, villages: list[Any]) -> None:
        from lianxin.consultation.models import Pledge, PledgeItem, PledgeReport, PledgeScore

        rng = self.rng
        y = self.year
        published_at, reported_at = _at(dt.date(y, 2, 20), 10), _at(dt.date(y, 7, 15), 10)
        opened_at, evaluated_at = _at(dt.date(y, 12, 10), 10), _at(dt.date(y, 12, 20), 10)
        stages = {"draft": 3, "published": 7, "reported": 15, "evaluating": 5, "evaluated": 70}
        pledges = []
        for v in villages:
            stage = _pick(rng, stages)
            later = list(stages).index(stage)
            pledges.append(
                Pledge(
                    unit_id=v.pk,
                    year=y,
                    secretary_name=_name(rng),
                    stage=stage,
                    published_at=published_at if later >= 1 else None,
                    reported_at=reported_at if later >= 2 else None,
                    evaluation_opened_at=opened_at if later >= 3 else None,
                    evaluated_at=evaluated_at if later >= 4 else None,
                    created_at=_at(dt.date(y, 1, 15), 10),
                    updated_at=_at(dt.date(y, 1, 15), 10),
                )
            )
        with explicit_timestamps(Pledge):
            Pledge.objects.bulk_create(pledges, batch_size=BATCH)
        items, reports, scores = [], [], []
        for p in pledges:
            for k in range(1, rng.randint(3, 6) + 1):
                if p.stage in ("reported", "evaluating", "evaluated"):
                    fulfilment = _pick(rng, {"done": 6, "in_progress": 3, "not_started": 1})
                else:
                    fulfilment = "not_started"
                item = PledgeItem(
                    pledge_id=p.pk,
                    order=k,
                    title=f"承诺{k}：{rng.choice(TOPICS)}",
                    measure="年内完成",
                    due_on=dt.date(y, 12, 31),
                    fulfilment=fulfilment,
                )
                items.append(item)
            if p.stage == "evaluated":
                for e in range(rng.randint(15, 30)):
                    scores.append(
                        (p.pk, f"member:{e}", f"评议人{e}", rng.randint(60, 100), "", evaluated_at)
                    )
        PledgeItem.objects.bulk_create(items, batch_size=BATCH)
        for item in items:
            if item.fulfilment != "not_started":
                reports.append(
                    (item.pk, "midyear", item.fulfilment, "按计划推进。", "", "书记", reported_at)
                )
        copy_rows(
            PledgeReport,
            ["item_id", "stage", "fulfilment", "note", "evidence", "author_label", "at"],
            reports,
        )
        copy_rows(
            PledgeScore, ["pledge_id", "elector_key", "label", "score", "comment", "at"], scores
        )
        by_pledge: dict[int, list[int]] = {}
        for pk, *_rest, score, _comment, _when in scores:
            by_pledge.setdefault(pk, []).append(score)
        for p in pledges:
            got = by_pledge.get(p.pk)
            if got:
                p.score_count = len(got)
                p.average_score = (Decimal(sum(got)) / len(got)).quantize(
                    Decimal("0.01"), ROUND_HALF_UP
                )
        Pledge.objects.bulk_update(pledges, ["score_count", "average_score"], batch_size=BATCH)
        self.totals["pledges"] += len(pledges)
        self.totals["pledge_items"] += len(items)
        self.totals["pledge_scores"] += len(scores)

    def matters(self, villages: list[Any]) -> None:
        from lianxin.consultation.models import Matter

        made = []
        for v in villages:
            at = _at(dt.date(self.year, 6, 1) + dt.timedelta(days=self.rng.randrange(150)), 10)
            made.append(
                Matter(
                    unit_id=v.pk,
                    title=f"{v.display_name}集体土地流转",
                    description="经四议两公开程序议定。",
                    status="announced",
                    next_step=5,
                    resolution_text="同意按方案实施，公示七天。",
                    resolution_published_at=at,
                    created_at=at - dt.timedelta(days=40),
                    updated_at=at,
                )
            )
        with explicit_timestamps(Matter):
            Matter.objects.bulk_create(made, batch_size=BATCH)
        self.totals["matters"] += len(made)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--villages", type=int, default=0, help="only the first N (0: all)")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--data-dir", default="/tmp/lianxin-bench-c")
    parser.add_argument("--reset", action="store_true", help="delete earlier bench rows first")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    setup(Path(args.data_dir))
    from django.db import connection

    from lianxin.consultation.models import Meeting

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    county, villages = import_county()
    townships = {v.parent_id for v in villages}
    print(
        f"county: {county.display_name} {county.code}: {len(townships)} townships, "
        f"{len(villages)} villages ({time.perf_counter() - t0:.1f} s with migrate)"
    )
    if args.reset:
        reset(county)
    elif Meeting.objects.filter(unit__path__startswith=county.path).exists():
        print("the county already has meetings: use --reset (or a fresh database)")
        return 1
    if args.villages:
        villages = villages[: args.villages]
    gen = Generator(args.year, args.seed)
    t = time.perf_counter()
    for k in range(0, len(villages), CHUNK):
        gen.chunk(villages[k : k + CHUNK])
        done = min(k + CHUNK, len(villages))
        print(
            f"  {done:>4} villages: {gen.totals['meetings']:,} meetings, "
            f"{gen.totals['attendance']:,} sign-ins, {gen.totals['ballots']:,} ballots "
            f"({time.perf_counter() - t:.1f} s)",
            flush=True,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM too: the visibility map lets counts of sign-ins be index-only scans,
            # as they are on a database autovacuum has visited.
            cursor.execute("VACUUM ANALYZE")
    elapsed = time.perf_counter() - t
    for key, value in gen.totals.items():
        print(f"  {key:<16} {value:>10,}")
    print(f"generated in {elapsed:.1f} s ({time.perf_counter() - t0:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
