"""The monthly tally of points per unit (积分月度汇总; seed 000: the village's micro-assistants
collect and tally the points every month).

`month_tally(unit=..., month="2026-05")` returns the figures of one unit's subtree for one
month; the staff page, its Excel export and other apps (five-star standards) read the same
numbers. Two clocks, on purpose:

- what was *earned* counts by the date of the deed (`occurred_on`), like every score and
  ranking: the month's proposals by their current state, and the booked points (earned,
  deducted, reversed) per scheme, aspect and indicator — so the tally's booked total equals
  the sum of the month's scores of the unit's subjects;
- what was *done* counts by when it was done: approvals, refusals, bookings and reversals
  (proposal events), objections filed, upheld and dismissed.

Every figure comes from a handful of grouped queries over the unit's path prefix; nothing is
cached, so a late booking or a reversal shows in the month it corrects.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from lianxin.core import clock
from lianxin.points.models import (
    SCORE_KINDS,
    EntryKind,
    Indicator,
    Objection,
    PointEntry,
    Proposal,
    ProposalEvent,
    Scheme,
)
from lianxin.points.services.config import schemes
from lianxin.territory.models import Unit

Status = Proposal.Status
Action = ProposalEvent.Action
# Proposal events counted as the month's work, with their labels.
WORK_ACTIONS: dict[str, str] = {
    Action.APPROVE: "审核通过",
    Action.REJECT: "审核不通过",
    Action.WITHDRAW: "撤回",
    Action.BOOK: "入账",
    Action.REVERSE: "冲正",
}
OBJECTION_LABELS = {"filed": "提出异议", "upheld": "异议成立", "dismissed": "异议不成立"}
NO_ASPECT = "其他"
NO_INDICATOR = "未关联指标的积分"


@dataclass
class IndicatorLine:
    """Booked points of one indicator (by the code it has across the year's catalogs)."""

    code: str
    name: str
    entries: int = 0
    earned: int = 0
    deducted: int = 0
    reversed: int = 0
    order: int = 0  # the indicator's place in its catalog

    @property
    def net(self) -> int:
        return self.earned + self.deducted + self.reversed

    def add(self, kind: str, count: int, amount: int) -> None:
        if kind == EntryKind.EARN:
            self.earned += amount
            self.entries += count
        elif kind == EntryKind.DEDUCT:
            self.deducted += amount
            self.entries += count
        else:
            self.reversed += amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "entries": self.entries,
            "earned": self.earned,
            "deducted": self.deducted,
            "reversed": self.reversed,
            "net": self.net,
        }


@dataclass
class AspectLine:
    name: str
    sort: tuple[int, int]
    indicators: list[IndicatorLine] = field(default_factory=list)

    @property
    def net(self) -> int:
        return sum(i.net for i in self.indicators)

    @property
    def entries(self) -> int:
        return sum(i.entries for i in self.indicators)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entries": self.entries,
            "net": self.net,
            "indicators": [i.as_dict() for i in self.indicators],
        }


@dataclass
class SchemeTally:
    """One scheme's figures for the month (or the total over all schemes)."""

    code: str
    name: str
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Status.values, 0))
    points_proposed: int = 0
    work: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WORK_ACTIONS, 0))
    objections: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OBJECTION_LABELS, 0))
    aspects: list[AspectLine] = field(default_factory=list)
    earned: int = 0
    deducted: int = 0
    reversed: int = 0
    entries: int = 0

    @property
    def proposals(self) -> int:
        return sum(self.by_status.values())

    @property
    def net(self) -> int:
        return self.earned + self.deducted + self.reversed

    @property
    def is_empty(self) -> bool:
        return not (
            self.proposals or any(self.work.values()) or any(self.objections.values())
        ) and not (self.entries or self.reversed)

    def absorb(self, other: SchemeTally) -> None:
        """Add another scheme's counts (for the total row; aspects are per scheme)."""
        for k, v in other.by_status.items():
            self.by_status[k] += v
        for k, v in other.work.items():
            self.work[k] += v
        for k, v in other.objections.items():
            self.objections[k] += v
        self.points_proposed += other.points_proposed
        self.earned += other.earned
        self.deducted += other.deducted
        self.reversed += other.reversed
        self.entries += other.entries

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "proposals": self.proposals,
            "by_status": dict(self.by_status),
            "points_proposed": self.points_proposed,
            "work": dict(self.work),
            "objections": dict(self.objections),
            "booked": {
                "entries": self.entries,
                "earned": self.earned,
                "deducted": self.deducted,
                "reversed": self.reversed,
                "net": self.net,
            },
            "aspects": [a.as_dict() for a in self.aspects],
        }


@dataclass
class MonthTally:
    unit: Unit
    month: str
    date_from: dt.date
    date_to: dt.date
    computed_at: dt.datetime
    schemes: list[SchemeTally]
    total: SchemeTally

    @property
    def title(self) -> str:
        year, mon = self.month.split("-")
        return f"{self.unit.display_name}{year}年{int(mon)}月积分汇总"

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": {"code": self.unit.code, "name": self.unit.display_name},
            "month": self.month,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "schemes": [s.as_dict() for s in self.schemes],
            "total": self.total.as_dict(),
        }


def month_range(month: str) -> tuple[dt.date, dt.date]:
    """'2026-05' → (2026-05-01, 2026-05-31); ValueError when malformed."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"bad month {month!r}")
    first = dt.date(int(month[:4]), int(month[5:7]), 1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _moments(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) instants in the deployment's time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def month_proposals(*, unit: Unit, month: str) -> QuerySet[Proposal]:
    """The month's proposals (by deed date) under the unit, for the listing and the export."""
    first, last = month_range(month)
    return (
        Proposal.objects.filter(
            account__unit__path__startswith=unit.path, occurred_on__range=(first, last)
        )
        .select_related("account__scheme", "indicator_revision", "indicator__aspect", "proposed_by")
        .order_by("occurred_on", "id")
    )


def _booked(path: str, first: dt.date, last: dt.date) -> dict[int, list[AspectLine]]:
    """Booked points per scheme → aspect → indicator, over score kinds, by deed date."""
    rows = list(
        PointEntry.objects.filter(
            account__unit__path__startswith=path,
            occurred_on__range=(first, last),
            kind__in=SCORE_KINDS,
        )
        .values("account__scheme_id", "indicator_revision__indicator_id", "kind")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )
    indicator_ids = {r["indicator_revision__indicator_id"] for r in rows} - {None}
    indicators = {
        i.pk: i for i in Indicator.objects.filter(pk__in=indicator_ids).select_related("aspect")
    }
    # Indicators of different years' catalogs share a code: one line per (aspect name, code).
    aspects: dict[int, dict[str, AspectLine]] = defaultdict(dict)
    lines: dict[tuple[int, str, str], IndicatorLine] = {}
    for r in rows:
        scheme_id = r["account__scheme_id"]
        ind = indicators.get(r["indicator_revision__indicator_id"])
        if ind is not None:
            aspect_name, sort = ind.aspect.name, (ind.aspect.sort_order, ind.aspect_id)
            code, name, order = ind.code, ind.name, ind.sort_order
        else:
            aspect_name, sort, code, name, order = NO_ASPECT, (10**6, 0), "", NO_INDICATOR, 0
        aspect = aspects[scheme_id].setdefault(aspect_name, AspectLine(aspect_name, sort))
        aspect.sort = min(aspect.sort, sort)
        key = (scheme_id, aspect_name, code)
        if key not in lines:
            lines[key] = IndicatorLine(code, name, order=order)
            aspect.indicators.append(lines[key])
        lines[key].add(r["kind"], r["n"], int(r["total"] or 0))
    out: dict[int, list[AspectLine]] = {}
    for scheme_id, by_name in aspects.items():
        ordered = sorted(by_name.values(), key=lambda a: a.sort)
        for a in ordered:
            a.indicators.sort(key=lambda i: (i.order, i.code))
        out[scheme_id] = ordered
    return out


def month_tally(*, unit: Unit, month: str) -> MonthTally:
    """The unit's figures for the month (see the module docstring for what counts when).

    Every active scheme appears (with zeros), and any inactive one that still has figures."""
    first, last = month_range(month)
    start, end = _moments(first, last)
    path = unit.path
    by_scheme: dict[int, SchemeTally] = {}
    all_schemes: dict[int, Scheme] = {s.pk: s for s in schemes(active_only=False)}

    def row(scheme_id: int) -> SchemeTally:
        if scheme_id not in by_scheme:
            s = all_schemes[scheme_id]
            by_scheme[scheme_id] = SchemeTally(s.code, s.name)
        return by_scheme[scheme_id]

    for s in all_schemes.values():
        if s.is_active:
            row(s.pk)

    for r in (
        Proposal.objects.filter(
            account__unit__path__startswith=path, occurred_on__range=(first, last)
        )
        .values("account__scheme_id", "status")
        .annotate(n=Count("id"), pts=Sum("points"))
        .order_by()
    ):
        t = row(r["account__scheme_id"])
        t.by_status[r["status"]] += r["n"]
        t.points_proposed += int(r["pts"] or 0)

    # Each objection filed appends an `object` event (the event clock is the services' clock).
    for r in (
        ProposalEvent.objects.filter(
            proposal__account__unit__path__startswith=path,
            at__gte=start,
            at__lt=end,
            action__in=[*WORK_ACTIONS, Action.OBJECT],
        )
        .values("proposal__account__scheme_id", "action")
        .annotate(n=Count("id"))
        .order_by()
    ):
        t = row(r["proposal__account__scheme_id"])
        if r["action"] == Action.OBJECT:
            t.objections["filed"] += r["n"]
        else:
            t.work[r["action"]] += r["n"]

    for r in (
        Objection.objects.filter(
            proposal__account__unit__path__startswith=path,
            resolved_at__gte=start,
            resolved_at__lt=end,
            status__in=[Objection.Status.UPHELD, Objection.Status.DISMISSED],
        )
        .values("proposal__account__scheme_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(r["proposal__account__scheme_id"]).objections[r["status"]] += r["n"]

    for scheme_id, aspects in _booked(path, first, last).items():
        t = row(scheme_id)
        t.aspects = aspects
        for a in aspects:
            for i in a.indicators:
                t.earned += i.earned
                t.deducted += i.deducted
                t.reversed += i.reversed
                t.entries += i.entries

    ordered = [
        by_scheme[pk]
        for pk in sorted(by_scheme, key=lambda pk: (all_schemes[pk].sort_order, pk))
        if all_schemes[pk].is_active or not by_scheme[pk].is_empty
    ]
    total = SchemeTally("total", "合计")
    for t in ordered:
        total.absorb(t)
    return MonthTally(
        unit=unit,
        month=month,
        date_from=first,
        date_to=last,
        computed_at=clock.now(),
        schemes=ordered,
        total=total,
    )


# --- Excel ------------------------------------------------------------------------------------------

SUMMARY_ROWS: list[tuple[str, str]] = [
    ("本月申报（按发生日期）", ""),
    *[(f"　{label}", f"status:{value}") for value, label in Status.choices],
    ("　申报合计", "proposals"),
    ("　申报分值合计", "points_proposed"),
    ("本月办理（按办理时间）", ""),
    *[(f"　{label}", f"work:{k}") for k, label in WORK_ACTIONS.items()],
    *[(f"　{label}", f"objections:{k}") for k, label in OBJECTION_LABELS.items()],
    ("本月入账积分（按发生日期）", ""),
    ("　入账笔数", "entries"),
    ("　加分", "earned"),
    ("　扣分", "deducted"),
    ("　冲正", "reversed"),
    ("　净积分", "net"),
]


def summary_value(t: SchemeTally, key: str) -> int | str:
    """One cell of the summary table (the page and the workbook share `SUMMARY_ROWS`)."""
    if not key:
        return ""
    group, _, name = key.partition(":")
    if group == "status":
        return t.by_status[name]
    if group == "work":
        return t.work[name]
    if group == "objections":
        return t.objections[name]
    return int(getattr(t, key))


def tally_workbook(tally: MonthTally, proposals: Iterable[Proposal]) -> bytes:
    """The tally as an xlsx: 汇总 (the page's table), 积分明细 (per aspect and indicator),
    申报清单 (the month's proposals; subjects masked as on the public board)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="EEF1F5")
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([tally.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["单位", f"{tally.unit.display_name}（{tally.unit.code}）"])
    ws.append(["月份", f"{tally.date_from:%Y-%m-%d} 至 {tally.date_to:%Y-%m-%d}"])
    ws.append(["生成时间", timezone.localtime(tally.computed_at).strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    ws.append(["项目", *[s.name for s in tally.schemes], "合计"])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = bold, head_fill
    for label, key in SUMMARY_ROWS:
        ws.append(
            [label, *[summary_value(s, key) for s in tally.schemes]]
            + [summary_value(tally.total, key)]
        )
        if not key:
            ws.cell(ws.max_row, 1).font = bold
    ws.column_dimensions["A"].width = 28
    for col in range(2, len(tally.schemes) + 3):
        ws.column_dimensions[ws.cell(6, col).column_letter].width = 16

    detail = wb.create_sheet("积分明细")
    detail.append(
        ["积分体系", "方面", "指标", "指标代码", "笔数", "加分", "扣分", "冲正", "净积分"]
    )
    for cell in detail[1]:
        cell.font, cell.fill = bold, head_fill
    for s in tally.schemes:
        for a in s.aspects:
            for i in a.indicators:
                detail.append(
                    [
                        s.name,
                        a.name,
                        i.name,
                        i.code,
                        i.entries,
                        i.earned,
                        i.deducted,
                        i.reversed,
                        i.net,
                    ]
                )
            detail.append([s.name, f"{a.name} 小计", "", "", a.entries, "", "", "", a.net])
            detail.cell(detail.max_row, 2).font = bold
    for letter, width in zip("ABCDEFGHI", (18, 16, 34, 18, 8, 8, 8, 8, 10), strict=True):
        detail.column_dimensions[letter].width = width

    listing = wb.create_sheet("申报清单")
    listing.append(
        ["发生日期", "积分体系", "对象", "方面", "指标", "分值", "状态", "申报人", "申报时间"]
    )
    for cell in listing[1]:
        cell.font, cell.fill = bold, head_fill
    for p in proposals:
        listing.append(
            [
                p.occurred_on,
                p.account.scheme.name,
                p.account.public_label,
                p.indicator.aspect.name,
                p.indicator_revision.name,
                p.points,
                p.get_status_display(),
                p.proposer_label or (str(p.proposed_by) if p.proposed_by else "系统"),
                timezone.localtime(p.created_at).replace(tzinfo=None),
            ]
        )
    for letter, width in zip("ABCDEFGHI", (12, 16, 24, 12, 34, 8, 10, 26, 18), strict=True):
        listing.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
