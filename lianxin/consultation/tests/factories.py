"""Factories for consultation: real service calls, so every test state is reachable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.consultation.models import MeetingType, Representative, Venue
from lianxin.consultation.services import meetings, votes
from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident


def meeting_type(code: str = "resident_council") -> MeetingType:
    return MeetingType.objects.get(code=code)


def households(unit: Any, n: int, *, phones: bool = True) -> list[Any]:
    """`n` households under `unit`, each with its head as a resident (with a phone)."""
    made = []
    for i in range(n):
        h = make_household(unit, head_name=f"住户{i}")
        make_resident(h, name=f"住户{i}", phone=None if phones else "")
        made.append(h)
    return made


def representatives(unit: Any, n: int) -> list[Representative]:
    """`n` residents of `unit` made representatives (a household each)."""
    reps = []
    for h in households(unit, n):
        reps.append(
            Representative.objects.create(
                unit=unit, resident=h.residents.first(), term_start=dt.date(2024, 1, 1)
            )
        )
    return reps


def venue(unit: Any, name: str = "迎秀议事角") -> Venue:
    return Venue.objects.create(unit=unit, name=name)


def meeting(
    world: Any, *, code: str = "resident_council", by: str = "village_staff", **kw: Any
) -> Any:
    """A planned meeting of `world.village`."""
    fields: dict[str, Any] = {
        "title": "小区议事会",
        "starts_at": clock.now() + dt.timedelta(days=1),
    }
    fields.update(kw)
    return meetings.meeting_create(
        actor=world.actor(by), unit=world.village, meeting_type=meeting_type(code), **fields
    )


def open_meeting(world: Any, *, attendees: int = 0, by: str = "village_staff", **kw: Any) -> Any:
    """An open meeting with the first `attendees` electors signed in."""
    m = meetings.meeting_open(actor=world.actor(by), meeting=meeting(world, by=by, **kw))
    from lianxin.consultation import electorate

    keys = [
        e.key
        for e, _ in zip(
            electorate.electors(world.village, m.meeting_type.electorate, on=clock.now().date()),
            range(attendees),
            strict=False,
        )
    ]
    for key in keys:
        meetings.attendance_record(actor=world.actor(by), meeting=m, elector_key=key)
    return m


def voting_item(world: Any, m: Any, *, by: str = "village_staff", **kw: Any) -> Any:
    fields: dict[str, Any] = {"title": "修缮排水沟"}
    fields.update(kw)
    item = votes.item_add(actor=world.actor(by), meeting=m, **fields)
    return votes.item_vote_open(actor=world.actor(by), item=item)
