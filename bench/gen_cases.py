"""Generate resident requests for the figures benchmark (run by hand, never in tests).

How to run (from the repository root), on a separate PostgreSQL database:

    createdb -h 127.0.0.1 -U postgres lianxin_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench \\
        python bench/gen_cases.py                   # 1,000,000 requests (a few minutes)
    ... python bench/gen_cases.py --rows 100000     # smaller
    ... python bench/gen_cases.py --reset           # delete earlier bench requests first

Without DATABASE_URL it writes to a SQLite database in --data-dir (default /tmp/lianxin-bench).
It migrates, builds a tree under a bench county 410899 (基准县): 1 street, 20 villages,
200 grids, 4,000 buildings, and inserts N requests in batches of 5,000 — PostgreSQL COPY
(about 10× faster than `bulk_create`, which is used on other databases) — deterministic for a
given N (seeded):

- 95% received in 2025, 5% in October–December 2024 (outside the benchmark's year);
- 93% placed at a building, 5% at a grid, 2% at the village itself;
- kinds (92% ordinary, 3% mediation with a `Mediation` row, 5% errand), channels, categories
  (every default leaf, 5% none), levels, and a realistic spread of states: closed with a
  follow-up (满意 / 基本满意 / 不满意), resolved awaiting follow-up, in progress (some overdue),
  new, guided, rejected, merged; late responses and resolutions, returns, reopenings;
- 1.5% of requests whistled (a `Whistle` row: closed / coordinated / unresolved / open).

Then run bench/cases_figures.py against the same database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = "410899"
STREET = COUNTY + "001"
VILLAGES, GRIDS_PER_VILLAGE, BUILDINGS_PER_GRID = 20, 10, 20
BATCH = 5000
SH = ZoneInfo("Asia/Shanghai")

CHANNELS = {
    "qr": 35,
    "column": 5,
    "phone": 15,
    "walk_in": 10,
    "visit": 10,
    "patrol": 12,
    "rider": 4,
    "building_leader": 6,
    "api": 2,
    "open311": 1,
}


def setup(data_dir: Path) -> None:
    os.environ.setdefault("LIANXIN_DATA_DIR", str(data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def build_tree() -> dict[str, list[Any]]:
    """Province → city → county → street → villages → grids → buildings (idempotent)."""
    from lianxin.territory.models import Unit

    def get(kind: str, code: str, name: str, parent: Unit | None) -> Unit:
        path = (parent.path if parent else "/") + code + "/"
        unit, _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "display_name": name,
                "parent": parent,
                "path": path,
                "depth": parent.depth + 1 if parent else 0,
                "stat_code": code if code.isdigit() else "",
            },
        )
        return unit

    province = get("province", "41", "河南省", None)
    city = get("city", "4108", "焦作市", province)
    county = get("county", COUNTY, "基准县", city)
    street = get("township", STREET, "基准街道", county)
    villages, grids, buildings = [], [], []
    for v in range(1, VILLAGES + 1):
        village = get("village", f"{STREET}{v:03d}", f"基准{v}社区", street)
        villages.append(village)
        for g in range(1, GRIDS_PER_VILLAGE + 1):
            gcode = f"G{village.code}-{g:02d}"
            grid = get("grid", gcode, f"基准{v}社区第{g}网格", village)
            grids.append(grid)
            existing = set(Unit.objects.filter(parent=grid).values_list("code", flat=True))
            new = []
            for b in range(1, BUILDINGS_PER_GRID + 1):
                bcode = f"B{village.code}-{g:02d}-{b:02d}"
                if bcode in existing:
                    continue
                new.append(
                    Unit(
                        kind="building",
                        code=bcode,
                        name=f"基准{v}社区{g}区{b}号楼",
                        display_name=f"{g}区{b}号楼",
                        parent=grid,
                        path=f"{grid.path}{bcode}/",
                        depth=grid.depth + 1,
                    )
                )
            Unit.objects.bulk_create(new)
            buildings += list(Unit.objects.filter(parent=grid).order_by("code"))
    return {"street": [street], "villages": villages, "grids": grids, "buildings": buildings}


def reset() -> None:
    from lianxin.cases.models import Case, Mediation, Whistle

    prefix = f"/41/4108/{COUNTY}/"
    Mediation.objects.filter(case__place_path__startswith=prefix).delete()
    Whistle.objects.filter(place_path__startswith=prefix).delete()
    Case.objects.filter(place_path__startswith=prefix).delete()


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Writer:
    """Inserts request rows: PostgreSQL COPY (explicit ids, the sequence moved on at the end),
    else `bulk_create` of model instances."""

    def __init__(self) -> None:
        from django.db import connection

        from lianxin.cases.models import Case

        self.copy = connection.vendor == "postgresql"
        self.fields = [f for f in Case._meta.concrete_fields if f.attname != "id"]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.next_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def write(self, rows: list[dict[str, Any]]) -> list[int]:
        import uuid

        from django.db import connection

        from lianxin.cases.models import Case

        now = dt.datetime.now(tz=SH)
        for row in rows:
            row.setdefault("public_id", uuid.uuid4())
            row.setdefault("created_at", now)
            row.setdefault("updated_at", now)
        if not self.copy:
            made = Case.objects.bulk_create([Case(**row) for row in rows], batch_size=BATCH)
            return [c.pk for c in made]
        ids = list(range(self.next_id, self.next_id + len(rows)))
        self.next_id += len(rows)
        columns = ["id"] + [f.column for f in self.fields]
        names = [f.attname for f in self.fields]
        with connection.cursor() as cursor:
            sql = f"COPY cases_case ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    copy.write_row([pk] + [row.get(n, self.defaults[n]) for n in names])
        return ids

    def finish(self) -> None:
        if self.copy:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                    "(SELECT MAX(id) FROM cases_case))"
                )


def generate(n: int, tree: dict[str, list[Any]], *, seed: int = 20260301) -> dict[str, int]:
    from lianxin.cases.models import Case, Category, Mediation, Whistle

    rng = random.Random(seed)
    leaves = list(
        Category.objects.filter(parent__isnull=False).values_list(
            "pk", "default_level", "default_urgency"
        )
    )
    street = tree["street"][0]
    places = tree["buildings"], tree["grids"], tree["villages"]
    span = Span(
        year_start=dt.datetime(2025, 1, 1, tzinfo=SH),
        year_seconds=365 * 86400,
        early_start=dt.datetime(2024, 10, 1, tzinfo=SH),
        early_seconds=92 * 86400,
    )
    totals = {"cases": 0, "whistles": 0, "mediations": 0}
    first = Case.objects.filter(tracking_no__startswith="BN").count()
    writer = Writer()
    t0 = time.perf_counter()
    for batch_start in range(0, n, BATCH):
        rows = [
            _case(rng, first + i, places, leaves, span)
            for i in range(batch_start, min(n, batch_start + BATCH))
        ]
        ids = writer.write(rows)
        whistles, mediations = [], []
        for pk, row in zip(ids, rows, strict=True):
            if row["kind"] == "mediation":
                u = rng.random()
                agreed = True if u < 0.88 else (False if u < 0.96 else None)
                mediations.append(
                    Mediation(case_id=pk, dispute_kind="邻里纠纷", agreement_reached=agreed)
                )
            if row.get("is_whistled"):
                u = rng.random()
                outcome = (
                    "closed"
                    if u < 0.88
                    else "coordinated"
                    if u < 0.98
                    else "unresolved"
                    if u < 0.99
                    else ""
                )
                raised = row["received_at"] + dt.timedelta(days=1)
                whistles.append(
                    Whistle(
                        case_id=pk,
                        place_path=row["place_path"],
                        street=street,
                        reason="村里协调不了，需要街道召集部门",
                        raised_at=raised,
                        outcome=outcome,
                        closed_at=raised + dt.timedelta(days=2) if outcome else None,
                    )
                )
        Mediation.objects.bulk_create(mediations)
        Whistle.objects.bulk_create(whistles)
        totals["cases"] += len(rows)
        totals["whistles"] += len(whistles)
        totals["mediations"] += len(mediations)
        done = totals["cases"]
        if done % 100_000 == 0 or done == n:
            rate = done / (time.perf_counter() - t0)
            print(f"  {done:>9,} requests ({rate:,.0f}/s)", flush=True)
    writer.finish()
    return totals


@dataclass(frozen=True)
class Span:
    year_start: dt.datetime
    year_seconds: int
    early_start: dt.datetime
    early_seconds: int


def _case(
    rng: random.Random,
    i: int,
    places: tuple[list[Any], list[Any], list[Any]],
    leaves: list[tuple[int, str, str]],
    span: Span,
) -> dict[str, Any]:
    """One request as column values (attnames); the writer fills the defaults."""
    buildings, grids, villages = places
    u = rng.random()
    unit = rng.choice(buildings if u < 0.93 else grids if u < 0.98 else villages)
    if rng.random() < 0.95:
        received = span.year_start + dt.timedelta(seconds=rng.randrange(span.year_seconds))
    else:
        received = span.early_start + dt.timedelta(seconds=rng.randrange(span.early_seconds))
    u = rng.random()
    kind = "ordinary" if u < 0.92 else "mediation" if u < 0.95 else "errand"
    category_id, level, urgency = (None, "", "general")
    if rng.random() < 0.95:
        category_id, level, urgency = rng.choice(leaves)
    hours = dt.timedelta(hours=1)
    row: dict[str, Any] = {
        "tracking_no": f"BN{i:010d}",
        "access_digest": f"{i:064d}",
        "kind": kind,
        "channel": _pick(rng, CHANNELS),
        "unit_id": unit.pk,
        "place_path": unit.path,
        "category_id": category_id,
        "urgency": urgency,
        "title": "楼道灯不亮",
        "description": "楼道灯不亮好几天了，晚上上下楼很危险",
        "received_at": received,
        "respond_due_at": received + 4 * hours,
        "status": "received",
    }
    state = rng.random()
    responded_in_time = rng.random() < 0.9
    accepted = received + (hours if responded_in_time else 30 * hours)
    if state < 0.03:  # 私事, guided
        row.update(
            status="closed",
            outcome="guided",
            level="private",
            accepted_at=accepted,
            responded_in_time=responded_in_time,
            closed_at=accepted,
            guidance="建议联系物业或市场维修服务",
        )
    elif state < 0.05:
        row.update(
            status="rejected",
            outcome="rejected",
            closed_at=accepted,
            rejection_reason="不属于受理范围",
        )
    elif state < 0.07:
        row.update(status="merged", outcome="merged", closed_at=accepted)
    elif state < 0.10:  # new or just accepted
        if rng.random() < 0.5:
            row.update(status="accepted", accepted_at=accepted, responded_in_time=responded_in_time)
    else:
        assigned = accepted + hours
        row.update(
            level=level or "small",
            accepted_at=accepted,
            responded_in_time=responded_in_time,
            assigned_at=assigned,
            resolve_due_at=assigned + dt.timedelta(days=9),
        )
        if rng.random() < 0.03:
            row["return_count"] = rng.randint(1, 3)
        if rng.random() < 0.015:
            row["is_whistled"] = True
        if rng.random() < 0.02:
            row["is_supervised"] = True
        if state < 0.18:  # in progress, some overdue
            row.update(status=rng.choice(["assigned", "in_progress"]))
            if rng.random() < 0.3:
                row["sla_state"] = "overdue"
        else:
            in_time = rng.random() < 0.85
            resolved = assigned + (dt.timedelta(days=3) if in_time else dt.timedelta(days=12))
            row.update(
                status="resolved",
                resolved_at=resolved,
                resolved_in_time=in_time,
                result="已处理完毕",
            )
            if rng.random() < 0.02:
                row["reopen_count"] = 1
            if state >= 0.26:  # followed up and closed
                u = rng.random()
                satisfaction = "satisfied" if u < 0.8 else "basic" if u < 0.97 else "unsatisfied"
                row.update(
                    status="closed",
                    outcome="resolved",
                    satisfaction=satisfaction,
                    followed_up_at=resolved + dt.timedelta(days=1),
                    closed_at=resolved + dt.timedelta(days=1),
                )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default="/tmp/lianxin-bench")
    parser.add_argument("--reset", action="store_true", help="delete earlier bench requests first")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    setup(Path(args.data_dir))
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.reset:
        reset()
    t = time.perf_counter()
    tree = build_tree()
    print(
        f"tree: {len(tree['villages'])} villages, {len(tree['grids'])} grids, {len(tree['buildings'])} buildings"
    )
    totals = generate(args.rows, tree)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case; ANALYZE cases_whistle; ANALYZE cases_mediation")
    print(f"inserted {totals} in {time.perf_counter() - t:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
