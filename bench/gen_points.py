"""Generate households' points accounts and ledger entries for the points benchmarks
(run by hand, never in tests). PostgreSQL only.

How to run (from the repository root), on a separate PostgreSQL database:

    createdb -h 127.0.0.1 -U postgres lianxin_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench \\
        python bench/gen_points.py                      # 50,000 households, ~1,000,000 entries
    ... python bench/gen_points.py --households 1200000 --entries 20000000   # the full scale
    ... python bench/gen_points.py --reset              # delete earlier bench points data first

It migrates, builds a tree under a bench county 410897 (积分基准县) sized like a prefecture's
share of the given households (about 400 households a village, 3 grids a village, 4 buildings
a grid, 30 villages a street), inserts the households (`people_household`) and one household
account each in the default household scheme, then the entries:

- the VALID set: the first `--valid-entries` entries (default 200,000; `--valid-per-account`
  20 each, so 10,000 accounts) carry real hash chains, computed in Python with the ledger's
  own `canonical` and key and written with COPY: `ledger_verify` passes on them
  (bench/points_ledger.py measures its throughput there);
- the BULK set: every other account gets 1..2×average entries from ONE INSERT ... SELECT over
  generate_series (seq 1..n, a running `balance_after`, kinds 85% earn / 9% deduct / 3%
  reversal / 3% spend, deed dates spread over --year in seq order, unique source keys) with no
  hashes (`hash` = ''): fine for aggregates (scores, rankings, SUM vs cached balance), not
  for verify;
- one HEAVY account (`--heavy-entries`, default 100,000, valid-format but unhashed) whose
  balance read is compared with SUM over its entries.

Finally every account's `balance`, `entry_count` (and for the valid set `head_hash`) are set
from its entries, and the tables are ANALYZEd. Deterministic for given sizes.
Then run bench/points_ledger.py against the same database.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = "410897"
SH = ZoneInfo("Asia/Shanghai")
HOUSEHOLDS_PER_VILLAGE, GRIDS_PER_VILLAGE, BUILDINGS_PER_GRID, VILLAGES_PER_STREET = 400, 3, 4, 30
# One INSERT ... SELECT per this many accounts: progress lines, bounded sort memory.
ACCOUNTS_PER_STATEMENT = 100_000


def setup(data_dir: Path) -> None:
    os.environ.setdefault("LIANXIN_DATA_DIR", str(data_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def sql(statement: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def build_tree(households: int) -> list[tuple[int, int, int, int]]:
    """Street → villages → grids → buildings under the bench county (idempotent, bulk).
    Returns (building, grid, village, township) ids, one per building."""
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
    county = get("county", COUNTY, "积分基准县", city)
    villages = max(1, -(-households // HOUSEHOLDS_PER_VILLAGE))
    streets = -(-villages // VILLAGES_PER_STREET)

    def level(parents: list[Unit], kind: str, per: int, code: Any, name: Any) -> list[Unit]:
        existing = {u.code: u for u in Unit.objects.filter(parent__in=parents)}
        new = []
        for parent in parents:
            for i in range(1, per + 1):
                c = code(parent, i)
                if c not in existing:
                    new.append(
                        Unit(
                            kind=kind,
                            code=c,
                            name=name(parent, i),
                            display_name=name(parent, i),
                            parent=parent,
                            path=f"{parent.path}{c}/",
                            depth=parent.depth + 1,
                            stat_code=c if c.isdigit() else "",
                        )
                    )
        Unit.objects.bulk_create(new, batch_size=5000)
        return list(Unit.objects.filter(parent__in=parents).order_by("path"))

    street_units = level(
        [county], "township", streets, lambda p, i: f"{p.code}{i:03d}", lambda p, i: f"积分{i}街道"
    )
    village_units = level(
        street_units,
        "village",
        VILLAGES_PER_STREET,
        lambda p, i: f"{p.code}{i:03d}",
        lambda p, i: f"{p.name}{i}社区",
    )[:villages]
    grid_units = level(
        village_units,
        "grid",
        GRIDS_PER_VILLAGE,
        lambda p, i: f"G{p.code}-{i}",
        lambda p, i: f"{p.name}第{i}网格",
    )
    building_units = level(
        grid_units,
        "building",
        BUILDINGS_PER_GRID,
        lambda p, i: f"B{p.code[1:]}-{i}",
        lambda p, i: f"{p.name}{i}号楼",
    )
    grid_of = {g.pk: g for g in grid_units}
    village_of = {v.pk: v for v in village_units}
    out = []
    for b in building_units:
        grid = grid_of[b.parent_id]
        village = village_of[grid.parent_id]
        out.append((b.pk, grid.pk, village.pk, village.parent_id))
    return out


def reset() -> None:
    prefix = f"/41/4108/{COUNTY}/%"
    accounts = (
        "SELECT a.id FROM points_account a JOIN territory_unit u ON u.id = a.unit_id"
        " WHERE u.path LIKE %s"
    )
    t = time.perf_counter()
    # Bench rows are referenced by nothing: skip the per-row foreign-key triggers.
    sql("SET session_replication_role = replica")
    sql(f"DELETE FROM points_standing WHERE account_id IN ({accounts})", [prefix])
    sql(f"DELETE FROM points_pointentry WHERE account_id IN ({accounts})", [prefix])
    sql(f"DELETE FROM points_account WHERE id IN ({accounts})", [prefix])
    sql(
        "DELETE FROM people_household WHERE unit_id IN"
        " (SELECT id FROM territory_unit WHERE path LIKE %s)",
        [prefix],
    )
    sql("SET session_replication_role = DEFAULT")
    print(f"reset: deleted earlier bench points data in {time.perf_counter() - t:.1f} s")


def make_households(n: int, buildings: list[tuple[int, int, int, int]]) -> None:
    """Households and their accounts, with one INSERT ... SELECT each."""
    from lianxin.points.models import SubjectKind
    from lianxin.points.services.config import scheme_for

    scheme = scheme_for(SubjectKind.HOUSEHOLD)
    sql("DROP TABLE IF EXISTS bench_building")
    sql(
        "CREATE TEMP TABLE bench_building (n int PRIMARY KEY, building bigint, grid bigint,"
        " village bigint, township bigint)"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        with cursor.copy("COPY bench_building FROM STDIN") as copy:
            for i, row in enumerate(buildings):
                copy.write_row((i, *row))
    # Household i lives in building i % B, door i // B; head names cycle through a list.
    sql(
        """
        INSERT INTO people_household (created_at, updated_at, public_id, unit_id, number,
            address, head_name, residence_type, note, is_active, moved_out_reason)
        SELECT now(), now(), gen_random_uuid(), b.building, 'BP' || i,
            (i / %(b)s + 1) || '号', (ARRAY['王','李','张','刘','陈','杨','赵','黄'])[i %% 8 + 1]
            || (ARRAY['建国','秀英','志强','桂兰','伟','芳'])[i %% 6 + 1],
            'owner', '', true, ''
        FROM generate_series(0, %(n)s - 1) AS i
        JOIN bench_building b ON b.n = i %% %(b)s
        """,
        {"n": n, "b": len(buildings)},
    )
    sql(
        """
        INSERT INTO points_account (created_at, updated_at, public_id, scheme_id, kind,
            household_id, unit_id, grid_id, village_id, township_id, label, public_label,
            balance, entry_count, head_hash, is_active)
        SELECT now(), now(), gen_random_uuid(), %(scheme)s, 'household', h.id, b.building,
            b.grid, b.village, b.township, h.head_name || '家 · ' || h.address,
            left(h.head_name, 1) || '*家', 0, 0, '', true
        FROM people_household h JOIN bench_building b ON b.building = h.unit_id
        WHERE h.number LIKE 'BP%%'
            AND NOT EXISTS (SELECT 1 FROM points_account a
                            WHERE a.household_id = h.id AND a.scheme_id = %(scheme)s)
        ORDER BY h.id
        """,
        {"scheme": scheme.pk},
    )


def bench_accounts() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM points_account a JOIN territory_unit u ON u.id = a.unit_id"
            " WHERE u.path LIKE %s ORDER BY a.id",
            [f"/41/4108/{COUNTY}/%"],
        )
        return [r[0] for r in cursor.fetchall()]


def _kind_amount(x: int) -> tuple[str, int]:
    """The same rule as the SQL below, for the valid set."""
    r = x % 100
    if r < 85:
        return "earn", x // 100 % 10 + 1
    if r < 94:
        return "deduct", -(x // 100 % 5 + 1)
    if r < 97:
        return "reversal", -(x // 100 % 3 + 1)
    return "spend", -(x // 100 % 4 + 1)


def _mix(account_id: int, seq: int) -> int:
    return (account_id * 1103515245 + seq * 12345) % 2147483647


def make_valid(account_ids: list[int], per_account: int, year: int) -> int:
    """Hash-chained entries, computed here with the ledger's canonical form and key."""
    from django.db import connection

    from lianxin.points.services.ledger import canonical, ledger_key

    key = ledger_key()
    import hmac

    start = dt.datetime(year, 1, 1, 9, tzinfo=SH)
    columns = (
        "account_id, seq, kind, amount, balance_after, occurred_on, booked_at, reason,"
        " indicator_revision_id, resident_id, reverses_id, source_key, booked_by_id,"
        " prev_hash, hash"
    )
    heads: list[tuple[int, int, int, str]] = []
    written = 0
    t = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY points_pointentry ({columns}) FROM STDIN") as copy:
            for account_id in account_ids:
                prev, balance = "", 0
                for seq in range(1, per_account + 1):
                    kind, amount = _kind_amount(_mix(account_id, seq))
                    balance += amount
                    booked = start + dt.timedelta(days=(seq - 1) * 364 // per_account)
                    content = {
                        "account_id": account_id,
                        "seq": seq,
                        "kind": kind,
                        "amount": amount,
                        "balance_after": balance,
                        "occurred_on": booked.date(),
                        "booked_at": booked,
                        "reason": "基准积分",
                        "indicator_revision_id": None,
                        "resident_id": None,
                        "reverses_id": None,
                        "source_key": f"bench:v:{account_id}:{seq}",
                        "booked_by_id": None,
                        "prev_hash": prev,
                    }
                    digest = hmac.digest(key, canonical(**content), "sha256").hex()
                    copy.write_row([*content.values(), digest])
                    prev = digest
                    written += 1
                heads.append((account_id, balance, per_account, prev))
    print(
        f"  valid set: {written:,} chained entries ({written / (time.perf_counter() - t):,.0f}/s)"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE points_account SET balance = %s, entry_count = %s, head_hash = %s"
            " WHERE id = %s",
            [(b, n, h, a) for a, b, n, h in heads],
        )
    return written


def make_bulk(ids: list[int], average: int, year: int, heavy: int, heavy_id: int) -> int:
    """Entries for the accounts `ids` in one statement; the heavy account gets `heavy`
    entries, the others n = 1 + mix % (2·average − 1), so the mean is `average`."""
    spread = max(1, 2 * average - 1)
    return sql(
        f"""
        INSERT INTO points_pointentry (account_id, seq, kind, amount, balance_after,
            occurred_on, booked_at, reason, source_key, prev_hash, hash)
        SELECT account_id, seq, kind, amount,
            SUM(amount) OVER (PARTITION BY account_id ORDER BY seq),
            day, day + time '09:00' - interval '8 hours', '基准积分',
            'bench:b:' || account_id || ':' || seq, '', ''
        FROM (
            SELECT a.id AS account_id, s.seq,
                CASE WHEN m.x %% 100 < 85 THEN 'earn' WHEN m.x %% 100 < 94 THEN 'deduct'
                     WHEN m.x %% 100 < 97 THEN 'reversal' ELSE 'spend' END AS kind,
                CASE WHEN m.x %% 100 < 85 THEN m.x / 100 %% 10 + 1
                     WHEN m.x %% 100 < 94 THEN -(m.x / 100 %% 5 + 1)
                     WHEN m.x %% 100 < 97 THEN -(m.x / 100 %% 3 + 1)
                     ELSE -(m.x / 100 %% 4 + 1) END AS amount,
                make_date({year}, 1, 1) + ((s.seq - 1) * 364 / n.n)::int AS day
            FROM unnest(%(ids)s::bigint[]) AS a(id)
            CROSS JOIN LATERAL (SELECT CASE WHEN a.id = %(heavy_id)s THEN %(heavy)s
                ELSE 1 + (a.id * 2654435761 %% 4294967296) %% {spread} END AS n) AS n
            CROSS JOIN LATERAL generate_series(1, n.n) AS s(seq)
            CROSS JOIN LATERAL (SELECT (a.id * 1103515245 + s.seq * 12345)
                %% 2147483647 AS x) AS m
        ) AS generated
        """,
        {"ids": ids, "heavy": heavy, "heavy_id": heavy_id},
    )


@contextlib.contextmanager
def bulk_load(table: str) -> Iterator[None]:
    """Load fast: no foreign-key triggers in this session (the generator's rows are
    consistent by construction) and the non-unique indexes dropped, then rebuilt from their
    own definitions (one sort each instead of 20 million insertions)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname"
            " NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        # Unique constraints too (re-adding them checks the generated rows once more).
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        uniques = cursor.fetchall()
        cursor.execute("SET session_replication_role = replica")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _ in uniques:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    try:
        yield
    finally:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for name, definition in uniques:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for _, definition in indexes:
                cursor.execute(definition)
        rebuilt = len(indexes) + len(uniques)
        print(f"  rebuilt {rebuilt} indexes of {table} ({time.perf_counter() - t:.1f} s)")


def settle(first: int, last: int) -> None:
    """Set the bulk accounts' balance and count from their entries (one UPDATE)."""
    sql(
        """
        UPDATE points_account a SET balance = s.total, entry_count = s.n
        FROM (SELECT account_id, SUM(amount) AS total, COUNT(*) AS n FROM points_pointentry
              WHERE account_id BETWEEN %s AND %s GROUP BY account_id) AS s
        WHERE a.id = s.account_id
        """,
        [first, last],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--entries", type=int, default=1_000_000, help="about this many in all")
    parser.add_argument("--valid-entries", type=int, default=200_000)
    parser.add_argument("--valid-per-account", type=int, default=20)
    parser.add_argument("--heavy-entries", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--data-dir", default="/tmp/lianxin-bench")
    parser.add_argument("--reset", action="store_true", help="delete earlier bench points first")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    setup(Path(args.data_dir))
    from django.db import connection

    if connection.vendor != "postgresql":
        print("gen_points.py needs PostgreSQL (DATABASE_URL=postgres://...)")
        return 2
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if args.reset:
        reset()
    elif bench_accounts():
        print("bench points data exists: run with --reset to generate it again")
        return 1
    t0 = time.perf_counter()
    buildings = build_tree(args.households)
    print(f"tree: {len(buildings):,} buildings ({time.perf_counter() - t0:.1f} s)")
    t = time.perf_counter()
    with bulk_load("people_household"), bulk_load("points_account"):
        make_households(args.households, buildings)
    ids = bench_accounts()
    print(f"households and accounts: {len(ids):,} ({time.perf_counter() - t:.1f} s)")
    per = args.valid_per_account
    valid = ids[: min(len(ids) - 2, args.valid_entries // per)]
    rest = ids[len(valid) :]
    heavy_id = rest[0]
    with bulk_load("points_pointentry"):
        t = time.perf_counter()
        written = make_valid(valid, per, args.year) if valid else 0
        print(f"  ({time.perf_counter() - t:.1f} s)")
        remaining = max(0, args.entries - written - args.heavy_entries)
        average = max(1, round(remaining / max(1, len(rest) - 1)))
        t = time.perf_counter()
        bulk = 0
        for i in range(0, len(rest), ACCOUNTS_PER_STATEMENT):
            bulk += make_bulk(
                rest[i : i + ACCOUNTS_PER_STATEMENT],
                average,
                args.year,
                args.heavy_entries,
                heavy_id,
            )
            rate = bulk / (time.perf_counter() - t)
            print(f"  bulk set: {bulk:>11,} entries ({rate:,.0f}/s)", flush=True)
        print(
            f"  bulk set: about {average} per account, heavy account {heavy_id} with"
            f" {args.heavy_entries:,} ({time.perf_counter() - t:.1f} s)"
        )
    t = time.perf_counter()
    settle(rest[0], rest[-1])
    sql("ANALYZE people_household; ANALYZE points_account; ANALYZE points_pointentry")
    print(f"  balances settled, tables analysed ({time.perf_counter() - t:.1f} s)")
    print(f"total: {written + bulk:,} entries in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
