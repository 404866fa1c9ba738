"""Reads for requests, all scoped by the actor (DESIGN.md invariant 1).

`cases_for(actor)` is the one place that decides which requests an actor sees: those under
the units of posts granting `cases.view`, plus — for department staff — those routed to their
department or whose whistle summoned it, within the unit of the department post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department, Post
from lianxin.cases import workflow as wf
from lianxin.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Category,
    MediationTeam,
    Notification,
    Whistle,
    WhistleSummons,
)
from lianxin.cases.services.lifecycle import actor_department_ids
from lianxin.core.scope import path_q
from lianxin.territory.models import Unit

LIST_RELATED = ("category", "unit", "handler_unit", "handler_department", "assignee")


def cases_for(actor: Actor, perm: str = wf.VIEW) -> QuerySet[Case]:
    """Requests the actor may see (`perm` at their place), plus department handling."""
    q = path_q("place_path", actor.scope_paths(perm))
    depts = actor_department_ids(actor)
    if depts and perm == wf.VIEW:
        summoned = WhistleSummons.objects.filter(
            whistle__case_id=OuterRef("pk"), department_id__in=depts
        )
        dept_q = Q(handler_department_id__in=depts) | Q(Exists(summoned))
        q |= path_q("place_path", actor.scope_paths(wf.DEPARTMENT)) & dept_q
    return Case.objects.filter(q)


def case_get(actor: Actor, *, public_id: UUID | str) -> Case:
    """One request in the actor's scope, or 404."""
    try:
        return (
            cases_for(actor).select_related(*LIST_RELATED, "merged_into").get(public_id=public_id)
        )
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


# --- staff pages --------------------------------------------------------------------------------
# Everything below starts from `cases_for(actor)` or `Model.objects.visible_to(actor, ...)`.

LIST_ROW_RELATED = (*LIST_RELATED, "handler_team")
QUEUE_SECTION_SIZE = 30
PLACE_KINDS = ("village", "grid", "building")
# Above this many places the filing form loads buildings through a search box instead.
PLACE_SELECT_MAX = 300


def can_list(actor: Actor) -> bool:
    """Staff who have a request list: viewers and department handlers."""
    return actor.can(wf.VIEW) or actor.can(wf.DEPARTMENT)


@dataclass
class CaseFilters:
    """The list filters, parsed from a query string (unknown values are ignored)."""

    status: str = ""
    level: str = ""
    category: str = ""
    channel: str = ""
    kind: str = ""
    sla: str = ""
    whistled: str = ""
    supervision: bool = False
    unit: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""

    @classmethod
    def from_query(cls, data: Mapping[str, str]) -> CaseFilters:
        def choice(name: str, values: Iterable[str]) -> str:
            value = (data.get(name) or "").strip()
            return value if value in set(values) else ""

        return cls(
            status=choice("status", [*wf.Status.values, "open"]),
            level=choice("level", [*wf.Level.values, "none"]),
            category=(data.get("category") or "").strip()[:40],
            channel=choice("channel", wf.Channel.values),
            kind=choice("kind", wf.Kind.values),
            sla=choice("sla", ["near", "overdue", "due"]),
            whistled=choice("whistled", ["1", "0"]),
            supervision=data.get("supervision") == "1",
            unit=(data.get("unit") or "").strip()[:40],
            date_from=parse_date(data.get("from")),
            date_to=parse_date(data.get("to")),
            q=(data.get("q") or "").strip()[:60],
        )

    @property
    def active(self) -> bool:
        return any(
            (
                self.status,
                self.level,
                self.category,
                self.channel,
                self.kind,
                self.sla,
                self.whistled,
                self.supervision,
                self.unit,
                self.date_from,
                self.date_to,
                self.q,
            )
        )


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def supervision_q() -> Q:
    """督办: put under supervision, overdue, or reopened at least the configured times."""
    from lianxin.cases.services.config import case_settings

    return (
        Q(is_supervised=True)
        | Q(sla_state="overdue")
        | Q(reopen_count__gte=case_settings().supervise_reopen_count)
    )


def case_list(actor: Actor, filters: CaseFilters) -> QuerySet[Case]:
    """The actor's requests narrowed by the list filters, newest first, rows ready to show."""
    qs = cases_for(actor).select_related(*LIST_ROW_RELATED)
    f = filters
    if f.status == "open":
        qs = qs.filter(status__in=wf.OPEN_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.level == "none":
        qs = qs.filter(level="")
    elif f.level:
        qs = qs.filter(level=f.level)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.sla == "due":
        qs = qs.filter(sla_state__in=["near", "overdue"], status__in=wf.OPEN_STATUSES)
    elif f.sla:
        qs = qs.filter(sla_state=f.sla, status__in=wf.OPEN_STATUSES)
    if f.whistled:
        qs = qs.filter(is_whistled=f.whistled == "1")
    if f.supervision:
        qs = qs.filter(supervision_q()).exclude(status__in=wf.TERMINAL_STATUSES)
    if f.unit:
        unit = unit_in_view(actor, f.unit)
        qs = qs.filter(place_path__startswith=unit.path) if unit else qs.none()
    if f.date_from:
        qs = qs.filter(received_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(received_at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.q:
        qs = qs.filter(Q(tracking_no__iexact=f.q) | Q(title__icontains=f.q))
    return qs.order_by("-received_at", "-id")


def unit_in_view(actor: Actor, public_id: str) -> Unit | None:
    """A unit the actor may browse (territory view), by public id; None if unknown."""
    try:
        return Unit.objects.visible_to(actor, "territory.view").filter(public_id=public_id).first()
    except (ValueError, ValidationError):
        return None


def filter_units(actor: Actor) -> list[Unit]:
    """Units offered in the list's unit filter: streets, villages and (if few) grids."""
    qs = Unit.objects.visible_to(actor, wf.VIEW).filter(
        is_active=True, kind__in=["township", "village", "grid"]
    )
    units = list(qs.order_by("path").only("public_id", "display_name", "kind", "depth")[:301])
    if len(units) > PLACE_SELECT_MAX:
        units = [u for u in units if u.kind != "grid"]
    return units


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


# --- queues -------------------------------------------------------------------------------------


@dataclass
class Queue:
    """The grid worker's phone queue: four short lists."""

    mine: list[Case]
    new: list[Case]
    near: list[Case]
    overdue: list[Case]


def _handle_scope_q(actor: Actor, field: str) -> Q:
    return path_q(field, actor.scope_paths(wf.HANDLE))


def my_queue(actor: Actor) -> Queue:
    """待我办理 (assigned to me, or dispatched to my unit and not yet taken, or resolved and
    waiting for my follow-up), 本网格新诉求 (received at my places, not yet dispatched),
    即将超期 and 已超期 (mine or at my places). Four queries whatever the number of rows."""
    base = cases_for(actor).select_related(*LIST_ROW_RELATED)
    me = actor.user_id
    to_take = Q(assignee__isnull=True, status=wf.Status.ASSIGNED) & _handle_scope_q(
        actor, "handler_unit__path"
    )
    mine_q = Q(assignee_id=me, status__in=[*wf.WITH_HANDLER, wf.Status.RESOLVED]) | to_take
    at_my_places = _handle_scope_q(actor, "place_path")
    size = QUEUE_SECTION_SIZE
    mine = list(base.filter(mine_q).order_by("resolve_due_at", "received_at", "id")[:size])
    new = list(
        base.filter(
            at_my_places,
            assignee__isnull=True,
            status__in=[wf.Status.RECEIVED, wf.Status.ACCEPTED],
        ).order_by("-received_at", "-id")[:size]
    )
    watch = base.filter(Q(assignee_id=me) | at_my_places, status__in=wf.OPEN_STATUSES)
    near = list(watch.filter(sla_state="near").order_by("resolve_due_at", "id")[:size])
    overdue = list(watch.filter(sla_state="overdue").order_by("resolve_due_at", "id")[:size])
    return Queue(mine=mine, new=new, near=near, overdue=overdue)


def department_queue(actor: Actor) -> QuerySet[Case]:
    """Open requests routed to the actor's departments or whose whistle summoned them."""
    depts = actor_department_ids(actor)
    if not depts:
        return Case.objects.none()
    summoned = WhistleSummons.objects.filter(
        whistle__case_id=OuterRef("pk"), department_id__in=depts
    )
    return (
        cases_for(actor)
        .filter(Q(handler_department_id__in=depts) | Q(Exists(summoned)))
        .exclude(status__in=wf.TERMINAL_STATUSES)
        .select_related(*LIST_ROW_RELATED)
        .order_by("resolve_due_at", "-received_at", "-id")
    )


def summons_pending(actor: Actor) -> QuerySet[WhistleSummons]:
    """Summons the actor must report in to: for their departments, or for units where they
    dispatch; only for requests they can see."""
    depts = actor_department_ids(actor)
    mine = Q(department_id__in=depts) if depts else Q(pk__in=[])
    mine |= path_q("unit__path", actor.scope_paths(wf.DISPATCH)) & Q(unit__isnull=False)
    visible = cases_for(actor).values("pk")
    return (
        WhistleSummons.objects.filter(mine, reported_at__isnull=True, whistle__outcome="")
        .filter(whistle__case_id__in=visible)
        .select_related("whistle", "whistle__case", "whistle__case__unit", "department", "unit")
        .order_by("report_due_at", "id")
    )


def summons_reportable(actor: Actor, whistle: Whistle) -> list[WhistleSummons]:
    """The pending summons of this whistle the actor may report in for."""
    depts = actor_department_ids(actor)
    return [
        s
        for s in whistle.summons.all()
        if s.reported_at is None
        and (
            (s.department_id is not None and s.department_id in depts)
            or (s.unit is not None and actor.can(wf.DISPATCH, s.unit.path))
        )
    ]


# --- one request ----------------------------------------------------------------------------------


def case_events(case: Case) -> list[CaseEvent]:
    """The whole timeline (internal and public events) with each event's photos."""
    return list(case.events.order_by("created_at", "id").prefetch_related("photos"))


def case_whistles(case: Case) -> list[Whistle]:
    return list(
        case.whistles.select_related("street", "raised_by")
        .prefetch_related(
            Prefetch(
                "summons",
                queryset=WhistleSummons.objects.select_related(
                    "department", "unit", "reported_by"
                ).order_by("id"),
            )
        )
        .order_by("-raised_at")
    )


def case_by_tracking_no(actor: Actor, tracking_no: str) -> Case | None:
    """A request in the actor's scope by its tracking number (merge target)."""
    no = (tracking_no or "").strip().upper()
    if not no:
        return None
    return cases_for(actor).select_related(*LIST_RELATED).filter(tracking_no=no).first()


def photo_get(actor: Actor, *, public_id: UUID | str) -> CasePhoto:
    """A photo of a request the actor can see, or 404."""
    try:
        return (
            CasePhoto.objects.select_related("case")
            .filter(case__in=cases_for(actor).values("pk"))
            .get(public_id=public_id)
        )
    except (CasePhoto.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


def handler_choices(case: Case) -> dict[str, Any]:
    """Whom a request can be dispatched to: its village, the village's grids and its street;
    departments and mediation teams attached on the way up from its place or in its street."""
    from lianxin.cases.services.routing import ancestor_prefixes

    ancestors = ancestor_prefixes(case.place_path)
    street = next((u for u in Unit.objects.filter(path__in=ancestors, kind="township")), None)
    village = next((u for u in Unit.objects.filter(path__in=ancestors, kind="village")), None)
    units_q = Q(path__in=ancestors, kind__in=["township", "village"])
    if village is not None:
        units_q |= Q(parent=village, kind="grid", is_active=True)
    units = list(Unit.objects.filter(units_q).order_by("path"))
    around = Q(unit__path__in=ancestors)
    if street is not None:
        around |= Q(unit__path__startswith=street.path)
    departments = list(
        Department.objects.filter(around, is_active=True).select_related("unit").order_by("name")
    )
    teams = list(
        MediationTeam.objects.filter(around, is_active=True).select_related("unit").order_by("name")
    )
    return {"units": units, "departments": departments, "teams": teams, "street": street}


def assignee_posts(actor: Actor, case: Case) -> list[Post]:
    """Posts (of people who may handle requests) inside the actor's dispatch scope and the
    request's street: the people a dispatcher can name as handler."""
    from lianxin.accounts.permissions import ROLE_PERMISSIONS
    from lianxin.cases.services.routing import ancestor_of_kind

    roles = [r for r, perms in ROLE_PERMISSIONS.items() if wf.HANDLE in perms]
    street = ancestor_of_kind(case.place_path, "township")
    qs = Post.objects.visible_to(actor, wf.DISPATCH).filter(
        role__in=roles, is_active=True, user__is_active=True
    )
    if street is not None:
        qs = qs.filter(unit__path__startswith=street.path)
    return list(qs.select_related("user", "unit").order_by("unit__path", "role", "id")[:200])


def summon_choices(actor: Actor, whistle: Whistle) -> dict[str, list[Any]]:
    """Departments (attached above or inside the street) and the street's villages."""
    from lianxin.cases.services.routing import ancestor_prefixes

    street = whistle.street
    departments = list(
        Department.objects.filter(
            Q(unit__path__in=ancestor_prefixes(street.path))
            | Q(unit__path__startswith=street.path),
            is_active=True,
        )
        .select_related("unit")
        .order_by("name")
    )
    units = list(
        Unit.objects.visible_to(actor, wf.WHISTLE)
        .filter(path__startswith=street.path, kind="village", is_active=True)
        .order_by("sort_order", "path")
    )
    return {"departments": departments, "units": units}


# --- filing -------------------------------------------------------------------------------------


def filing_places(actor: Actor, q: str = "", limit: int | None = None) -> list[Unit]:
    """Buildings, grids and villages where the actor may file requests (in path order)."""
    qs = (
        Unit.objects.visible_to(actor, wf.FILE)
        .filter(kind__in=PLACE_KINDS, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(name__icontains=q) | Q(code__iexact=q))
    return list(qs[:limit] if limit else qs)


def filing_place_get(actor: Actor, public_id: object) -> Unit | None:
    try:
        return (
            Unit.objects.visible_to(actor, wf.FILE)
            .filter(kind__in=PLACE_KINDS, is_active=True, public_id=public_id)
            .first()
        )
    except (ValueError, ValidationError):
        return None


def residents_search(actor: Actor, q: str, limit: int = 20) -> list[Any]:
    """Residents in the actor's register scope whose name contains `q` (to link a filer)."""
    from lianxin.people.models import Resident

    q = (q or "").strip()
    if not q or not actor.can("people.view"):
        return []
    return list(
        Resident.objects.visible_to(actor, "people.view")
        .filter(is_active=True, name__contains=q)
        .select_related("household", "household__unit")
        .order_by("name", "id")[:limit]
    )


def resident_get(actor: Actor, public_id: object) -> Any:
    from lianxin.people.models import Resident

    try:
        return (
            Resident.objects.visible_to(actor, "people.view")
            .select_related("household", "household__unit")
            .filter(public_id=public_id, is_active=True)
            .first()
        )
    except (ValueError, ValidationError):
        return None


# --- whistles -------------------------------------------------------------------------------------


def whistles_for(actor: Actor) -> QuerySet[Whistle]:
    """Whistles of the streets where the actor receives them (吹哨报到)."""
    return Whistle.objects.visible_to(actor, wf.WHISTLE)


def whistle_list(
    actor: Actor, *, date_from: dt.date | None, date_to: dt.date | None, outcome: str = ""
) -> QuerySet[Whistle]:
    qs = whistles_for(actor)
    if date_from:
        qs = qs.filter(raised_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(raised_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if outcome == "open":
        qs = qs.filter(outcome="")
    elif outcome in Whistle.Outcome.values:
        qs = qs.filter(outcome=outcome)
    return qs


def whistle_rows(qs: QuerySet[Whistle]) -> QuerySet[Whistle]:
    """List rows with the summons counts annotated (one query per page)."""
    return (
        qs.select_related("case", "case__unit", "street")
        .annotate(
            summons_total=Count("summons"),
            summons_reported=Count("summons", filter=Q(summons__reported_at__isnull=False)),
        )
        .order_by("-raised_at", "-id")
    )


def whistle_counts(qs: QuerySet[Whistle]) -> list[dict[str, Any]]:
    """Per street: whistles, closed, coordinated, unresolved, still open."""
    return list(
        qs.order_by()
        .values("street_id", "street__display_name")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(outcome=Whistle.Outcome.CLOSED)),
            coordinated=Count("pk", filter=Q(outcome=Whistle.Outcome.COORDINATED)),
            unresolved=Count("pk", filter=Q(outcome=Whistle.Outcome.UNRESOLVED)),
            open=Count("pk", filter=Q(outcome="")),
        )
        .order_by("street__display_name")
    )


def whistle_get(actor: Actor, *, public_id: UUID | str) -> Whistle:
    """A whistle of a request the actor can see (street staff, summoned departments and
    units, the whistling village), or 404."""
    try:
        return (
            Whistle.objects.filter(case__in=cases_for(actor).values("pk"))
            .select_related("case", "case__unit", "case__category", "street", "raised_by")
            .prefetch_related(
                Prefetch(
                    "summons",
                    queryset=WhistleSummons.objects.select_related(
                        "department", "unit", "reported_by"
                    ).order_by("id"),
                )
            )
            .get(public_id=public_id)
        )
    except (Whistle.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


# --- inbox ----------------------------------------------------------------------------------------


def inbox(user_id: int | None) -> QuerySet[Notification]:
    """The user's notifications, unread first, newest first."""
    return (
        Notification.objects.filter(recipient_id=user_id)
        .select_related("case")
        .annotate(is_read=ExpressionWrapper(Q(read_at__isnull=False), BooleanField()))
        .order_by("is_read", "-created_at", "-id")
    )


def unread_count(user_id: int | None) -> int:
    if not user_id:
        return 0
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
