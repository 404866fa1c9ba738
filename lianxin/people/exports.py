"""Excel exports of the register: households, residents, the livelihood ledger and (from the
party app) members.

An exporter names its columns, the scoped queryset and how one row reads. The engine writes a
write-only openpyxl workbook row by row from a server-side iterator into a spooled temporary
file, so memory stays flat however many rows the scope holds, and the response streams that
file. ID numbers and phones only ever leave as their masks. Each export is audit-logged once.
Other apps add exporters in ``lianxin.<app>.exports`` (autodiscovered).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from lianxin.accounts.permissions import Perm
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.scope import Actor
from lianxin.people.models import Household, Resident

ITERATOR_CHUNK = 2000


class Exporter:
    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    order: ClassVar[int] = 100
    headers: ClassVar[tuple[str, ...]] = ()
    perm: ClassVar[str] = Perm.PEOPLE_EXPORT

    def queryset(self, actor: Actor, unit: Any | None) -> QuerySet:
        raise NotImplementedError

    def row(self, obj: Any) -> list[Any]:
        raise NotImplementedError


_REGISTRY: dict[str, Exporter] = {}
_discovered = False


def register_exporter(exporter_class: type[Exporter]) -> type[Exporter]:
    """Class decorator: make an exporter available under its `kind`."""
    _REGISTRY[exporter_class.kind] = exporter_class()
    return exporter_class


def exporters() -> dict[str, Exporter]:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("exports")
        _discovered = True
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_exporter(kind: str) -> Exporter | None:
    return exporters().get(kind)


def _under(qs: QuerySet, path_field: str, unit: Any | None) -> QuerySet:
    return qs.filter(**{f"{path_field}__startswith": unit.path}) if unit is not None else qs


@register_exporter
class HouseholdExporter(Exporter):
    kind = "households"
    label = "户"
    order = 10
    headers = ("楼栋", "单元编码", "门牌", "户主姓名", "户号", "居住类型", "在册人数", "备注")

    def queryset(self, actor: Actor, unit: Any | None) -> QuerySet:
        qs = Household.objects.visible_to(actor, self.perm).filter(is_active=True)
        return (
            _under(qs, "unit__path", unit)
            .select_related("unit")
            .annotate(resident_count=Count("residents", filter=Q(residents__is_active=True)))
            .order_by("unit__path", "address", "id")
        )

    def row(self, h: Household) -> list[Any]:
        return [
            h.unit.display_name,
            h.unit.code,
            h.address,
            h.head_name,
            h.number,
            h.get_residence_type_display() if h.residence_type else "",
            h.resident_count,
            h.note,
        ]


@register_exporter
class ResidentExporter(Exporter):
    kind = "residents"
    label = "居民"
    order = 20
    headers = (
        "楼栋",
        "门牌",
        "姓名",
        "性别",
        "出生日期",
        "与户主关系",
        "身份证号",
        "手机号",
        "备注",
    )

    def queryset(self, actor: Actor, unit: Any | None) -> QuerySet:
        qs = Resident.objects.visible_to(actor, self.perm).filter(is_active=True)
        return (
            _under(qs, "household__unit__path", unit)
            .select_related("household__unit")
            # Never load the ciphertexts into the exporting process.
            .defer("id_number_cipher", "phone_cipher", "id_number_digest", "phone_digest")
            .order_by("household__unit__path", "household__address", "id")
        )

    def row(self, r: Resident) -> list[Any]:
        return [
            r.household.unit.display_name,
            r.household.address,
            r.name,
            r.get_sex_display() if r.sex else "",
            r.birth_date,
            r.relation,
            r.id_number_masked,
            r.phone_masked,
            r.note,
        ]


@register_exporter
class LedgerExporter(Exporter):
    """The active ledger entries in the actor's export scope. Needs `people.export` (not just
    `ledger.view`): the file leaves the system, so frontline roles look but do not export."""

    kind = "ledger"
    label = "民生台账"
    order = 40
    headers = (
        "姓名",
        "身份证号",
        "楼栋",
        "门牌",
        "类别",
        "帮扶人",
        "走访周期（天）",
        "登记日期",
        "最近走访",
        "下次走访截止",
        "是否逾期",
        "情况说明",
    )

    def queryset(self, actor: Actor, unit: Any | None) -> QuerySet:
        from lianxin.people.models import LedgerEntry

        today = timezone.localdate()
        qs = (
            LedgerEntry.objects.visible_to(actor, self.perm)
            .visible_to(actor, Perm.LEDGER_VIEW)
            .filter(is_active=True)
        )
        return (
            _under(qs, "resident__household__unit__path", unit)
            .select_related("tag", "resident__household__unit", "helper_user", "helper_resident")
            .defer(
                "resident__id_number_cipher",
                "resident__phone_cipher",
                "helper_resident__id_number_cipher",
                "helper_resident__phone_cipher",
            )
            .annotate(
                overdue=ExpressionWrapper(Q(next_visit_due__lt=today), output_field=BooleanField())
            )
            .order_by("resident__household__unit__path", "resident__household__address", "id")
        )

    def row(self, e: Any) -> list[Any]:
        r = e.resident
        return [
            r.name,
            r.id_number_masked,
            r.household.unit.display_name,
            r.household.address,
            e.tag.name,
            e.helper_label,
            e.visit_interval_days,
            e.started_on,
            e.last_visit_on,
            e.next_visit_due,
            "是" if e.overdue else "否",
            e.note,
        ]


@dataclass
class ExportResult:
    file: IO[bytes]
    filename: str
    rows: int


def export_unit(actor: Actor, exporter: Exporter, unit_public_id: Any | None) -> Any | None:
    """The unit filter of an export, inside the actor's export scope (Http404 otherwise)."""
    if not unit_public_id:
        return None
    from lianxin.people.selectors import unit_in_scope

    return unit_in_scope(actor, exporter.perm, unit_public_id)


def write_export(*, actor: Actor, exporter: Exporter, unit: Any | None) -> ExportResult:
    """Write the scoped rows into a temporary xlsx (write-only mode) and audit the export."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(exporter.label)
    ws.append(list(exporter.headers))
    count = 0
    for obj in exporter.queryset(actor, unit).iterator(chunk_size=ITERATOR_CHUNK):
        ws.append(exporter.row(obj))
        count += 1
    fh = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - handed to the response
    wb.save(fh)
    fh.seek(0)
    where = unit.display_name if unit is not None else "全部辖区"
    audit_record(
        action=AuditEvent.Action.EXPORT,
        object_type=f"export.{exporter.kind}",
        object_id=str(unit.public_id) if unit is not None else "",
        object_repr=f"导出{exporter.label}：{where}（{count}行）"[:200],
        changes={"kind": exporter.kind, "rows": count},
        scope_path=unit.path
        if unit is not None
        else _common_path(actor.scope_paths(exporter.perm)),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return ExportResult(file=fh, filename=f"{exporter.label}-{where}-{stamp}.xlsx", rows=count)


def _common_path(paths: Iterable[str]) -> str:
    paths = list(paths)
    return paths[0] if len(paths) == 1 else ""


def run_export_cli(*, kind: str, path: Path, unit_code: str, username: str) -> int:
    """`lianxin export KIND -o FILE --unit CODE --user U`: write the scoped, masked rows."""
    from django.http import Http404

    from lianxin.accounts.actor import Actor as AccountActor
    from lianxin.accounts.models import User
    from lianxin.audit.context import AuditContext, acting
    from lianxin.territory.models import Unit

    exporter = get_exporter(kind)
    if exporter is None:
        print(f"错误：未知的导出类型 {kind}", file=sys.stderr)
        return 2
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        print(f"错误：找不到账号 {username}", file=sys.stderr)
        return 2
    actor = AccountActor.for_user(user)
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        print(f"错误：找不到编码为 {unit_code} 的单元", file=sys.stderr)
        return 2
    try:
        unit = export_unit(actor, exporter, unit.public_id)
    except Http404:
        print(f"错误：账号 {username} 无权导出 {unit.display_name} 的数据", file=sys.stderr)
        return 2
    with acting(AuditContext(user_id=user.pk, post_label=actor.post_label, channel="cli")):
        result = write_export(actor=actor, exporter=exporter, unit=unit)
    with result.file as src, open(path, "wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
    print(f"已导出{exporter.label} {result.rows} 行（身份证号、手机号已脱敏）到 {path}")
    return 0
