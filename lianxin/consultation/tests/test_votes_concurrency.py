"""Two staff record a ballot for the same elector at the same moment (PostgreSQL, real
concurrent connections; SQLite serialises writers): one row, the other refused.

The second ballot starts only once the first has inserted (uncommitted), and the first commits
only once PostgreSQL shows the second waiting on the unique index — so they really overlap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from lianxin.consultation.models import AgendaItem, Ballot
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.core.errors import DomainError

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
    raise AssertionError("the second ballot never waited for the first")


def test_two_ballots_for_one_elector_at_once(
    restore_migration_data, transactional_db, world
) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(world, m)
    key = m.attendances.first().elector_key
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def cast(choice: str) -> Ballot:
        return votes.ballot_record(
            actor=world.actor("village_staff"),
            item=AgendaItem.objects.select_related("meeting__unit", "meeting__meeting_type").get(
                pk=item.pk
            ),
            elector_key=key,
            choice=choice,
        )

    def first() -> None:
        with transaction.atomic():
            results["first"] = cast("yes").pk
            inserted.set()
            release.wait(TIMEOUT)

    def second() -> None:
        try:
            results["second"] = cast("no").pk
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
    assert "已经投过票" in refused.message
    ballots = Ballot.objects.filter(item=item)
    assert [(b.pk, b.choice) for b in ballots] == [(results["first"], "yes")]
    item.refresh_from_db()
    assert item.ballot_count == 1
