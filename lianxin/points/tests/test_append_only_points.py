"""The points ledger and the other append-only points tables refuse UPDATE and DELETE in the
database too (migration 0004, audit/guard.py), on both vendors; `audit_maintenance()` is the
one opening, and what a superuser does past it the hash chain reports."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from lianxin.audit.guard import audit_maintenance
from lianxin.points.models import PointEntry, ProposalEvent
from lianxin.points.services import ledger
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def test_ledger_rows_refuse_update_and_delete(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    entry = f.credit(account, 3)
    for statement in (
        "UPDATE points_pointentry SET amount = 9 WHERE id = %s",
        "DELETE FROM points_pointentry WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        PointEntry.objects.filter(pk=entry.pk).update(reason="改")
    assert PointEntry.objects.get(pk=entry.pk).amount == 3
    assert ledger.ledger_verify().ok


def test_proposal_events_refuse_delete(world) -> None:  # noqa: ANN001
    f.propose(world, f.household_account(world.building))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ProposalEvent.objects.all().delete()
    assert ProposalEvent.objects.count() == 1


def test_past_the_guard_the_chain_still_reports(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    entry = f.credit(account, 3)
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute("UPDATE points_pointentry SET amount = 9 WHERE id = %s", [entry.pk])
    assert PointEntry.objects.get(pk=entry.pk).amount == 9
    assert not ledger.ledger_verify().ok
