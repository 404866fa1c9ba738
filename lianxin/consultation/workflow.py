"""Pure rules of consultation (no database): permissions, quorum, thresholds, the meeting
and agenda-item state machines and the order of the 四议两公开 steps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

VIEW = "consultation.view"
# Run meetings: venues, agenda, sign-in, ballots, minutes, decisions, resident proposals.
RUN = "consultation.run"
# 四议两公开 matters (the branch's major decisions).
MATTERS = "consultation.matters"
# The secretary's pledges (三诺) and their evaluation.
PLEDGES = "consultation.pledges"
# Meeting types and their quorum and thresholds (deployment-wide).
CONFIGURE = "consultation.configure"

RATE_PLACES = Decimal("0.0001")

# Meeting states.
PLANNED = "planned"
OPEN = "open"
CLOSED = "closed"
CANCELLED = "cancelled"

MEETING_MOVES: dict[str, frozenset[str]] = {
    "update": frozenset({PLANNED}),
    "open": frozenset({PLANNED}),
    "close": frozenset({OPEN}),
    "cancel": frozenset({PLANNED}),
}

# Agenda item states.
PENDING = "pending"
VOTING = "voting"
PASSED = "passed"
REJECTED = "rejected"
DISCUSSED = "discussed"
DEFERRED = "deferred"
DECIDED = frozenset({PASSED, REJECTED, DISCUSSED})

ITEM_MOVES: dict[str, frozenset[str]] = {
    "vote_open": frozenset({PENDING}),
    "vote_close": frozenset({VOTING}),
    "discuss": frozenset({PENDING}),
    "defer": frozenset({PENDING}),
}


def quorum_required(rule: str, eligible: int, *, share: Decimal | None, minimum: int = 0) -> int:
    """How many electors must be present for the meeting to decide.

    过半 means strictly more than half; 三分之二以上 and a share mean at least that share
    (Chinese legal usage: 以上 includes the number itself)."""
    if rule == "majority":
        need = eligible // 2 + 1
    elif rule == "two_thirds":
        need = math.ceil(eligible * 2 / 3)
    elif rule == "share":
        need = math.ceil(Decimal(eligible) * (share or Decimal(0)) / 100)
    else:
        need = 0
    return max(need, minimum)


def vote_base(base: str, *, cast: int, present: int, eligible: int) -> int:
    """The count the support rate is a share of."""
    return {"cast": cast, "present": present, "eligible": eligible}.get(base, cast)


def support_rate(yes: int, base: int) -> Decimal | None:
    """yes ÷ base to four places (None when nobody could vote)."""
    if base <= 0:
        return None
    return (Decimal(yes) / Decimal(base)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def vote_passes(threshold: str, yes: int, base: int, *, share: Decimal | None) -> bool:
    """Whether `yes` out of `base` meets the threshold, in exact integer arithmetic (a rate
    rounded to four places must never decide a vote)."""
    if base <= 0:
        return False
    if threshold == "majority":
        return yes * 2 > base
    if threshold == "two_thirds":
        return yes * 3 >= base * 2
    return Decimal(yes) * 100 >= Decimal(base) * (share or Decimal(100))


def threshold_label(threshold: str, share: Decimal | None) -> str:
    if threshold == "majority":
        return "过半数同意"
    if threshold == "two_thirds":
        return "三分之二以上同意"
    return f"{(share or Decimal(0)).normalize():f}%以上同意"


@dataclass(frozen=True)
class MatterStep:
    number: int
    name: str
    # Meeting type codes at which the step may be held (defaults.py creates them).
    meeting_types: frozenset[str]


MATTER_STEPS: tuple[MatterStep, ...] = (
    MatterStep(1, "党支部提议", frozenset({"branch_committee"})),
    MatterStep(2, "“两委”会议商议", frozenset({"two_committees"})),
    MatterStep(3, "党员大会审议", frozenset({"party_congress"})),
    # Communities hold the fourth step as a residents' representatives' meeting.
    MatterStep(
        4,
        "村（居）民代表会议或村民会议决议",
        frozenset({"village_reps", "village_assembly", "resident_reps"}),
    ),
)
STEP_COUNT = len(MATTER_STEPS)


def matter_step(number: int) -> MatterStep:
    return MATTER_STEPS[number - 1]


def step_allows(number: int, meeting_type_code: str) -> bool:
    """Whether a step may be held at a meeting of this type (no skipping: the caller holds
    only `matter.next_step`)."""
    return 1 <= number <= STEP_COUNT and meeting_type_code in matter_step(number).meeting_types
