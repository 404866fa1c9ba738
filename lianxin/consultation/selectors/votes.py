"""Reads of the votes part: agenda items, the ballot roll, the ballots, and what a resident
on the phone may see. Staff reads take the actor and scope with `visible_to` / `get_visible`
(404 outside); public reads look only at what the token, the open meeting or the phone
session stands for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from lianxin.accounts.actor import Actor
from lianxin.cases import selectors as case_selectors
from lianxin.cases.models import Case
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Attendance,
    Ballot,
    Electorate,
    Meeting,
    ResidentProposal,
    VoteLink,
)
from lianxin.consultation.services.meetings import meeting_area
from lianxin.consultation.services.votes import item_electorate
from lianxin.core import clock
from lianxin.people.models import Resident

ITEM_RELATED = ("meeting__unit", "meeting__meeting_type", "case", "proposal")


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def meeting_to_run(actor: Actor, public_id: Any) -> Meeting:
    """A meeting whose agenda the actor may arrange (404 outside the RUN scope)."""
    return Meeting.objects.select_related("unit", "meeting_type", "place").get_visible(
        actor, wf.RUN, public_id=public_id
    )


def item_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> AgendaItem:
    """An agenda item in the actor's scope for `perm` (404 otherwise)."""
    return AgendaItem.objects.select_related(*ITEM_RELATED).get_visible(
        actor, perm, public_id=public_id
    )


def open_proposals(actor: Actor, meeting: Meeting) -> list[ResidentProposal]:
    """Residents' proposals of the meeting's village still waiting for an agenda."""
    return list(
        ResidentProposal.objects.visible_to(actor, wf.RUN)
        .filter(unit=meeting.unit, status=ResidentProposal.Status.OPEN)
        .order_by("-support_count", "-created_at")[:200]
    )


def proposal_for_item(actor: Actor, meeting: Meeting, public_id: str) -> ResidentProposal | None:
    pid = _uuid(public_id)
    if pid is None:
        return None
    return (
        ResidentProposal.objects.visible_to(actor, wf.RUN)
        .filter(unit=meeting.unit, public_id=pid)
        .first()
    )


def case_for_item(actor: Actor, tracking_no: str) -> Case | None:
    """A request by its tracking number, only if the actor may see it (cases' own scope)."""
    return case_selectors.case_by_tracking_no(actor, tracking_no)


@dataclass(frozen=True)
class RollRow:
    key: str
    label: str
    choice: str  # "" when the elector has not voted


@dataclass(frozen=True)
class RollPage:
    rows: list[RollRow]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


ROLL_PAGE = 30


def _roll_electors(item: AgendaItem) -> list[tuple[str, str]]:
    meeting = item.meeting
    kind = item_electorate(item)
    if kind == Electorate.ATTENDEES:
        return list(
            Attendance.objects.filter(meeting=meeting)
            .order_by("at", "id")
            .values_list("elector_key", "label")
        )
    return [
        (e.key, e.label) for e in roll.electors(meeting_area(meeting), kind, on=clock.now().date())
    ]


def ballot_roll(item: AgendaItem, *, q: str = "", page: int = 1) -> RollPage:
    """One page of the item's electors with how each voted: two queries whatever the size
    (the electors, streamed and filtered in order, and the ballots of the page's electors).
    A village's register is thousands of rows at most, so filtering in Python is cheap."""
    q = q.strip()
    everyone = _roll_electors(item)
    if q:
        everyone = [e for e in everyone if q in e[1]]
    total = len(everyone)
    pages = max((total + ROLL_PAGE - 1) // ROLL_PAGE, 1)
    number = min(max(page, 1), pages)
    chunk = everyone[(number - 1) * ROLL_PAGE : number * ROLL_PAGE]
    voted = dict(
        Ballot.objects.filter(item=item, elector_key__in=[k for k, _ in chunk]).values_list(
            "elector_key", "choice"
        )
    )
    rows = [RollRow(key, label, voted.get(key, "")) for key, label in chunk]
    return RollPage(rows=rows, number=number, pages=pages, total=total)


def roll_row(item: AgendaItem, key: str) -> RollRow | None:
    """One elector's row after a ballot (the htmx answer)."""
    ballot = Ballot.objects.filter(item=item, elector_key=key).first()
    if ballot is not None:
        return RollRow(key, ballot.label, ballot.choice)
    elector = _elector(item, key)
    return RollRow(key, elector.label, "") if elector else None


def _elector(item: AgendaItem, key: str) -> roll.Elector | None:
    from lianxin.consultation.services.votes import elector_for_item

    return elector_for_item(item, key)


def item_ballots(item: AgendaItem) -> QuerySet[Ballot]:
    """The ballots of an item with who recorded them (staff only: names)."""
    return Ballot.objects.filter(item=item).select_related("recorded_by").order_by("at", "id")


def link_counts(item: AgendaItem) -> tuple[int, int]:
    """(links sent, links used) of an item."""
    links = VoteLink.objects.filter(item=item)
    return links.count(), links.filter(used_at__isnull=False).count()


# --- residents ---------------------------------------------------------------------------------


def meeting_public(public_id: Any) -> Meeting | None:
    """A meeting for the sign-in page (any state: the page explains when it is not open)."""
    pid = _uuid(public_id)
    if pid is None:
        return None
    return (
        Meeting.objects.select_related("unit", "meeting_type", "place", "venue")
        .filter(public_id=pid)
        .first()
    )


def signin_state(meeting: Meeting, residents: list[Resident]) -> tuple[roll.Elector | None, bool]:
    """The elector the session's residents stand for at the meeting, and whether they are
    already signed in."""
    today = clock.now().date()
    area = meeting_area(meeting)
    for resident in residents:
        elector = roll.elector_for_resident(
            area, meeting.meeting_type.electorate, resident, on=today
        )
        if elector is not None:
            signed = Attendance.objects.filter(meeting=meeting, elector_key=elector.key).exists()
            return elector, signed
    return None, False


def item_online(public_id: Any) -> AgendaItem | None:
    """An item open for online votes (or once open: the page shows the outcome)."""
    pid = _uuid(public_id)
    if pid is None:
        return None
    return (
        AgendaItem.objects.select_related(*ITEM_RELATED)
        .filter(public_id=pid, allow_online=True)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .first()
    )


def resident_ballot(item: AgendaItem, residents: list[Resident]) -> tuple[str, Ballot | None]:
    """The elector key the session stands for on the item ("" when none) and their ballot."""
    today = clock.now().date()
    area = meeting_area(item.meeting)
    kind = item_electorate(item)
    for resident in residents:
        elector = roll.elector_for_resident(area, kind, resident, on=today)
        if elector is not None:
            return elector.key, Ballot.objects.filter(item=item, elector_key=elector.key).first()
    return "", None
