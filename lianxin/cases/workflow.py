"""The request state machine: statuses, actions and who may take them. Plain Python, no DB.

A request (诉求) moves through the standard closed loop (CJJ/T 106 / GB/T 30428):
received → accepted (responded) → assigned (dispatched, the clock starts) → in progress →
resolved → followed up (回访) → closed. Side roads: returned (退单), reopened (an unsatisfied
follow-up), merged, rejected, guided (私事), suspended (clock stopped).

`services.lifecycle.case_transition` is the only writer of `Case.status`: it looks the action
up here, checks the actor's permission at the request's place and writes the event.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Status(models.TextChoices):
    RECEIVED = "received", "待受理"
    ACCEPTED = "accepted", "已受理"
    ASSIGNED = "assigned", "已派遣"
    IN_PROGRESS = "in_progress", "办理中"
    SUSPENDED = "suspended", "已挂起"
    RETURNED = "returned", "已退单"
    RESOLVED = "resolved", "已办结待回访"
    FOLLOWED_UP = "followed_up", "已回访"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


class Level(models.TextChoices):
    """三事分流."""

    BIG = "big", "大事"
    SMALL = "small", "小事"
    PRIVATE = "private", "私事"


class Urgency(models.TextChoices):
    DANGER = "danger", "紧急（危及生命财产）"
    UTILITY = "utility", "水电气暖"
    GENERAL = "general", "一般"
    COMPLEX = "complex", "复杂"


class Channel(models.TextChoices):
    QR = "qr", "扫码（码上办）"
    COLUMN = "column", "楼院有话"
    PHONE = "phone", "电话"
    WALK_IN = "walk_in", "来访"
    VISIT = "visit", "走访"
    PATROL = "patrol", "巡查发现"
    RIDER = "rider", "骑手随手拍"
    BUILDING_LEADER = "building_leader", "楼栋长登记"
    API = "api", "接口"
    OPEN311 = "open311", "Open311"


class Kind(models.TextChoices):
    ORDINARY = "ordinary", "诉求"
    MEDIATION = "mediation", "矛盾调解"
    ERRAND = "errand", "帮办代办"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Outcome(models.TextChoices):
    """How a closed request ended (figures count resolutions, not guidance)."""

    RESOLVED = "resolved", "已解决"
    GUIDED = "guided", "已引导（私事）"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


class Action(models.TextChoices):
    SUBMIT = "submit", "提交诉求"
    ACCEPT = "accept", "受理"
    TRIAGE = "triage", "三事分流"
    ASSIGN = "assign", "派遣"
    TAKE = "take", "接单办理"
    PROGRESS = "progress", "办理进展"
    RETURN = "return", "退单"
    ESCALATE = "escalate", "上交上级"
    RESOLVE = "resolve", "办结"
    FOLLOW_UP = "follow_up", "回访"
    RATE = "rate", "居民评价"
    REOPEN = "reopen", "重新办理"
    CLOSE = "close", "结案"
    GUIDE = "guide", "引导办理（私事）"
    REJECT = "reject", "不予受理"
    MERGE = "merge", "合并"
    SUPPORT = "support", "附议（也反映了此问题）"
    EXTENSION_REQUEST = "extension_request", "申请延期"
    EXTENSION_APPROVE = "extension_approve", "批准延期"
    EXTENSION_REFUSE = "extension_refuse", "不批准延期"
    SUSPEND = "suspend", "挂起"
    RESUME = "resume", "恢复办理"
    WHISTLE = "whistle", "吹哨"
    SUMMON = "summon", "召集部门报到"
    REPORT_IN = "report_in", "部门报到"
    WHISTLE_CLOSE = "whistle_close", "吹哨办结"
    SUPERVISE = "supervise", "督办"
    SLA_NEAR = "sla_near", "即将超期"
    SLA_OVERDUE = "sla_overdue", "已超期"
    BOARD_HIDE = "board_hide", "成果清单隐藏"
    BOARD_SHOW = "board_show", "成果清单公开"
    NOTE = "note", "备注"


# Permissions (lianxin.accounts.permissions.Perm mirrors these strings).
VIEW = "cases.view"
FILE = "cases.file"
HANDLE = "cases.handle"
DISPATCH = "cases.dispatch"
WHISTLE = "cases.whistle"
DEPARTMENT = "cases.department"
REVEAL = "cases.reveal"
REPORT = "cases.report"
CONFIGURE = "cases.configure"

S = Status
OPEN_STATUSES = frozenset(
    {S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.RETURNED}
)
# The clock runs in these statuses (SUSPENDED stops it; RESOLVED ends it).
CLOCK_STATUSES = frozenset({S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.RETURNED})
TERMINAL_STATUSES = frozenset({S.CLOSED, S.REJECTED, S.MERGED})
UNDISPATCHED = frozenset({S.RECEIVED, S.ACCEPTED, S.RETURNED})
WITH_HANDLER = frozenset({S.ASSIGNED, S.IN_PROGRESS})

MAX_RETURNS = 3


@dataclass(frozen=True)
class Rule:
    """An action is allowed from `sources`, leads to `target` (None = status unchanged) and
    needs `perm` at the request's place (or at its handler's unit for handlers)."""

    sources: frozenset[str]
    target: str | None
    perm: str
    needs_note: bool = False
    public: bool = True  # shown on the resident's private page


A = Action
RULES: dict[str, Rule] = {
    A.ACCEPT: Rule(frozenset({S.RECEIVED}), S.ACCEPTED, DISPATCH),
    A.TRIAGE: Rule(UNDISPATCHED | WITH_HANDLER, None, DISPATCH, public=False),
    A.ASSIGN: Rule(UNDISPATCHED | WITH_HANDLER, S.ASSIGNED, DISPATCH),
    A.TAKE: Rule(frozenset({S.ASSIGNED}), S.IN_PROGRESS, HANDLE),
    A.PROGRESS: Rule(WITH_HANDLER, None, HANDLE, needs_note=True),
    A.RETURN: Rule(WITH_HANDLER, S.RETURNED, HANDLE, needs_note=True, public=False),
    A.ESCALATE: Rule(frozenset({S.RETURNED}), S.RETURNED, DISPATCH, public=False),
    A.RESOLVE: Rule(WITH_HANDLER, S.RESOLVED, HANDLE, needs_note=True),
    A.FOLLOW_UP: Rule(frozenset({S.RESOLVED}), S.FOLLOWED_UP, HANDLE),
    A.RATE: Rule(frozenset({S.RESOLVED, S.FOLLOWED_UP}), None, VIEW),
    A.REOPEN: Rule(frozenset({S.RESOLVED, S.FOLLOWED_UP}), S.ASSIGNED, HANDLE),
    A.CLOSE: Rule(frozenset({S.FOLLOWED_UP}), S.CLOSED, DISPATCH),
    A.GUIDE: Rule(UNDISPATCHED, S.CLOSED, DISPATCH, needs_note=True),
    A.REJECT: Rule(UNDISPATCHED, S.REJECTED, DISPATCH, needs_note=True),
    A.MERGE: Rule(UNDISPATCHED | WITH_HANDLER, S.MERGED, DISPATCH),
    A.EXTENSION_REQUEST: Rule(WITH_HANDLER, None, HANDLE, needs_note=True, public=False),
    A.EXTENSION_APPROVE: Rule(WITH_HANDLER | {S.SUSPENDED}, None, DISPATCH, public=False),
    A.EXTENSION_REFUSE: Rule(
        WITH_HANDLER | {S.SUSPENDED}, None, DISPATCH, needs_note=True, public=False
    ),
    A.SUSPEND: Rule(WITH_HANDLER, S.SUSPENDED, DISPATCH, needs_note=True),
    A.RESUME: Rule(frozenset({S.SUSPENDED}), None, DISPATCH),  # back to the status before
    A.WHISTLE: Rule(OPEN_STATUSES - {S.SUSPENDED}, S.ASSIGNED, DISPATCH, needs_note=True),
    A.SUPERVISE: Rule(OPEN_STATUSES, None, DISPATCH, needs_note=True, public=False),
    A.NOTE: Rule(OPEN_STATUSES | {S.RESOLVED, S.FOLLOWED_UP}, None, HANDLE, public=False),
}


def rule_for(action: str) -> Rule:
    return RULES[action]


def allowed_actions(status: str) -> list[str]:
    """Actions whose source statuses include `status` (the UI then filters by permission)."""
    return [a for a, r in RULES.items() if status in r.sources]


def can_take(action: str, status: str) -> bool:
    rule = RULES.get(action)
    return rule is not None and status in rule.sources


def level_after_returns(return_count: int) -> bool:
    """True when the request has been returned often enough to go to the level above."""
    return return_count >= MAX_RETURNS
