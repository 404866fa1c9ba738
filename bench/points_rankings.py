"""Benchmark: recomputing all standings of a year vs one hand-written SQL aggregate (issue 4 §9).

How to run (from the repository root), on a separate PostgreSQL database:

    createdb -h 127.0.0.1 -U postgres lianxin_bench_points
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_points \\
        python bench/points_rankings.py                        # 50,000 households, 800,000 entries
    ... python bench/points_rankings.py --households 1200000 --entries 20000000   # the issue's size
    ... python bench/points_rankings.py --repeat 5 --explain   # more runs, print query plans
    ... python bench/points_rankings.py --proposals            # also time proposals D and E

Target (issue 4, item 9): recomputing all scores and rankings stays within 2× one hand-written
SQL aggregate over the same rows on PostgreSQL.

Generation (only when the database does not already hold exactly that size; --regenerate
forces it) is SQL `generate_series`, so 20 million entries take minutes, not hours:

- a tree under the bench county 410898 (基准二县): townships of 20 villages, villages of 10
  grids, grids of 20 buildings, about 30 households per building;
- accounts of every scheme: one per household (at its building), one party member per 40
  households (at the village, no grid), one per building and per grid, one merchant per 200
  households (at a grid);
- entries spread evenly over the accounts (seq 1, 2, ... per account): 86% earn, 5% deduct,
  2% reversal, 5% spend, 2% refund; 90% dated in 2025 (the benchmark's year), 10% in 2024;
  deterministic (a multiplicative hash of the entry number, not random()); realistic row
  width (reason, 64-character hashes, a unique source key). Balances, hashes and
  `balance_after` are not a valid chain: this database is for timing, never for `verify`.
  Secondary indexes and unique constraints of the entry table are dropped during the insert
  and rebuilt after it (foreign-key triggers are off for the insert: session_replication_role).

It then times, median of --repeat runs after one warm-up run each (VACUUM of the standings
table between runs, untimed, as autovacuum would do between nightly runs):

  A. `standings_recompute(period="2025")` — every active scheme: the period aggregate and
     three RANK() windows into a temporary table, then only the rows that changed rewritten,
     commit (deferred foreign-key checks included). The warm-up run computes the period the
     first time; the timed runs are the nightly case (few or no rows changed);
  B. ONE hand-written aggregate over the same rows:
     SELECT account_id, SUM(amount) FROM points_pointentry
     WHERE occurred_on BETWEEN '2025-01-01' AND '2025-12-31' AND kind IN (earn, deduct, reversal)
     GROUP BY account_id
     (wrapped in SELECT COUNT(*), SUM(...) so that neither side ships rows to Python);

checks that A's scores equal B's (per-account sums compared in SQL), and prints both times and
the ratio A / B. It also times the 重新计算 button's recompute of one township (C) and, with
--proposals, two variants measured before (docs/points-rankings.md): D, writing only the
rows that changed (now what A does), and E, the standings' foreign keys without constraint
and index (not taken).
Results are in docs/points-rankings.md.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = "410898"
PERIOD = "2025"
FROM, TO = "2025-01-01", "2025-12-31"
CHUNK = 2_000_000

HAND_SQL = """
SELECT COUNT(*), COALESCE(SUM(score), 0) FROM (
  SELECT account_id, SUM(amount) AS score
  FROM points_pointentry
  WHERE occurred_on BETWEEN %s AND %s AND kind IN ('earn', 'deduct', 'reversal')
  GROUP BY account_id
) t
"""


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LIANXIN_DATA_DIR", "/tmp/lianxin-bench")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def step(label: str, fn: Callable[[], Any]) -> Any:
    t = time.perf_counter()
    result = fn()
    print(f"  {label}: {time.perf_counter() - t:6.1f} s", flush=True)
    return result


# --- generation ----------------------------------------------------------------------------


def shape(households: int) -> dict[str, int]:
    buildings = max(40, math.ceil(households / 30))
    grids = max(4, math.ceil(buildings / 20))
    villages = max(2, math.ceil(grids / 10))
    townships = max(2, math.ceil(villages / 20))
    return {"townships": townships, "villages": villages, "grids": grids, "buildings": buildings}


def current_size() -> tuple[int, int]:
    rows = sql(
        "SELECT (SELECT COUNT(*) FROM points_account a JOIN points_scheme s ON s.id = a.scheme_id"
        "        WHERE s.code = 'household'),"
        "       (SELECT COUNT(*) FROM points_pointentry)"
    )
    return int(rows[0][0]), int(rows[0][1])


def wipe() -> None:
    sql("TRUNCATE points_standing, points_pointentry, points_account CASCADE")
    sql("DELETE FROM territory_unit WHERE path LIKE %s AND kind <> 'county'", [f"%/{COUNTY}/%"])


def _units(kind: str, count: int, parent_kind: str, per_parent: int, code: str, name: str) -> None:
    """`count` units of `kind`, the n-th under the (n / per_parent)-th unit of `parent_kind`."""
    sql(
        f"""
        WITH parents AS (
          SELECT id, path, depth, code, ROW_NUMBER() OVER (ORDER BY path) - 1 AS n
          FROM territory_unit WHERE kind = %s AND path LIKE %s
        )
        INSERT INTO territory_unit (created_at, updated_at, public_id, kind, code, stat_code,
          name, display_name, parent_id, path, depth, is_active, sort_order)
        SELECT now(), now(), gen_random_uuid(), %s, {code}, '', {name}, {name}, p.id,
               p.path || {code} || '/', p.depth + 1, true, 0
        FROM generate_series(0, %s - 1) g JOIN parents p ON p.n = g / %s
        """,  # noqa: S608 (bench: fixed SQL fragments)
        [parent_kind, f"%/{COUNTY}/%", kind, count, per_parent],
    )


def build_tree(households: int) -> dict[str, int]:
    s = shape(households)
    sql(
        """
        INSERT INTO territory_unit (created_at, updated_at, public_id, kind, code, stat_code, name,
          display_name, parent_id, path, depth, is_active, sort_order)
        VALUES (now(), now(), gen_random_uuid(), 'province', '41', '41', '河南省', '河南省',
                NULL, '/41/', 0, true, 0)
        ON CONFLICT (code) DO NOTHING
        """
    )
    for kind, code, name, parent, depth in (
        ("city", "4108", "焦作市", "41", 1),
        ("county", COUNTY, "基准二县", "4108", 2),
    ):
        sql(
            """
            INSERT INTO territory_unit (created_at, updated_at, public_id, kind, code, stat_code,
              name, display_name, parent_id, path, depth, is_active, sort_order)
            SELECT now(), now(), gen_random_uuid(), %s, %s, %s, %s, %s, id, path || %s || '/',
                   %s, true, 0
            FROM territory_unit WHERE code = %s
            ON CONFLICT (code) DO NOTHING
            """,
            [kind, code, code, name, name, code, depth, parent],
        )
    # Spread evenly: every township gets villages, every village grids, every grid buildings.
    per = {
        "townships": 10**6,
        "villages": math.ceil(s["villages"] / s["townships"]),
        "grids": math.ceil(s["grids"] / s["villages"]),
        "buildings": math.ceil(s["buildings"] / s["grids"]),
    }
    _units(
        "township",
        s["townships"],
        "county",
        per["townships"],
        f"'{COUNTY}' || lpad((g + 1)::text, 3, '0')",
        "'基准街道' || (g + 1)",
    )
    _units(
        "village",
        s["villages"],
        "township",
        per["villages"],
        f"p.code || lpad((mod(g, {per['villages']}) + 1)::text, 3, '0')",
        "'基准村' || (g + 1)",
    )
    _units(
        "grid",
        s["grids"],
        "village",
        per["grids"],
        f"'G' || p.code || '-' || lpad((mod(g, {per['grids']}) + 1)::text, 2, '0')",
        "'基准网格' || (g + 1)",
    )
    _units(
        "building",
        s["buildings"],
        "grid",
        per["buildings"],
        f"'B' || substr(p.code, 2) || '-' || lpad((mod(g, {per['buildings']}) + 1)::text, 2, '0')",
        "'基准楼' || (g + 1)",
    )
    return s


def _placement_table() -> None:
    """bench_place(n, kind, unit, grid, village, township) for every unit of the bench county."""
    sql("DROP TABLE IF EXISTS bench_place")
    sql(
        """
        CREATE TEMP TABLE bench_place AS
        SELECT ROW_NUMBER() OVER (PARTITION BY u.kind ORDER BY u.path) - 1 AS n, u.kind,
               u.id AS unit_id,
               CASE u.kind WHEN 'building' THEN g.id WHEN 'grid' THEN u.id END AS grid_id,
               CASE u.kind WHEN 'building' THEN v2.id WHEN 'grid' THEN v.id
                           WHEN 'village' THEN u.id END AS village_id,
               CASE u.kind WHEN 'building' THEN t3.id WHEN 'grid' THEN t2.id
                           WHEN 'village' THEN t.id END AS township_id
        FROM territory_unit u
        LEFT JOIN territory_unit g ON g.id = u.parent_id AND u.kind = 'building'
        LEFT JOIN territory_unit v2 ON v2.id = g.parent_id
        LEFT JOIN territory_unit t3 ON t3.id = v2.parent_id
        LEFT JOIN territory_unit v ON v.id = u.parent_id AND u.kind = 'grid'
        LEFT JOIN territory_unit t2 ON t2.id = v.parent_id
        LEFT JOIN territory_unit t ON t.id = u.parent_id AND u.kind = 'village'
        WHERE u.path LIKE %s AND u.kind IN ('building', 'grid', 'village')
        """,
        [f"%/{COUNTY}/%"],
    )
    sql("CREATE INDEX ON bench_place (kind, n)")


def _accounts(scheme: str, kind: str, count: int, place_kind: str, label: str) -> None:
    sql(
        f"""
        INSERT INTO points_account (created_at, updated_at, public_id, scheme_id, kind, unit_id,
          grid_id, village_id, township_id, label, public_label, balance, entry_count, head_hash,
          is_active)
        SELECT now(), now(), gen_random_uuid(), s.id, %s, p.unit_id, p.grid_id, p.village_id,
               p.township_id, {label}, {label}, 0, 0, '', true
        FROM generate_series(0, %s - 1) g
        JOIN points_scheme s ON s.code = %s
        JOIN bench_place p ON p.kind = %s
          AND p.n = mod(g, (SELECT COUNT(*) FROM bench_place WHERE kind = %s))
        """,  # noqa: S608 (bench: fixed SQL fragments)
        [kind, count, scheme, place_kind, place_kind],
    )


def build_accounts(households: int, s: dict[str, int]) -> int:
    _placement_table()
    _accounts("household", "household", households, "building", "'户' || g || '号'")
    _accounts("party_member", "party_member", max(1, households // 40), "village", "'党员' || g")
    _accounts("building", "building", s["buildings"], "building", "'楼院' || g")
    _accounts("grid", "grid", s["grids"], "grid", "'网格' || g")
    _accounts("merchant", "merchant", max(1, households // 200), "grid", "'商户' || g")
    return int(sql("SELECT COUNT(*) FROM points_account")[0][0])


def _entry_constraints() -> tuple[list[str], list[str]]:
    """(ALTER TABLE ... ADD CONSTRAINT, CREATE INDEX) statements of the entry table's secondary
    unique constraints and indexes, to drop before the bulk insert and rebuild after it."""
    constraints = [
        (name, definition)
        for name, definition in sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'points_pointentry'::regclass AND contype = 'u'"
        )
    ]
    owned = {name for name, _ in constraints}
    indexes = [
        (name, definition)
        for name, definition in sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'points_pointentry'"
        )
        if name not in owned and not name.endswith("_pkey")
    ]
    for name, _ in constraints:
        sql(f'ALTER TABLE points_pointentry DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        sql(f'DROP INDEX "{name}"')
    adds = [f'ALTER TABLE points_pointentry ADD CONSTRAINT "{n}" {d}' for n, d in constraints]
    return adds, [d for _, d in indexes]


def build_entries(entries: int, accounts: int) -> None:
    adds, creates = _entry_constraints()
    sql("DROP TABLE IF EXISTS bench_acct")
    sql(
        "CREATE TEMP TABLE bench_acct AS "
        "SELECT ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, id FROM points_account"
    )
    sql("CREATE UNIQUE INDEX ON bench_acct (n)")
    sql("ANALYZE bench_acct")
    sql("SET session_replication_role = replica")  # no FK triggers during the bulk insert
    try:
        for lo in range(0, entries, CHUNK):
            hi = min(entries, lo + CHUNK) - 1

            def chunk(lo: int = lo, hi: int = hi) -> None:
                sql(
                    """
                    INSERT INTO points_pointentry (account_id, seq, kind, amount, balance_after,
                      occurred_on, booked_at, reason, source_key, prev_hash, hash)
                    SELECT a.id, i / %(accounts)s + 1, k.kind,
                           CASE k.kind WHEN 'deduct' THEN -(1 + mod(i, 5))
                                       WHEN 'reversal' THEN -(1 + mod(i, 4))
                                       WHEN 'spend' THEN -(5 + mod(i, 20))
                                       ELSE 1 + mod(i, 10) END,
                           0, d.day, d.day + time '10:00', '参加环境整治义务劳动，庭院整洁',
                           'bench:' || i, md5(i::text) || md5((i + 7)::text),
                           md5((i + 1)::text) || md5((i + 8)::text)
                    FROM generate_series(%(lo)s, %(hi)s) i
                    JOIN bench_acct a ON a.n = mod(i, %(accounts)s)
                    CROSS JOIN LATERAL (SELECT
                        mod(i::bigint * 2654435761, 1000003)::float8 / 1000003 AS r,
                        mod(i::bigint * 40503 + 12345, 999983)::float8 / 999983 AS r2) x
                    CROSS JOIN LATERAL (SELECT CASE
                        WHEN x.r < 0.86 THEN 'earn' WHEN x.r < 0.91 THEN 'deduct'
                        WHEN x.r < 0.93 THEN 'reversal' WHEN x.r < 0.98 THEN 'spend'
                        ELSE 'refund' END AS kind) k
                    CROSS JOIN LATERAL (SELECT CASE WHEN x.r2 < 0.9
                        THEN date '2025-01-01' + (x.r2 / 0.9 * 364)::int
                        ELSE date '2024-01-01' + ((x.r2 - 0.9) * 10 * 365)::int END AS day) d
                    """,
                    {"accounts": accounts, "lo": lo, "hi": hi},
                )

            step(f"entries {lo:,}..{hi:,}", chunk)
    finally:
        sql("SET session_replication_role = DEFAULT")
    for statement in adds + creates:
        step(statement.split(" ON ")[0].split(" ADD ")[-1][:70], lambda s=statement: sql(s))


def generate(households: int, entries: int) -> None:
    print(f"generating {households:,} households and {entries:,} entries ...", flush=True)
    step("wipe", wipe)
    s = step("tree", lambda: build_tree(households))
    print(f"  tree: {s}")
    accounts = step("accounts", lambda: build_accounts(households, s))
    print(f"  accounts of every scheme: {accounts:,}")
    build_entries(entries, accounts)
    step("analyze", lambda: sql("ANALYZE"))


# --- timing --------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int, between: Callable[[], Any] | None = None) -> Any:
    result = fn()  # warm-up: caches, plans, pages in memory
    runs = []
    for _ in range(repeat):
        if between is not None:
            between()
        t = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs, result


def vacuum_standings() -> None:
    from django.db import connection

    connection.ensure_connection()
    autocommit = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        sql("VACUUM ANALYZE points_standing")
    finally:
        connection.set_autocommit(autocommit)


def same_scores() -> bool:
    """A's scores equal B's per account (accounts without entries: 0 on A's side)."""
    rows = sql(
        """
        SELECT COUNT(*) FROM points_standing st
        FULL JOIN (
          SELECT account_id, SUM(amount) AS score FROM points_pointentry
          WHERE occurred_on BETWEEN %s AND %s AND kind IN ('earn', 'deduct', 'reversal')
          GROUP BY account_id
        ) t ON t.account_id = st.account_id
        WHERE st.period = %s AND st.score IS DISTINCT FROM COALESCE(t.score, 0)
           OR st.account_id IS NULL
        """,
        [FROM, TO, PERIOD],
    )
    return int(rows[0][0]) == 0


# --- proposals, measured (--proposals) ------------------------------------------------------

INCREMENTAL_COMPARE = """
DELETE FROM points_standing s WHERE s.period = %s AND NOT EXISTS (
  SELECT 1 FROM bench_new n WHERE n.account_id = s.account_id AND n.scheme_id = s.scheme_id
    AND n.score = s.score AND n.grid_key IS NOT DISTINCT FROM s.grid_key
    AND n.village_key IS NOT DISTINCT FROM s.village_key
    AND n.township_key IS NOT DISTINCT FROM s.township_key
    AND n.rank_grid IS NOT DISTINCT FROM s.rank_grid
    AND n.rank_village IS NOT DISTINCT FROM s.rank_village
    AND n.rank_township IS NOT DISTINCT FROM s.rank_township)
"""
INCREMENTAL_INSERT = """
INSERT INTO points_standing (period, scheme_id, account_id, grid_key, village_key, township_key,
  score, rank_grid, rank_village, rank_township, computed_at)
SELECT n.period, n.scheme_id, n.account_id, n.grid_key, n.village_key, n.township_key, n.score,
       n.rank_grid, n.rank_village, n.rank_township, n.computed_at::timestamptz
FROM bench_new n
WHERE NOT EXISTS (SELECT 1 FROM points_standing s WHERE s.period = n.period
                  AND s.account_id = n.account_id)
"""


def incremental_recompute() -> int:
    """D, a proposal: compute the standings into a temporary table (CREATE TABLE AS may run
    the aggregate in parallel, INSERT ... SELECT may not), then delete only the rows that
    changed and insert them again. Rows keep the `computed_at` of their last change, so the
    freshness shown would need its own row per (period, scheme, township) — a model change."""
    from django.db import connection, transaction

    from lianxin.points.services import standings as st

    ids = [i for (i,) in sql("SELECT id FROM points_scheme WHERE is_active ORDER BY id")]
    select, params = st.standings_select(period=PERIOD, scheme_ids=ids, town_ids=None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("CREATE TEMP TABLE bench_new ON COMMIT DROP AS " + select, params)
        cursor.execute("CREATE UNIQUE INDEX ON bench_new (account_id)")
        cursor.execute("ANALYZE bench_new")
        cursor.execute(INCREMENTAL_COMPARE, [PERIOD])
        cursor.execute(INCREMENTAL_INSERT)
        return max(cursor.rowcount, 0)


def without_foreign_keys(fn: Callable[[], Any]) -> Callable[[], Any]:
    """E, a proposal: Standing.account and Standing.scheme with db_constraint=False and
    db_index=False. Simulated: the two plain FK indexes are dropped for the run (and
    recreated after) and FK triggers are off in the transaction."""

    def run() -> Any:
        from django.db import transaction

        with transaction.atomic():
            sql("SET LOCAL session_replication_role = replica")
            return fn()

    return run


def fk_indexes(drop: bool) -> None:
    rows = sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'points_standing' "
        "AND (indexdef LIKE '%%(account_id)' OR indexdef LIKE '%%(scheme_id)')"
    )
    if drop:
        fk_indexes.saved = [d for _n, d in rows]  # type: ignore[attr-defined]
        for name, _d in rows:
            sql(f'DROP INDEX "{name}"')
    else:
        for definition in getattr(fk_indexes, "saved", []):
            sql(definition)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=800_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--proposals", action="store_true", help="also time the proposals D and E (see docs)"
    )
    args = parser.parse_args()
    setup()
    from django.db import connection

    from lianxin.points.services.standings import standings_recompute
    from lianxin.territory.models import Unit

    if connection.vendor != "postgresql":
        print("this benchmark needs PostgreSQL (generate_series); set DATABASE_URL")
        return 2
    if args.regenerate or current_size() != (args.households, args.entries):
        generate(args.households, args.entries)
    households, entries = current_size()
    accounts = int(sql("SELECT COUNT(*) FROM points_account")[0][0])
    print(
        f"database: {connection.settings_dict['NAME']}: {households:,} household accounts, "
        f"{accounts:,} accounts of every scheme, {entries:,} entries; period {PERIOD}"
    )
    settings = dict(
        sql(
            "SELECT name, setting FROM pg_settings WHERE name IN ("
            "'work_mem', 'shared_buffers', 'max_parallel_workers_per_gather', 'jit')"
        )
    )
    print(f"server: {settings}")

    a_time, a_runs, written = timed(
        lambda: standings_recompute(period=PERIOD), args.repeat, vacuum_standings
    )
    b_time, b_runs, (groups, total) = timed(lambda: sql(HAND_SQL, [FROM, TO])[0], args.repeat)
    same = same_scores()
    township = Unit.objects.filter(kind="township", path__contains=f"/{COUNTY}/").first()
    c_time, _c_runs, c_written = timed(
        lambda: standings_recompute(period=PERIOD, townships=[township.pk]), args.repeat
    )
    print(f"standings written: {written:,}; accounts with entries in {PERIOD}: {groups:,}")
    print(f"scores equal to the hand-written aggregate: {'yes' if same else 'NO'}")
    print(f"A standings_recompute (all schemes): {a_time:7.2f} s  runs {_fmt(a_runs)}")
    print(f"B hand-written SQL aggregate:        {b_time:7.2f} s  runs {_fmt(b_runs)}")
    print(f"ratio A / B: {a_time / b_time:.2f}  (target ≤ 2)")
    print(f"C one township (the 重新计算 button, {c_written:,} rows): {c_time:7.2f} s")

    if args.proposals:
        d_time, d_runs, d_written = timed(incremental_recompute, args.repeat, vacuum_standings)
        print(
            f"D proposal, write only changed rows (none changed): {d_time:7.2f} s  "
            f"runs {_fmt(d_runs)}; ratio D / B {d_time / b_time:.2f}"
        )
        stale = sql(
            "UPDATE points_standing SET score = score + 1 WHERE period = %s AND account_id %% 100 = 0",
            [PERIOD],
        )
        del stale
        t = time.perf_counter()
        written_1pct = incremental_recompute()
        print(
            f"D after 1% of rows went stale: {time.perf_counter() - t:7.2f} s ({written_1pct:,} rows rewritten)"
        )
        fk_indexes(drop=True)
        try:
            e_time, e_runs, _ = timed(
                without_foreign_keys(lambda: standings_recompute(period=PERIOD)),
                args.repeat,
                vacuum_standings,
            )
        finally:
            fk_indexes(drop=False)
        print(
            f"E proposal, Standing FKs without constraint and index: {e_time:7.2f} s  "
            f"runs {_fmt(e_runs)}; ratio E / B {e_time / b_time:.2f}"
        )

    if args.explain:
        from lianxin.points.services import standings as st

        ids = [i for (i,) in sql("SELECT id FROM points_scheme WHERE is_active ORDER BY id")]
        select, params = st.standings_select(period=PERIOD, scheme_ids=ids, town_ids=None)
        print("\nEXPLAIN ANALYZE of A's SELECT (without the insert):")
        print("\n".join(r[0] for r in sql("EXPLAIN (ANALYZE, BUFFERS) " + select, params)))
        print("\nEXPLAIN ANALYZE of B:")
        print("\n".join(r[0] for r in sql("EXPLAIN (ANALYZE, BUFFERS) " + HAND_SQL, [FROM, TO])))
    return 0 if same else 1


def _fmt(runs: list[float]) -> str:
    return ", ".join(f"{r:.2f}" for r in runs)


if __name__ == "__main__":
    sys.exit(main())
