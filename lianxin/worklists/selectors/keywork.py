"""Reads of the key-work list (重点工作推进清单). Every read is scoped by `worklists.view`:
a list whose unit (a task force's: its county) lies outside the actor's units answers 404,
and the overview counts only what the actor sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars.models import TaskForce
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import KeyWorkEvent, KeyWorkItem
from lianxin.worklists.services.keywork import (
    LIST_KINDS,
    KeyList,
    carry_candidates,
    shift_month,
    this_month,
)

Status = KeyWorkItem.Status
MONTHS_BACK = 12


def months_for_picker() -> list[str]:
    """Next month, this month and the twelve before (newest first)."""
    now = this_month()
    return [shift_month(now, d) for d in range(1, -MONTHS_BACK - 1, -1)]


def own_lists(actor: Actor) -> list[KeyList]:
    """The lists the actor keeps: the unit of each post granting `worklists.keywork` (and a
    county's task forces), in the order of the posts (the primary one first)."""
    posts = [p for p in actor.posts_with(wf.KEYWORK) if p.unit_kind in LIST_KINDS]
    if not posts:
        return []
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[p.unit_id for p in posts])}
    counties = [units[p.unit_id] for p in posts if p.unit_kind == UnitKind.COUNTY]
    forces: dict[int, list[TaskForce]] = {}
    if counties:
        rows = TaskForce.objects.filter(county__in=counties, is_active=True).order_by("id")
        for tf in rows.select_related("county"):
            forces.setdefault(tf.county_id, []).append(tf)
    lists: list[KeyList] = []
    for p in posts:
        unit = units[p.unit_id]
        if any(kl.unit.pk == unit.pk and kl.task_force is None for kl in lists):
            continue
        lists.append(KeyList(unit=unit))
        lists += [KeyList(unit=tf.county, task_force=tf) for tf in forces.get(unit.pk, [])]
    return lists


def list_get(actor: Actor, *, unit_code: str = "", task_force_id: str = "") -> KeyList:
    """A list the actor sees, by its unit code or its task force's public id (404 otherwise)."""
    if task_force_id:
        tf = TaskForce.objects.select_related("county").get_visible(
            actor, wf.VIEW, public_id=task_force_id
        )
        return KeyList(unit=tf.county, task_force=tf)
    unit = (
        Unit.objects.filter(code=unit_code.strip(), kind__in=LIST_KINDS, is_active=True)
        .filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .first()
    )
    if unit is None:
        raise Http404("不存在或无权访问")
    return KeyList(unit=unit)


@dataclass
class MonthList:
    """A list's month: open items by slot, and those that left it this month."""

    owner: KeyList
    month: str
    open: list[KeyWorkItem] = field(default_factory=list)
    done: list[KeyWorkItem] = field(default_factory=list)
    dropped: list[KeyWorkItem] = field(default_factory=list)

    @property
    def free(self) -> int:
        return wf.KEYWORK_MAX - len(self.open)

    @property
    def nudge(self) -> bool:
        """Fewer than three open items in the current month: the list may take more."""
        return self.month == this_month() and len(self.open) < wf.KEYWORK_NUDGE_BELOW


def month_list(owner: KeyList, month: str) -> MonthList:
    """The list's items of `month` (two queries: items, and which of them were carried on)."""
    items = list(
        KeyWorkItem.objects.filter(list_key=owner.key, month=month)
        .select_related("carried_from")
        .order_by("slot", "id")
    )
    open_ids = [i.pk for i in items if i.status == Status.OPEN]
    successors = dict(
        KeyWorkItem.objects.filter(carried_from_id__in=open_ids).values_list(
            "carried_from_id", "month"
        )
        if open_ids
        else []
    )
    today = clock.today()
    result = MonthList(owner=owner, month=month)
    for item in items:
        item.carried_to = successors.get(item.pk, "")  # type: ignore[attr-defined]
        item.is_late = item.status == Status.OPEN and item.due_on < today  # type: ignore[attr-defined]
        if item.status == Status.OPEN:
            result.open.append(item)
        elif item.status == Status.DONE:
            result.done.append(item)
        else:
            result.dropped.append(item)
    result.done.sort(key=lambda i: (i.done_on or dt.date.min, i.pk))
    return result


def carry_from_last_month(owner: KeyList, month: str) -> list[KeyWorkItem]:
    """Last month's open items not yet carried into a later list."""
    return carry_candidates(owner, month)


def item_get(actor: Actor, public_id: Any) -> KeyWorkItem:
    """One item in the actor's scope (404 otherwise)."""
    item: KeyWorkItem = KeyWorkItem.objects.select_related(
        "owner", "task_force", "carried_from"
    ).get_visible(actor, wf.VIEW, public_id=public_id)
    return item


ACTION_LABELS = {
    "added": "列入清单",
    "updated": "修改",
    "done": "完成",
    "dropped": "移出清单",
    "carried": "自上月转入",
    "carried_out": "转入下月",
}


def item_events(item: KeyWorkItem) -> list[KeyWorkEvent]:
    """The item's history, oldest first, each with its `label`."""
    events = list(KeyWorkEvent.objects.filter(item=item).order_by("at", "id"))
    for e in events:
        e.label = ACTION_LABELS.get(e.action, e.action)  # type: ignore[attr-defined]
    return events


def item_successor(item: KeyWorkItem) -> KeyWorkItem | None:
    return KeyWorkItem.objects.filter(carried_from=item).order_by("id").first()


# --- the creation office's overview ----------------------------------------------------------


def townships_for(actor: Actor) -> QuerySet[Unit]:
    return Unit.objects.filter(
        path_q("path", actor.scope_paths(wf.VIEW)), kind=UnitKind.TOWNSHIP, is_active=True
    ).order_by("path")


def task_forces_for(actor: Actor) -> QuerySet[TaskForce]:
    return (
        TaskForce.objects.visible_to(actor, wf.VIEW)
        .filter(is_active=True)
        .select_related("county")
        .order_by("county__path", "id")
    )


@dataclass
class OverviewRow:
    owner: KeyList
    kind: str
    open: int = 0
    done: int = 0
    dropped: int = 0

    @property
    def short(self) -> bool:
        return self.open < wf.KEYWORK_NUDGE_BELOW


@dataclass(frozen=True)
class OverviewFigures:
    lists: int
    with_items: int
    under_three: int
    open: int
    done: int


def _counts(actor: Actor, month: str, path: str | None) -> dict[str, dict[str, int]]:
    qs = KeyWorkItem.objects.visible_to(actor, wf.VIEW).filter(month=month)
    if path:
        qs = qs.filter(owner__path__startswith=path)
    rows = qs.values("list_key").annotate(
        open=Count("id", filter=Q(status=Status.OPEN)),
        done=Count("id", filter=Q(status=Status.DONE)),
        dropped=Count("id", filter=Q(status=Status.DROPPED)),
    )
    return {r.pop("list_key"): r for r in rows.order_by()}


def overview_units(actor: Actor, township: Unit | None = None) -> QuerySet[Unit]:
    """The units keeping a list under the actor (or one township), by path."""
    qs = Unit.objects.filter(
        path_q("path", actor.scope_paths(wf.VIEW)), kind__in=LIST_KINDS, is_active=True
    )
    if township is not None:
        qs = qs.filter(path__startswith=township.path)
    return qs.order_by("path")


def overview(
    actor: Actor,
    month: str,
    units: list[Unit],
    *,
    township: Unit | None = None,
    task_force: TaskForce | None = None,
) -> tuple[list[OverviewRow], OverviewFigures]:
    """Rows for the given page of `units` (plus the task forces when no township is chosen)
    with their counts of `month`, and the figures over every list in the filter (three
    queries whatever the number of units)."""
    counts = _counts(actor, month, township.path if township else None)
    forces: list[TaskForce] = []
    if task_force is not None:
        forces, units = [task_force], []
    elif township is None:
        forces = list(task_forces_for(actor))
    rows = [OverviewRow(owner=KeyList(unit=tf.county, task_force=tf), kind="专班") for tf in forces]
    rows += [OverviewRow(owner=KeyList(unit=u), kind=u.get_kind_display()) for u in units]
    for row in rows:
        c = counts.get(row.owner.key, {})
        row.open, row.done, row.dropped = c.get("open", 0), c.get("done", 0), c.get("dropped", 0)
    if task_force is not None:
        keys = {f"t{task_force.pk}"}
        total = 1
    else:
        total = overview_units(actor, township).count() + len(forces)
        keys = set(counts)
        if township is not None:
            keys = {k for k in keys if k.startswith("u")}
    chosen = [counts[k] for k in keys if k in counts]
    figures = OverviewFigures(
        lists=total,
        with_items=sum(1 for c in chosen if c["open"] or c["done"]),
        under_three=total - sum(1 for c in chosen if c["open"] >= wf.KEYWORK_NUDGE_BELOW),
        open=sum(c["open"] for c in chosen),
        done=sum(c["done"] for c in chosen),
    )
    return rows, figures


# --- export ----------------------------------------------------------------------------------


def export_items(
    actor: Actor,
    month: str,
    *,
    owner: KeyList | None = None,
    township: Unit | None = None,
) -> Iterator[KeyWorkItem]:
    """The items of `month` in the actor's scope (one list, one township or all)."""
    qs = (
        KeyWorkItem.objects.visible_to(actor, wf.VIEW)
        .filter(month=month)
        .select_related("owner", "task_force")
        .order_by("owner__path", "list_key", "status", "slot", "id")
    )
    if owner is not None:
        qs = qs.filter(list_key=owner.key)
    elif township is not None:
        qs = qs.filter(owner__path__startswith=township.path)
    return qs.iterator(chunk_size=2000)
