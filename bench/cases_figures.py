"""Benchmark: a unit's figures over 1,000,000 requests vs one hand-written SQL aggregate.

How to run (from the repository root), after bench/gen_cases.py filled the same database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench python bench/cases_figures.py
    ... python bench/cases_figures.py --unit 410899001001      # one village instead of the street
    ... python bench/cases_figures.py --repeat 9 --explain     # more runs, print query plans

Targets (issue 3, item 14): under 1 s on PostgreSQL, within 1.5× the hand-written query.

It times, for the bench street (410899001) over 2025-01-01..2025-12-31 (median of --repeat
runs after one warm-up run each):

  A. `lianxin.cases.figures.unit_figures(...)` — everything the figures page shows: settings,
     categories, children, the grouped request query (one pass, grouped by child unit, with
     the mediation rows LEFT JOINed) and the grouped whistle query;
  B. ONE hand-written SQL statement over the same rows (same WHERE on cases_case) computing
     the same request counts (states, channels, levels, top-level categories, follow-ups,
     mediations through the same LEFT JOIN) with FILTER clauses, without the child grouping
     (the counts both sides derive as remainders — 未分流, 未分类, 不满意 — are left out);

checks that A's request counts equal B's, and prints both times and the ratio A / B.
With --explain it prints EXPLAIN (ANALYZE, BUFFERS) of A's request query, for the street
(about all rows: a sequential scan is the right plan) and for one village (5% of the rows:
an index range scan on cases_case_path_received is expected).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FROM, TO = dt.date(2025, 1, 1), dt.date(2025, 12, 31)

HAND_SQL = """
SELECT
  COUNT(*) AS received,
  COUNT(*) FILTER (WHERE accepted_at IS NOT NULL) AS responded,
  COUNT(*) FILTER (WHERE responded_in_time) AS responded_in_time,
  COUNT(*) FILTER (WHERE resolved_at IS NOT NULL OR outcome = 'resolved') AS resolved,
  COUNT(*) FILTER (WHERE resolved_in_time) AS resolved_in_time,
  COUNT(*) FILTER (WHERE sla_state = 'overdue' OR NOT resolved_in_time) AS overdue,
  COUNT(*) FILTER (WHERE return_count > 0) AS returned,
  COALESCE(SUM(return_count), 0) AS returns,
  COUNT(*) FILTER (WHERE reopen_count > 0) AS reopened,
  COALESCE(SUM(reopen_count), 0) AS reopens,
  COUNT(*) FILTER (WHERE is_supervised) AS supervised,
  COUNT(*) FILTER (WHERE outcome = 'guided') AS guided,
  COUNT(*) FILTER (WHERE outcome = 'rejected') AS rejected,
  COUNT(*) FILTER (WHERE outcome = 'merged') AS merged,
  COUNT(*) FILTER (WHERE kind = 'mediation') AS mediations,
  COUNT(*) FILTER (WHERE m.agreement_reached IS NOT NULL) AS mediations_concluded,
  COUNT(*) FILTER (WHERE m.agreement_reached) AS mediations_succeeded,
  COUNT(*) FILTER (WHERE kind = 'errand') AS errands,
  COUNT(*) FILTER (WHERE satisfaction <> '') AS follow_ups,
  COUNT(*) FILTER (WHERE satisfaction <> '' AND accepted_at IS NOT NULL
                   AND responded_in_time IS DISTINCT FROM false) AS contacted,
  COUNT(*) FILTER (WHERE satisfaction <> ''
                   AND (resolved_at IS NOT NULL OR outcome = 'resolved')) AS solved,
  COUNT(*) FILTER (WHERE satisfaction = 'satisfied') AS satisfied,
  COUNT(*) FILTER (WHERE satisfaction = 'basic') AS basic_satisfied,
  COUNT(*) FILTER (WHERE channel = 'qr') AS ch_qr,
  COUNT(*) FILTER (WHERE channel = 'column') AS ch_column,
  COUNT(*) FILTER (WHERE channel = 'phone') AS ch_phone,
  COUNT(*) FILTER (WHERE channel = 'walk_in') AS ch_walk_in,
  COUNT(*) FILTER (WHERE channel = 'visit') AS ch_visit,
  COUNT(*) FILTER (WHERE channel = 'patrol') AS ch_patrol,
  COUNT(*) FILTER (WHERE channel = 'rider') AS ch_rider,
  COUNT(*) FILTER (WHERE channel = 'building_leader') AS ch_building_leader,
  COUNT(*) FILTER (WHERE channel = 'api') AS ch_api,
  COUNT(*) FILTER (WHERE channel = 'open311') AS ch_open311,
  COUNT(*) FILTER (WHERE level = 'big') AS lv_big,
  COUNT(*) FILTER (WHERE level = 'small') AS lv_small,
  COUNT(*) FILTER (WHERE level = 'private') AS lv_private{categories}
FROM cases_case c LEFT JOIN cases_mediation m ON m.case_id = c.id
WHERE place_path LIKE %(prefix)s AND received_at >= %(start)s AND received_at < %(end)s
"""


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LIANXIN_DATA_DIR", "/tmp/lianxin-bench")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = fn()  # warm-up: caches, plans, pages in memory
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), result


def hand_written(unit: Any) -> dict[str, int]:
    from django.db import connection

    from lianxin.cases.figures import _context, period_bounds

    roots = _context().roots
    categories = "".join(
        f",\n  COUNT(*) FILTER (WHERE category_id IN ({', '.join(map(str, ids))})) AS cat{i}"
        for i, (_code, ids) in enumerate(roots)
    )
    start, end = period_bounds(FROM, TO)
    with connection.cursor() as cursor:
        cursor.execute(
            HAND_SQL.format(categories=categories),
            {"prefix": unit.path + "%", "start": start, "end": end},
        )
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unit", default="410899001", help="unit code (default: the street)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--jit",
        choices=["default", "on", "off"],
        default="default",
        help="PostgreSQL JIT for this session (compiling ~50 FILTER expressions costs ~0.5 s)",
    )
    args = parser.parse_args()
    setup()
    from django.db import connection

    from lianxin.cases.figures import case_groups_queryset, unit_figures
    from lianxin.cases.models import Case
    from lianxin.territory.models import Unit

    if connection.vendor != "postgresql":
        print("warning: the targets are for PostgreSQL; this is", connection.vendor)
    unit = Unit.objects.get(code=args.unit)
    if args.jit != "default" and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET jit = {args.jit}")
    total = Case.objects.count()
    print(f"database: {connection.settings_dict['NAME']} ({total:,} requests in cases_case)")
    jit = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            jit = f"; jit {cursor.fetchone()[0]}"
    print(f"unit: {unit.display_name} {unit.path}, period {FROM} .. {TO}{jit}")

    a_time, figures = timed(
        lambda: unit_figures(unit=unit, date_from=FROM, date_to=TO), args.repeat
    )
    b_time, hand = timed(lambda: hand_written(unit), args.repeat)

    counts = figures.counts
    same = all(counts[k] == hand[k] for k in counts if k in hand)
    channels = {f"ch_{s.code}": s.count for s in figures.by_channel}
    same = same and all(hand[k] == v for k, v in channels.items())
    print(f"requests in period: {counts['received']:,}; whistles {counts['whistles']:,}")
    print(f"counts equal to the hand-written query: {'yes' if same else 'NO'}")
    print(f"A unit_figures (all queries): {a_time * 1000:8.1f} ms  (median of {args.repeat})")
    print(f"B hand-written SQL aggregate: {b_time * 1000:8.1f} ms")
    print(f"ratio A / B: {a_time / b_time:.2f}  (target ≤ 1.5; A target < 1000 ms)")

    if args.explain and connection.vendor == "postgresql":
        village = Unit.objects.filter(parent=unit).order_by("path").first() or unit
        for target in (unit, village):
            qs = case_groups_queryset(unit=target, date_from=FROM, date_to=TO)
            print(f"\nEXPLAIN ANALYZE of the request query for {target.display_name}:")
            print(qs.explain(analyze=True, buffers=True))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
