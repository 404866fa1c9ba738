"""Scope cases of the votes part (run by core's URL walk): the village's staff inside, another
village's staff outside (404). The residents' pages are public by design, bounded by their
own key (the phone session, the one-time token)."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public

PUBLIC = {
    "consultation_public:meeting_signin": "sign-in at an open meeting: needs the phone session "
    "(cases' resident:login) and the code shown in the room; shows only the meeting's title "
    "and the session's own elector",
    "consultation_public:vote_link": "one-time vote link: the token (only its digest is kept) is "
    "the key; shows the item and its threshold, votes once; used/expired → a plain page",
    "consultation_public:item_vote": "online vote on an item open for it: needs the phone "
    "session; only the session's own elector and ballot are shown",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)


def _item(w: Any, *, vote: bool = True) -> Any:
    from lianxin.consultation.services import votes
    from lianxin.consultation.tests import factories as f

    f.households(w.building, 3)
    m = f.open_meeting(w, code="property_face_to_face", attendees=2)
    if vote:
        return f.voting_item(w, m, title="范围标记议题")
    return votes.item_add(actor=w.actor("village_staff"), meeting=m, title="范围标记议题")


def _meeting_kw(w: Any) -> ScopeSetup:
    from lianxin.consultation.tests import factories as f

    f.households(w.building, 2)
    return ScopeSetup(kwargs={"public_id": f.meeting(w).public_id})


def _item_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _item(w).public_id})


def _pending_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _item(w, vote=False).public_id})


def _ballot(w: Any) -> ScopeSetup:
    item = _item(w)
    key = item.meeting.attendances.first().elector_key
    return ScopeSetup(kwargs={"public_id": item.public_id}, data={"elector": key, "choice": "yes"})


def _case(url: str, setup: Any, method: str = "get", inside: tuple[int, ...] = (200,)) -> Any:
    return ScopeCase(
        url,
        setup,
        insider="village_staff",
        outsider="other_village_staff",
        method=method,
        expect_inside=inside,
    )


SCOPE_CASES: list[ScopeCase] = [
    _case("consultation:item_add", _meeting_kw),
    _case("consultation:item_detail", _item_kw),
    _case("consultation:item_roll", _item_kw),
    _case("consultation:item_ballot", _ballot, "post", (302,)),
    _case("consultation:item_vote_open", _pending_kw, "post", (302, 400)),
    _case("consultation:item_links_send", _item_kw, "post", (302, 400)),
    _case("consultation:item_vote_close", _item_kw, "post", (302, 400)),
    _case("consultation:item_conclude", _pending_kw, "post", (302, 400)),
]
