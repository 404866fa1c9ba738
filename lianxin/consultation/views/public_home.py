"""The residents' page of a village or community (/c/v/<code>/): what is coming up, what
neighbours propose, what was decided and how it is being done.

Links to the other parts' public pages (meetings, decisions, pledges, matters) are built
here with `public_href`, which leaves a link out when the page does not exist (yet), so this page
never breaks on a missing route.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from lianxin.cases.services import residents
from lianxin.consultation.selectors import proposals as sel


def public_href(name: str, *attempts: tuple[Any, ...]) -> str:
    """The first of `attempts` (positional args) that reverses `name`, or ""."""
    for args in attempts or ((),):
        try:
            return reverse(name, args=[str(a) for a in args])
        except NoReverseMatch:
            continue
    return ""


@require_GET
def unit_home(request: HttpRequest, code: str) -> HttpResponse:
    """村（社区）议事: upcoming meetings, proposals to support, results, minutes, decisions,
    the secretary's pledges and published 四议两公开 matters."""
    unit = sel.village_by_code(code)
    if unit is None:
        raise Http404("没有找到该村（社区）")
    home = sel.unit_home(unit)
    people = residents.session_residents(request)
    supported = sel.supported_ids([p.pk for p in home.proposals], people)
    mine = {r.pk for r in people}
    for p in home.proposals:
        p.supported = p.pk in supported  # type: ignore[attr-defined]
        p.is_mine = p.proposer_id in mine  # type: ignore[attr-defined]
    for m in home.meetings:
        m.href = public_href("consultation_public:meeting_public", (m.public_id,))  # type: ignore[attr-defined]
    for item in home.decided:
        item.href = public_href("consultation_public:meeting_public", (item.meeting.public_id,))  # type: ignore[attr-defined]
    for minutes in home.minutes:
        href = public_href("consultation_public:meeting_public", (minutes.meeting.public_id,))
        minutes.href = href  # type: ignore[attr-defined]
    for d in home.decisions:
        d.href = public_href("consultation_public:decision_public", (d.public_id,))  # type: ignore[attr-defined]
    for matter in home.matters:
        matter.href = public_href("consultation_public:matter_public", (matter.public_id,))  # type: ignore[attr-defined]
    pledge_href = ""
    if home.pledge is not None:
        pledge_href = public_href(
            "consultation_public:pledge_public", (unit.code, home.pledge.pledge.year), (unit.code,)
        )
    return render(
        request,
        "consultation/public/home.html",
        {
            "unit": unit,
            "home": home,
            "signed_in": bool(people),
            "phone_masked": residents.session_phone_masked(request),
            "decisions_href": public_href("consultation_public:decision_list", (unit.code,), ()),
            "pledge_href": pledge_href,
        },
    )
