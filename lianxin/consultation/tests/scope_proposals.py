"""Scope cases of the proposals part (run by core's URL walk): staff pages of residents'
proposals and the figures page; the residents' pages are public by design."""

from __future__ import annotations

from typing import Any

from lianxin.consultation.services import proposals as svc
from lianxin.consultation.tests import factories as f
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public
from lianxin.core.testing import make_household, make_resident

MARK = "范围标记：小区东门加装路灯"
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}

PUBLIC = {
    "consultation_public:unit_home": "a village's public consultation page (by its code): "
    "public meetings, open proposals with masked proposers, published results only",
    "consultation_public:proposal_new": "a resident proposes a topic; needs the phone session "
    "of resident:login (redirects there without it) and a household in the village",
    "consultation_public:proposal_public": "one proposal by its UUID: title, masked proposer, "
    "support count, status and the public answer",
    "consultation_public:proposal_support": "POST (CSRF): support a proposal; needs the phone "
    "session, one per resident and phone, residents of the village only",
    "consultation_public:proposal_withdraw": "POST (CSRF): the proposer (phone session) "
    "withdraws an open proposal",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)


def _proposal(w: Any) -> Any:
    h = make_household(w.building, head_name="李桂兰")
    resident = make_resident(h, name="李桂兰")
    return svc.proposal_submit(resident=resident, unit=w.village, title=MARK, body="晚上太黑。")


def _listed(w: Any) -> ScopeSetup:
    _proposal(w)
    return ScopeSetup(marker=MARK)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _proposal(w).public_id})


def _decline(w: Any) -> ScopeSetup:
    p = _proposal(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id},
        data={"answer": "已纳入年度亮化工程", "version": str(p.version)},
    )


def _schedule(w: Any) -> ScopeSetup:
    p = _proposal(w)
    m = f.meeting(w)
    return ScopeSetup(kwargs={"public_id": p.public_id}, data={"meeting": str(m.public_id)})


def _figures(w: Any) -> ScopeSetup:
    # The unit picker lists the insider's village; the other village's staff see their own.
    return ScopeSetup(marker=w.village.display_name)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("consultation:proposal_list", _listed, **VILLAGE),
    ScopeCase("consultation:proposal_detail", _detail, **VILLAGE),
    ScopeCase(
        "consultation:proposal_decline",
        _decline,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase(
        "consultation:proposal_schedule",
        _schedule,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase("consultation:figures", _figures, **VILLAGE),
]
