"""Benchmark: the points ledger — O(1) balance reads, and verify throughput (run by hand).

How to run (from the repository root), after bench/gen_points.py filled the same database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench python bench/points_ledger.py
    ... python bench/points_ledger.py --verify-entries 1000000 --reads 500

A. Balance read (issue 4 §9: O(1)). For a sample of ordinary bench accounts (about the
   average number of entries each) and for the heavy account (--heavy-entries of
   gen_points.py, 100,000 by default), the median time of
     1. `ledger.account_balance(account_id=...)`: the cached balance, one row by primary key;
     2. the same through raw SQL: SELECT balance FROM points_account WHERE id = %s;
     3. what a balance costs without the cache: SELECT SUM(amount) ... WHERE account_id = %s
        (raw SQL; served by the (account, occurred_on) index);
   and the ratios SUM / cached. The database-side times come from EXPLAIN ANALYZE (no
   Python or network in them). The sample's cached balances must equal the sums.
B. Verify throughput: `ledger.ledger_verify(account_ids=...)` over the accounts of the
   hash-chained VALID set, up to --verify-entries entries: entries per second, and no
   problem found (the cached balances equal the chains). Then, in a transaction that is
   rolled back, one entry's amount is changed in SQL and verify must report exactly it.

Exit code 0 when every check holds.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gen_points import COUNTY  # noqa: E402

PREFIX = f"/41/4108/{COUNTY}/"


def setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LIANXIN_DATA_DIR", "/tmp/lianxin-bench")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def median_time(fn: Callable[[Any], Any], args: list[Any]) -> float:
    """Median seconds of fn(a) over args, after one warm-up call each."""
    for a in args:
        fn(a)
    runs = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def scalar(statement: str, params: list[Any]) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def explain_ms(statement: str, params: list[Any]) -> tuple[float, str]:
    """(execution time in ms, the plan's first line) from EXPLAIN ANALYZE."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        lines = [r[0] for r in cursor.fetchall()]
    found = next(m for line in lines if (m := re.search(r"Execution Time: ([\d.]+) ms", line)))
    return float(found.group(1)), lines[0].strip()


CACHED = "SELECT balance FROM points_account WHERE id = %s"
SUMMED = "SELECT COALESCE(SUM(amount), 0) FROM points_pointentry WHERE account_id = %s"


def balance_reads(reads: int) -> bool:
    from lianxin.points.models import Account
    from lianxin.points.services.ledger import account_balance

    bench = Account.objects.filter(unit__path__startswith=PREFIX)
    heavy = bench.order_by("-entry_count").values_list("pk", "entry_count").first()
    if heavy is None:
        print("no bench accounts: run bench/gen_points.py first")
        return False
    ordinary = list(bench.filter(head_hash="").exclude(pk=heavy[0]).values_list("pk", flat=True))
    sample = random.Random(20260301).sample(ordinary, min(reads, len(ordinary)))
    counts = dict(bench.filter(pk__in=sample).values_list("pk", "entry_count"))
    average = statistics.mean(counts.values())
    same = all(scalar(CACHED, [pk]) == scalar(SUMMED, [pk]) for pk in sample)
    same = same and scalar(CACHED, [heavy[0]]) == scalar(SUMMED, [heavy[0]])
    print(f"A. balance read — {len(sample)} ordinary accounts (≈{average:.0f} entries each),")
    print(
        f"   heavy account {heavy[0]} ({heavy[1]:,} entries); cached == SUM: {'yes' if same else 'NO'}"
    )
    rows = [
        ("account_balance() (ORM, cached)", lambda pk: account_balance(account_id=pk)),
        ("raw SELECT balance (cached)", lambda pk: scalar(CACHED, [pk])),
        ("raw SELECT SUM(amount)", lambda pk: scalar(SUMMED, [pk])),
    ]
    results: dict[str, tuple[float, float]] = {}
    for label, fn in rows:
        typical = median_time(fn, sample)
        big = median_time(fn, [heavy[0]] * 21)
        results[label] = (typical, big)
        print(f"   {label:34s} {typical * 1e3:8.3f} ms   heavy {big * 1e3:9.3f} ms")
    cached, summed = results["raw SELECT balance (cached)"], results["raw SELECT SUM(amount)"]
    print(
        f"   ratio SUM / cached (client-side): ordinary {summed[0] / cached[0]:.1f}×,"
        f" heavy {summed[1] / cached[1]:.1f}×"
    )
    db_cached, plan = explain_ms(CACHED, [heavy[0]])
    db_ordinary = statistics.median(explain_ms(SUMMED, [pk])[0] for pk in sample[:50])
    db_heavy, sum_plan = explain_ms(SUMMED, [heavy[0]])
    print(f"   database time: cached {db_cached:.3f} ms ({plan})")
    print(
        f"                  SUM ordinary {db_ordinary:.3f} ms, heavy {db_heavy:.3f} ms ({sum_plan})"
    )
    print(
        f"   ratio SUM / cached (database): ordinary {db_ordinary / db_cached:.1f}×,"
        f" heavy {db_heavy / db_cached:.0f}×"
    )
    return same


def verify_throughput(limit: int) -> bool:
    from django.db import connection, transaction

    from lianxin.points.models import Account, PointEntry
    from lianxin.points.services.ledger import ledger_verify

    valid = Account.objects.filter(unit__path__startswith=PREFIX).exclude(head_hash="")
    ids, total = [], 0
    for pk, count in valid.order_by("pk").values_list("pk", "entry_count"):
        if total >= limit:
            break
        ids.append(pk)
        total += count
    if not ids:
        print("B. no hash-chained bench accounts: run bench/gen_points.py first")
        return False
    runs = []
    report = None
    for _ in range(2):
        report = ledger_verify(account_ids=ids)
        runs.append(report.seconds)
    assert report is not None
    best = min(runs)
    print(f"B. verify — {report.accounts:,} accounts, {report.entries:,} hash-chained entries")
    print(
        f"   {best:.2f} s (best of {len(runs)}): {report.entries / best:,.0f} entries/s;"
        f" problems found: {len(report.problems)}"
    )
    # One altered amount, rolled back afterwards: verify names exactly that entry.
    victim = PointEntry.objects.filter(account_id=ids[len(ids) // 2]).order_by("seq")[3]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE points_pointentry SET amount = amount + 100 WHERE id = %s", [victim.pk]
            )
        tampered = ledger_verify(account_ids=ids)
        transaction.set_rollback(True)
    found = [(p.account_id, p.seq, p.kind) for p in tampered.problems]
    caught = found == [(victim.account_id, victim.seq, "altered")]
    print(f"   after altering entry {victim.account_id}#{victim.seq} in SQL: {found}")
    print(f"   {tampered.problems[0] if tampered.problems else 'NOT FOUND'}")
    return report.ok and caught


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=200, help="ordinary accounts sampled")
    parser.add_argument("--verify-entries", type=int, default=200_000)
    args = parser.parse_args()
    setup()
    from django.db import connection

    from lianxin.points.models import PointEntry

    if connection.vendor != "postgresql":
        print("warning: the figures are for PostgreSQL; this is", connection.vendor)
    total = PointEntry.objects.count()
    print(f"database: {connection.settings_dict['NAME']} ({total:,} entries in points_pointentry)")
    ok = balance_reads(args.reads)
    ok = verify_throughput(args.verify_entries) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
