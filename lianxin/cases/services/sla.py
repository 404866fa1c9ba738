"""SLA: response and resolution due times on the working calendar (core.calendar).

Targets come from `SlaTarget` rows: the category's own row for the urgency if there is one,
else the deployment-wide row for the urgency. Danger and utilities count natural hours
(they do not wait for Monday); general and complex matters count working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lianxin.cases.models import Category, SlaTarget
from lianxin.core import calendar

# Used when the table has no row for an urgency (REFERENCE.md defaults).
FALLBACK: dict[str, tuple[Decimal, str, Decimal, str]] = {
    "danger": (Decimal("0.5"), "natural_hours", Decimal(2), "natural_hours"),
    "utility": (Decimal(2), "natural_hours", Decimal(24), "natural_hours"),
    "general": (Decimal(4), "working_hours", Decimal(7), "working_days"),
    "complex": (Decimal(8), "working_hours", Decimal(15), "working_days"),
}


@dataclass(frozen=True)
class Target:
    respond_within: Decimal
    respond_counting: str
    resolve_within: Decimal
    resolve_counting: str
    near_due_share: Decimal = Decimal("0.8")


def target_for(*, urgency: str, category: Category | None) -> Target:
    rows = {
        (r.category_id, r.urgency): r
        for r in SlaTarget.objects.filter(urgency=urgency, category_id__in=_cat_ids(category))
    }
    node = category
    while node is not None:
        if (node.pk, urgency) in rows:
            return _target(rows[(node.pk, urgency)])
        node = node.parent
    if (None, urgency) in rows:
        return _target(rows[(None, urgency)])
    r_w, r_c, s_w, s_c = FALLBACK[urgency]
    return Target(r_w, r_c, s_w, s_c)


def _cat_ids(category: Category | None) -> list[int | None]:
    ids: list[int | None] = [None]
    node = category
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


def _target(r: SlaTarget) -> Target:
    return Target(
        Decimal(r.respond_within),
        r.respond_counting,
        Decimal(r.resolve_within),
        r.resolve_counting,
        Decimal(r.near_due_share),
    )


def add_span(start: dt.datetime, amount: Decimal, counting: str) -> dt.datetime:
    """`start` plus `amount` counted as natural hours, working hours or working days."""
    if counting == "natural_hours":
        return start + dt.timedelta(hours=float(amount))
    if counting == "working_hours":
        return calendar.add_working_minutes(start, int(amount * 60))
    return calendar.add_working_days(start, int(amount))


def respond_due(*, start: dt.datetime, urgency: str, category: Category | None) -> dt.datetime:
    t = target_for(urgency=urgency, category=category)
    return add_span(start, t.respond_within, t.respond_counting)


def resolve_due(*, start: dt.datetime, urgency: str, category: Category | None) -> dt.datetime:
    t = target_for(urgency=urgency, category=category)
    return add_span(start, t.resolve_within, t.resolve_counting)


def shift_for_pause(
    due: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime
) -> dt.datetime:
    """Move a due time forward by the working time spent paused (the clock stopped)."""
    return (
        calendar.add_working_minutes(due, calendar.working_minutes_between(paused_at, resumed_at))
        if due > paused_at
        else due
    )
