"""The figures on each role's workbench (`accounts:home`), for the actor's current post.

The workbench is a read-only summary of registers kept by later apps (people, party), so the
models are looked up by label (`apps.get_model`) instead of imported: accounts stays below them
in the dependency order (DESIGN.md), like `insights` reads everything. Every figure goes
through `visible_to(actor, perm)` and is narrowed to the subtree of the current post; the
breakdown by child unit is one aggregate query per register (filtered counts), so the number of
queries does not grow with the data or with the number of child units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lianxin.accounts.actor import Actor, PostView
from lianxin.accounts.permissions import WORKBENCH_LABELS, Perm

# Child units listed in the breakdown, at most; a county has ~15 townships, a street ~20 villages.
MAX_CHILDREN = 60
OVERDUE_LIST_SIZE = 8


def link(url_name: str, *args: Any) -> str:
    """The URL of a page of another app, or "" while that page does not exist."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return ""


@dataclass
class Figure:
    label: str
    value: int | str | None
    hint: str = ""
    href: str = ""
    warn: bool = False


@dataclass
class ChildRow:
    unit: Any
    cells: list[tuple[str, int]] = field(default_factory=list)
    href: str = ""


@dataclass
class Workbench:
    kind: str
    title: str
    post: PostView | None
    figures: list[Figure] = field(default_factory=list)
    children: list[ChildRow] = field(default_factory=list)
    child_columns: list[str] = field(default_factory=list)
    overdue_entries: list[Any] = field(default_factory=list)
    quick_links: list[dict[str, str]] = field(default_factory=list)
    recent_events: list[Any] = field(default_factory=list)
    department: Any = None
    case_figures: list[Figure] = field(default_factory=list)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


class _Counter:
    """Counts of one register under the root, in total and per child unit, in one query."""

    def __init__(self, actor: Actor, root: PostView, children: list[Any]) -> None:
        self.actor = actor
        self.root = root
        self.children = children

    def run(
        self,
        model_label: str,
        perm: str,
        path_field: str,
        base: Q,
        per_child: dict[str, Q] | None = None,
        **extra: Any,
    ) -> dict[str, int] | None:
        """`total`, the `extra` aggregates, and per child i: `c{i}` plus `{prefix}{i}` for
        each condition in `per_child`; None when the post does not grant `perm`."""
        if not self.actor.can(perm, self.root.unit_path):
            return None
        model = apps.get_model(model_label)
        qs = model.objects.visible_to(self.actor, perm).filter(
            base, **{f"{path_field}__startswith": self.root.unit_path}
        )
        aggregates: dict[str, Any] = {"total": Count("pk")}
        aggregates.update(extra)
        for i, child in enumerate(self.children):
            under = Q(**{f"{path_field}__startswith": child.path})
            aggregates[f"c{i}"] = Count("pk", filter=under)
            for prefix, condition in (per_child or {}).items():
                aggregates[f"{prefix}{i}"] = Count("pk", filter=under & condition)
        return qs.aggregate(**aggregates)


def build_workbench(actor: Actor) -> Workbench:
    """Everything the actor's workbench shows, for the current (primary) post."""
    post = actor.primary_post
    kind = actor.workbench
    bench = Workbench(kind=kind, title=WORKBENCH_LABELS.get(kind, "工作台"), post=post)
    if post is None:
        return bench
    bench.quick_links = _quick_links(actor)
    bench.case_figures = _case_figures(actor, post)
    if kind == "department":
        if post.department_id:
            from lianxin.accounts.models import Department

            bench.department = Department.objects.filter(pk=post.department_id).first()
        return bench

    Unit = apps.get_model("territory", "Unit")
    children: list[Any] = []
    if kind != "frontline":
        children = list(
            Unit.objects.visible_to(actor, Perm.TERRITORY_VIEW)
            .filter(parent_id=post.unit_id, is_active=True)
            .order_by("sort_order", "path")
            .only("id", "public_id", "display_name", "kind", "path")[:MAX_CHILDREN]
        )
    counter = _Counter(actor, post, children)
    today = timezone.localdate()

    links = apps.get_model("party", "HouseholdLink").objects.filter(
        household=OuterRef("pk"), is_active=True
    )
    households = counter.run(
        "people.Household",
        Perm.PEOPLE_VIEW,
        "unit__path",
        Q(is_active=True),
        linked=Count("pk", filter=Q(Exists(links))),
    )
    residents = counter.run(
        "people.Resident", Perm.PEOPLE_VIEW, "household__unit__path", Q(is_active=True)
    )
    ledger = counter.run(
        "people.LedgerEntry",
        Perm.LEDGER_VIEW,
        "resident__household__unit__path",
        Q(is_active=True),
        per_child={"o": Q(next_visit_due__lt=today)},
        overdue=Count("pk", filter=Q(next_visit_due__lt=today)),
        mine_overdue=Count("pk", filter=Q(next_visit_due__lt=today, helper_user_id=actor.user_id)),
    )
    # Per-child overdue counts come from the same ledger query, renamed to the c{i} keys.
    overdue_by_child = {f"c{i}": ledger[f"o{i}"] for i in range(len(children))} if ledger else None
    members = counter.run(
        "party.PartyMember", Perm.PARTY_VIEW, "organisation__unit__path", Q(is_active=True)
    )

    if households is not None:
        bench.figures.append(
            Figure("在册户数", households["total"], href=link("people:household_list"))
        )
        if actor.can(Perm.PARTY_VIEW, post.unit_path):
            bench.figures.append(
                Figure(
                    "党员联户覆盖",
                    _percent(households["linked"], households["total"]),
                    hint=f"{households['linked']} 户已有联户党员",
                    href=link("party:member_list"),
                )
            )
    if residents is not None:
        bench.figures.append(
            Figure("在册居民", residents["total"], href=link("people:resident_list"))
        )
    if ledger is not None:
        bench.figures.append(Figure("民生台账", ledger["total"], href=link("people:ledger_list")))
        bench.figures.append(
            Figure(
                "逾期未走访",
                ledger["overdue"],
                href=link("people:ledger_list"),
                warn=bool(ledger["overdue"]),
            )
        )
        if kind == "frontline":
            bench.figures.append(
                Figure(
                    "我负责的逾期走访", ledger["mine_overdue"], warn=bool(ledger["mine_overdue"])
                )
            )
    if members is not None:
        bench.figures.append(Figure("党员", members["total"], href=link("party:member_list")))

    if kind == "frontline" and ledger is not None:
        bench.overdue_entries = _overdue_entries(actor, post, today)
    if children:
        columns = [
            (label, data)
            for label, data in (
                ("户", households),
                ("居民", residents),
                ("台账", ledger),
                ("逾期", overdue_by_child),
                ("党员", members),
            )
            if data is not None
        ]
        bench.child_columns = [label for label, _ in columns]
        for i, child in enumerate(children):
            bench.children.append(
                ChildRow(
                    unit=child,
                    cells=[(label, data.get(f"c{i}", 0)) for label, data in columns],
                    href=link("territory:unit_detail", child.public_id),
                )
            )
    if kind == "admin":
        _admin_panel(actor, bench)
    return bench


_CASE_OPEN = ("received", "accepted", "assigned", "in_progress", "suspended", "returned")
_CASE_WITH_HANDLER = ("assigned", "in_progress")


def _case_figures(actor: Actor, post: PostView) -> list[Figure]:
    """Request widgets: my queue, new, due soon, overdue (and whistles for the street, the
    department's queue and summons for departments). One aggregate per register, so the
    number of queries does not grow with the requests."""
    if actor.can(Perm.CASES_DEPARTMENT, post.unit_path) and post.department_id:
        return _department_case_figures(actor, post)
    if not actor.can(Perm.CASES_VIEW, post.unit_path):
        return []
    case_model = apps.get_model("cases", "Case")
    open_q = Q(status__in=_CASE_OPEN)
    me = actor.user_id
    counts = (
        case_model.objects.visible_to(actor, Perm.CASES_VIEW)
        .filter(place_path__startswith=post.unit_path)
        .aggregate(
            mine=Count(
                "pk",
                filter=Q(assignee_id=me, status__in=(*_CASE_WITH_HANDLER, "resolved"))
                | Q(assignee__isnull=True, status="assigned", handler_unit_id=post.unit_id),
            ),
            new=Count("pk", filter=Q(status="received")),
            open=Count("pk", filter=open_q),
            near=Count("pk", filter=open_q & Q(sla_state="near")),
            overdue=Count("pk", filter=open_q & Q(sla_state="overdue")),
        )
    )
    handles = actor.can(Perm.CASES_HANDLE, post.unit_path)
    listing = link("cases:list")
    figures: list[Figure] = []
    if handles and post.unit_kind in ("grid", "building"):
        figures.append(Figure("我的待办", counts["mine"], href=link("cases:my_queue")))
    figures.append(Figure("新诉求", counts["new"], href=listing and f"{listing}?status=received"))
    if not (handles and post.unit_kind in ("grid", "building")):
        figures.append(Figure("未办结", counts["open"], href=listing and f"{listing}?status=open"))
    figures.append(
        Figure(
            "即将超期",
            counts["near"],
            href=listing and f"{listing}?sla=near",
            warn=bool(counts["near"]),
        )
    )
    figures.append(
        Figure(
            "已超期",
            counts["overdue"],
            href=listing and f"{listing}?sla=overdue",
            warn=bool(counts["overdue"]),
        )
    )
    if actor.can(Perm.CASES_WHISTLE, post.unit_path):
        whistles = (
            apps.get_model("cases", "Whistle")
            .objects.visible_to(actor, Perm.CASES_WHISTLE)
            .filter(place_path__startswith=post.unit_path, outcome="")
            .count()
        )
        figures.append(
            Figure("吹哨处理中", whistles, href=link("cases:whistle_list"), warn=bool(whistles))
        )
    return figures


def _department_case_figures(actor: Actor, post: PostView) -> list[Figure]:
    """A department's open requests (routed to it or summoning it) and summons to report."""
    case_model = apps.get_model("cases", "Case")
    summons_model = apps.get_model("cases", "WhistleSummons")
    dept = post.department_id
    summoned = summons_model.objects.filter(whistle__case_id=OuterRef("pk"), department_id=dept)
    counts = case_model.objects.filter(
        Q(handler_department_id=dept) | Q(Exists(summoned)),
        place_path__startswith=post.unit_path,
        status__in=_CASE_OPEN,
    ).aggregate(
        total=Count("pk"),
        near=Count("pk", filter=Q(sla_state="near")),
        overdue=Count("pk", filter=Q(sla_state="overdue")),
    )
    pending = summons_model.objects.filter(
        department_id=dept,
        reported_at__isnull=True,
        whistle__outcome="",
        whistle__place_path__startswith=post.unit_path,
    ).count()
    queue = link("cases:department_queue")
    return [
        Figure("本部门承办", counts["total"], href=queue),
        Figure("待报到", pending, href=queue, warn=bool(pending)),
        Figure("即将超期", counts["near"], href=queue, warn=bool(counts["near"])),
        Figure("已超期", counts["overdue"], href=queue, warn=bool(counts["overdue"])),
    ]


def _overdue_entries(actor: Actor, post: PostView, today: Any) -> list[Any]:
    """The most overdue ledger entries under the post, the actor's own first."""
    model = apps.get_model("people", "LedgerEntry")
    rows = (
        model.objects.visible_to(actor, Perm.LEDGER_VIEW)
        .filter(
            is_active=True,
            next_visit_due__lt=today,
            resident__household__unit__path__startswith=post.unit_path,
        )
        .select_related("resident", "tag", "resident__household", "resident__household__unit")
        .order_by("next_visit_due", "id")[:OVERDUE_LIST_SIZE]
    )
    entries = list(rows)
    can_visit = actor.can(Perm.LEDGER_VISIT, post.unit_path)
    for entry in entries:
        entry.days_overdue = (today - entry.next_visit_due).days
        entry.is_mine = entry.helper_user_id == actor.user_id
        entry.href = link("people:ledger_detail", entry.public_id)
        entry.visit_href = link("people:visit_create", entry.public_id) if can_visit else ""
    entries.sort(key=lambda e: (not e.is_mine, e.next_visit_due))
    return entries


def _quick_links(actor: Actor) -> list[dict[str, str]]:
    """The menu's pages as big buttons, the daily work first: the request queue, then the
    livelihood ledger (visits)."""
    from lianxin.accounts.context_processors import nav_items_for

    first = ("cases:my_queue", "people:ledger_list")
    items = nav_items_for(actor)
    return sorted(
        items, key=lambda i: first.index(i["url_name"]) if i["url_name"] in first else len(first)
    )


def _admin_panel(actor: Actor, bench: Workbench) -> None:
    """Account figures and the latest audit events for system administrators."""
    from lianxin.accounts.selectors import tokens_visible, users_visible
    from lianxin.audit.models import AuditEvent

    if actor.can(Perm.ACCOUNTS_MANAGE):
        counts = users_visible(actor).aggregate(
            total=Count("pk"),
            locked=Count("pk", filter=Q(locked_until__gt=timezone.now())),
            integration=Count("pk", filter=Q(is_integration=True)),
        )
        bench.figures.insert(0, Figure("账号", counts["total"], href=link("accounts:user_list")))
        bench.figures.insert(
            1,
            Figure(
                "锁定中的账号",
                counts["locked"],
                href=link("accounts:user_list") + "?status=locked",
                warn=bool(counts["locked"]),
            ),
        )
    if actor.can(Perm.API_TOKENS):
        active = tokens_visible(actor).filter(revoked_at__isnull=True).count()
        bench.figures.insert(2, Figure("有效接口令牌", active, href=link("accounts:token_list")))
    if actor.can(Perm.AUDIT_VIEW):
        bench.recent_events = list(
            AuditEvent.objects.visible_to(actor).select_related("actor").order_by("-at", "-id")[:8]
        )
