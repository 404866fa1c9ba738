"""Benchmark: a county's consultation figures vs one hand-written SQL statement, and the
residents' village page.

How to run (from the repository root), after bench/gen_consultation.py filled the database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_c \\
        python bench/consultation_figures.py
    ... python bench/consultation_figures.py --unit 410883101   # one township instead
    ... python bench/consultation_figures.py --repeat 9 --explain  # more runs, query plans

Targets: the county's figures under 1 s on PostgreSQL and within 2× the hand-written SQL;
the village page under 150 ms with a fixed number of queries (the same for every village).

It times, for the unit (default the county 410883, 289 villages) over the generated year
(default 2025-01-01..2025-12-31; median of --repeat runs after one warm-up run each):

  A. `lianxin.consultation.figures.unit_figures(unit, date_from, date_to)` — every family
     (meetings with their sign-ins, items and votes, decisions, pledges, proposals and
     supports), each one query grouped by village, folded in Python;
  A'. the same with `by_child=True` (one more query: the child units);
  B. ONE hand-written SQL statement (three aggregates over the same WHERE, cross-joined)
     computing the headline numbers with FILTER clauses: meetings held, quorum reached (the
     meeting type's rule on the frozen electorate, in SQL), items decided, votes held, the
     average support rate, decisions made, done, done on time;

checks that A's headline numbers equal B's, and prints the times and the ratios A / B and
A' / B. Then it renders the residents' page `/c/v/<code>/` of one village (--village,
default the first with the most meetings) with Django's test Client, as if on 20 December
of the year (`clock.travel`, so "recently decided" and "this year's pledge" have rows):
median time and the number of queries, checked equal for a second village.
With --explain it prints EXPLAIN (ANALYZE, BUFFERS) of each query unit_figures makes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HAND_SQL = """
WITH m AS (
  SELECT
    COUNT(*) AS held,
    COUNT(*) FILTER (WHERE a.present >= GREATEST(t.quorum_minimum, CASE t.quorum_rule
        WHEN 'majority' THEN COALESCE(m.eligible_count, 0) / 2 + 1
        WHEN 'two_thirds' THEN CEIL(COALESCE(m.eligible_count, 0) * 2 / 3.0)
        WHEN 'share' THEN CEIL(COALESCE(m.eligible_count, 0) * COALESCE(t.quorum_share, 0) / 100)
        ELSE 0 END)) AS quorum_reached
  FROM consultation_meeting m
  JOIN territory_unit u ON u.id = m.unit_id
  JOIN consultation_meetingtype t ON t.id = m.meeting_type_id
  CROSS JOIN LATERAL (SELECT COUNT(*) AS present FROM consultation_attendance
                      WHERE meeting_id = m.id) a
  WHERE u.path LIKE %(prefix)s AND m.status = 'closed'
    AND m.starts_at >= %(start)s AND m.starts_at < %(end)s
), i AS (
  SELECT
    COUNT(*) FILTER (WHERE i.decided_at >= %(start)s AND i.decided_at < %(end)s
                     AND i.status IN ('passed', 'rejected', 'discussed')) AS decided,
    COUNT(*) FILTER (WHERE i.vote_closed_at >= %(start)s AND i.vote_closed_at < %(end)s)
      AS votes_held,
    ROUND(AVG(i.support_rate) FILTER (WHERE i.vote_closed_at >= %(start)s
                                      AND i.vote_closed_at < %(end)s), 4) AS support_rate
  FROM consultation_agendaitem i
  JOIN consultation_meeting m ON m.id = i.meeting_id
  JOIN territory_unit u ON u.id = m.unit_id
  WHERE u.path LIKE %(prefix)s
), d AS (
  SELECT
    COUNT(*) FILTER (WHERE d.decided_on BETWEEN %(from)s AND %(to)s) AS made,
    COUNT(*) FILTER (WHERE d.status = 'done' AND d.done_on BETWEEN %(from)s AND %(to)s) AS done,
    COUNT(*) FILTER (WHERE d.status = 'done' AND d.done_on BETWEEN %(from)s AND %(to)s
                     AND d.done_on <= d.due_on) AS done_on_time
  FROM consultation_decision d
  JOIN territory_unit u ON u.id = d.unit_id
  WHERE u.path LIKE %(prefix)s AND d.status <> 'cancelled'
)
SELECT m.held AS meetings_held, m.quorum_reached, i.decided AS items_decided, i.votes_held,
       i.support_rate AS average_support_rate, d.made AS decisions_made,
       d.done AS decisions_done, d.done_on_time AS decisions_done_on_time
FROM m, i, d
"""


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LIANXIN_DATA_DIR", "/tmp/lianxin-bench-c")
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


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """The numbers the hand-written statement computes, from unit_figures' answer."""
    return {
        "meetings_held": figures["meetings"]["held"],
        "quorum_reached": figures["meetings"]["quorum_reached"],
        "items_decided": figures["items"]["decided"],
        "votes_held": figures["votes"]["held"],
        "average_support_rate": figures["votes"]["average_support_rate"],
        "decisions_made": figures["decisions"]["made"],
        "decisions_done": figures["decisions"]["done"],
        "decisions_done_on_time": figures["decisions"]["done_on_time"],
    }


def hand_written(unit: Any, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    from django.db import connection

    from lianxin.consultation.figures import _moments

    start, end = _moments(date_from, date_to)
    params = {
        "prefix": unit.path + "%",
        "start": start,
        "end": end,
        "from": date_from,
        "to": date_to,
    }
    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, params)
        names = [c.name for c in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    rate = row["average_support_rate"]
    row["average_support_rate"] = Decimal(rate) if rate is not None else None
    return row


def captured(fn: Callable[[], Any]) -> list[tuple[str, float]]:
    """The SQL of every query `fn` makes, with its time in seconds (execute only)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [(q["sql"], float(q["time"])) for q in ctx.captured_queries]


def page(code: str, at: dt.datetime, repeat: int) -> tuple[float, int, int]:
    """Median time of GET /c/v/<code>/, its number of queries and status code."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lianxin.core import clock

    client = Client()
    url = f"/c/v/{code}/"
    with clock.travel(at):
        seconds, response = timed(lambda: client.get(url), repeat)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
    return seconds, len(ctx.captured_queries), response.status_code


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--unit", default="410883", help="unit code (default: the county)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--village", default="", help="village code for the page")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.db.models import Count

    from lianxin.consultation.figures import _moments, unit_figures
    from lianxin.consultation.models import Attendance, Ballot, Meeting
    from lianxin.territory.models import Unit, UnitKind

    if connection.vendor != "postgresql":
        print("warning: the targets are for PostgreSQL; this is", connection.vendor)
    unit = Unit.objects.get(code=args.unit)
    date_from, date_to = dt.date(args.year, 1, 1), dt.date(args.year, 12, 31)
    print(
        f"database: {connection.settings_dict['NAME']} ({Meeting.objects.count():,} meetings,"
        f" {Attendance.objects.count():,} sign-ins, {Ballot.objects.count():,} ballots)"
    )
    villages = Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.VILLAGE).count()
    print(f"unit: {unit.display_name} {unit.path} ({villages} villages), {date_from}..{date_to}")

    def figures() -> dict[str, Any]:
        return unit_figures(unit, date_from, date_to)

    def by_child() -> dict[str, Any]:
        return unit_figures(unit, date_from, date_to, by_child=True)

    a_time, a = timed(figures, args.repeat)
    c_time, c = timed(by_child, args.repeat)
    postgres = connection.vendor == "postgresql"
    queries = captured(by_child)
    n_a, n_c = len(captured(figures)), len(queries)
    mine = headline(a)
    same = headline(c) == mine
    if postgres:  # LATERAL, GREATEST, CEIL, exact AVG of numeric: the statement is PostgreSQL's
        b_time, hand = timed(lambda: hand_written(unit, date_from, date_to), args.repeat)
        same = same and mine == hand
        width = max(map(len, hand))
        for key, value in hand.items():
            flag = "" if mine[key] == value else f"   <-- unit_figures: {mine[key]}"
            print(f"  {key:<{width}} {value}{flag}")
        print(f"headline numbers equal to the hand-written query: {'yes' if same else 'NO'}")
    else:
        print(f"headline numbers: {mine}")
    print(f"A  unit_figures:               {a_time * 1000:8.1f} ms  ({n_a} queries)")
    print(f"A' unit_figures(by_child=True): {c_time * 1000:7.1f} ms  ({n_c} queries,", end="")
    print(f" {len(c['children'])} children)")
    if postgres:
        print(f"B  hand-written SQL statement: {b_time * 1000:8.1f} ms")
        print(f"ratio A / B: {a_time / b_time:.2f}, A' / B: {c_time / b_time:.2f}", end="")
        print("  (target ≤ 2; A and A' target < 1000 ms)")
    print("  A' by query (execute time; the rest is fetching rows and folding in Python):")
    for sql, seconds in queries:
        table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else "?"
        print(f"    {seconds * 1000:6.1f} ms  {table}")

    # The village page, as on 20 December of the year.
    at = dt.datetime(args.year, 12, 20, 10, tzinfo=dt.UTC)
    # The two villages with the most meetings (they all have about as many).
    ranked = list(
        Meeting.objects.filter(unit__path__startswith=unit.path)
        .values_list("unit__code", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n", "unit__code")[:2]
    )
    code = args.village or ranked[0]
    seconds, page_queries, status = page(code, at, args.repeat)
    other = next((v for v in ranked if v != code), None)
    print(f"village page /c/v/{code}/: {seconds * 1000:.1f} ms (median of {args.repeat}),", end="")
    print(f" {page_queries} queries, HTTP {status}  (target < 150 ms, fixed queries)")
    fixed = True
    if other is not None:
        _s, other_queries, _st = page(other, at, 1)
        fixed = other_queries == page_queries
        print(f"  another village /c/v/{other}/: {other_queries} queries")

    if args.explain and postgres:
        for sql, _seconds in queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(r[0] for r in cursor.fetchall())
            print(f"\n{sql[:300]}{'…' if len(sql) > 300 else ''}\n{plan}")
        start, end = _moments(date_from, date_to)
        params = {"prefix": unit.path + "%", "start": start, "end": end}
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + HAND_SQL,
                {**params, "from": date_from, "to": date_to},
            )
            print("\nhand-written statement:\n" + "\n".join(r[0] for r in cursor.fetchall()))
    return 0 if same and fixed else 1


if __name__ == "__main__":
    sys.exit(main())
