"""The working rhythm (周通报、月调度, seed 004), generated from live data for a county or a
township (or the actor's own unit) — nothing is typed in, so the figures always trace back to
their rows.

- `bulletin` (周通报) for an ISO week: star declarations moved (by the state they moved to),
  public notices published, stars awarded and withdrawn, key-work items added and done,
  rectifications issued, verified and overdue, projects matched and finished, contests held;
  one row per township (or village, for a township) and the total.
- `schedule` (月调度) for a month: the month's key-work lists of the unit, its task forces and
  the units right below it with each item's state (village lists of a county summarised per
  township), plan milestones and measures due that month, and each township's quota against
  the levels achieved (and planned).

Each query is grouped by unit path and folded into the rows in Python, so the number of
queries is the same for one village or three hundred.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars.models import (
    Contest,
    CreationPlan,
    Declaration,
    PlanMeasure,
    PlanMilestone,
    PublicNotice,
    Quota,
    ReviewStep,
    StarAward,
)
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    DemandProject,
    KeyWorkEvent,
    KeyWorkItem,
    ProjectUpdate,
    Rectification,
    RectificationEvent,
)

WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
RHYTHM_KINDS = (UnitKind.COUNTY, UnitKind.TOWNSHIP)
MAX_UNITS = 200
MAX_PLAN_ROWS = 500
MAX_LIST_ROWS = 50
OWN = "本级"
# Event actions written by services/keywork.py and services/inspections.py.
KW_ADDED, KW_DONE = "added", "done"
RECT_ISSUED, RECT_VERIFIED = "issued", "verified"
DECLARATION_LABELS = dict(Declaration.Status.choices)
# Declaration states in the order a declaration passes them (the bulletin's columns).
DECLARATION_ORDER = [
    Declaration.Status.SUBMITTED,
    Declaration.Status.RETURNED,
    Declaration.Status.TOWNSHIP_PASSED,
    Declaration.Status.APPROVED,
    Declaration.Status.NOTICE,
    Declaration.Status.AWARDED,
    Declaration.Status.REJECTED,
    Declaration.Status.WITHDRAWN,
    Declaration.Status.CANCELLED,
]


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str  # 2026-W47 / 2026-11
    label: str
    start: dt.date
    end: dt.date  # inclusive
    prev_key: str
    next_key: str

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period."""
        return timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )


def _week_key(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def week_of(value: str | None, today: dt.date | None = None) -> Period:
    """The ISO week named `YYYY-Www` (the current week when empty or malformed)."""
    today = today or clock.today()
    start = today - dt.timedelta(days=today.weekday())
    match = WEEK_RE.match((value or "").strip())
    if match:
        try:
            start = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    end = start + dt.timedelta(days=6)
    iso = start.isocalendar()
    return Period(
        key=_week_key(start),
        label=f"{iso.year}年第{iso.week}周（{start.month}月{start.day}日—{end.month}月{end.day}日）",
        start=start,
        end=end,
        prev_key=_week_key(start - dt.timedelta(days=7)),
        next_key=_week_key(start + dt.timedelta(days=7)),
    )


def month_of(value: str | None, today: dt.date | None = None) -> Period:
    """The month named `YYYY-MM` (the current month when empty or malformed)."""
    today = today or clock.today()
    start = today.replace(day=1)
    match = MONTH_RE.match((value or "").strip())
    if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2100:
        start = dt.date(int(match[1]), int(match[2]), 1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    previous = (start - dt.timedelta(days=1)).replace(day=1)
    return Period(
        key=wf.month_key(start),
        label=f"{start.year}年{start.month}月",
        start=start,
        end=following - dt.timedelta(days=1),
        prev_key=wf.month_key(previous),
        next_key=wf.month_key(following),
    )


# --- which unit ------------------------------------------------------------------------------


def rhythm_units(actor: Actor) -> list[Unit]:
    """Units the actor can read the rhythm of: the units of its posts (a village post reads
    its village) and the counties and townships under them."""
    paths = actor.scope_paths(wf.VIEW)
    if not paths:
        return []
    return list(
        Unit.objects.filter(path_q("path", paths), is_active=True)
        .filter(Q(kind__in=RHYTHM_KINDS) | Q(path__in=paths))
        .order_by("path")[:MAX_UNITS]
    )


def rhythm_unit(units: list[Unit], code: str | None) -> Unit:
    """The unit named by `code` among `units` (404 if not there), else the first."""
    if not units:
        raise Http404("不存在或无权访问")
    if not code:
        return units[0]
    for unit in units:
        if unit.code == code:
            return unit
    raise Http404("不存在或无权访问")


# --- buckets --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a report: the unit itself (本级), a unit right below it, or the total."""

    name: str
    path: str
    figures: Counter[str] = field(default_factory=Counter)

    def cells(self, columns: list[tuple[str, str]]) -> list[int]:
        return [self.figures[key] for key, _label in columns]


class Buckets:
    """Rows of the units right below `unit` (plus 本级 for rows on the unit itself) and a
    total; `add(path, key, n)` puts a figure on the row whose path is a prefix of `path`."""

    def __init__(self, unit: Unit, children: list[Unit]) -> None:
        self.unit = unit
        self.own = Row(f"{unit.display_name}{OWN}", unit.path)
        self.children = [Row(c.display_name, c.path) for c in children]
        self.total = Row("合计", unit.path)
        self._by_code = {c.path: r for c, r in zip(children, self.children, strict=True)}
        self._depth = unit.path.count("/")

    def row_for(self, path: str) -> Row:
        parts = path.split("/")
        prefix = "/".join(parts[: self._depth + 1]) + "/"
        return self._by_code.get(prefix, self.own)

    def add(self, path: str, key: str, n: int = 1) -> None:
        if not n:
            return
        self.row_for(path).figures[key] += n
        self.total.figures[key] += n

    @property
    def rows(self) -> list[Row]:
        own = [self.own] if self.own.figures else []
        return [*self.children, *own]


def _children(unit: Unit) -> list[Unit]:
    if unit.kind not in RHYTHM_KINDS:
        return []
    return list(
        Unit.objects.filter(parent=unit, is_active=True)
        .filter(kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE])
        .order_by("path")[:MAX_UNITS]
    )


# --- 周通报 -----------------------------------------------------------------------------------


BULLETIN_COLUMNS: list[tuple[str, str]] = [
    ("moves", "申报流转"),
    ("awarded", "授星"),
    ("withdrawn", "撤星"),
    ("kw_added", "重点工作新增"),
    ("kw_done", "重点工作完成"),
    ("rect_issued", "整改下发"),
    ("rect_verified", "整改销号"),
    ("rect_overdue", "整改逾期"),
    ("matched", "项目对接"),
    ("finished", "项目完成"),
    ("contests", "比武场次"),
]


@dataclass
class Bulletin:
    unit: Unit
    period: Period
    as_of: dt.date
    buckets: Buckets
    moves: list[tuple[str, int]]  # state label, count
    notices: list[PublicNotice]
    contests: list[Contest]
    overdue: list[Rectification]
    progress_awarded: int
    columns: list[tuple[str, str]] = field(default_factory=lambda: BULLETIN_COLUMNS)


def bulletin(actor: Actor, unit: Unit, period: Period) -> Bulletin:
    """周通报 of `unit` for the week (constant number of queries)."""
    p = unit.path
    start, end = period.start, period.end
    in_week = Q(at__gte=period.start_at, at__lt=period.end_at)
    as_of = min(end, clock.today())
    b = Buckets(unit, _children(unit))

    by_state: Counter[str] = Counter()
    for row in (
        ReviewStep.objects.visible_to(actor)
        .filter(in_week, declaration__unit__path__startswith=p)
        .values("declaration__unit__path", "to_status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        b.add(row["declaration__unit__path"], "moves", row["n"])
        by_state[row["to_status"]] += row["n"]
    moves = [(DECLARATION_LABELS[s], by_state[s]) for s in DECLARATION_ORDER if by_state[s]]

    notices = list(
        PublicNotice.objects.visible_to(actor)
        .filter(starts_on__range=(start, end), township__path__startswith=p)
        .select_related("township")
        .annotate(declaration_count=Count("declarations"))
        .order_by("starts_on", "township__path")[:MAX_LIST_ROWS]
    )

    progress = 0
    awarded_in = Q(awarded_on__range=(start, end))
    withdrawn_in = Q(withdrawn_on__range=(start, end))
    for row in (
        StarAward.objects.visible_to(actor)
        .filter(awarded_in | withdrawn_in, unit__path__startswith=p)
        .values("unit__path")
        .annotate(
            awarded=Count("id", filter=awarded_in & Q(kind=DeclarationKind.STAR)),
            progress=Count("id", filter=awarded_in & Q(kind=DeclarationKind.PROGRESS)),
            withdrawn=Count("id", filter=withdrawn_in),
        )
        .order_by()
    ):
        b.add(row["unit__path"], "awarded", row["awarded"])
        b.add(row["unit__path"], "withdrawn", row["withdrawn"])
        progress += row["progress"]

    # Added and done as the key-work and inspection services record them (event rows carry
    # the clock's time, so replayed history lands in its week).
    for row in (
        KeyWorkEvent.objects.visible_to(actor)
        .filter(in_week, action__in=[KW_ADDED, KW_DONE], item__owner__path__startswith=p)
        .values("item__owner__path", "action")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = "kw_added" if row["action"] == KW_ADDED else "kw_done"
        b.add(row["item__owner__path"], key, row["n"])

    for row in (
        RectificationEvent.objects.visible_to(actor)
        .filter(
            in_week,
            action__in=[RECT_ISSUED, RECT_VERIFIED],
            rectification__inspection__unit__path__startswith=p,
        )
        .values("rectification__inspection__unit__path", "action")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = "rect_issued" if row["action"] == RECT_ISSUED else "rect_verified"
        b.add(row["rectification__inspection__unit__path"], key, row["n"])

    # Overdue at the end of the week (or today): past its deadline and not verified by then.
    overdue_q = Q(deadline__lt=as_of) & (
        Q(status__in=sorted(wf.RECTIFICATION_OPEN)) | Q(verified_on__gt=as_of)
    )
    rect = Rectification.objects.visible_to(actor).filter(inspection__unit__path__startswith=p)
    for row in (
        rect.filter(overdue_q).values("inspection__unit__path").annotate(n=Count("id")).order_by()
    ):
        b.add(row["inspection__unit__path"], "rect_overdue", row["n"])
    overdue = list(
        rect.filter(overdue_q)
        .select_related("inspection__unit", "inspection__unit__parent")
        .order_by("deadline", "id")[:MAX_LIST_ROWS]
    )
    for r in overdue:
        r.days_overdue = (as_of - r.deadline).days  # type: ignore[attr-defined]

    for row in (
        ProjectUpdate.objects.visible_to(actor)
        .filter(in_week, action__in=["match", "finish"], project__unit__path__startswith=p)
        .values("project__unit__path", "action")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = "matched" if row["action"] == "match" else "finished"
        b.add(row["project__unit__path"], key, row["n"])

    contests = list(
        Contest.objects.visible_to(actor)
        .filter(held_on__range=(start, end), host__path__startswith=p)
        .select_related("host")
        .annotate(entry_count=Count("entries"))
        .order_by("held_on", "host__path")[:MAX_LIST_ROWS]
    )
    for c in contests:
        b.add(c.host.path, "contests")

    for row in [*b.rows, b.total]:
        row.values = [  # type: ignore[attr-defined]
            (label, value)
            for (_key, label), value in zip(
                BULLETIN_COLUMNS, row.cells(BULLETIN_COLUMNS), strict=True
            )
        ]
    return Bulletin(
        unit=unit,
        period=period,
        as_of=as_of,
        buckets=b,
        moves=moves,
        notices=notices,
        contests=contests,
        overdue=overdue,
        progress_awarded=progress,
    )


# --- 月调度 -----------------------------------------------------------------------------------


@dataclass
class WorkList:
    """One key-work list of the month (a unit's or a task force's) with its items."""

    name: str
    kind: str  # 本级 / 专班 / 乡镇 / 村
    items: list[KeyWorkItem] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.status == KeyWorkItem.Status.DONE)


@dataclass
class QuotaRow:
    township: Unit
    level: int
    count: int
    planned: int
    achieved: int

    @property
    def met(self) -> bool:
        return self.achieved >= self.count

    @property
    def short(self) -> int:
        return max(self.count - self.achieved, 0)


@dataclass
class Schedule:
    unit: Unit
    period: Period
    today: dt.date
    lists: list[WorkList]
    village_lists: list[dict[str, Any]]  # per township: lists, items, done, overdue
    plan_rows: list[dict[str, Any]]
    plan_total: int
    quotas: list[QuotaRow]
    open_projects: int


def _kind_label(item: KeyWorkItem, unit: Unit) -> str:
    if item.task_force_id:
        return "专班"
    if item.owner_id == unit.pk:
        return "本级"
    labels: dict[str, str] = {UnitKind.TOWNSHIP: "乡镇（街道）", UnitKind.VILLAGE: "村（社区）"}
    return labels.get(item.owner.kind, item.owner.get_kind_display())


def schedule(actor: Actor, unit: Unit, period: Period) -> Schedule:
    """月调度 of `unit` for the month (constant number of queries)."""
    p = unit.path
    today = clock.today()
    items = KeyWorkItem.objects.visible_to(actor).filter(
        month=period.key, owner__path__startswith=p
    )
    # Lists of the unit, its task forces and the units right below it, item by item.
    near = Q(owner__depth__lte=unit.depth + 1) | Q(task_force__isnull=False)
    lists: dict[str, WorkList] = {}
    for item in (
        items.filter(near)
        .select_related("owner", "task_force")
        .order_by("owner__path", "task_force_id", "slot", "id")
    ):
        name = item.task_force.name if item.task_force else item.owner.display_name
        wl = lists.setdefault(item.list_key, WorkList(name, _kind_label(item, unit)))
        item.overdue = (  # type: ignore[attr-defined]
            item.status == KeyWorkItem.Status.OPEN and item.due_on < today
        )
        wl.items.append(item)
    order = {"本级": 0, "专班": 1}
    ordered = sorted(lists.values(), key=lambda wl: order.get(wl.kind, 2))
    for wl in ordered:
        # What is still open first, then what was done or dropped.
        wl.items.sort(key=lambda i: (i.status != KeyWorkItem.Status.OPEN, i.slot, i.pk))

    # Village lists further down (a county's view): summarised per township.
    village_lists: list[dict[str, Any]] = []
    if unit.kind == UnitKind.COUNTY:
        open_overdue = Q(status=KeyWorkItem.Status.OPEN, due_on__lt=today)
        for row in (
            items.filter(owner__depth__gt=unit.depth + 1, task_force__isnull=True)
            .values("owner__parent__display_name", "owner__parent__path")
            .annotate(
                lists=Count("list_key", distinct=True),
                total=Count("id"),
                done=Count("id", filter=Q(status=KeyWorkItem.Status.DONE)),
                overdue=Count("id", filter=open_overdue),
            )
            .order_by("owner__parent__path")
        ):
            village_lists.append(
                {
                    "township": row["owner__parent__display_name"],
                    "lists": row["lists"],
                    "total": row["total"],
                    "done": row["done"],
                    "overdue": row["overdue"],
                }
            )

    plan_rows: list[dict[str, Any]] = []
    milestones = (
        PlanMilestone.objects.visible_to(actor)
        .filter(due_on__range=(period.start, period.end), plan__unit__path__startswith=p)
        .select_related("plan__unit", "plan__unit__parent")
    )
    measures = (
        PlanMeasure.objects.visible_to(actor)
        .filter(deadline__range=(period.start, period.end), plan__unit__path__startswith=p)
        .select_related("plan__unit", "plan__unit__parent", "star")
    )
    for m in milestones.order_by("due_on", "id")[:MAX_PLAN_ROWS]:
        plan_rows.append(_plan_row(m.plan.unit, "节点", m.title, "", m.due_on, m.done_on, today))
    for x in measures.order_by("deadline", "id")[:MAX_PLAN_ROWS]:
        title = f"【{x.star.name}】{x.title}" if x.star else x.title
        plan_rows.append(
            _plan_row(x.plan.unit, "举措", title, x.responsible, x.deadline, x.done_on, today)
        )
    plan_rows.sort(key=lambda r: (r["path"], r["due"]))
    plan_total = len(plan_rows)
    plan_rows = plan_rows[:MAX_PLAN_ROWS]

    quotas = _quota_rows(actor, unit, period.start.year)
    open_projects = (
        DemandProject.objects.visible_to(actor)
        .filter(
            unit__path__startswith=p,
            status__in=[DemandProject.Status.MATCHED, DemandProject.Status.UNDERWAY],
        )
        .count()
    )
    return Schedule(
        unit=unit,
        period=period,
        today=today,
        lists=ordered,
        village_lists=village_lists,
        plan_rows=plan_rows,
        plan_total=plan_total,
        quotas=quotas,
        open_projects=open_projects,
    )


def _plan_row(
    village: Unit,
    kind: str,
    title: str,
    responsible: str,
    due: dt.date,
    done_on: dt.date | None,
    today: dt.date,
) -> dict[str, Any]:
    return {
        "path": village.path,
        "township": village.parent.display_name if village.parent else "",
        "village": village.display_name,
        "kind": kind,
        "title": title,
        "responsible": responsible,
        "due": due,
        "done_on": done_on,
        "overdue": done_on is None and due < today,
    }


def _quota_rows(actor: Actor, unit: Unit, year: int) -> list[QuotaRow]:
    """Each township's quotas of the year against the villages that reached each level
    (stars held, not withdrawn) and those whose confirmed plan aims at it."""
    if unit.kind not in RHYTHM_KINDS:
        return []
    quotas = list(
        Quota.objects.visible_to(actor)
        .filter(year=year, township__path__startswith=unit.path)
        .select_related("township")
        .order_by("township__path", "-level")
    )
    if not quotas:
        return []
    levels: dict[str, int] = {}
    for row in (
        StarAward.objects.visible_to(actor)
        .filter(
            year=year,
            kind=DeclarationKind.STAR,
            withdrawn_on__isnull=True,
            unit__path__startswith=unit.path,
        )
        .values("unit__path")
        .annotate(n=Count("id"))
        .order_by()
    ):
        levels[row["unit__path"]] = min(row["n"], 5)
    planned: dict[str, int] = {
        path: level
        for path, level in CreationPlan.objects.visible_to(actor)
        .filter(year=year, status=CreationPlan.Status.CONFIRMED, unit__path__startswith=unit.path)
        .values_list("unit__path", "target_level")
    }
    by_township: dict[str, list[int]] = defaultdict(list)
    plans_by_township: dict[str, list[int]] = defaultdict(list)
    for q in quotas:
        by_township.setdefault(q.township.path, [])
        plans_by_township.setdefault(q.township.path, [])
    for path, level in levels.items():
        for t in by_township:
            if path.startswith(t):
                by_township[t].append(level)
    for path, level in planned.items():
        for t in plans_by_township:
            if path.startswith(t):
                plans_by_township[t].append(level)
    return [
        QuotaRow(
            township=q.township,
            level=q.level,
            count=q.count,
            planned=sum(1 for lv in plans_by_township[q.township.path] if lv >= q.level),
            achieved=sum(1 for lv in by_township[q.township.path] if lv >= q.level),
        )
        for q in quotas
    ]
