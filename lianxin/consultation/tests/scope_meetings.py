"""Scope cases of the meetings part (run by core's URL walk).

Meetings, venues and representatives hang on a village: its staff see and run them, another
village's staff see none of them in lists and get 404 for each one. Meeting types are
deployment-wide: every `consultation.view` holder reads the list; editing is for
`consultation.configure` (the county's organisation department inside; a village's staff,
without it, get 404). The residents' meeting page is public by design.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.consultation.tests import factories as f
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public

VILLAGE: dict[str, Any] = {"insider": "village_staff", "outsider": "other_village_staff"}
MARK = "迎秀范围标记会议"
VENUE = "迎秀范围标记议事角"
REP = "范围标记代表"

register_public(
    "consultation_public:meeting_public",
    "a meeting marked public (is_public): time, venue, type, agenda titles and outcomes, the "
    "attendance count (no names) and the minutes only once locked; 404 for a meeting not "
    "marked public (test_meetings_public.py)",
)


def _meeting(w: Any) -> Any:
    f.households(w.building, 3)
    return f.meeting(w, title=MARK)


def _kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _meeting(w).public_id}, marker=MARK)


def _kwargs_only(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _meeting(w).public_id})


def _list(w: Any) -> ScopeSetup:
    _meeting(w)
    return ScopeSetup(marker=MARK)


def _plain(w: Any) -> ScopeSetup:
    return ScopeSetup()


def _create(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="迎秀社区")


def _open(w: Any) -> ScopeSetup:
    m = _meeting(w)
    return ScopeSetup(
        kwargs={"public_id": m.public_id, "action": "open"}, data={"version": m.version}
    )


def _venue(w: Any) -> Any:
    return f.venue(w.village, VENUE)


def _venues(w: Any) -> ScopeSetup:
    _venue(w)
    return ScopeSetup(marker=VENUE)


def _venue_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _venue(w).public_id}, marker=VENUE)


def _venue_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _venue(w).public_id})


def _rep(w: Any) -> Any:
    from lianxin.consultation.models import Representative
    from lianxin.core.testing import make_household, make_resident

    resident = make_resident(make_household(w.building), name=REP)
    return Representative.objects.create(
        unit=w.village, resident=resident, term_start=dt.date(2024, 1, 1)
    )


def _reps(w: Any) -> ScopeSetup:
    _rep(w)
    return ScopeSetup(marker=REP)


def _rep_end(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _rep(w).public_id}, data={"term_end": ""})


def _type(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": "resident_council"}, marker="resident_council")


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("consultation:meeting_list", _list, **VILLAGE),
    ScopeCase("consultation:meeting_export", _plain, **VILLAGE),
    ScopeCase("consultation:meeting_create", _create, **VILLAGE),
    ScopeCase("consultation:meeting_detail", _kwargs, **VILLAGE),
    ScopeCase("consultation:meeting_edit", _kwargs, **VILLAGE),
    ScopeCase("consultation:meeting_cancel", _kwargs, **VILLAGE),
    ScopeCase("consultation:meeting_action", _open, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("consultation:meeting_quorum", _kwargs_only, **VILLAGE),
    ScopeCase("consultation:meeting_roll", _kwargs, **VILLAGE),
    ScopeCase("consultation:meeting_screen", _kwargs, **VILLAGE),
    ScopeCase("consultation:meeting_minutes", _kwargs, **VILLAGE),
    ScopeCase(
        "consultation:meeting_minutes_pdf", _kwargs_only, expect_inside=(200, 503), **VILLAGE
    ),
    ScopeCase("consultation:venue_list", _venues, **VILLAGE),
    ScopeCase("consultation:venue_create", _plain, **VILLAGE),
    ScopeCase("consultation:venue_edit", _venue_kwargs, **VILLAGE),
    ScopeCase(
        "consultation:venue_deactivate",
        _venue_post,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase("consultation:representative_list", _reps, **VILLAGE),
    ScopeCase("consultation:representative_add", _plain, **VILLAGE),
    ScopeCase(
        "consultation:representative_end",
        _rep_end,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase("consultation:meeting_type_list", _plain, **VILLAGE),
    ScopeCase(
        "consultation:meeting_type_edit", _type, insider="org_department", outsider="village_staff"
    ),
]
