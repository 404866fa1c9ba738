"""Recording the rest of a ballot-sheet page at once (本页未投票者全部记为同意): each key goes
through the single-ballot rules; keys already voted or outside the electorate are refused by
name while the others are recorded; a closed item or an empty list is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lianxin.consultation import electorate
from lianxin.consultation.models import Ballot
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock
from lianxin.core.errors import DomainError

pytestmark = pytest.mark.django_db


def _keys(world: Any) -> list[str]:
    return [e.key for e in electorate.electors(world.village, "households", on=clock.now().date())]


def test_the_rest_agree_through_the_single_ballot_rules(world) -> None:  # noqa: ANN001
    f.households(world.building, 4)
    m = f.open_meeting(world, code="property_face_to_face", attendees=4)
    item = f.voting_item(world, m)
    staff = world.actor("village_staff")
    keys = _keys(world)
    votes.ballot_record(actor=staff, item=item, elector_key=keys[0], choice="no")
    done, refused = votes.ballots_record_many(
        actor=staff, item=item, elector_keys=[*keys, keys[1], "household:999999"], choice="yes"
    )
    assert done == 3
    assert len(refused) == 2
    assert "已经投过票" in refused[0]
    assert "没有表决权" in refused[1]
    choices = dict(Ballot.objects.filter(item=item).values_list("elector_key", "choice"))
    assert choices == {keys[0]: "no", keys[1]: "yes", keys[2]: "yes", keys[3]: "yes"}
    item.refresh_from_db()
    assert item.ballot_count == 4
    with pytest.raises(DomainError, match="没有要登记"):
        votes.ballots_record_many(actor=staff, item=item, elector_keys=[], choice="yes")
    with pytest.raises(DomainError, match="同意、反对或弃权"):
        votes.ballots_record_many(actor=staff, item=item, elector_keys=keys, choice="maybe")


def test_the_sheet_button_records_the_page_and_reports_refusals(world) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(world, m)
    client = world.client("village_staff")
    sheet = client.get(reverse("consultation:item_roll", args=[item.public_id])).content.decode()
    assert "本页未投票者全部记为同意" in sheet
    keys = _keys(world)
    assert all(f'value="{k}" form="vt-many"' in sheet for k in keys)
    url = reverse("consultation:item_ballot", args=[item.public_id])
    client.post(url, {"elector": keys[0], "choice": "abstain"}, HTTP_HX_REQUEST="true")
    response = client.post(url, {"many": "1", "choice": "yes", "elector": keys}, follow=True)
    page = response.content.decode()
    assert "已登记 2 票同意" in page
    assert "未登记" in page and "已经投过票" in page
    assert Ballot.objects.filter(item=item, choice="yes").count() == 2
    # Everyone has voted: the button is gone.
    assert "本页未投票者全部记为同意" not in page


def test_not_while_the_item_is_not_voting(world) -> None:  # noqa: ANN001
    f.households(world.building, 2)
    m = f.open_meeting(world, code="property_face_to_face", attendees=2)
    item = f.voting_item(world, m)
    staff = world.actor("village_staff")
    votes.item_vote_close(actor=staff, item=item)
    item.refresh_from_db()
    with pytest.raises(DomainError, match="不在表决中"):
        votes.ballots_record_many(actor=staff, item=item, elector_keys=_keys(world), choice="yes")
    client = world.client("village_staff")
    url = reverse("consultation:item_ballot", args=[item.public_id])
    page = client.post(url, {"many": "1", "choice": "yes", "elector": _keys(world)}, follow=True)
    assert "该议题不在表决中" in page.content.decode()
    assert not Ballot.objects.filter(item=item).exists()
