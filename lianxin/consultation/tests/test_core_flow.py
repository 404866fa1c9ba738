"""The heart of consultation through its services: a meeting opens, electors sign in, the
quorum decides whether a vote may close, one vote each, the support rate against the
threshold, minutes lock."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from lianxin.consultation import electorate
from lianxin.consultation.models import Ballot, Minutes
from lianxin.consultation.services import meetings, minutes, votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def test_quorum_blocks_decision_until_reached(world) -> None:  # noqa: ANN001
    f.representatives(world.village, 9)
    m = f.open_meeting(world, code="resident_reps", attendees=5)
    assert m.eligible_count == 9
    q = meetings.meeting_quorum(m)
    assert (q.present, q.required, q.met) == (5, 6, False)
    item = f.voting_item(world, m)
    keys = [a.elector_key for a in m.attendances.all()]
    for key in keys:
        votes.ballot_record(
            actor=world.actor("village_staff"), item=item, elector_key=key, choice="yes"
        )
    with pytest.raises(DomainError, match="未达到法定人数"):
        votes.item_vote_close(actor=world.actor("village_staff"), item=item)
    sixth = [
        e.key
        for e in electorate.electors(world.village, "representatives", on=clock.now().date())
        if e.key not in keys
    ][0]
    meetings.attendance_record(actor=world.actor("village_staff"), meeting=m, elector_key=sixth)
    item.refresh_from_db()
    item = votes.item_vote_close(actor=world.actor("village_staff"), item=item)
    # Base: those present (6); 5 yes out of 6 is a majority.
    assert item.status == "passed"
    assert item.support_rate == Decimal("0.8333")


def test_one_vote_each_and_only_electors(world) -> None:  # noqa: ANN001
    f.households(world.building, 4)
    f.households(world.other_village, 1)
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    item = f.voting_item(world, m)
    key = m.attendances.first().elector_key
    staff = world.actor("village_staff")
    votes.ballot_record(actor=staff, item=item, elector_key=key, choice="yes")
    with pytest.raises(DomainError, match="已经投过票"):
        votes.ballot_record(actor=staff, item=item, elector_key=key, choice="no")
    outsider = f"household:{world.other_village.pk}99"
    with pytest.raises(DomainError, match="没有表决权"):
        votes.ballot_record(actor=staff, item=item, elector_key=outsider, choice="yes")
    assert Ballot.objects.filter(item=item).count() == 1


def test_ninety_five_percent_of_households(world) -> None:  # noqa: ANN001
    f.households(world.building, 20)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(
        world,
        m,
        title="老旧小区供暖改造",
        threshold="share",
        threshold_share=Decimal("95"),
        base="eligible",
    )
    staff = world.actor("village_staff")
    rows = list(electorate.electors(world.village, "households", on=clock.now().date()))
    for e in rows[:18]:
        votes.ballot_record(actor=staff, item=item, elector_key=e.key, choice="yes")
    closed = votes.item_vote_close(actor=staff, item=item)
    assert (closed.status, closed.support_rate) == ("rejected", Decimal("0.9000"))


def test_minutes_lock_and_trigger(world) -> None:  # noqa: ANN001
    f.households(world.building, 7)
    m = f.open_meeting(world, attendees=7)
    staff = world.actor("village_staff")
    minutes.minutes_save(actor=staff, meeting=m, body="一、议题：修缮排水沟。")
    meetings.meeting_close(actor=staff, meeting=m)
    locked = minutes.minutes_lock(actor=staff, meeting=m)
    with pytest.raises(DomainError, match="已定稿"):
        minutes.minutes_save(actor=staff, meeting=m, body="改写")
    add = minutes.addendum_add(actor=staff, meeting=m, body="补充：第3项为口误。")
    assert len(add.signature) == 64
    with pytest.raises(IntegrityError), transaction.atomic():
        Minutes.objects.filter(pk=locked.pk).update(body="偷偷修改")
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM consultation_minutes WHERE id = %s", [locked.pk])
        assert cur.fetchone()[0] == "一、议题：修缮排水沟。"


def test_attending_pays_the_household_once(world) -> None:  # noqa: ANN001
    from lianxin.points.models import PointEntry

    f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    entries = PointEntry.objects.filter(source_key__startswith="auto:meeting_attended:")
    assert entries.count() == 2
    assert {e.account.household_id for e in entries} == {
        int(a.elector_key.split(":")[1]) for a in m.attendances.all()
    }
