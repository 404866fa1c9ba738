"""Pure rules of the work lists (三张清单) and inspections (no database): permissions, the
key-work list's bounds, and the states of projects and rectifications."""

from __future__ import annotations

import datetime as dt

VIEW = "worklists.view"
# Keep the own unit's key-work list (village, township, county and its task forces).
KEYWORK = "worklists.keywork"
# Projects: villages file demand-side projects; the county keeps the supply-side library,
# matches and tracks funds.
PROJECTS = "worklists.projects"
# Training surveys, plans and attendance (county organisation department).
TRAINING = "worklists.training"
# Quarterly inspection of branches' work manuals, rectification notices and verification.
INSPECT = "worklists.inspect"

# The key-work list holds only the most urgent items (seed 004: 3–6).
KEYWORK_MAX = 6
KEYWORK_NUDGE_BELOW = 3


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_key(day: dt.date) -> str:
    return f"{day.year:04d}Q{(day.month - 1) // 3 + 1}"


# Rectification states and moves.
ISSUED = "issued"  # 已下发整改通知
REPORTED = "reported"  # 已报整改情况
VERIFIED = "verified"  # 已核验销号
REOPENED = "reopened"  # 核验未通过，重新整改

RECTIFICATION_MOVES: dict[str, frozenset[str]] = {
    "report": frozenset({ISSUED, REOPENED}),
    "verify": frozenset({REPORTED}),
    "reopen": frozenset({REPORTED}),
}
RECTIFICATION_OPEN = frozenset({ISSUED, REPORTED, REOPENED})

# Demand-side project states.
DEMAND_SUBMITTED = "submitted"  # 已上报
DEMAND_MATCHED = "matched"  # 已对接项目库
DEMAND_UNDERWAY = "underway"  # 实施中
DEMAND_DONE = "done"  # 已完成
DEMAND_DECLINED = "declined"  # 暂不支持

DEMAND_MOVES: dict[str, frozenset[str]] = {
    "match": frozenset({DEMAND_SUBMITTED}),
    "decline": frozenset({DEMAND_SUBMITTED}),
    "start": frozenset({DEMAND_MATCHED}),
    "spend": frozenset({DEMAND_MATCHED, DEMAND_UNDERWAY}),
    "finish": frozenset({DEMAND_UNDERWAY}),
}
