"""Pure rules of points (no database): permissions and the proposal state machine."""

from __future__ import annotations

from dataclasses import dataclass

VIEW = "points.view"
PROPOSE = "points.propose"
APPROVE = "points.approve"
STORE = "points.store"
TASKS = "points.tasks"
TALK = "points.talk"
REPORT = "points.report"
CONFIGURE = "points.configure"

PENDING = "pending"
IN_NOTICE = "in_notice"
OBJECTED = "objected"
BOOKED = "booked"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
REVERSED = "reversed"

# Proposals that still count against an indicator's cap (not refused, not withdrawn).
LIVE = (PENDING, IN_NOTICE, OBJECTED, BOOKED)


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str
    perm: str
    needs_note: bool = False


RULES: dict[str, Rule] = {
    "approve": Rule(frozenset({PENDING}), IN_NOTICE, APPROVE),
    "reject": Rule(frozenset({PENDING}), REJECTED, APPROVE, needs_note=True),
    "withdraw": Rule(frozenset({PENDING}), WITHDRAWN, PROPOSE),
    # Residents object from the public board (no permission); staff resolve.
    "object": Rule(frozenset({IN_NOTICE, OBJECTED}), OBJECTED, ""),
    "uphold": Rule(frozenset({OBJECTED}), REJECTED, APPROVE, needs_note=True),
    "dismiss": Rule(frozenset({OBJECTED}), IN_NOTICE, APPROVE, needs_note=True),
    "book": Rule(frozenset({IN_NOTICE}), BOOKED, ""),
    "reverse": Rule(frozenset({BOOKED}), REVERSED, APPROVE, needs_note=True),
}


def rule_for(action: str) -> Rule:
    return RULES[action]


def allowed_actions(status: str) -> list[str]:
    """Actions whose source statuses include `status` (the page shows these buttons)."""
    return [a for a, r in RULES.items() if status in r.sources]
