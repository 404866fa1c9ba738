"""SLA: response and resolution due times on the working calendar (core.calendar), and the
periodic marking of near-due and overdue requests (docs/cases-sla.md).

Targets come from `SlaTarget` rows: the category's own row for the urgency if there is one
(a parent category's row covers its children), else the deployment-wide row for the urgency.
Danger and utilities count natural hours (they do not wait for Monday); general and complex
matters count working hours for the response and working days for the resolution.

`mark_sla` (run every five minutes by `cases.tasks`) sets `Case.sla_state`, writes one
internal event per escalation, tells handlers and their supervisors once, puts overdue and
repeatedly reopened requests under supervision (督办) and, when configured, whistles requests
overdue too long at village level. `sla_state`, `is_supervised` are bookkeeping: the job does
not bump `Case.version`, so it never makes a staff member's action fail with a conflict.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, CaseEvent, Category, Mediation, Notification, SlaTarget
from lianxin.cases.workflow import Action
from lianxin.core import calendar, clock
from lianxin.core.errors import DomainError
from lianxin.core.snapshot import TableSnapshot

logger = logging.getLogger(__name__)

NATURAL_HOURS = SlaTarget.Counting.NATURAL_HOURS
WORKING_HOURS = SlaTarget.Counting.WORKING_HOURS
WORKING_DAYS = SlaTarget.Counting.WORKING_DAYS

# Used when the table has no row for an urgency (REFERENCE.md defaults).
FALLBACK: dict[str, tuple[Decimal, str, Decimal, str]] = {
    "danger": (Decimal("0.5"), NATURAL_HOURS, Decimal(2), NATURAL_HOURS),
    "utility": (Decimal(2), NATURAL_HOURS, Decimal(24), NATURAL_HOURS),
    "general": (Decimal(4), WORKING_HOURS, Decimal(7), WORKING_DAYS),
    "complex": (Decimal(8), WORKING_HOURS, Decimal(15), WORKING_DAYS),
}

# Who the job's events name (record_event would label an actorless event as the resident).
SYSTEM_LABEL = "系统（时限监控）"
NEAR, OVERDUE = "near", "overdue"
_RANK = {"": 0, NEAR: 1, OVERDUE: 2}
BATCH = 500


@dataclass(frozen=True)
class Target:
    respond_within: Decimal
    respond_counting: str
    resolve_within: Decimal
    resolve_counting: str
    near_due_share: Decimal = Decimal("0.8")


# --- targets and due times ------------------------------------------------------------------


def _load_targets() -> dict[tuple[int | None, str], Target]:
    return {(r.category_id, r.urgency): target_from_row(r) for r in SlaTarget.objects.all()}


# Read on every submission and dispatch: a per-process snapshot (core.snapshot).
_targets = TableSnapshot("cases.SlaTarget", _load_targets)


def target_for(*, urgency: str, category: Category | None) -> Target:
    """The limits for a request of this urgency and category (most specific row wins)."""
    rows = _targets.get()
    node = category
    while node is not None:
        if (node.pk, urgency) in rows:
            return rows[(node.pk, urgency)]
        node = node.parent
    return rows.get((None, urgency)) or _fallback(urgency)


def _fallback(urgency: str) -> Target:
    r_w, r_c, s_w, s_c = FALLBACK.get(urgency, FALLBACK["general"])
    return Target(r_w, r_c, s_w, s_c)


def _cat_ids(category: Category | None) -> list[int | None]:
    ids: list[int | None] = [None]
    node = category
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return ids


def target_from_row(r: SlaTarget) -> Target:
    """The limits an `SlaTarget` row sets."""
    return Target(
        Decimal(r.respond_within),
        r.respond_counting,
        Decimal(r.resolve_within),
        r.resolve_counting,
        Decimal(r.near_due_share),
    )


class TargetTable:
    """Every target (the snapshot) and the category tree (one query), for jobs that look up
    many requests at once."""

    def __init__(self) -> None:
        self.rows = _targets.get()
        self.parents: dict[int, int | None] = dict(Category.objects.values_list("id", "parent_id"))

    def get(self, urgency: str, category_id: int | None) -> Target:
        node, seen = category_id, 0
        while node is not None and seen < 50:  # the bound guards against a corrupted cycle
            if (node, urgency) in self.rows:
                return self.rows[(node, urgency)]
            node, seen = self.parents.get(node), seen + 1
        return self.rows.get((None, urgency)) or _fallback(urgency)

    def all_targets(self, urgency: str) -> list[Target]:
        found = [t for (_, u), t in self.rows.items() if u == urgency]
        return found or [_fallback(urgency)]


def _span(amount: Decimal, counting: str) -> dt.timedelta:
    """A limit as a length of (natural or working) time."""
    if counting == NATURAL_HOURS:
        return dt.timedelta(hours=float(amount))
    if counting == WORKING_HOURS:
        return dt.timedelta(hours=float(amount))
    return calendar.working_day_length() * float(amount)


def add_span(start: dt.datetime, amount: Decimal, counting: str) -> dt.datetime:
    """`start` plus `amount` counted as natural hours, working hours or working days.

    Working days end at the close of the day (received Friday, 1 working day → Monday
    17:30); a fraction of a working day adds that share of a day's working hours."""
    amount = Decimal(amount)
    if counting == NATURAL_HOURS:
        return start + dt.timedelta(hours=float(amount))
    if counting == WORKING_HOURS:
        return calendar.add_working_time(start, dt.timedelta(hours=float(amount)))
    whole = int(amount)
    due = calendar.add_working_days(start, whole)
    fraction = amount - whole
    if fraction > 0:
        due = calendar.add_working_time(due, calendar.working_day_length() * float(fraction))
    return due


def time_left(now: dt.datetime, due: dt.datetime, counting: str) -> dt.timedelta:
    """Time until `due` as the limit counts it (natural, or working time); negative when
    past (then the overdue span, counted the same way)."""
    if counting == NATURAL_HOURS:
        return due - now
    if due >= now:
        return calendar.working_time_between(now, due)
    return -calendar.working_time_between(due, now)


def respond_due(*, start: dt.datetime, urgency: str, category: Category | None) -> dt.datetime:
    t = target_for(urgency=urgency, category=category)
    return add_span(start, t.respond_within, t.respond_counting)


def resolve_due(*, start: dt.datetime, urgency: str, category: Category | None) -> dt.datetime:
    t = target_for(urgency=urgency, category=category)
    return add_span(start, t.resolve_within, t.resolve_counting)


def shift_for_pause(
    due: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
    counting: str = WORKING_HOURS,
) -> dt.datetime:
    """The due time after a pause: the time that was left when the clock stopped is left
    again when it restarts, counted as the limit counts (a natural-hour limit moves by the
    natural time paused, a working-time limit by the working time paused). A request already
    overdue when paused stays due when it was."""
    if due <= paused_at or resumed_at <= paused_at:
        return due
    if counting == NATURAL_HOURS:
        return due + (resumed_at - paused_at)
    left = calendar.working_time_between(paused_at, due)
    return calendar.add_working_time(calendar.next_working_moment(resumed_at), left)


def resume_changes(case: Case, resumed_at: dt.datetime) -> dict[str, dt.datetime]:
    """The due-time fields to write when a paused request resumes (for `case_resume`)."""
    if case.paused_at is None:
        return {}
    target = target_for(urgency=case.urgency, category=case.category)
    out: dict[str, dt.datetime] = {}
    if case.resolve_due_at is not None:
        out["resolve_due_at"] = shift_for_pause(
            case.resolve_due_at, case.paused_at, resumed_at, target.resolve_counting
        )
    if case.respond_due_at is not None and case.accepted_at is None:
        out["respond_due_at"] = shift_for_pause(
            case.respond_due_at, case.paused_at, resumed_at, target.respond_counting
        )
    return out


# --- the state of a running clock -----------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One running clock of a request: which limit, when due, how the limit counts."""

    which: str  # "respond" | "resolve"
    due: dt.datetime
    counting: str
    within: Decimal
    share: Decimal

    def state(self, now: dt.datetime) -> str:
        if now > self.due:
            return OVERDUE
        left = time_left(now, self.due, self.counting)
        if left <= _span(self.within, self.counting) * float(1 - self.share):
            return NEAR
        return ""


def running_clocks(row: Any, target: Target) -> list[Clock]:
    """The clocks running for a request (a row with the Case clock fields)."""
    out = []
    if row.accepted_at is None and row.respond_due_at is not None:
        out.append(
            Clock(
                "respond",
                row.respond_due_at,
                target.respond_counting,
                target.respond_within,
                target.near_due_share,
            )
        )
    if row.assigned_at is not None and row.resolved_at is None and row.resolve_due_at is not None:
        out.append(
            Clock(
                "resolve",
                row.resolve_due_at,
                target.resolve_counting,
                target.resolve_within,
                target.near_due_share,
            )
        )
    return out


def sla_state_of(row: Any, target: Target, now: dt.datetime) -> tuple[str, Clock | None]:
    """The worst state among the running clocks, and the clock that decides it."""
    best: tuple[str, Clock | None] = ("", None)
    for c in running_clocks(row, target):
        s = c.state(now)
        if _RANK[s] > _RANK[best[0]] or (s == best[0] and best[1] and c.due < best[1].due):
            best = (s, c)
    return best


# --- recipients (batched) -------------------------------------------------------------------


@dataclass
class Recipients:
    """Handlers and supervisors of many requests, found in a constant number of queries.

    Handlers follow `lifecycle.handler_user_ids` (the assignee, else the dispatchers of the
    handling unit and the department's staff); a request not yet dispatched is the desk of
    its village/community (or street). Supervisors are the dispatchers of the parent of that
    unit (a grid's village, a village's street)."""

    handlers: dict[int, list[int]] = field(default_factory=dict)
    supervisors: dict[int, list[int]] = field(default_factory=dict)
    unit_kind: dict[int, str] = field(default_factory=dict)

    @classmethod
    def for_cases(cls, rows: Sequence[Any]) -> Recipients:
        from lianxin.accounts.models import Post
        from lianxin.accounts.permissions import ROLE_PERMISSIONS
        from lianxin.cases.services.routing import ancestor_prefixes
        from lianxin.territory.models import Unit

        out = cls()
        if not rows:
            return out
        desk_of: dict[int, int | None] = {r.pk: r.handler_unit_id for r in rows}
        units: dict[int, tuple[int | None, str]] = {}  # id → (parent id, kind)
        undispatched = [r for r in rows if not r.handler_unit_id]
        if undispatched:
            # Not yet dispatched: the desk is the village/community above the place (else
            # the street), the unit that accepts and dispatches it.
            prefixes = {p for r in undispatched for p in ancestor_prefixes(r.place_path)}
            by_path: dict[str, tuple[int, str]] = {}
            for uid, path, kind, parent in Unit.objects.filter(
                path__in=prefixes, kind__in=("village", "township")
            ).values_list("id", "path", "kind", "parent_id"):
                by_path[path] = (uid, kind)
                units[uid] = (parent, kind)
            for r in undispatched:
                chain = [by_path[p] for p in ancestor_prefixes(r.place_path) if p in by_path]
                villages = [u for u in chain if u[1] == "village"]
                pick = (villages or chain)[-1:]
                desk_of[r.pk] = pick[0][0] if pick else None
        missing = {u for u in desk_of.values() if u is not None and u not in units}
        if missing:
            for uid, parent, kind in Unit.objects.filter(id__in=missing).values_list(
                "id", "parent_id", "kind"
            ):
                units[uid] = (parent, kind)
        roles = [r for r, perms in ROLE_PERMISSIONS.items() if wf.DISPATCH in perms]
        wanted = {u for u in desk_of.values() if u is not None}
        parents = {units[u][0] for u in wanted if u in units}
        wanted |= {p for p in parents if p is not None}
        dispatchers: dict[int, list[int]] = defaultdict(list)
        for unit_id, user_id in Post.objects.filter(
            unit_id__in=wanted, role__in=roles, is_active=True, user__is_active=True
        ).values_list("unit_id", "user_id"):
            dispatchers[unit_id].append(user_id)
        depts = {r.handler_department_id for r in rows if r.handler_department_id}
        dept_users: dict[int, list[int]] = defaultdict(list)
        if depts:
            for dept_id, user_id in Post.objects.filter(
                department_id__in=depts, is_active=True, user__is_active=True
            ).values_list("department_id", "user_id"):
                dept_users[dept_id].append(user_id)
        for r in rows:
            desk = desk_of.get(r.pk)
            parent, kind = units.get(desk, (None, "")) if desk is not None else (None, "")
            if r.assignee_id:
                handlers = [r.assignee_id]
            else:
                handlers = list(dispatchers.get(desk, [])) if desk is not None else []
                handlers += dept_users.get(r.handler_department_id, [])
            out.handlers[r.pk] = handlers
            out.supervisors[r.pk] = list(dispatchers.get(parent, [])) if parent else []
            out.unit_kind[r.pk] = kind
        return out

    def everyone(self, case_id: int) -> list[int]:
        return sorted(set(self.handlers.get(case_id, []) + self.supervisors.get(case_id, [])))


def _event(row: Any, action: str, note: str, now: dt.datetime, data: dict[str, Any]) -> CaseEvent:
    return CaseEvent(
        case_id=row.pk,
        place_path=row.place_path,
        action=action,
        from_status=row.status,
        to_status=row.status,
        actor=None,
        actor_label=SYSTEM_LABEL,
        note=note,
        is_public=False,
        data=data,
        created_at=now,
    )


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%m月%d日%H:%M")


# --- the job --------------------------------------------------------------------------------


@dataclass
class SlaRun:
    """What one `mark_sla` run did."""

    checked: int = 0
    near: int = 0
    overdue: int = 0
    cleared: int = 0
    supervised: int = 0
    whistled: int = 0
    notified: int = 0
    whistle_errors: list[str] = field(default_factory=list)


_FIELDS = (
    "id",
    "tracking_no",
    "title",
    "status",
    "place_path",
    "urgency",
    "category_id",
    "received_at",
    "accepted_at",
    "assigned_at",
    "resolved_at",
    "respond_due_at",
    "resolve_due_at",
    "paused_at",
    "sla_state",
    "is_supervised",
    "is_whistled",
    "reopen_count",
    "handler_unit_id",
    "handler_department_id",
    "assignee_id",
)


def _horizon_q(now: dt.datetime, table: TargetTable) -> Q:
    """Rows whose clock may be near or past due: for each urgency, due before the latest
    moment at which its largest near window could still contain `now` (one indexed range per
    urgency, so unchanged rows far from due are never loaded)."""
    q = Q(pk__in=[])
    for urgency in wf.Urgency.values:
        respond_h = now
        resolve_h = now
        for t in table.all_targets(urgency):
            window = _span(t.respond_within, t.respond_counting) * float(1 - t.near_due_share)
            respond_h = max(respond_h, _after(now, window, t.respond_counting))
            window = _span(t.resolve_within, t.resolve_counting) * float(1 - t.near_due_share)
            resolve_h = max(resolve_h, _after(now, window, t.resolve_counting))
        q |= Q(urgency=urgency) & (
            Q(accepted_at__isnull=True, respond_due_at__lte=respond_h)
            | Q(assigned_at__isnull=False, resolved_at__isnull=True, resolve_due_at__lte=resolve_h)
        )
    return q


def _after(now: dt.datetime, window: dt.timedelta, counting: str) -> dt.datetime:
    # A due time with at most `window` left lies before the moment one more second of
    # (working) time would have passed.
    if counting == NATURAL_HOURS:
        return now + window + dt.timedelta(seconds=1)
    return calendar.add_working_time(now, window + dt.timedelta(seconds=1))


def mark_sla(now: dt.datetime | None = None) -> SlaRun:
    """Mark near-due and overdue requests, put overdue and repeatedly reopened ones under
    supervision, whistle those overdue too long at village level (if configured).

    Set-based: one query finds the candidates (clock running, due within the near window,
    or already marked); each batch of them is locked, re-read and updated with one guarded
    UPDATE per (old state → new state); events and inbox rows are bulk inserts. Only the
    automatic whistles, which go through the lifecycle, cost queries per request."""
    from lianxin.cases.services.config import case_settings

    now = now or clock.now()
    run = SlaRun()
    table = TargetTable()
    conf = case_settings()
    base = Case.objects.filter(status__in=wf.CLOCK_STATUSES, paused_at__isnull=True)
    ids = list(base.filter(_horizon_q(now, table) | ~Q(sla_state="")).values_list("id", flat=True))
    to_whistle: list[int] = []
    for i in range(0, len(ids), BATCH):
        to_whistle += _mark_batch(ids[i : i + BATCH], now=now, table=table, conf=conf, run=run)
    reopened = list(
        Case.objects.filter(
            status__in=wf.OPEN_STATUSES,
            is_supervised=False,
            reopen_count__gte=max(1, conf.supervise_reopen_count),
        ).values_list("id", flat=True)
    )
    for i in range(0, len(reopened), BATCH):
        _supervise_batch(reopened[i : i + BATCH], now=now, run=run, conf=conf)
    for case_id in to_whistle:
        _auto_whistle(case_id, now=now, hours=conf.auto_whistle_overdue_hours, run=run)
    return run


@transaction.atomic
def _mark_batch(
    ids: list[int], *, now: dt.datetime, table: TargetTable, conf: Any, run: SlaRun
) -> list[int]:
    rows = list(
        Case.objects.select_for_update()
        .filter(pk__in=ids, status__in=wf.CLOCK_STATUSES, paused_at__isnull=True)
        .only(*_FIELDS)
        .order_by("id")
    )
    run.checked += len(rows)
    moves: dict[tuple[str, str], list[Any]] = defaultdict(list)
    deciding: dict[int, Clock | None] = {}
    to_whistle: list[int] = []
    overdue_rows: list[Any] = []
    for row in rows:
        state, clk = sla_state_of(row, table.get(row.urgency, row.category_id), now)
        deciding[row.pk] = clk
        if state != row.sla_state:
            moves[(row.sla_state, state)].append(row)
        if state == OVERDUE:
            overdue_rows.append(row)
    escalated: list[tuple[Any, str]] = []
    for (old, new), group in moves.items():
        Case.objects.filter(pk__in=[r.pk for r in group], sla_state=old).update(sla_state=new)
        for r in group:
            r.sla_state = new
            if _RANK[new] > _RANK[old]:
                escalated.append((r, new))
            elif new == "":
                run.cleared += 1
    supervise = [r for r in overdue_rows if not r.is_supervised]
    need = [r for r, _ in escalated] + supervise
    if conf.auto_whistle_overdue_hours > 0:
        need += [r for r in overdue_rows if not r.is_whistled]
    recipients = Recipients.for_cases(list({r.pk: r for r in need}.values()))
    events: list[CaseEvent] = []
    notes: list[Notification] = []
    supervise_ids = {r.pk for r in supervise}
    told_overdue: set[int] = set()
    for r, new in escalated:
        clk = deciding[r.pk]
        assert clk is not None
        what = "响应" if clk.which == "respond" else "办结"
        if new == NEAR:
            run.near += 1
            note = f"{what}期限{_local(clk.due)}即将到期"
            action, kind = Action.SLA_NEAR, Notification.Kind.NEAR_DUE
            text = f"即将超期：{r.tracking_no} {r.title}，{what}期限{_local(clk.due)}"
        else:
            run.overdue += 1
            note = f"已超过{what}期限{_local(clk.due)}"
            action, kind = Action.SLA_OVERDUE, Notification.Kind.OVERDUE
            text = f"已超期：{r.tracking_no} {r.title}，{what}期限{_local(clk.due)}"
            if r.pk in supervise_ids:  # one message for both, not two at once
                text += "，已列入督办"
                told_overdue.add(r.pk)
        events.append(
            _event(r, action, note, now, {"clock": clk.which, "due": clk.due.isoformat()})
        )
        notes += _notifications(recipients.everyone(r.pk), kind, text, r.pk)
    if supervise:
        Case.objects.filter(pk__in=[r.pk for r in supervise], is_supervised=False).update(
            is_supervised=True
        )
        for r in supervise:
            r.is_supervised = True
            run.supervised += 1
            events.append(
                _event(r, Action.SUPERVISE, "超期未办结，自动列入督办", now, {"auto": "overdue"})
            )
            if r.pk not in told_overdue:
                notes += _notifications(
                    recipients.everyone(r.pk),
                    Notification.Kind.SUPERVISED,
                    f"督办：{r.tracking_no} {r.title} 已超期",
                    r.pk,
                )
    if conf.auto_whistle_overdue_hours > 0:
        limit = dt.timedelta(hours=conf.auto_whistle_overdue_hours)
        for r in overdue_rows:
            clk = deciding[r.pk]
            at_village = recipients.unit_kind.get(r.pk) in {"village", "grid", "building"}
            if (
                clk is not None
                and not r.is_whistled
                and at_village
                and not r.handler_department_id
                and calendar.working_time_between(clk.due, now) > limit
            ):
                to_whistle.append(r.pk)
    CaseEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notes)
    run.notified += len(notes)
    return to_whistle


def _notifications(
    user_ids: Iterable[int], kind: str, text: str, case_id: int
) -> list[Notification]:
    return [
        Notification(recipient_id=u, kind=kind, text=text[:300], case_id=case_id)
        for u in sorted(set(user_ids))
    ]


@transaction.atomic
def _supervise_batch(ids: list[int], *, now: dt.datetime, run: SlaRun, conf: Any) -> None:
    rows = list(
        Case.objects.select_for_update()
        .filter(pk__in=ids, is_supervised=False, status__in=wf.OPEN_STATUSES)
        .only(*_FIELDS)
        .order_by("id")
    )
    if not rows:
        return
    Case.objects.filter(pk__in=[r.pk for r in rows], is_supervised=False).update(is_supervised=True)
    recipients = Recipients.for_cases(rows)
    events, notes = [], []
    for r in rows:
        run.supervised += 1
        note = f"重办{r.reopen_count}次，自动列入督办"
        events.append(_event(r, Action.SUPERVISE, note, now, {"auto": "reopened"}))
        notes += _notifications(
            recipients.everyone(r.pk),
            Notification.Kind.SUPERVISED,
            f"督办：{r.tracking_no} {r.title} 已重办{r.reopen_count}次",
            r.pk,
        )
    CaseEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notes)
    run.notified += len(notes)


def _auto_whistle(case_id: int, *, now: dt.datetime, hours: int, run: SlaRun) -> None:
    from lianxin.cases.services.whistles import whistle_raise

    case = Case.objects.select_related("category", "handler_unit").filter(pk=case_id).first()
    if case is None or case.is_whistled or case.status not in wf.CLOCK_STATUSES:
        return
    try:
        with clock.travel(now):
            whistle_raise(
                case=case,
                actor=None,
                reason=f"超期超过{hours}个工作小时，系统自动吹哨报街道",
                automatic=True,
            )
    except DomainError as exc:  # e.g. no street above the place, or a whistle already open
        logger.warning("auto whistle of %s skipped: %s", case.tracking_no, exc.message)
        run.whistle_errors.append(f"{case.tracking_no}: {exc.message}")
        return
    run.whistled += 1


# --- mediation revisits ---------------------------------------------------------------------

REVISIT_KEY = "revisit_due"


def remind_mediation_revisits(today: dt.date | None = None) -> int:
    """Tell the handlers of each mediation whose revisit (回访) is due and not yet done,
    once per revisit date: the reminder is an internal NOTE event carrying the date, so a
    rescheduled revisit is reminded again and a repeated run is not. Returns the number of
    mediations reminded."""
    today = today or timezone.localdate(clock.now())
    due: list[tuple[int, dt.date]] = [
        (case_id, day)
        for case_id, day in Mediation.objects.filter(
            revisit_due_on__lte=today, revisited_at__isnull=True
        )
        .exclude(case__status__in=[wf.Status.MERGED, wf.Status.REJECTED])
        .values_list("case_id", "revisit_due_on")
        if day is not None
    ]
    if not due:
        return 0
    return _remind(due)


@transaction.atomic
def _remind(due: list[tuple[int, dt.date]]) -> int:
    case_ids = [c for c, _ in due]
    done = {
        (case_id, (data or {}).get(REVISIT_KEY))
        for case_id, data in CaseEvent.objects.filter(
            case_id__in=case_ids, action=Action.NOTE, data__has_key=REVISIT_KEY
        ).values_list("case_id", "data")
    }
    todo = {c: d for c, d in due if (c, d.isoformat()) not in done}
    if not todo:
        return 0
    rows = list(Case.objects.filter(pk__in=list(todo)).only(*_FIELDS).order_by("id"))
    recipients = Recipients.for_cases(rows)
    now = clock.now()
    events, notes = [], []
    for r in rows:
        day = todo[r.pk]
        note = f"调解回访日期{day:%m月%d日}已到，请回访当事人"
        events.append(_event(r, Action.NOTE, note, now, {REVISIT_KEY: day.isoformat()}))
        notes += _notifications(
            recipients.handlers.get(r.pk, []),
            Notification.Kind.REVISIT,
            f"调解回访到期：{r.tracking_no} {r.title}（{day:%m月%d日}）",
            r.pk,
        )
    CaseEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notes)
    return len(rows)
