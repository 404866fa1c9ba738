"""Two staff add to a list holding five open items at the same moment (PostgreSQL, real
concurrent connections; SQLite serialises writers): exactly one is stored, in slot 6, and the
other is refused — the partial unique index on (list_key, month, slot) among open items
keeps the bound, not the look at the free slots.

The second add starts once the first has inserted (uncommitted) and looks at the free slots
then (slot 6 still seems free); the first commits only once PostgreSQL shows the second
waiting on the unique index — so they really overlap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from lianxin.core.errors import DomainError
from lianxin.worklists.models import KeyWorkItem
from lianxin.worklists.services import keywork as svc
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL only"
)
TIMEOUT = 20


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

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
    raise AssertionError("the second add never waited for the first")


def test_two_adds_when_five_are_open(restore_migration_data, transactional_db, world) -> None:  # noqa: ANN001
    for i in range(5):
        kf.add(world, f"事项{i + 1}")
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        with transaction.atomic():
            results["first"] = kf.add(world, "甲加的事项").pk
            inserted.set()
            release.wait(TIMEOUT)

    def second() -> None:
        try:
            results["second"] = kf.add(world, "乙加的事项", persona="village_secretary").pk
        except DomainError as exc:
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
    refused = results["second"]
    assert isinstance(refused, DomainError), refused
    assert refused.message == svc.full_message(svc.this_month())
    open_items = KeyWorkItem.objects.filter(status="open").order_by("slot")
    assert [i.slot for i in open_items] == [1, 2, 3, 4, 5, 6]
    assert open_items.get(slot=6).pk == results["first"]
    assert not KeyWorkItem.objects.filter(title="乙加的事项").exists()
