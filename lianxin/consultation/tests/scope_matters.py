"""Scope cases of the matters part (四议两公开), run by core's URL walk, and the helpers that
build matters in any state through the real services (tests/test_matters*.py use them too).

The residents' matter page and its PDFs are public by design: they answer only for a matter
whose resolution is published, and show meetings, dates and counts, never a name
(test_matters_pages.py proves both)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.consultation import electorate
from lianxin.consultation.models import AgendaItem, Matter, MeetingType
from lianxin.consultation.services import matters, meetings, votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public
from lianxin.party.tests.factories import make_member, make_org

MARK = "范围标记：村集体厂房出租"
# The four steps in a community (step 4: 居民代表会议) and in a village (村民代表会议).
COMMUNITY_STEPS = ("branch_committee", "two_committees", "party_congress", "resident_reps")
VILLAGE_STEPS = ("branch_committee", "two_committees", "party_congress", "village_reps")

register_public(
    "consultation_public:matter_public",
    "四议两公开 page of a matter whose resolution is published (404 before): steps with "
    "meeting types, dates, counts and rates, both notices; no names",
)
register_public(
    "consultation_public:matter_public_pdf",
    "the printable 决议公开 / 实施结果公开 notice of a published matter (404 before each is "
    "published); no names",
)


def electors(unit: Any, *, reps: int = 5) -> None:
    """A branch with 3 committee members and 2 more members, and `reps` representatives."""
    org = make_org(unit)
    for duty in ("书记", "副书记", "委员"):
        make_member(org, duty=duty)
    make_member(org)
    make_member(org)
    f.representatives(unit, reps)


def new_matter(w: Any, *, title: str = MARK, unit: Any = None, by: str = "village_staff") -> Matter:
    return matters.matter_create(
        actor=w.actor(by),
        unit=unit or w.village,
        title=title,
        description="村集体闲置厂房对外公开出租，租期五年，租金归集体所有。",
        amount="120000",
    )


def step_meeting(w: Any, code: str, *, unit: Any = None, by: str = "village_staff") -> Any:
    """A planned meeting of `code` at the unit (tomorrow)."""
    return meetings.meeting_create(
        actor=w.actor(by),
        unit=unit or w.village,
        meeting_type=MeetingType.objects.get(code=code),
        title=f"{MeetingType.objects.get(code=code).name}（第{clock.now():%m%d}次）",
        starts_at=clock.now() + dt.timedelta(hours=2),
    )


def hold_step(
    w: Any,
    matter: Matter,
    code: str,
    *,
    passed: bool = True,
    by: str = "village_staff",
) -> AgendaItem:
    """Schedule the matter's next step at a new meeting of `code`, open it, sign everyone in,
    everyone votes yes (or no), close the vote and the meeting."""
    actor = w.actor(by)
    meeting = step_meeting(w, code, unit=matter.unit, by=by)
    item = matters.matter_step_schedule(actor=actor, matter=matter, meeting=meeting)
    meeting = meetings.meeting_open(actor=actor, meeting=meeting)
    keys = [
        e.key
        for e in electorate.electors(
            matter.unit, meeting.meeting_type.electorate, on=clock.now().date()
        )
    ]
    for key in keys:
        meetings.attendance_record(actor=actor, meeting=meeting, elector_key=key)
    item = votes.item_vote_open(actor=actor, item=item)
    for key in keys:
        votes.ballot_record(
            actor=actor, item=item, elector_key=key, choice="yes" if passed else "no"
        )
    item.refresh_from_db()
    item = votes.item_vote_close(actor=actor, item=item)
    meeting.refresh_from_db()
    meetings.meeting_close(actor=actor, meeting=meeting)
    return item


def resolved_matter(w: Any, *, steps: tuple[str, ...] = COMMUNITY_STEPS, **kw: Any) -> Matter:
    matter = new_matter(w, **kw)
    for code in steps:
        hold_step(w, matter, code)
        matter.refresh_from_db()
    return matter


def announced_matter(w: Any, **kw: Any) -> Matter:
    electors(w.village)
    matter = resolved_matter(w, **kw)
    return matters.matter_resolution_publish(
        actor=w.actor("village_staff"), matter=matter, text="同意出租，公开招租，租金每年12万元。"
    )


# --- scope cases -----------------------------------------------------------------------------

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}


def _listed(w: Any) -> ScopeSetup:
    new_matter(w)
    return ScopeSetup(marker=MARK)


def _create(w: Any) -> ScopeSetup:
    # The form offers the insider's village only.
    return ScopeSetup(marker=w.village.display_name)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": new_matter(w).public_id})


def _withdraw(w: Any) -> ScopeSetup:
    m = new_matter(w)
    return ScopeSetup(
        kwargs={"public_id": m.public_id, "action": "withdraw"},
        data={"withdraw-version": str(m.version), "withdraw-reason": "另行研究"},
    )


def _notice(w: Any) -> ScopeSetup:
    m = announced_matter(w)
    return ScopeSetup(kwargs={"public_id": m.public_id, "kind": "resolution"})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("consultation:matter_list", _listed, **VILLAGE),
    ScopeCase(
        "consultation:matter_list", _listed, insider="street_staff", outsider="other_street_staff"
    ),
    ScopeCase("consultation:matter_create", _create, **VILLAGE),
    ScopeCase("consultation:matter_detail", _detail, **VILLAGE),
    ScopeCase(
        "consultation:matter_detail",
        _detail,
        insider="street_staff",
        outsider="other_street_staff",
    ),
    ScopeCase("consultation:matter_act", _withdraw, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("consultation:matter_notice_pdf", _notice, **VILLAGE),
]
