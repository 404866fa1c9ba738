"""Scope cases of the decisions part (run by core's URL walk), and the builders the
decisions tests share: a decided agenda item and a decision through the real services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.consultation.services import decisions as svc
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public

MARK = "范围标记：修缮迎秀小区排水沟"
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}


def passed_item(w: Any, *, title: str = "修缮排水沟", yes: int = 7, no: int = 0) -> Any:
    """An item of an open meeting of `w.village` that passed by vote (all present voted)."""
    f.households(w.building, yes + no)
    m = f.open_meeting(w, attendees=yes + no)
    item = f.voting_item(w, m, title=title)
    staff = w.actor("village_staff")
    for i, a in enumerate(m.attendances.all()):
        votes.ballot_record(
            actor=staff, item=item, elector_key=a.elector_key, choice="yes" if i < yes else "no"
        )
    return votes.item_vote_close(actor=staff, item=item)


def discussed_item(w: Any, *, title: str = "楼道堆物清理", outcome: str = "discussed") -> Any:
    """An item concluded without a vote (discussed or deferred)."""
    item = votes.item_add(actor=w.actor("village_staff"), meeting=f.meeting(w), title=title)
    return votes.item_conclude(
        actor=w.actor("village_staff"), item=item, outcome=outcome, note="大家同意分头落实"
    )


def decision(w: Any, *, item: Any = None, title: str = MARK, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "summary": "雨季前完成排水沟清淤和盖板更换",
        "responsible": "迎秀社区“两委”",
        "decided_on": svc.today(),
        "due_on": svc.today() + dt.timedelta(days=30),
    }
    fields.update(kw)
    return svc.decision_create(
        actor=w.actor("village_staff"), item=item or discussed_item(w), title=title, **fields
    )


def milestone(w: Any, d: Any, *, title: str = "清淤", case: Any = None) -> Any:
    return svc.milestone_add(
        actor=w.actor("village_staff"),
        decision=d,
        title=title,
        due_on=d.due_on,
        case=case,
    )


register_public(
    "consultation_public:decision_list",
    "议定事项落实 of a village by its code: public decisions only (is_public), titles, "
    "responsible body, dates and progress; no personal names",
)
register_public(
    "consultation_public:decision_public",
    "one public decision by its UUID: milestones and their timeline with post labels "
    "(“迎秀社区工作人员”, “系统”), never names; 404 unless is_public",
)


def _listed(w: Any) -> ScopeSetup:
    decision(w)
    return ScopeSetup(marker=MARK)


def _export(w: Any) -> ScopeSetup:
    # Exports are files: both get 200; the scope of the rows is proven in the tests.
    decision(w)
    return ScopeSetup()


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": decision(w).public_id})


def _pick(w: Any) -> ScopeSetup:
    discussed_item(w, title=MARK[:20])
    return ScopeSetup(marker=MARK[:20])


def _milestone_add(w: Any) -> ScopeSetup:
    d = decision(w)
    return ScopeSetup(
        kwargs={"public_id": d.public_id},
        data={"title": "清淤", "due_on": d.due_on.isoformat()},
    )


def _progress(w: Any) -> ScopeSetup:
    m = milestone(w, decision(w))
    return ScopeSetup(
        kwargs={"public_id": m.public_id},
        data={f"m{m.pk}-progress": "50", f"m{m.pk}-note": "", f"m{m.pk}-expected": "0"},
    )


def _link(w: Any) -> ScopeSetup:
    from lianxin.cases.tests import factories as cf

    case = cf.make_case(w.building)
    return ScopeSetup(
        kwargs={"public_id": decision(w).public_id}, data={"tracking_no": case.tracking_no}
    )


def _unlink(w: Any) -> ScopeSetup:
    from lianxin.cases.tests import factories as cf

    case = cf.make_case(w.building)
    d = decision(w, cases=[case])
    return ScopeSetup(kwargs={"public_id": d.public_id, "case_id": case.public_id})


def _cancel(w: Any) -> ScopeSetup:
    d = decision(w)
    return ScopeSetup(
        kwargs={"public_id": d.public_id}, data={"reason": "后续会议改变决定", "version": "1"}
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("consultation:decision_list", _listed, **VILLAGE),
    ScopeCase(
        "consultation:decision_list",
        _listed,
        insider="street_staff",
        outsider="other_street_staff",
        note="street sees its villages",
    ),
    ScopeCase("consultation:decision_export", _export, **VILLAGE),
    ScopeCase("consultation:decision_detail", _detail, **VILLAGE),
    # ?item= of another village is a 404 (test_decisions_pages.py); the picker is a list.
    ScopeCase("consultation:decision_create", _pick, **VILLAGE, note="picker of decided items"),
    ScopeCase(
        "consultation:decision_milestone_add",
        _milestone_add,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase(
        "consultation:decision_progress", _progress, method="post", expect_inside=(302,), **VILLAGE
    ),
    ScopeCase(
        "consultation:decision_case_link", _link, method="post", expect_inside=(302,), **VILLAGE
    ),
    ScopeCase(
        "consultation:decision_case_unlink",
        _unlink,
        method="post",
        expect_inside=(302,),
        **VILLAGE,
    ),
    ScopeCase(
        "consultation:decision_cancel", _cancel, method="post", expect_inside=(302,), **VILLAGE
    ),
]
