"""Configuration of meetings: venues and representatives per village (scoped), meeting types
(deployment-wide), through the services and the pages; and the residents' meeting page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from lianxin.consultation.models import MeetingType, Representative, Venue
from lianxin.consultation.services import config, meetings, minutes, venues, votes
from lianxin.consultation.tests import factories as f
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household, make_resident

pytestmark = pytest.mark.django_db


# --- venues ----------------------------------------------------------------------------------


def test_venue_services_scope_and_duplicates(world: Any) -> None:
    staff = world.actor("village_staff")
    v = venues.venue_create(actor=staff, unit=world.village, name="迎秀议事角", address="3号楼下")
    with pytest.raises(DomainError, match="已有在用") as exc:
        venues.venue_create(actor=staff, unit=world.village, name="迎秀议事角")
    assert exc.value.field == "name"
    with pytest.raises(PermissionDenied):
        venues.venue_create(actor=world.actor("other_village_staff"), unit=world.village, name="x")
    with pytest.raises(DomainError) as exc:
        venues.venue_create(actor=staff, unit=world.grid, name="网格议事角")
    assert exc.value.field == "unit"
    venues.venue_deactivate(actor=staff, venue=v)
    with pytest.raises(DomainError, match="已停用"):
        venues.venue_deactivate(actor=staff, venue=v)
    # Out of use: no longer offered for a meeting.
    f.households(world.building, 1)
    with pytest.raises(DomainError) as exc:
        f.meeting(world, venue=v)
    assert exc.value.field == "venue"


def test_venue_pages(world: Any) -> None:
    client = world.client("village_staff")
    bad = client.post(
        reverse("consultation:venue_create"),
        {"unit": str(world.village.public_id), "name": "", "kind": "corner", "address": "村口"},
    )
    assert bad.status_code == 200 and "村口" in bad.content.decode()
    client.post(
        reverse("consultation:venue_create"),
        {"unit": str(world.village.public_id), "name": "凉亭", "kind": "pavilion", "address": ""},
    )
    v = Venue.objects.get(name="凉亭")
    client.post(
        reverse("consultation:venue_edit", args=[v.public_id]),
        {"name": "大凉亭", "kind": "pavilion", "address": "河边", "is_active": "on"},
    )
    v.refresh_from_db()
    assert (v.name, v.address, v.is_active) == ("大凉亭", "河边", True)
    client.post(reverse("consultation:venue_deactivate", args=[v.public_id]))
    v.refresh_from_db()
    assert not v.is_active
    assert "已停用" in client.get(reverse("consultation:venue_list")).content.decode()
    street = world.client("street_staff").post(
        reverse("consultation:venue_deactivate", args=[v.public_id]), follow=True
    )
    assert "权限" in street.content.decode() or "已停用" in street.content.decode()


# --- representatives -------------------------------------------------------------------------


def test_representatives_added_from_the_register_and_ended(world: Any) -> None:
    staff = world.actor("village_staff")
    wang = make_resident(make_household(world.building), name="王代表")
    outsider = make_resident(make_household(world.other_village), name="外村人")
    rep = venues.representative_add(
        actor=staff, unit=world.village, resident=wang, term_start=dt.date(2024, 1, 1)
    )
    with pytest.raises(DomainError, match="已是本村") as exc:
        venues.representative_add(
            actor=staff, unit=world.village, resident=wang, term_start=dt.date(2024, 1, 1)
        )
    assert exc.value.field == "resident"
    with pytest.raises(DomainError, match="不是本村"):
        venues.representative_add(
            actor=staff, unit=world.village, resident=outsider, term_start=dt.date(2024, 1, 1)
        )
    with pytest.raises(DomainError) as exc:
        venues.representative_end(actor=staff, representative=rep, term_end=dt.date(2023, 1, 1))
    assert exc.value.field == "term_end"
    venues.representative_end(actor=staff, representative=rep, term_end=dt.date(2025, 6, 30))
    rep.refresh_from_db()
    assert (rep.is_active, rep.term_end) == (False, dt.date(2025, 6, 30))
    # A new term can start after the old one ended.
    venues.representative_add(
        actor=staff, unit=world.village, resident=wang, term_start=dt.date(2026, 1, 1)
    )


def test_representative_pages_search_pick_and_end(world: Any) -> None:
    li = make_resident(make_household(world.building, address="7号楼101"), name="李桂芳")
    make_resident(make_household(world.other_village), name="李外村")
    client = world.client("village_staff")
    url = reverse("consultation:representative_add")
    found = client.get(url, {"q": "李"}).content.decode()
    assert "李桂芳" in found and "李外村" not in found
    missing = client.post(
        url, {"unit": str(world.village.public_id), "resident": "", "term_start": "2026-01-01"}
    )
    assert "请从户籍登记中选择代表" in missing.content.decode()
    client.post(
        url,
        {
            "unit": str(world.village.public_id),
            "resident": str(li.public_id),
            "term_start": "2026-01-01",
        },
    )
    rep = Representative.objects.get(resident=li)
    assert (
        '"代表">李桂芳' in client.get(reverse("consultation:representative_list")).content.decode()
    )
    client.post(reverse("consultation:representative_end", args=[rep.public_id]), {"term_end": ""})
    rep.refresh_from_db()
    assert not rep.is_active
    listing = client.get(reverse("consultation:representative_list")).content.decode()
    assert '"代表">李桂芳' not in listing


# --- meeting types ---------------------------------------------------------------------------


def _type_data(**kw: Any) -> dict[str, Any]:
    data = {
        "name": "居民议事会",
        "electorate": "residents",
        "quorum_rule": "share",
        "quorum_share": "60",
        "quorum_minimum": "5",
        "threshold": "majority",
        "threshold_share": "",
        "base": "present",
        "description": "",
        "is_active": "on",
    }
    data.update(kw)
    return data


def test_meeting_types_are_edited_deployment_wide_only(world: Any) -> None:
    mtype = MeetingType.objects.get(code="resident_council")
    with pytest.raises(PermissionDenied):
        config.meeting_type_update(
            actor=world.actor("street_staff"),
            meeting_type=mtype,
            name="x",
            electorate="residents",
            quorum_rule="none",
            quorum_share=None,
            quorum_minimum=0,
            threshold="majority",
            threshold_share=None,
            base="present",
            is_active=True,
        )
    url = reverse("consultation:meeting_type_edit", args=["resident_council"])
    assert world.client("village_staff").get(url).status_code == 404
    client = world.client("org_department")
    missing = client.post(url, _type_data(quorum_share=""))
    assert "请填写法定人数比例" in missing.content.decode()
    assert client.post(url, _type_data()).status_code == 302
    mtype.refresh_from_db()
    assert (mtype.quorum_rule, mtype.quorum_share, mtype.quorum_minimum) == (
        "share",
        Decimal("60.00"),
        5,
    )
    # The new rule drives the quorum of the next meeting.
    f.households(world.building, 10)
    m = f.meeting(world)
    q = meetings.meeting_quorum(m)
    assert (q.eligible, q.required) == (10, 6)
    listing = world.client("village_staff").get(reverse("consultation:meeting_type_list"))
    assert "60%以上" in listing.content.decode()


# --- the residents' meeting page -------------------------------------------------------------


def test_public_meeting_shows_outcomes_and_only_locked_minutes(world: Any) -> None:
    f.households(world.building, 4)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3, title="停车位议事会")
    staff = world.actor("village_staff")
    item = f.voting_item(world, m, title="划定临时停车位")
    for a in m.attendances.all():
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    votes.item_vote_close(actor=staff, item=item)
    minutes.minutes_save(actor=staff, meeting=m, body="草稿内容不公开")
    url = reverse("consultation_public:meeting_public", args=[m.public_id])
    page = world.client("nobody").get(url).content.decode()
    assert "停车位议事会" in page and "划定临时停车位" in page and "100%" in page
    assert "3 人" in page
    assert "草稿内容不公开" not in page
    assert "住户0" not in page  # no names of those who came
    minutes.minutes_save(actor=staff, meeting=m, body="定稿内容")
    meetings.meeting_close(actor=staff, meeting=m)
    locked = minutes.minutes_lock(actor=staff, meeting=m)
    minutes.addendum_add(actor=staff, meeting=m, body="补充的内容")
    from django.test import Client

    page = Client().get(url).content.decode()
    assert "定稿内容" in page and "补充的内容" in page and locked.digest in page


def test_private_meeting_is_not_public(world: Any) -> None:
    f.households(world.building, 2)
    m = f.meeting(world, is_public=False)
    from django.test import Client

    url = reverse("consultation_public:meeting_public", args=[m.public_id])
    assert Client().get(url).status_code == 404
    staff_page = world.client("village_staff").get(
        reverse("consultation:meeting_detail", args=[m.public_id])
    )
    assert "居民公开页" not in staff_page.content.decode()
