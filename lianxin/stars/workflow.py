"""Pure rules of five-star branch creation (no database): permissions, unit types, the
declaration state machine, levels, the collective-economy reward rule and figure thresholds.

The declaration workflow (REFERENCE.md, seed 004): the village declares a star with evidence
per standard → the township reviews first (a score per standard; pass, or return with a
reason) → the county task force (专班) reviews (approve, or return) → the approved stars of a
township are published in a public notice (公示, 5 days by default; objections are recorded
and answered) → when the notice ends with no objection upheld or open, the star is awarded.
A returned declaration is amended and submitted again (a new round). An award can later be
withdrawn with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# --- permissions (accounts.permissions maps roles to them) ---------------------------------
VIEW = "stars.view"
# The village's own work: creation plan, declarations with evidence, collective income.
DECLARE = "stars.declare"
# The township's first review, its quotas' follow-up and objections during its notices.
REVIEW_TOWNSHIP = "stars.review_township"
# The county task force (专班): final review, notices, awards, withdrawals, quotas,
# contests' county final, daily assessments.
REVIEW_COUNTY = "stars.review_county"
# Judges of the contests (大比武) at township or county level.
JUDGE = "stars.judge"
# Catalogs, standards and the county's settings (deployment-wide at county level).
CONFIGURE = "stars.configure"

MONEY = Decimal("0.01")
SHARE = Decimal("0.0001")

# --- unit types ----------------------------------------------------------------------------
VILLAGE = "village"
COMMUNITY = "community"


def unit_type_of(name: str, display_name: str) -> str:
    """Whether a village-level unit is an urban community (社区) or a village (村).

    Official names end in 居民委员会 or 村民委员会 (REFERENCE.md); display names in 社区 or 村."""
    if "居民委员会" in name or display_name.endswith("社区") or "社区" in display_name:
        return COMMUNITY
    return VILLAGE


# --- declarations --------------------------------------------------------------------------
DRAFT = "draft"
SUBMITTED = "submitted"  # 待乡镇初审
RETURNED = "returned"  # 已退回（可修改后重报）
TOWNSHIP_PASSED = "township_passed"  # 乡镇初审通过，待专班审核
APPROVED = "approved"  # 专班审核通过，待公示
NOTICE = "notice"  # 公示中
AWARDED = "awarded"  # 已授星
REJECTED = "rejected"  # 公示异议成立，未授星
WITHDRAWN = "withdrawn"  # 授星后撤销
CANCELLED = "cancelled"  # 村（社区）撤回申报

# Which states each action starts from. Every move is a compare-and-set on the row's version
# plus an append-only ReviewStep.
DECLARATION_MOVES: dict[str, frozenset[str]] = {
    "edit": frozenset({DRAFT, RETURNED}),
    "submit": frozenset({DRAFT, RETURNED}),
    "cancel": frozenset({DRAFT, RETURNED, SUBMITTED}),
    "township_pass": frozenset({SUBMITTED}),
    "township_return": frozenset({SUBMITTED}),
    "county_approve": frozenset({TOWNSHIP_PASSED}),
    "county_return": frozenset({TOWNSHIP_PASSED}),
    "publish": frozenset({APPROVED}),
    "object": frozenset({NOTICE}),
    "award": frozenset({NOTICE}),
    "reject": frozenset({NOTICE}),
    "withdraw": frozenset({AWARDED}),
}
# States that hold a place in the pipeline (one live declaration per unit, year and star).
LIVE = frozenset({DRAFT, SUBMITTED, RETURNED, TOWNSHIP_PASSED, APPROVED, NOTICE, AWARDED})

# Review stages and the actions recorded in ReviewStep.
STAGE_VILLAGE = "village"
STAGE_TOWNSHIP = "township"
STAGE_COUNTY = "county"
STAGE_NOTICE = "notice"


def can_move(action: str, status: str) -> bool:
    return status in DECLARATION_MOVES.get(action, frozenset())


def level_of(star_count: int) -> int:
    """Star level = number of stars held (REFERENCE.md), 0–5."""
    return max(0, min(5, star_count))


# --- standards -----------------------------------------------------------------------------
MANUAL = "manual"  # 评分：满分与及格分
EVIDENCE = "evidence"  # 达标/不达标，须附佐证
FIGURE = "figure"  # 平台数据达到阈值

COMPARATORS = {
    ">=": "不低于",
    ">": "高于",
    "<=": "不高于",
    "<": "低于",
    "==": "等于",
}


def figure_passes(value: Decimal | None, comparator: str, threshold: Decimal) -> bool:
    """Whether a live figure meets its threshold; a figure with no value never passes."""
    if value is None:
        return False
    if comparator == ">=":
        return value >= threshold
    if comparator == ">":
        return value > threshold
    if comparator == "<=":
        return value <= threshold
    if comparator == "<":
        return value < threshold
    if comparator == "==":
        return value == threshold
    raise ValueError(f"unknown comparator {comparator!r}")


# --- collective economy: the cadre reward rule (seed 000) ----------------------------------


@dataclass(frozen=True)
class Reward:
    income: Decimal
    previous: Decimal | None
    growth: Decimal | None  # share, 4 places; None without last year's income (or it was 0)
    increment: Decimal
    eligible: bool
    pool: Decimal
    reason: str


def reward_for(
    *,
    income: Decimal,
    previous: Decimal | None,
    min_income: Decimal,
    min_growth: Decimal,
    share: Decimal,
) -> Reward:
    """The reward pool of a village's cadres for a year: income ≥ `min_income` AND growth ≥
    `min_growth` over the previous year → `share` × the increment (rounded to the fen).

    Growth is compared exactly ((income − previous) ≥ previous × min_growth), never on a
    rounded rate. Without last year's figure (or with last year at 0) there is no growth
    to measure, so no reward."""
    increment = income - previous if previous is not None else Decimal(0)
    growth = None
    if previous is not None and previous > 0:
        growth = (increment / previous).quantize(SHARE, rounding=ROUND_HALF_UP)
    if income < min_income:
        reason = f"经营性收入不足 {min_income:,.0f} 元"
        return Reward(income, previous, growth, increment, False, Decimal(0), reason)
    if previous is None or previous <= 0:
        return Reward(income, previous, growth, increment, False, Decimal(0), "缺少上年收入")
    if increment < previous * min_growth:
        reason = f"增幅未达 {min_growth * 100:.0f}%"
        return Reward(income, previous, growth, increment, False, Decimal(0), reason)
    pool = (increment * share).quantize(MONEY, rounding=ROUND_HALF_UP)
    return Reward(income, previous, growth, increment, True, pool, "符合奖励条件")


# --- contests (三次大比武) ------------------------------------------------------------------
ROUND_IDEAS = "ideas"  # 思路大比武（年初）
ROUND_MEASURES = "measures"  # 举措大比武（七一前）
ROUND_RESULTS = "results"  # 成效大比武（年底）

# --- daily assessment (日常考核) subjects (seed 004) ---------------------------------------
SUBJECT_TASK_FORCE = "task_force"
SUBJECT_TOWNSHIP_SECRETARY = "township_secretary"
SUBJECT_VILLAGE_SECRETARY = "village_secretary"
SUBJECT_STAR_LEADER = "star_leader"
