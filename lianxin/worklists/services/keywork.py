"""The key-work list (重点工作推进清单, seed 004): every month each village, township and
county — and each county task force (专班) — lists only its 3–6 most urgent and hardest items;
an item leaves the list when it is done, and a new one may take its place.

- `keywork_add` puts an item on a list for this month or next month, in the smallest free
  slot (1–6). The bound holds under concurrency: a partial unique index allows each slot once
  among a list's open items of a month, so two staff adding at once cannot store a seventh
  item; the loser retries the next free slot and is refused when none is left.
- `keywork_done` (with what was achieved) and `keywork_drop` (with the reason) take an item
  off the list and free its slot; `keywork_update` corrects an open item.
- `keywork_carry_over` moves the unfinished items of last month into this month's list (the
  old item stays as it was at the end of its month, marked as carried by its successor).

Who: anyone holding `worklists.keywork` at the list's unit (a task force's list: at its
county). Every change appends a `KeyWorkEvent`; state moves are compare-and-set on `version`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars.models import Star, TaskForce
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import KeyWorkEvent, KeyWorkItem

Status = KeyWorkItem.Status
# Units that keep a key-work list (seed 004: 乡镇(街道), 专班, 责任单位 and the villages).
LIST_KINDS = (UnitKind.VILLAGE, UnitKind.TOWNSHIP, UnitKind.COUNTY)
SYSTEM_LABEL = "系统"
FULL_MESSAGE = "本月重点工作推进清单已有 {n} 项推进中事项，请先完成或移出一项再添加"
NUDGE_MESSAGE = "清单只列 3~6 项最急最难事项，本月还可补充"


@dataclass(frozen=True)
class KeyList:
    """One key-work list: a unit's, or a county task force's (then `unit` is its county)."""

    unit: Unit
    task_force: TaskForce | None = None

    @property
    def key(self) -> str:
        return f"t{self.task_force.pk}" if self.task_force is not None else f"u{self.unit.pk}"

    @property
    def name(self) -> str:
        if self.task_force is not None:
            return self.task_force.name
        return self.unit.display_name

    @property
    def ref(self) -> str:
        """The list in a URL path: the unit's code or the task force's public id."""
        if self.task_force is not None:
            return str(self.task_force.public_id)
        return self.unit.code

    @property
    def query(self) -> dict[str, str]:
        """The list's URL parameter (unit code, or the task force's public id)."""
        if self.task_force is not None:
            return {"tf": str(self.task_force.public_id)}
        return {"unit": self.unit.code}


@dataclass(frozen=True)
class ItemDraft:
    """An item as typed in the form."""

    title: str
    responsible: str
    due_on: dt.date | None
    detail: str = ""
    star_code: str = ""


# --- months ----------------------------------------------------------------------------------


def this_month() -> str:
    return wf.month_key(clock.today())


def parse_month(value: str | None, *, field: str = "month") -> str:
    """``YYYY-MM`` checked, or a DomainError naming the field."""
    value = (value or "").strip()
    try:
        day = dt.datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 - a month, no time
    except ValueError as exc:
        raise DomainError("月份格式应为“2026-03”", field=field) from exc
    return wf.month_key(day)


def month_start(month: str) -> dt.date:
    year, mon = (int(p) for p in month.split("-"))
    return dt.date(year, mon, 1)


def shift_month(month: str, delta: int) -> str:
    start = month_start(month)
    index = start.year * 12 + start.month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_label(month: str) -> str:
    start = month_start(month)
    return f"{start.year}年{start.month}月"


def full_message(month: str) -> str:
    text = FULL_MESSAGE.format(n=wf.KEYWORK_MAX)
    if month != this_month():
        text = text.replace("本月", month_label(month), 1)
    return text


# --- who may -------------------------------------------------------------------------------


def list_of(item: KeyWorkItem) -> KeyList:
    return KeyList(unit=item.owner, task_force=item.task_force)


def can_keep(actor: Actor | None, owner: KeyList) -> bool:
    return actor is not None and actor.can(wf.KEYWORK, owner.unit.path)


def _require(actor: Actor | None, owner: KeyList) -> None:
    if not can_keep(actor, owner):
        raise PermissionDenied(f"没有维护{owner.name}重点工作推进清单的权限")


def _label(actor: Actor | None) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return SYSTEM_LABEL


def _event(item: KeyWorkItem, action: str, actor: Actor | None, note: str = "") -> None:
    KeyWorkEvent.objects.create(
        item=item,
        action=action,
        note=note[:300],
        actor_id=actor.user_id if actor is not None else None,
        actor_label=_label(actor),
        at=clock.now(),
    )


def star_choices(unit: Unit, year: int) -> list[tuple[str, str]]:
    """The stars an item may relate to: those of the county's catalogs for `year` (read, never
    created here), else the default catalogs' stars."""
    from lianxin.stars.defaults import DEFAULT_SETS
    from lianxin.stars.services.catalog import county_of

    try:
        county = county_of(unit)
    except ValueError:
        county = None
    rows: dict[str, str] = {}
    if county is not None:
        stars = Star.objects.filter(
            star_set__county=county, star_set__year=year, is_active=True
        ).order_by("sort_order", "id")
        for code, name in stars.values_list("code", "name"):
            rows.setdefault(code, name)
    if not rows:
        for _name, stars_ in DEFAULT_SETS.values():
            for code, name, *_rest in stars_:
                rows.setdefault(code, name)
    return list(rows.items())


def _clean(owner: KeyList, month: str, draft: ItemDraft) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": clean_text(draft.title, field="title", label="事项", max_length=120),
        "detail": clean_text(
            draft.detail, field="detail", label="推进要求", max_length=2000, required=False
        ),
        "responsible": clean_text(
            draft.responsible, field="responsible", label="责任人", max_length=60
        ),
    }
    if draft.due_on is None:
        raise DomainError("请填写完成时限", field="due_on")
    if draft.due_on < month_start(month):
        raise DomainError(f"完成时限不能早于{month_label(month)}", field="due_on")
    fields["due_on"] = draft.due_on
    code = (draft.star_code or "").strip()
    if code and code not in dict(star_choices(owner.unit, month_start(month).year)):
        raise DomainError("请从列表中选择关联的星", field="star_code")
    fields["star_code"] = code
    return fields


# --- writes ----------------------------------------------------------------------------------


def _free_slots(owner: KeyList, month: str) -> list[int]:
    taken = set(
        KeyWorkItem.objects.filter(list_key=owner.key, month=month, status=Status.OPEN)
        .values_list("slot", flat=True)
        .order_by()
    )
    return [s for s in range(1, wf.KEYWORK_MAX + 1) if s not in taken]


def _insert(owner: KeyList, month: str, fields: dict[str, Any], **extra: Any) -> KeyWorkItem:
    """Store an open item in the smallest free slot. When someone else took that slot first
    (the partial unique index refuses the row), look again and try the next free one; refuse
    when the list is full."""
    for _attempt in range(wf.KEYWORK_MAX + 1):
        free = _free_slots(owner, month)
        if not free:
            break
        try:
            with transaction.atomic():
                return KeyWorkItem.objects.create(
                    owner=owner.unit,
                    task_force=owner.task_force,
                    list_key=owner.key,
                    month=month,
                    slot=free[0],
                    status=Status.OPEN,
                    **fields,
                    **extra,
                )
        except IntegrityError:
            continue
    raise DomainError(full_message(month), field="title")


def _require_list(owner: KeyList) -> None:
    if owner.task_force is not None:
        if owner.task_force.county_id != owner.unit.pk or not owner.task_force.is_active:
            raise DomainError("该专班不在用", field="list")
    elif owner.unit.kind not in LIST_KINDS:
        raise DomainError(
            "重点工作推进清单由村（社区）、乡镇（街道）、县级和专班建立", field="list"
        )


@transaction.atomic
def keywork_add(*, actor: Actor, owner: KeyList, month: str, draft: ItemDraft) -> KeyWorkItem:
    """Put an item on a list for this month or next month (smallest free slot of six)."""
    _require(actor, owner)
    _require_list(owner)
    month = parse_month(month)
    now = this_month()
    if month not in (now, shift_month(now, 1)):
        raise DomainError("只能向本月或下月的清单添加事项", field="month")
    fields = _clean(owner, month, draft)
    item = _insert(owner, month, fields, created_by_id=actor.user_id)
    _event(item, "added", actor, f"第{item.slot}项")
    return item


def _move(
    item: KeyWorkItem, *, expected_version: int | None, message: str, **changes: Any
) -> KeyWorkItem:
    """Compare-and-set: only an open item, only from the version the caller saw."""
    version = item.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = KeyWorkItem.objects.filter(pk=item.pk, version=version, status=Status.OPEN).update(
        version=F("version") + 1, **changes
    )
    if not updated:
        current = KeyWorkItem.objects.filter(pk=item.pk).values_list("status", flat=True).first()
        if current is not None and current != Status.OPEN:
            raise DomainError(message.format(status=Status(current).label))
        raise Conflict("该事项刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(item, name, value)
    item.version = version + 1
    return item


def _require_open(item: KeyWorkItem) -> None:
    successor = KeyWorkItem.objects.filter(carried_from=item).values_list("month", flat=True)
    month = successor.first()
    if month is not None:
        raise DomainError(f"该事项已转入{month_label(month)}清单，请在新月份的清单中办理")


@transaction.atomic
def keywork_update(
    *, actor: Actor, item: KeyWorkItem, draft: ItemDraft, expected_version: int | None = None
) -> KeyWorkItem:
    """Correct an open item (title, requirements, responsible, due date, star)."""
    owner = list_of(item)
    _require(actor, owner)
    fields = _clean(owner, item.month, draft)
    _require_open(item)
    changed = [k for k, v in fields.items() if getattr(item, k) != v]
    item = _move(
        item, expected_version=expected_version, message="该事项{status}，不能再修改", **fields
    )
    _event(item, "updated", actor, "修改了" + "、".join(_FIELD_LABELS[k] for k in changed))
    return item


_FIELD_LABELS = {
    "title": "事项",
    "detail": "推进要求",
    "responsible": "责任人",
    "due_on": "完成时限",
    "star_code": "关联星",
}


@transaction.atomic
def keywork_done(
    *,
    actor: Actor,
    item: KeyWorkItem,
    result: str,
    done_on: dt.date | None = None,
    expected_version: int | None = None,
) -> KeyWorkItem:
    """The item is done: it leaves the list (shown under 已完成) and frees its slot."""
    _require(actor, list_of(item))
    result = clean_text(result, field="result", label="完成情况", max_length=300)
    today = clock.today()
    done_on = done_on or today
    if done_on > today:
        raise DomainError("完成日期不能晚于今天", field="done_on")
    if done_on < month_start(item.month) - dt.timedelta(days=31):
        raise DomainError("完成日期早于清单月份", field="done_on")
    _require_open(item)
    item = _move(
        item,
        expected_version=expected_version,
        message="该事项{status}",
        status=Status.DONE,
        done_on=done_on,
        result=result,
    )
    _event(item, "done", actor, result)
    return item


@transaction.atomic
def keywork_drop(
    *, actor: Actor, item: KeyWorkItem, reason: str, expected_version: int | None = None
) -> KeyWorkItem:
    """Take an item off the list without finishing it (the reason is kept)."""
    _require(actor, list_of(item))
    reason = clean_text(reason, field="reason", label="移出原因", max_length=300)
    _require_open(item)
    item = _move(
        item,
        expected_version=expected_version,
        message="该事项{status}",
        status=Status.DROPPED,
        result=reason,
    )
    _event(item, "dropped", actor, reason)
    return item


def carry_candidates(owner: KeyList, month: str) -> list[KeyWorkItem]:
    """Open items of the month before `month` not yet carried over."""
    return list(
        KeyWorkItem.objects.filter(
            list_key=owner.key, month=shift_month(month, -1), status=Status.OPEN
        )
        .exclude(
            pk__in=KeyWorkItem.objects.filter(
                list_key=owner.key, carried_from__isnull=False
            ).values("carried_from")
        )
        .order_by("slot")
    )


@transaction.atomic
def keywork_carry_over(
    *,
    actor: Actor,
    owner: KeyList,
    month: str,
    items: Sequence[KeyWorkItem] | None = None,
) -> list[KeyWorkItem]:
    """Carry unfinished items of last month into `month` (this month or next), each in the
    smallest free slot; `items` picks some of them (default: all). Refused as a whole when
    they do not fit."""
    _require(actor, owner)
    _require_list(owner)
    month = parse_month(month)
    now = this_month()
    if month not in (now, shift_month(now, 1)):
        raise DomainError("只能转入本月或下月的清单", field="month")
    # Lock last month's open items, then look again: two staff carrying at once carry each
    # item once.
    previous = KeyWorkItem.objects.filter(
        list_key=owner.key, month=shift_month(month, -1), status=Status.OPEN
    )
    list(previous.select_for_update().values_list("pk", flat=True).order_by("pk"))
    candidates = {i.pk: i for i in carry_candidates(owner, month)}
    if items is None:
        chosen = list(candidates.values())
    else:
        chosen = [candidates[i.pk] for i in items if i.pk in candidates]
        if len(chosen) != len(items):
            raise DomainError("所选事项已转入或已不在推进中，请刷新页面", field="items")
    if not chosen:
        raise DomainError(
            f"{month_label(shift_month(month, -1))}没有需要转入的推进中事项", field="items"
        )
    free = len(_free_slots(owner, month))
    if len(chosen) > free:
        raise DomainError(
            f"{month_label(month)}清单还可添加 {free} 项，所选 {len(chosen)} 项放不下，"
            "请少选几项或先完成、移出本月事项",
            field="items",
        )
    carried = []
    for old in chosen:
        fields = {
            "title": old.title,
            "detail": old.detail,
            "responsible": old.responsible,
            "due_on": old.due_on,
            "star_code": old.star_code,
        }
        new = _insert(owner, month, fields, carried_from=old, created_by_id=actor.user_id)
        _event(new, "carried", actor, f"自{month_label(old.month)}清单转入")
        _event(old, "carried_out", actor, f"转入{month_label(month)}清单")
        carried.append(new)
    return carried
