"""Figures of the key-work lists and the manual inspections for a unit and year, for the
figures pages, other apps (five-star standards, insights dashboards) and reports
(docs/worklists-keywork.md, "Figures").

`unit_figures(unit, year)` answers a plain dict (ints and strings, JSON-able) about everything
under `unit` (its subtree). It reads without scoping: the caller (a view or another app's
service that already checked its actor at `unit`) decides who may see the figures. Four
queries whatever the unit's size: each family is one query grouped by the unit the rows hang
on, folded in Python into the total and into one row per child unit of `unit` (the child
units are the fourth query).

Keys:

- ``inspections``: checks of the year's quarters: ``total``, ``manual_complete``,
  ``with_problems`` and ``by_quarter`` (``"2026Q1"`` … ``"2026Q4"`` → count).
- ``rectifications``: notices of the year's inspections: ``issued``, ``open`` (not yet
  verified), ``reported`` (awaiting verification), ``overdue`` (open and past the deadline,
  as of today), ``verified``.
- ``keywork``: the key-work lists of the units in the subtree and, at a county, its task
  forces: ``month`` (this month in the current year, December for a past year), ``open`` and
  ``done`` (and ``dropped``) in that month, and ``by_month`` (``"2026-01"`` → ``open``,
  ``done``, ``dropped``) for the months of the year with items.
- ``children``: per child unit ``code``, ``name``, ``kind`` and the same three sections (the
  unit's own rows — its own key-work list, its task forces' — count in the total only).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q

from lianxin.core import clock
from lianxin.territory.models import Unit
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import Inspection, KeyWorkItem, Rectification

OPEN = tuple(wf.RECTIFICATION_OPEN)
RStatus = Rectification.Status
KStatus = KeyWorkItem.Status


def _child_of(path: str, unit: Unit) -> str | None:
    """The path of the child of `unit` that `path` lies under (None: the unit itself)."""
    rest = path[len(unit.path) :]
    code = rest.split("/", 1)[0]
    return f"{unit.path}{code}/" if code else None


def _month_of(year: int) -> str:
    today = clock.today()
    return wf.month_key(today) if today.year == year else f"{year:04d}-12"


def _empty(year: int) -> dict[str, Any]:
    return {
        "inspections": {
            "total": 0,
            "manual_complete": 0,
            "with_problems": 0,
            "by_quarter": {f"{year}Q{q}": 0 for q in range(1, 5)},
        },
        "rectifications": {"issued": 0, "open": 0, "reported": 0, "overdue": 0, "verified": 0},
        "keywork": {"month": _month_of(year), "open": 0, "done": 0, "dropped": 0, "by_month": {}},
    }


def _target(
    buckets: dict[str | None, dict[str, Any]], unit: Unit, path: str, year: int
) -> dict[str, Any] | None:
    child = _child_of(path, unit)
    if child is None:
        return None
    if child not in buckets:
        buckets[child] = _empty(year)
    return buckets[child]


def unit_figures(unit: Unit, year: int) -> dict[str, Any]:
    """Inspections, rectifications and key-work items under `unit` for `year` (see the
    module docstring for the keys); four queries."""
    today = clock.today()
    total = _empty(year)
    by_child: dict[str | None, dict[str, Any]] = {}

    def targets(path: str) -> list[dict[str, Any]]:
        child = _target(by_child, unit, path, year)
        return [total] if child is None else [total, child]

    inspections = (
        Inspection.objects.filter(unit__path__startswith=unit.path, quarter__startswith=str(year))
        .values("unit__path", "quarter")
        .annotate(
            n=Count("id", distinct=True),
            complete=Count("id", filter=Q(manual_complete=True), distinct=True),
            problems=Count("id", filter=Q(problems__isnull=False), distinct=True),
        )
        .order_by()
    )
    for row in inspections:
        for t in targets(row["unit__path"]):
            section = t["inspections"]
            section["total"] += row["n"]
            section["manual_complete"] += row["complete"]
            section["with_problems"] += row["problems"]
            if row["quarter"] in section["by_quarter"]:
                section["by_quarter"][row["quarter"]] += row["n"]

    rects = (
        Rectification.objects.filter(
            inspection__unit__path__startswith=unit.path,
            inspection__quarter__startswith=str(year),
        )
        .values("inspection__unit__path")
        .annotate(
            issued=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN)),
            reported=Count("id", filter=Q(status=RStatus.REPORTED)),
            overdue=Count("id", filter=Q(status__in=OPEN, deadline__lt=today)),
            verified=Count("id", filter=Q(status=RStatus.VERIFIED)),
        )
        .order_by()
    )
    for row in rects:
        path = row.pop("inspection__unit__path")
        for t in targets(path):
            for key, value in row.items():
                t["rectifications"][key] += value

    month = _month_of(year)
    items = (
        KeyWorkItem.objects.filter(
            owner__path__startswith=unit.path,
            month__gte=f"{year:04d}-01",
            month__lte=f"{year:04d}-12",
        )
        .values("owner__path", "month", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in items:
        for t in targets(row["owner__path"]):
            section = t["keywork"]
            counts = section["by_month"].setdefault(row["month"], Counter())
            counts[row["status"]] += row["n"]
            if row["month"] == month:
                section[row["status"]] = section.get(row["status"], 0) + row["n"]
    for t in [total, *by_child.values()]:
        section = t["keywork"]
        section["by_month"] = {
            m: {s: int(c.get(s, 0)) for s in KStatus.values}
            for m, c in sorted(section["by_month"].items())
        }

    children = []
    for child in Unit.objects.filter(parent=unit, is_active=True).order_by("path"):
        figures = by_child.get(child.path) or _empty(year)
        children.append(
            {"code": child.code, "name": child.display_name, "kind": child.kind, **figures}
        )
    return {"year": year, **total, "children": children}
