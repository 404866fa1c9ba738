"""Benchmark: the five-star battle map (挂图作战) and figures of a prefecture and of its biggest
county, each against one hand-written SQL statement.

How to run (from the repository root), after bench/gen_stars.py filled the database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_s \\
        python bench/stars_battlemap.py
    ... python bench/stars_battlemap.py --county 410183      # another county
    ... python bench/stars_battlemap.py --repeat 9 --explain # more runs, query plans

Targets: the prefecture's battle map (3,306 villages) under 1 s on PostgreSQL, each timing
within 3× its hand-written statement, a fixed number of queries.

For the year (default 2026) it times (median of --repeat runs after one warm-up run each):

  A. `selectors.battlemap.battle_map(actor, year=...)` for an organisation-department post
     (组织部) at the prefecture and one at the biggest county (--county);
  B. ONE hand-written statement computing the map's headline numbers: villages, branches per
     level this year and last year, the ≥3-star share, the cells by state (the same
     precedence: awarded, notice, reviewing, returned, planned, none, n/a) and the plans'
     target levels;
  F. `figures.unit_figures(unit, year)` (with its children, as the page asks) for the same two
     units;
  G. ONE hand-written statement computing its headline numbers: branches, branches per level,
     the ≥3-star share, planned per target level, plans by status, declarations by status,
     progress stars and their amount;

checks that the headline numbers agree, prints milliseconds, the ratios A / B and F / G and
the number of queries (CaptureQueriesContext), the peak Python memory of building the
prefecture's map (tracemalloc), and the whole page GET /stars/ (selector + template) for both
posts. With --explain: EXPLAIN (ANALYZE, BUFFERS) of every query of the prefecture's map and
figures and of both statements.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARE = Decimal("0.0001")

# The villages (their county: the third path segment; their type: the rule of
# workflow.unit_type_of), the columns (active star codes of the sets in play), every cell's
# state by the map's precedence, levels from held awards.
MAP_SQL = """
WITH v AS (
  SELECT u.id, c.id AS county_id,
         CASE WHEN u.name LIKE '%%居民委员会%%' OR u.display_name LIKE '%%社区%%'
              THEN 'community' ELSE 'village' END AS unit_type
  FROM territory_unit u
  JOIN territory_unit c
    ON c.path = substring(u.path FROM '^/[^/]+/[^/]+/[^/]+/') AND c.kind = 'county'
  WHERE u.path LIKE %(prefix)s AND u.kind = 'village' AND u.is_active
), sets AS (
  SELECT ss.id, ss.county_id, ss.unit_type
  FROM stars_starset ss
  WHERE ss.year = %(year)s
    AND (ss.county_id, ss.unit_type) IN (SELECT DISTINCT county_id, unit_type FROM v)
), cols AS (
  SELECT DISTINCT s.code FROM stars_star s JOIN sets ON sets.id = s.star_set_id
  WHERE s.is_active
), aw AS (
  SELECT a.unit_id, a.year, a.kind, a.star_code
  FROM stars_staraward a JOIN v ON v.id = a.unit_id
  WHERE a.year IN (%(year)s, %(year)s - 1) AND a.withdrawn_on IS NULL
), decl AS (
  SELECT d.unit_id, s.code,
         MIN(CASE d.status WHEN 'awarded' THEN 0 WHEN 'notice' THEN 1
                           WHEN 'returned' THEN 3 ELSE 2 END) AS rank
  FROM stars_declaration d
  JOIN v ON v.id = d.unit_id
  JOIN stars_star s ON s.id = d.star_id
  WHERE d.year = %(year)s AND d.kind = 'star'
    AND d.status IN ('awarded', 'notice', 'submitted', 'township_passed', 'approved',
                     'returned')
  GROUP BY d.unit_id, s.code
), tgt AS (
  SELECT DISTINCT p.unit_id, s.code
  FROM stars_planstar ps
  JOIN stars_creationplan p ON p.id = ps.plan_id
  JOIN v ON v.id = p.unit_id
  JOIN stars_star s ON s.id = ps.star_id
  WHERE p.year = %(year)s AND p.status IN ('submitted', 'confirmed') AND ps.is_target
), cells AS (
  SELECT CASE
    WHEN s.id IS NULL THEN 'na'
    WHEN EXISTS (SELECT 1 FROM aw WHERE aw.unit_id = v.id AND aw.year = %(year)s
                 AND aw.kind = 'star' AND aw.star_code = cols.code) THEN 'awarded'
    WHEN d.rank = 0 THEN 'awarded'
    WHEN d.rank = 1 THEN 'notice'
    WHEN d.rank = 2 THEN 'reviewing'
    WHEN d.rank = 3 THEN 'returned'
    WHEN t.unit_id IS NOT NULL THEN 'planned'
    ELSE 'none' END AS state
  FROM v CROSS JOIN cols
  LEFT JOIN sets ON sets.county_id = v.county_id AND sets.unit_type = v.unit_type
  LEFT JOIN stars_star s ON s.star_set_id = sets.id AND s.code = cols.code AND s.is_active
  LEFT JOIN decl d ON d.unit_id = v.id AND d.code = cols.code
  LEFT JOIN tgt t ON t.unit_id = v.id AND t.code = cols.code
), lv AS (
  SELECT v.id,
         LEAST(5, COUNT(aw.unit_id) FILTER (WHERE aw.year = %(year)s AND aw.kind = 'star'))
           AS level,
         LEAST(5, COUNT(aw.unit_id) FILTER (WHERE aw.year = %(year)s - 1 AND aw.kind = 'star'))
           AS last_level
  FROM v LEFT JOIN aw ON aw.unit_id = v.id
  GROUP BY v.id
)
SELECT
  (SELECT COUNT(*) FROM v) AS villages,
  (SELECT json_object_agg(level, n) FROM
     (SELECT level, COUNT(*) AS n FROM lv GROUP BY level) x) AS levels,
  (SELECT json_object_agg(last_level, n) FROM
     (SELECT last_level, COUNT(*) AS n FROM lv GROUP BY last_level) x) AS last_levels,
  (SELECT ROUND(COUNT(*) FILTER (WHERE level >= 3)::numeric / NULLIF(COUNT(*), 0), 4)
     FROM lv) AS share_3plus,
  (SELECT json_object_agg(state, n) FROM
     (SELECT state, COUNT(*) AS n FROM cells GROUP BY state) x) AS cells,
  (SELECT json_object_agg(target_level, n) FROM
     (SELECT p.target_level, COUNT(*) AS n FROM stars_creationplan p JOIN v ON v.id = p.unit_id
      WHERE p.year = %(year)s AND p.status IN ('submitted', 'confirmed')
      GROUP BY p.target_level) x) AS planned
"""

FIGURES_SQL = """
WITH v AS (
  SELECT id FROM territory_unit
  WHERE path LIKE %(prefix)s AND kind = 'village' AND is_active
), b AS (
  SELECT v.id,
         LEAST(5, COUNT(DISTINCT a.star_code) FILTER (WHERE a.kind = 'star')) AS level,
         COUNT(a.id) FILTER (WHERE a.kind = 'progress') AS progress,
         COALESCE(SUM(a.amount) FILTER (WHERE a.kind = 'progress'), 0) AS amount
  FROM v LEFT JOIN stars_staraward a
    ON a.unit_id = v.id AND a.year = %(year)s AND a.withdrawn_on IS NULL
  GROUP BY v.id
), p AS (
  SELECT p.status, p.target_level FROM stars_creationplan p JOIN v ON v.id = p.unit_id
  WHERE p.year = %(year)s
)
SELECT
  (SELECT COUNT(*) FROM b) AS branches,
  (SELECT ROUND(COUNT(*) FILTER (WHERE level >= 3)::numeric / NULLIF(COUNT(*), 0), 4)
     FROM b) AS share_3plus,
  (SELECT json_object_agg(level, n) FROM
     (SELECT level, COUNT(*) AS n FROM b GROUP BY level) x) AS achieved,
  (SELECT json_object_agg(target_level, n) FROM
     (SELECT target_level, COUNT(*) AS n FROM p
      WHERE status IN ('submitted', 'confirmed') AND target_level > 0
      GROUP BY target_level) x) AS planned,
  (SELECT json_object_agg(status, n) FROM
     (SELECT status, COUNT(*) AS n FROM p GROUP BY status) x) AS plans,
  (SELECT json_object_agg(status, n) FROM
     (SELECT d.status, COUNT(*) AS n FROM stars_declaration d JOIN v ON v.id = d.unit_id
      WHERE d.year = %(year)s GROUP BY d.status) x) AS declarations,
  (SELECT SUM(progress) FROM b) AS progress,
  (SELECT SUM(amount) FROM b) AS amount
"""


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LIANXIN_DATA_DIR", "/tmp/lianxin-bench-s")
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


def captured(fn: Callable[[], Any]) -> list[tuple[str, float]]:
    """The SQL of every query `fn` makes, with its execute time in seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [(q["sql"], float(q["time"])) for q in ctx.captured_queries]


def _counts(raw: dict[str, int] | None) -> dict[int, int]:
    return {int(k): int(n) for k, n in (raw or {}).items() if int(n)}


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_UP) if whole else None


def run_sql(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


# --- the battle map ------------------------------------------------------------------------


def map_headline(m: Any) -> dict[str, Any]:
    rows = m.rows
    return {
        "villages": len(rows),
        "levels": dict(sorted(Counter(r.level for r in rows).items())),
        "last_levels": dict(sorted(Counter(r.last_level for r in rows).items())),
        "share_3plus": _share(sum(1 for r in rows if r.level >= 3), len(rows)),
        "cells": dict(sorted(Counter(c.state.key for r in rows for c in r.cells).items())),
        "planned": dict(
            sorted(Counter(r.target_level for r in rows if r.target_level is not None).items())
        ),
    }


def map_sql(unit: Any, year: int) -> dict[str, Any]:
    row = run_sql(MAP_SQL, {"prefix": unit.path + "%", "year": year})
    return {
        "villages": row["villages"],
        "levels": dict(sorted(_counts(row["levels"]).items())),
        "last_levels": dict(sorted(_counts(row["last_levels"]).items())),
        "share_3plus": row["share_3plus"],
        "cells": dict(sorted((k, int(n)) for k, n in (row["cells"] or {}).items())),
        "planned": dict(sorted(_counts(row["planned"]).items())),
    }


# --- the figures ---------------------------------------------------------------------------


def figures_headline(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "branches": f["branches"],
        "share_3plus": f["share_3plus"],
        "achieved": {r["level"]: r["achieved"] for r in reversed(f["levels"]) if r["achieved"]},
        "planned": {r["level"]: r["planned"] for r in reversed(f["levels"]) if r["planned"]},
        "plans": {k: n for k, n in sorted(f["plans"].items()) if n},
        "declarations": {k: n for k, n in sorted(f["declarations"]["by_status"].items()) if n},
        "progress": f["progress"]["count"],
        "amount": f["progress"]["amount"],
    }


def figures_sql(unit: Any, year: int) -> dict[str, Any]:
    row = run_sql(FIGURES_SQL, {"prefix": unit.path + "%", "year": year})
    return {
        "branches": row["branches"],
        "share_3plus": row["share_3plus"],
        "achieved": dict(sorted(_counts(row["achieved"]).items())),
        "planned": dict(sorted(_counts(row["planned"]).items())),
        "plans": {k: int(n) for k, n in sorted((row["plans"] or {}).items())},
        "declarations": {k: int(n) for k, n in sorted((row["declarations"] or {}).items())},
        "progress": int(row["progress"] or 0),
        "amount": Decimal(row["amount"] or 0).quantize(Decimal("0.01")),
    }


def compare(label: str, mine: dict[str, Any], hand: dict[str, Any]) -> bool:
    same = mine == hand
    print(f"  {label}: headline numbers equal to the hand-written statement: ", end="")
    print("yes" if same else "NO")
    width = max(map(len, hand))
    for key, value in hand.items():
        flag = "" if mine.get(key) == value else f"   <-- selector: {mine.get(key)}"
        if not same or key in ("villages", "branches", "share_3plus", "levels", "cells"):
            print(f"    {key:<{width}} {value}{flag}")
    return same


def bench_user(unit: Any) -> Any:
    """An organisation-department (组织部) user with a post at `unit` (made once)."""
    from lianxin.accounts.models import Post, User
    from lianxin.accounts.permissions import Role

    username = f"bench_stars_{unit.code}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=None, full_name=username)
        Post.objects.create(user=user, role=Role.ORG_DEPARTMENT, unit=unit)
    return user


def page(user: Any, year: int, repeat: int) -> tuple[float, int, int, int]:
    """Median time of GET /stars/?year=…, its queries, status code and size in bytes."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    url = reverse("stars:battle_map") + f"?year={year}"
    seconds, response = timed(lambda: client.get(url), repeat)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return seconds, len(ctx.captured_queries), response.status_code, len(response.content)


def explain(label: str, sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    print(f"\n--- {label}\n{sql[:400]}{'…' if len(sql) > 400 else ''}\n{plan}")


def _table(sql: str) -> str:
    return sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else "?"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefix", default="4101", help="the prefecture's code")
    parser.add_argument("--county", default="", help="county code (default: the biggest)")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-page", action="store_true", help="skip the page timings")
    args = parser.parse_args()
    setup()
    from django.db import connection

    from lianxin.accounts.actor import Actor
    from lianxin.stars.figures import unit_figures
    from lianxin.stars.models import Declaration, ReviewStep, StarAward
    from lianxin.stars.selectors.battlemap import battle_map
    from lianxin.territory.models import Unit, UnitKind

    if connection.vendor != "postgresql":
        print("the hand-written statements are PostgreSQL's; this is", connection.vendor)
        return 2
    top = Unit.objects.get(code=args.prefix)
    if args.county:
        county = Unit.objects.get(code=args.county)
    else:
        paths = Unit.objects.filter(
            path__startswith=top.path, kind=UnitKind.VILLAGE, is_active=True
        ).values_list("path", flat=True)
        by_county = Counter(p.split("/")[3] for p in paths)
        county = Unit.objects.get(code=by_county.most_common(1)[0][0])
    year = args.year
    print(
        f"database: {connection.settings_dict['NAME']} ({Declaration.objects.count():,} "
        f"declarations, {ReviewStep.objects.count():,} review steps, "
        f"{StarAward.objects.count():,} awards), year {year}"
    )
    ok = True
    results: list[tuple[str, float, float, int]] = []
    for unit in (top, county):
        villages = Unit.objects.filter(
            path__startswith=unit.path, kind=UnitKind.VILLAGE, is_active=True
        ).count()
        print(f"\n{unit.display_name} {unit.code} ({villages:,} villages)")
        user = bench_user(unit)
        actor = Actor.for_user(user)

        def build(actor: Actor = actor) -> Any:
            return battle_map(actor, year=year)

        def figures(unit: Any = unit) -> dict[str, Any]:
            return unit_figures(unit, year)

        a_time, m = timed(build, args.repeat)
        b_time, hand = timed(lambda unit=unit: map_sql(unit, year), args.repeat)
        n_a = len(captured(build))
        ok = compare("battle map", map_headline(m), hand) and ok
        f_time, f = timed(figures, args.repeat)
        g_time, fhand = timed(lambda unit=unit: figures_sql(unit, year), args.repeat)
        n_f = len(captured(figures))
        ok = compare("figures", figures_headline(f), fhand) and ok
        results += [
            (f"A battle_map     {unit.code}", a_time, b_time, n_a),
            (f"F unit_figures   {unit.code}", f_time, g_time, n_f),
        ]
        print(f"  A battle_map:   {a_time * 1000:8.1f} ms ({n_a} queries)", end="")
        print(f"   B statement: {b_time * 1000:7.1f} ms   A/B {a_time / b_time:5.2f}")
        print(f"  F unit_figures: {f_time * 1000:8.1f} ms ({n_f} queries)", end="")
        print(f"   G statement: {g_time * 1000:7.1f} ms   F/G {f_time / g_time:5.2f}")
        for label, fn in (("battle_map", build), ("unit_figures", figures)):
            queries = captured(fn)
            total = sum(s for _q, s in queries)
            print(f"    {label} queries, execute time {total * 1000:.1f} ms:", end="")
            print(", ".join(f" {_table(q)} {s * 1000:.1f}" for q, s in queries))
        if unit is top:
            tracemalloc.start()
            build()
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"  battle map build: peak Python memory {peak / 1e6:.1f} MB (tracemalloc)")
        if not args.no_page:
            seconds, n, status, size = page(user, year, max(1, args.repeat // 2))
            print(
                f"  page GET /stars/: {seconds * 1000:.1f} ms, {n} queries, HTTP {status}, "
                f"{size / 1e6:.1f} MB of HTML"
            )
        if args.explain and unit is top:
            for q, _s in captured(build):
                explain(f"battle_map: {_table(q)}", q)
            for q, _s in captured(figures):
                explain(f"unit_figures: {_table(q)}", q)
            explain(
                "hand-written map statement", MAP_SQL, {"prefix": unit.path + "%", "year": year}
            )
            explain(
                "hand-written figures statement",
                FIGURES_SQL,
                {"prefix": unit.path + "%", "year": year},
            )
    print("\nsummary (median ms; target: ratio ≤ 3, prefecture map < 1000 ms)")
    for label, mine, hand, n in results:
        print(
            f"  {label}: {mine * 1000:8.1f} vs {hand * 1000:7.1f}  ratio {mine / hand:5.2f}", end=""
        )
        print(f"  {n} queries")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
