"""Two transactions paying the same source at the same moment: one pays, the other gets
`DuplicateSource` (PostgreSQL, real concurrent connections; SQLite serialises writers).

The second append is started only once the first has inserted (uncommitted), and the first
commits only once PostgreSQL shows the second waiting on a lock — so the two really overlap,
every run: on the account's row lock (same account) or on the unique index of `source_key`
(different accounts).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from lianxin.points.models import Account, EntryKind, PointEntry
from lianxin.points.services import ledger
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL only"
)

KEY = "auto:case_closed:concurrent"
TIMEOUT = 20


def _append(account_id: int) -> PointEntry:
    return ledger.entry_append(
        account=Account.objects.get(pk=account_id),
        kind=EntryKind.EARN,
        amount=5,
        occurred_on=f.today(),
        reason="诉求办结",
        source_key=KEY,
    )


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for_lock_waiter() -> None:
    deadline = time.monotonic() + TIMEOUT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.005)
    raise AssertionError("the second append never waited for the first")


@pytest.mark.parametrize("same_account", [True, False], ids=["same-account", "other-account"])
def test_concurrent_appends_with_one_source_pay_once(
    restore_migration_data, transactional_db, world, same_account: bool
) -> None:  # noqa: ANN001
    first_acc = f.household_account(world.building, head_name="张建国")
    second_acc = (
        first_acc if same_account else f.household_account(world.building, head_name="李秀英")
    )
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with transaction.atomic():
            results["first"] = _append(first_acc.pk).pk
            inserted.set()
            release.wait(TIMEOUT)

    def second() -> None:
        try:
            results["second"] = _append(second_acc.pk).pk
        except ledger.DuplicateSource as exc:
            results["second"] = exc
        except Exception as exc:  # reported below, not swallowed by the thread
            results["second"] = repr(exc)

    t1 = _in_thread(first)
    assert inserted.wait(TIMEOUT)
    t2 = _in_thread(second)
    try:
        _wait_for_lock_waiter()
    finally:
        release.set()
        t1.join(TIMEOUT)
        t2.join(TIMEOUT)
    duplicate = results["second"]
    assert isinstance(duplicate, ledger.DuplicateSource), duplicate
    assert duplicate.entry.pk == results["first"]
    assert PointEntry.objects.filter(source_key=KEY).count() == 1
    first_acc.refresh_from_db()
    second_acc.refresh_from_db()
    assert first_acc.balance == 5 and first_acc.entry_count == 1
    if not same_account:
        assert second_acc.balance == 0 and second_acc.entry_count == 0
    assert ledger.ledger_verify().ok


def test_many_simultaneous_appends_keep_the_chain(
    restore_migration_data, transactional_db, world
) -> None:  # noqa: ANN001
    """Eight threads append to one account at once, two of them with the same source: the
    row lock makes seq 1..7 one unbroken chain with the right balance."""
    account = f.household_account(world.building)
    barrier = threading.Barrier(8)
    outcomes: list[object] = []

    def worker(n: int) -> Callable[[], None]:
        def run() -> None:
            barrier.wait(TIMEOUT)
            try:
                ledger.entry_append(
                    account=Account.objects.get(pk=account.pk),
                    kind=EntryKind.EARN,
                    amount=n + 1,
                    occurred_on=f.today(),
                    reason="并发加分",
                    source_key=f"parallel:{min(n, 6)}",  # workers 6 and 7 share a key
                )
                outcomes.append(n)
            except ledger.DuplicateSource:
                outcomes.append("duplicate")

        return run

    threads = [_in_thread(worker(n)) for n in range(8)]
    for thread in threads:
        thread.join(TIMEOUT)
    assert sorted(map(str, outcomes)).count("duplicate") == 1
    account.refresh_from_db()
    assert account.entry_count == 7
    assert list(PointEntry.objects.filter(account=account).values_list("seq", flat=True)) == list(
        range(1, 8)
    )
    paid = sum(n + 1 for n in outcomes if isinstance(n, int))
    assert account.balance == paid
    assert ledger.ledger_verify().ok
