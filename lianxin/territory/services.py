"""Writes to the territory tree: local units (grids, buildings) and changes to any unit.

Every service checks `territory.manage` on the paths it touches, writes one append-only
`UnitChange` row with the state before and after, and lets the audit signals record the row
writes; bulk path rewrites of descendants get one summary audit event.

Official units (imported from the statistical division data) are renamed only by their
display name. Moving, merging, retiring or restoring one needs `territory.manage` on its parent,
i.e. a post above it (a street for its villages); village staff manage their grids and
buildings only.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.scope import Actor
from lianxin.territory.batch import BATCH_MAX
from lianxin.territory.divisions import shorten_name
from lianxin.territory.models import (
    ALLOWED_PARENT_KINDS,
    LOCAL_KINDS,
    PERM_MANAGE,
    Unit,
    UnitChange,
    UnitKind,
)
from lianxin.territory.selectors import unit_dependents
from lianxin.territory.signals import unit_merged

NAME_MAX = 100
KIND_LABELS: dict[str, str] = dict(UnitKind.choices)
# Prefix of the generated code of each local kind (see `_next_local_code`).
LOCAL_CODE_PREFIX: dict[str, str] = {UnitKind.GRID: "G", UnitKind.BUILDING: "B"}


# --- helpers ---------------------------------------------------------------------------------


def _label(unit: Unit) -> str:
    return f"“{unit.display_name}”"


def _snapshot(unit: Unit) -> dict[str, Any]:
    """What a history row keeps of a unit: names, place in the tree, state."""
    parent = unit.parent if unit.parent_id else None
    merged = unit.merged_into if unit.merged_into_id else None
    return {
        "code": unit.code,
        "name": unit.name,
        "display_name": unit.display_name,
        "parent": parent.code if parent else None,
        "parent_name": parent.display_name if parent else None,
        "path": unit.path,
        "is_active": unit.is_active,
        "merged_into": merged.code if merged else None,
    }


def _change(
    *,
    unit: Unit,
    kind: str,
    actor: Actor,
    before: dict[str, Any],
    after: dict[str, Any],
    note: str = "",
) -> UnitChange:
    return UnitChange.objects.create(
        unit=unit, kind=kind, actor_id=actor.user_id, before=before, after=after, note=note[:300]
    )


def _locked(unit: Unit) -> Unit:
    """The current row, locked for the rest of the transaction (PostgreSQL; SQLite serialises)."""
    return (
        Unit.objects.select_for_update(of=("self",))
        .select_related("parent", "merged_into")
        .get(pk=unit.pk)
    )


def _require_manage(actor: Actor, unit: Unit, *, what: str = "维护{unit}") -> None:
    if not actor.can(PERM_MANAGE, unit.path):
        doing = what.format(unit=_label(unit)) if "{unit}" in what else what + _label(unit)
        raise PermissionDenied(f"你无权{doing}：它不在你的岗位管辖范围内。")


def _require_structural(actor: Actor, unit: Unit, *, action: str) -> None:
    """Moving, merging, retiring, restoring: local units in scope; official ones from above."""
    _require_manage(actor, unit, what=action)
    if not unit.is_official:
        return
    parent = unit.parent if unit.parent_id else None
    if parent is None or not actor.can(PERM_MANAGE, parent.path):
        raise PermissionDenied(
            f"{_label(unit)}是统计用区划单元（{KIND_LABELS[unit.kind]}），本级只能修改它的简称；"
            f"{action}须由上级单位（管辖其上级{_label(parent) if parent else ''}的岗位）办理。"
        )


def _clean_name(value: str, *, field: str, label: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise DomainError(f"请填写{label}。", field=field)
    if len(value) > NAME_MAX:
        raise DomainError(f"{label}不能超过 {NAME_MAX} 个字。", field=field)
    return value


def _check_name_free(*, parent: Unit, display_name: str, exclude_pk: int | None = None) -> None:
    clash = parent.children.filter(is_active=True, display_name=display_name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(
            f"{_label(parent)}下已有名为“{display_name}”的单元。", field="display_name"
        )


def _check_parent_kind(kind: str, parent: Unit, *, field: str) -> None:
    allowed = ALLOWED_PARENT_KINDS.get(kind, frozenset())
    if parent.kind not in allowed:
        wanted = "或".join(KIND_LABELS[k] for k in sorted(allowed, key=list(KIND_LABELS).index))
        raise DomainError(
            f"{KIND_LABELS[kind]}只能设在{wanted or '顶层'}下，{_label(parent)}是{KIND_LABELS[parent.kind]}。",
            field=field,
        )


def _next_local_code(parent: Unit, kind: str) -> tuple[str, int]:
    """A new unique, stable code: G<village>-NN for grids, B<grid or village>-NN for buildings.

    Codes never change afterwards (a moved unit keeps its code), so the next number is one more
    than the highest ever used with the same stem anywhere in the tree.
    """
    stem_core = (
        parent.code[1:]
        if parent.kind == UnitKind.GRID and parent.code.startswith("G")
        else parent.code
    )
    stem = LOCAL_CODE_PREFIX[kind] + stem_core
    pattern = re.compile(re.escape(stem) + r"-(\d+)$")
    used = [
        int(m.group(1))
        for code in Unit.objects.filter(code__startswith=stem + "-").values_list("code", flat=True)
        if (m := pattern.match(code))
    ]
    seq = max(used, default=0) + 1
    return f"{stem}-{seq:02d}", seq


def _rewrite_subtree(
    *, old_prefix: str, new_prefix: str, depth_delta: int, exclude_pk: int | None = None
) -> int:
    """Rewrite the path prefix (and depth) of every unit under `old_prefix` in one UPDATE.

    ``path = new_prefix || substr(path, len(old_prefix) + 1)`` works the same on SQLite and
    PostgreSQL; paths stay unique because codes are unique.
    """
    rows = Unit.objects.filter(path__startswith=old_prefix)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + depth_delta,
        updated_at=timezone.now(),
    )


def _model(label: str) -> Any:
    """A model of a later app (people, accounts), looked up at run time, not imported."""
    app_label, model_name = label.split(".")
    return apps.get_model(app_label, model_name)


# --- services --------------------------------------------------------------------------------


@transaction.atomic
def unit_create(
    *, actor: Actor, parent: Unit, kind: str, name: str, display_name: str = ""
) -> Unit:
    """Create a grid under a village, or a building under a grid (or a village without grids)."""
    if kind not in LOCAL_KINDS:
        raise DomainError(
            "只能新建网格或楼栋；县区、乡镇街道、村社区来自统计用区划代码，由系统导入。",
            field="kind",
        )
    parent = _locked(parent)
    _require_manage(actor, parent, what="在{unit}下新建单元")
    if not parent.is_active:
        raise DomainError(f"{_label(parent)}已撤销，不能在其下新建单元。", field="kind")
    _check_parent_kind(kind, parent, field="kind")
    name = _clean_name(name, field="name", label="名称")
    display_name = _clean_name(display_name or name, field="display_name", label="简称")
    _check_name_free(parent=parent, display_name=display_name)
    code, seq = _next_local_code(parent, kind)
    unit = Unit.objects.create(
        kind=kind,
        code=code,
        name=name,
        display_name=display_name,
        parent=parent,
        path=f"{parent.path}{code}/",
        depth=parent.depth + 1,
        sort_order=seq,
    )
    _change(unit=unit, kind=UnitChange.Kind.CREATED, actor=actor, before={}, after=_snapshot(unit))
    return unit


def _listed(names: list[str], *, shown: int = 10) -> str:
    """“甲”、“乙” … for a message; long lists end with how many there are in all."""
    text = "、".join(f"“{n}”" for n in names[:shown])
    return text + (f" 等 {len(names)} 个" if len(names) > shown else "")


@transaction.atomic
def unit_create_batch(*, actor: Actor, parent: Unit, kind: str, names: list[str]) -> list[Unit]:
    """Create many grids or buildings under one parent at once, all or nothing.

    The same rules as `unit_create` (it is called for each name, so permission, kind checks and
    code generation cannot drift); checked up front so that one message names every clash:
    blank names are skipped, at most `BATCH_MAX` per batch, no name twice in the batch or
    already used by an active sibling.
    """
    if kind not in LOCAL_KINDS:
        raise DomainError(
            "只能新建网格或楼栋；县区、乡镇街道、村社区来自统计用区划代码，由系统导入。",
            field="kind",
        )
    parent = _locked(parent)
    _require_manage(actor, parent, what="在{unit}下新建单元")
    if not parent.is_active:
        raise DomainError(f"{_label(parent)}已撤销，不能在其下新建单元。", field="kind")
    _check_parent_kind(kind, parent, field="kind")
    cleaned = [" ".join(n.split()) for n in names if n and n.strip()]
    if not cleaned:
        raise DomainError("请至少填写一个名称。", field="names")
    if len(cleaned) > BATCH_MAX:
        raise DomainError(
            f"一次最多新建 {BATCH_MAX} 个（现有 {len(cleaned)} 个），请分批填写。", field="names"
        )
    too_long = [n for n in cleaned if len(n) > NAME_MAX]
    if too_long:
        raise DomainError(f"名称不能超过 {NAME_MAX} 个字：{_listed(too_long)}。", field="names")
    seen: set[str] = set()
    repeated: dict[str, None] = {}  # ordered, each name once
    for n in cleaned:
        if n in seen:
            repeated[n] = None
        seen.add(n)
    if repeated:
        raise DomainError(f"以下名称重复填写：{_listed(list(repeated))}。", field="names")
    taken = set(
        parent.children.filter(is_active=True, display_name__in=cleaned).values_list(
            "display_name", flat=True
        )
    )
    if taken:
        raise DomainError(
            f"{_label(parent)}下已有：{_listed([n for n in cleaned if n in taken])}。",
            field="names",
        )
    return [unit_create(actor=actor, parent=parent, kind=kind, name=n) for n in cleaned]


@transaction.atomic
def unit_rename(*, actor: Actor, unit: Unit, display_name: str, name: str | None = None) -> Unit:
    """Change the display name (any unit) and, for grids and buildings, the name itself.

    An empty display name falls back to the shortened official name.
    """
    unit = _locked(unit)
    _require_manage(actor, unit, what="修改")
    before = _snapshot(unit)
    if name is not None and " ".join(name.split()) != unit.name:
        if unit.is_official:
            raise DomainError(
                f"{_label(unit)}的规范名称来自统计用区划代码，不能修改；可以修改它的简称。",
                field="name",
            )
        unit.name = _clean_name(name, field="name", label="名称")
    fallback = shorten_name(unit.name, unit.kind)
    unit.display_name = _clean_name(display_name or fallback, field="display_name", label="简称")
    if (unit.name, unit.display_name) == (before["name"], before["display_name"]):
        return unit
    if unit.parent is not None:
        _check_name_free(parent=unit.parent, display_name=unit.display_name, exclude_pk=unit.pk)
    unit.save(update_fields=["name", "display_name", "updated_at"])
    _change(
        unit=unit, kind=UnitChange.Kind.RENAMED, actor=actor, before=before, after=_snapshot(unit)
    )
    return unit


@transaction.atomic
def unit_move(*, actor: Actor, unit: Unit, new_parent: Unit) -> Unit:
    """Hang a unit (and its whole subtree) under another parent of an allowed kind."""
    unit = _locked(unit)
    new_parent = _locked(new_parent)
    _require_structural(actor, unit, action="调整隶属")
    _require_manage(actor, new_parent, what="把单元调整到{unit}下")
    if not unit.is_active:
        raise DomainError(f"{_label(unit)}已撤销，请先恢复再调整。", field="new_parent")
    if not new_parent.is_active:
        raise DomainError(f"{_label(new_parent)}已撤销，不能调入。", field="new_parent")
    if new_parent.pk == unit.parent_id:
        raise DomainError(f"{_label(unit)}已在{_label(new_parent)}下。", field="new_parent")
    if new_parent.path.startswith(unit.path):
        raise DomainError("不能把单元调整到它自己或它的下级之下。", field="new_parent")
    _check_parent_kind(unit.kind, new_parent, field="new_parent")
    _check_name_free(parent=new_parent, display_name=unit.display_name)

    before = _snapshot(unit)
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.code}/"
    moved = _rewrite_subtree(
        old_prefix=old_path,
        new_prefix=new_path,
        depth_delta=new_parent.depth + 1 - unit.depth,
        exclude_pk=unit.pk,
    )
    unit.parent = new_parent
    unit.path = new_path
    unit.depth = new_parent.depth + 1
    unit.save(update_fields=["parent", "path", "depth", "updated_at"])
    if moved:
        audit_record(
            action=AuditEvent.Action.UPDATE,
            obj=unit,
            changes={"descendants_path": {"old": old_path, "new": new_path, "count": moved}},
        )
    _change(
        unit=unit,
        kind=UnitChange.Kind.MOVED,
        actor=actor,
        before=before,
        after={**_snapshot(unit), "descendants_moved": moved},
    )
    return unit


@transaction.atomic
def unit_merge(*, actor: Actor, source: Unit, target: Unit, note: str = "") -> Unit:
    """Merge `source` into `target` (same kind): its households, posts and child units move to
    the target, then the source is retired with `merged_into` pointing at the target.
    """
    source = _locked(source)
    target = _locked(target)
    _require_structural(actor, source, action="合并")
    _require_manage(actor, target, what="并入")
    if source.pk == target.pk:
        raise DomainError("不能把单元并入它自己。", field="target")
    if source.kind != target.kind:
        raise DomainError(
            f"只能合并同类单元：{_label(source)}是{source.get_kind_display()}，{_label(target)}是{target.get_kind_display()}。",
            field="target",
        )
    if not source.is_active:
        raise DomainError(f"{_label(source)}已撤销。", field="target")
    if not target.is_active:
        raise DomainError(f"{_label(target)}已撤销，不能并入。", field="target")
    if target.path.startswith(source.path) or source.path.startswith(target.path):
        raise DomainError("不能在上下级之间合并。", field="target")

    source_before = _snapshot(source)
    target_before = _snapshot(target)
    children = source.children.update(parent=target, updated_at=timezone.now())
    descendants = _rewrite_subtree(
        old_prefix=source.path,
        new_prefix=target.path,
        depth_delta=target.depth - source.depth,
        exclude_pk=source.pk,
    )
    Household = _model("people.Household")
    households = Household.objects.filter(unit=source).update(unit=target)
    # Staff posted at the source keep working, now at the merged unit.
    Post = _model("accounts.Post")
    posts = Post.objects.filter(unit=source, is_active=True).update(unit=target)
    unit_merged.send(sender=Unit, source=source, target=target, actor=actor)

    source.is_active = False
    source.retired_at = timezone.now()
    source.merged_into = target
    source.save(update_fields=["is_active", "retired_at", "merged_into", "updated_at"])
    moved = {
        "children": children,
        "descendants": descendants,
        "households": households,
        "posts": posts,
    }
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=target,
        changes={"merged_from": {"new": source.code, **moved}},
    )
    _change(
        unit=source,
        kind=UnitChange.Kind.MERGED,
        actor=actor,
        before=source_before,
        after={**_snapshot(source), **moved},
        note=note or f"并入{_label(target)}",
    )
    _change(
        unit=target,
        kind=UnitChange.Kind.MERGED,
        actor=actor,
        before=target_before,
        after={**_snapshot(target), "merged_from": source.code, **moved},
        note=f"{_label(source)}并入本单元",
    )
    return source


@transaction.atomic
def unit_retire(*, actor: Actor, unit: Unit, note: str = "") -> Unit:
    """Retire an empty unit. It stays in the tree, inactive, so its history remains reachable."""
    unit = _locked(unit)
    _require_structural(actor, unit, action="撤销")
    if not unit.is_active:
        raise DomainError(f"{_label(unit)}已经撤销。")
    blockers = unit_dependents(unit)
    if blockers:
        raise DomainError(
            f"{_label(unit)}下还有{'、'.join(blockers)}，请先迁移、合并或撤销后再撤销本单元（也可以直接合并到其他单元）。"
        )
    before = _snapshot(unit)
    unit.is_active = False
    unit.retired_at = timezone.now()
    unit.save(update_fields=["is_active", "retired_at", "updated_at"])
    _change(
        unit=unit,
        kind=UnitChange.Kind.RETIRED,
        actor=actor,
        before=before,
        after=_snapshot(unit),
        note=note,
    )
    return unit


@transaction.atomic
def unit_restore(*, actor: Actor, unit: Unit, note: str = "") -> Unit:
    """Bring a retired (or merged) unit back into use under its parent."""
    unit = _locked(unit)
    _require_structural(actor, unit, action="恢复")
    if unit.is_active:
        raise DomainError(f"{_label(unit)}在用，无需恢复。")
    parent = unit.parent if unit.parent_id else None
    if parent is not None and not parent.is_active:
        raise DomainError(f"上级{_label(parent)}已撤销，请先恢复上级。")
    if parent is not None:
        _check_name_free(parent=parent, display_name=unit.display_name, exclude_pk=unit.pk)
    before = _snapshot(unit)
    unit.is_active = True
    unit.retired_at = None
    unit.merged_into = None
    unit.save(update_fields=["is_active", "retired_at", "merged_into", "updated_at"])
    _change(
        unit=unit,
        kind=UnitChange.Kind.RESTORED,
        actor=actor,
        before=before,
        after=_snapshot(unit),
        note=note,
    )
    return unit


def unit_can_restructure(actor: Actor, unit: Unit) -> bool:
    """Whether move/merge/retire/restore are open to the actor (for showing the buttons)."""
    try:
        _require_structural(actor, unit, action="")
    except PermissionDenied:
        return False
    return True


__all__ = [
    "unit_can_restructure",
    "unit_create",
    "unit_create_batch",
    "unit_merge",
    "unit_move",
    "unit_rename",
    "unit_restore",
    "unit_retire",
]
