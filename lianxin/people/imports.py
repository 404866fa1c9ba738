"""The Excel import framework, and the household and resident importers.

An importer (one per kind: ``households``, ``residents``, ``members`` …) declares its columns
and three steps; the engine here reads the file with python-calamine, runs the steps, reports
every bad row (row number, column header, reason — never the cell value, which may be an ID
number) and writes all valid rows in ONE transaction, or nothing:

1. ``begin(ctx)`` loads look-ups once (buildings under the target unit, organisations …);
2. ``parse_row(ctx, row)`` checks one row and returns a record with its personal data already
   encrypted and digested, or raises `RowRejected` listing every bad column of that row;
3. ``check_file(ctx, records)`` finds what needs all rows (duplicates within the file, ID numbers
   already in the database) and returns errors by row;
4. ``write(ctx, records)`` bulk-creates the valid records inside the engine's transaction.

Other apps register importers by defining ``lianxin.<app>.imports`` and calling `register`;
`importers()` autodiscovers those modules (the party-member importer lives in
``lianxin/party/imports.py``). The background task (`lianxin.people.tasks`), the command line
(`run_import_cli`) and the benchmark all go through `run_import_job`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import models, transaction
from django.utils import timezone

from lianxin.accounts.permissions import Perm
from lianxin.audit.context import AuditContext, acting
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import crypto
from lianxin.core.idnumber import IdNumberInfo, InvalidIdNumber, parse_id_number
from lianxin.core.scope import Actor
from lianxin.people.models import Household, ImportJob, Resident

logger = logging.getLogger(__name__)

DATA_SHEET = "数据"
NOTES_SHEET = "说明"
PROGRESS_EVERY = 1000
BULK_BATCH = 1000
# SQLite allows 32766 bound parameters; keep IN (...) look-ups well below on every backend.
LOOKUP_CHUNK = 900
MAX_UPLOAD_BYTES = 60 * 1024 * 1024
MISSING = "必填项为空"


# --- declarations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template: its header (what users see and the engine matches), the
    key the importer reads, whether it is required, what it means and an example value."""

    header: str
    key: str
    required: bool = False
    help: str = ""
    example: str = ""
    width: int = 16
    text: bool = True  # formatted as text in the template so long digit strings survive Excel


class RowRejected(Exception):
    """A row is bad; `problems` lists (column header, reason) — every one found, not the first."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


@dataclass
class Row:
    number: int  # the Excel row number (header is usually row 1)
    values: dict[str, Any]

    def text(self, key: str) -> str:
        return cell_text(self.values.get(key))

    def raw(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class ImportContext:
    actor: Actor
    unit: Any  # territory.Unit: the village or grid the file is imported into
    today: dt.date
    job: ImportJob | None = None
    cache: dict[str, Any] = field(default_factory=dict)


class Importer:
    """Base class of an importer; subclasses set the class attributes and the four steps."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    order: ClassVar[int] = 100
    columns: ClassVar[tuple[Column, ...]] = ()
    # Permissions the actor needs at the target unit (all of them).
    perms: ClassVar[tuple[str, ...]] = (Perm.PEOPLE_IMPORT,)
    notes: ClassVar[tuple[str, ...]] = ()

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def header(self, key: str) -> str:
        return self.column(key).header

    def begin(self, ctx: ImportContext) -> None:  # noqa: B027 - optional hook
        pass

    def parse_row(self, ctx: ImportContext, row: Row) -> Any:
        raise NotImplementedError

    def check_file(
        self, ctx: ImportContext, records: list[Any]
    ) -> dict[int, list[tuple[str, str]]]:
        return {}

    def write(self, ctx: ImportContext, records: list[Any]) -> dict[str, int]:
        raise NotImplementedError

    def summary_text(self, summary: dict[str, int]) -> str:
        return "，".join(f"{k} {v}" for k, v in summary.items())


_REGISTRY: dict[str, Importer] = {}
_discovered = False


def register(importer_class: type[Importer]) -> type[Importer]:
    """Class decorator: make an importer available under its `kind`."""
    _REGISTRY[importer_class.kind] = importer_class()
    return importer_class


def importers() -> dict[str, Importer]:
    """Every registered importer, by kind, in display order (autodiscovers app modules)."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("imports")
        _discovered = True
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_importer(kind: str) -> Importer | None:
    return importers().get(kind)


# --- cell helpers (shared with other apps' importers) ---------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as trimmed text: 13800000000.0 → "13800000000", dates → ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def parse_date_cell(value: Any) -> dt.date | None:
    """A date typed in any common way (Excel date, 2001-07-01, 2001/7/1, 2001年7月1日,
    20010701); None when empty; ValueError with a Chinese reason when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    m = _DATE_RE.match(text)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if re.fullmatch(r"\d{8}", text):
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise ValueError("日期不存在") from exc
    raise ValueError("日期格式应为 2001-07-01")


@dataclass(frozen=True)
class ParsedId:
    info: IdNumberInfo
    protected: crypto.Protected


def parse_id_cell(value: Any) -> ParsedId:
    """Validate an ID number cell (GB 11643) and encrypt it at once, so the plaintext lives
    only for this call; ValueError carries the reason (never the value)."""
    text = cell_text(value)
    if isinstance(value, float):
        # 18 digits do not survive as an Excel number: the last ones are already lost.
        raise ValueError("身份证号被 Excel 存成了数字，末几位已丢失，请将该列设为文本后重新填写")
    try:
        info = parse_id_number(text)
    except InvalidIdNumber as exc:
        raise ValueError(str(exc)) from exc
    return ParsedId(info=info, protected=crypto.protect_id_number(info.number))


def parse_phone_cell(value: Any) -> crypto.Protected | None:
    """Validate and protect a phone cell; None when empty."""
    from lianxin.core.errors import DomainError
    from lianxin.people.services import validate_phone

    text = cell_text(value)
    if not text:
        return None
    try:
        phone = validate_phone(text)
    except DomainError as exc:
        raise ValueError(exc.message) from exc
    return crypto.protect_phone(phone)


class BuildingIndex:
    """Finds the unit a 楼栋 cell names, among the active buildings and grids under the
    target unit, by code or display name; an empty cell means the target unit itself."""

    KINDS = ("building", "grid")

    def __init__(self, unit: Any) -> None:
        from lianxin.territory.models import Unit

        self.unit = unit
        self.by_code: dict[str, Any] = {}
        self.by_name: dict[str, list[Any]] = {}
        rows = Unit.objects.filter(
            path__startswith=unit.path, kind__in=self.KINDS, is_active=True
        ).only("id", "code", "name", "display_name", "path", "kind")
        for u in rows:
            self.by_code[u.code.upper()] = u
            names = {u.display_name, u.name}
            for n in names:
                self.by_name.setdefault(n, []).append(u)

    def resolve(self, text: str) -> Any:
        """The unit named, or ValueError with the reason."""
        if not text:
            return self.unit
        hit = self.by_code.get(text.upper())
        if hit is not None:
            return hit
        found = {u.pk: u for u in self.by_name.get(text, [])}
        if len(found) == 1:
            return next(iter(found.values()))
        if len(found) > 1:
            raise ValueError(
                f"“{self.unit.display_name}”下有多个名为“{text}”的楼栋，请填写楼栋编码"
            )
        raise ValueError(f"“{self.unit.display_name}”下没有楼栋“{text}”")


def existing_id_digests(digests: Iterable[str]) -> set[str]:
    """Which of these ID digests are already registered (any scope: one person, one record)."""
    wanted = sorted(set(digests))
    found: set[str] = set()
    for i in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[i : i + LOOKUP_CHUNK]
        found.update(
            Resident.objects.filter(id_number_digest__in=chunk).values_list(
                "id_number_digest", flat=True
            )
        )
    return found


def duplicates_in_file(
    records: Sequence[Any], key: Callable[[Any], Any], column: str, what: str
) -> dict[int, list[tuple[str, str]]]:
    """Rows repeating an earlier row's key: each later row is named with the first one."""
    first: dict[Any, int] = {}
    errors: dict[int, list[tuple[str, str]]] = {}
    for rec in records:
        k = key(rec)
        if k is None:
            continue
        if k in first:
            errors.setdefault(rec.row, []).append((column, f"与第{first[k]}行{what}重复"))
        else:
            first[k] = rec.row
    return errors


def merge_errors(*parts: dict[int, list[tuple[str, str]]]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for part in parts:
        for row, problems in part.items():
            out.setdefault(row, []).extend(problems)
    return out


def new_resident(record: Any, household_id: int, **extra: Any) -> Resident:
    """An unsaved Resident from a parsed import row that carries the already-protected
    ID number (`id_cipher/id_digest/id_masked`) and phone (`phone`: Protected or None)."""
    resident = Resident(
        household_id=household_id,
        name=record.name,
        sex=record.sex,
        birth_date=record.birth_date,
        id_number_cipher=record.id_cipher,
        id_number_digest=record.id_digest,
        id_number_masked=record.id_masked,
        **extra,
    )
    crypto.assign(resident, "phone", record.phone)
    return resident


def bulk_create_returning(
    model: type[models.Model], objs: list[Any], batch_size: int = BULK_BATCH
) -> list[Any]:
    """bulk_create that guarantees primary keys on the objects, also on a backend that cannot
    return them (they are then read back by public_id)."""
    model._default_manager.bulk_create(objs, batch_size=batch_size)
    missing = [o for o in objs if o.pk is None]
    if missing:
        ids: dict[Any, int] = {}
        keys = [o.public_id for o in missing]
        for i in range(0, len(keys), LOOKUP_CHUNK):
            ids.update(
                model._default_manager.filter(public_id__in=keys[i : i + LOOKUP_CHUNK]).values_list(
                    "public_id", "pk"
                )
            )
        for o in missing:
            o.pk = ids[o.public_id]
    return objs


def households_for(pairs: dict[tuple[int, str], str]) -> tuple[dict[tuple[int, str], int], int]:
    """Map each (unit id, address) to an active household, creating the missing ones with the
    given head name; returns the map and how many were created."""
    unit_ids = sorted({u for u, _ in pairs})
    existing: dict[tuple[int, str], int] = {}
    for i in range(0, len(unit_ids), LOOKUP_CHUNK):
        rows = Household.objects.filter(
            unit_id__in=unit_ids[i : i + LOOKUP_CHUNK], is_active=True
        ).values_list("unit_id", "address", "pk")
        for unit_id, address, pk in rows:
            existing.setdefault((unit_id, address), pk)
    new = [
        Household(unit_id=unit_id, address=address, head_name=head)
        for (unit_id, address), head in pairs.items()
        if (unit_id, address) not in existing
    ]
    bulk_create_returning(Household, new)
    for h in new:
        existing[(h.unit_id, h.address)] = h.pk
    return existing, len(new)


# --- households and residents --------------------------------------------------------------------

BUILDING_HELP = "楼栋名称或编码，须是导入单元下已建的楼栋（或网格）；不填则挂在导入单元本身"
HEAD_RELATIONS = frozenset({"户主", "本人"})
RESIDENCE_LABELS = {
    "自有住房": "owner",
    "自有": "owner",
    "租住": "tenant",
    "租房": "tenant",
    "其他": "other",
}


@dataclass
class HouseholdRecord:
    row: int
    unit_id: int
    address: str
    head_name: str
    number: str
    residence_type: str
    note: str


@register
class HouseholdImporter(Importer):
    kind = "households"
    label = "户"
    order = 10
    columns = (
        Column("楼栋", "building", help=BUILDING_HELP, example="迎秀小区1号楼"),
        Column(
            "门牌",
            "address",
            required=True,
            help="单元、楼层与房号，同一楼栋内不重复",
            example="1单元101",
        ),
        Column("户主姓名", "head_name", help="户主姓名", example="张建国", width=12),
        Column("户号", "number", help="户籍或台账上的户号，可不填", example="HX0001", width=12),
        Column(
            "居住类型", "residence_type", help="自有住房、租住或其他", example="自有住房", width=12
        ),
        Column("备注", "note", help="300字以内", example="", width=24),
    )
    notes = ("同一楼栋下门牌已登记的户不会重复导入，会作为错误行报告。",)

    def begin(self, ctx: ImportContext) -> None:
        ctx.cache["buildings"] = BuildingIndex(ctx.unit)

    def parse_row(self, ctx: ImportContext, row: Row) -> HouseholdRecord:
        problems: list[tuple[str, str]] = []
        unit, address = parse_place(self, ctx, row, problems)
        residence = row.text("residence_type")
        residence_type = RESIDENCE_LABELS.get(residence, "") if residence else ""
        if residence and not residence_type:
            problems.append((self.header("residence_type"), "居住类型只能是自有住房、租住或其他"))
        head = row.text("head_name")
        if len(head) > 50:
            problems.append((self.header("head_name"), "户主姓名不能超过50个字"))
        if problems:
            raise RowRejected(problems)
        return HouseholdRecord(
            row=row.number,
            unit_id=unit.pk,
            address=address,
            head_name=head,
            number=row.text("number")[:40],
            residence_type=residence_type,
            note=row.text("note")[:300],
        )

    def check_file(
        self, ctx: ImportContext, records: list[HouseholdRecord]
    ) -> dict[int, list[tuple[str, str]]]:
        col = self.header("address")
        dup = duplicates_in_file(records, lambda r: (r.unit_id, r.address), col, "门牌")
        taken = set(
            Household.objects.filter(
                unit__path__startswith=ctx.unit.path, is_active=True
            ).values_list("unit_id", "address")
        )
        in_db = {
            r.row: [(col, "该门牌已登记在册")] for r in records if (r.unit_id, r.address) in taken
        }
        return merge_errors(dup, in_db)

    def write(self, ctx: ImportContext, records: list[HouseholdRecord]) -> dict[str, int]:
        objs = [
            Household(
                unit_id=r.unit_id,
                address=r.address,
                head_name=r.head_name,
                number=r.number,
                residence_type=r.residence_type,
                note=r.note,
            )
            for r in records
        ]
        Household.objects.bulk_create(objs, batch_size=BULK_BATCH)
        return {"households_created": len(objs)}

    def summary_text(self, summary: dict[str, int]) -> str:
        return f"新增户 {summary.get('households_created', 0)} 户"


@dataclass
class ResidentRecord:
    row: int
    unit_id: int
    address: str
    name: str
    relation: str
    note: str
    birth_date: dt.date
    sex: str
    id_cipher: str
    id_digest: str
    id_masked: str
    phone: crypto.Protected | None


def parse_place(
    importer: Importer,
    ctx: ImportContext,
    row: Row,
    problems: list[tuple[str, str]],
    *,
    address_required: bool = True,
) -> tuple[Any, str]:
    """The 楼栋 and 门牌 columns shared by every importer that places people in a household:
    the building under the target unit (needs `BuildingIndex` in ctx.cache) and the door."""
    unit = None
    try:
        unit = ctx.cache["buildings"].resolve(row.text("building"))
    except ValueError as exc:
        problems.append((importer.header("building"), str(exc)))
    address = row.text("address")
    if not address and address_required:
        problems.append((importer.header("address"), MISSING))
    elif len(address) > 120:
        problems.append((importer.header("address"), "门牌不能超过120个字"))
    return unit, address


@register
class ResidentImporter(Importer):
    kind = "residents"
    label = "居民"
    order = 20
    columns = (
        Column("楼栋", "building", help=BUILDING_HELP, example="迎秀小区1号楼"),
        Column(
            "门牌",
            "address",
            required=True,
            help="居民所在户的门牌；同一楼栋、同一门牌的居民归为一户，该户不存在时自动建户",
            example="1单元101",
        ),
        Column("姓名", "name", required=True, help="居民姓名", example="张建国", width=12),
        Column(
            "身份证号",
            "id_number",
            required=True,
            help="18位居民身份证号，按国家标准校验出生日期与校验位；请保持文本格式",
            example="410883196001010015",
            width=22,
        ),
        Column(
            "手机号",
            "phone",
            help="11位手机号或带区号的座机，可不填",
            example="13800000000",
            width=14,
        ),
        Column(
            "与户主关系",
            "relation",
            help="户主、配偶、子女、父母……；填“户主”者作为该户户主",
            example="户主",
            width=12,
        ),
        Column("备注", "note", help="300字以内", example="", width=24),
    )
    notes = (
        "出生日期与性别由身份证号自动得出，不必填写。",
        "身份证号已在系统中登记的居民不会重复导入，会作为错误行报告。",
    )

    def begin(self, ctx: ImportContext) -> None:
        ctx.cache["buildings"] = BuildingIndex(ctx.unit)

    def parse_row(self, ctx: ImportContext, row: Row) -> ResidentRecord:
        problems: list[tuple[str, str]] = []
        unit, address = parse_place(self, ctx, row, problems)
        name = row.text("name")
        if not name:
            problems.append((self.header("name"), MISSING))
        elif len(name) > 50:
            problems.append((self.header("name"), "姓名不能超过50个字"))
        parsed: ParsedId | None = None
        if not row.text("id_number"):
            problems.append((self.header("id_number"), MISSING))
        else:
            try:
                parsed = parse_id_cell(row.raw("id_number"))
            except ValueError as exc:
                problems.append((self.header("id_number"), str(exc)))
        phone: crypto.Protected | None = None
        try:
            phone = parse_phone_cell(row.raw("phone"))
        except ValueError as exc:
            problems.append((self.header("phone"), str(exc)))
        if problems:
            raise RowRejected(problems)
        assert parsed is not None and unit is not None
        return ResidentRecord(
            row=row.number,
            unit_id=unit.pk,
            address=address,
            name=name,
            relation=row.text("relation")[:20],
            note=row.text("note")[:300],
            birth_date=parsed.info.birth_date,
            sex=parsed.info.sex,
            id_cipher=parsed.protected.cipher,
            id_digest=parsed.protected.digest,
            id_masked=parsed.protected.masked,
            phone=phone,
        )

    def check_file(
        self, ctx: ImportContext, records: list[ResidentRecord]
    ) -> dict[int, list[tuple[str, str]]]:
        col = self.header("id_number")
        dup = duplicates_in_file(records, lambda r: r.id_digest, col, "身份证号")
        taken = existing_id_digests(r.id_digest for r in records)
        in_db = {
            r.row: [(col, "该身份证号已在系统中登记")] for r in records if r.id_digest in taken
        }
        return merge_errors(dup, in_db)

    def write(self, ctx: ImportContext, records: list[ResidentRecord]) -> dict[str, int]:
        # A new household is named after its 户主 row, else after its first resident.
        heads: dict[tuple[int, str], str] = {}
        marked: set[tuple[int, str]] = set()
        for r in records:
            key = (r.unit_id, r.address)
            if key in marked:
                continue
            if key not in heads or r.relation in HEAD_RELATIONS:
                heads[key] = r.name
            if r.relation in HEAD_RELATIONS:
                marked.add(key)
        household_ids, created = households_for(heads)
        objs = [
            new_resident(r, household_ids[(r.unit_id, r.address)], relation=r.relation, note=r.note)
            for r in records
        ]
        Resident.objects.bulk_create(objs, batch_size=BULK_BATCH)
        return {"households_created": created, "residents_created": len(objs)}

    def summary_text(self, summary: dict[str, int]) -> str:
        return (
            f"新增居民 {summary.get('residents_created', 0)} 人，"
            f"新建户 {summary.get('households_created', 0)} 户"
        )


# --- livelihood ledger (民生台账) ---------------------------------------------------------------

_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
HELPER_UNKNOWN = "找不到该帮扶人：请填写本辖区工作人员的账号，或在册党员的身份证号"


@dataclass
class LedgerRecord:
    row: int
    id_digest: str
    name: str
    tag: Any  # VulnerabilityTag
    helper_kind: str  # "", "user" (username) or "resident" (ID digest)
    helper_key: str
    interval: int | None
    started_on: dt.date
    note: str
    resident: Any = None  # set by check_file
    helper_user: Any = None
    helper_resident: Any = None


@register
class LedgerImporter(Importer):
    """Registers residents already in the target unit into the ledger. The helper and interval
    rules are those of `services.ledger_entry_create` (its `ledger_helper_check`/`ledger_interval_check`);
    the helper stays optional here so a class list can be loaded before helpers are assigned."""

    kind = "ledger"
    label = "民生台账"
    order = 40
    perms = (Perm.PEOPLE_IMPORT, Perm.LEDGER_MANAGE)
    columns = (
        Column(
            "身份证号",
            "id_number",
            required=True,
            help="居民的18位身份证号；该居民须已在导入单元登记",
            example="410883196001010015",
            width=22,
        ),
        Column("姓名", "name", help="可不填；填写时须与登记的姓名一致", example="张建国", width=12),
        Column(
            "类别",
            "tag",
            required=True,
            help="民生台账类别的名称或代码，如高龄老人、独居老人、低保户",
            example="独居老人",
            width=16,
        ),
        Column(
            "帮扶人",
            "helper",
            help="可不填；本辖区工作人员的登录账号，或在册党员（本辖区居民）的身份证号",
            example="",
            width=22,
        ),
        Column(
            "走访周期（天）",
            "interval",
            help="可不填，默认取类别的走访周期",
            example="7",
            width=12,
        ),
        Column(
            "登记日期", "started_on", help="如 2024-03-01，可不填（默认今天）", example="", width=12
        ),
        Column("情况说明", "note", help="300字以内", example="", width=30),
    )
    notes = (
        "只登记已在导入单元登记的居民；同一居民同一类别已在册的不会重复登记，会作为错误行报告。",
        "第一次走访的截止日期为登记日期加走访周期。",
    )

    def begin(self, ctx: ImportContext) -> None:
        from lianxin.people.models import VulnerabilityTag

        tags = list(VulnerabilityTag.objects.filter(is_active=True).order_by("sort_order", "id"))
        # "高龄老人（70岁以上）" is also found as "高龄老人": spreadsheets rarely carry the gloss.
        short: dict[str, list[Any]] = {}
        for t in tags:
            short.setdefault(re.sub(r"[（(][^（(]*[）)]$", "", t.name).strip(), []).append(t)
        ctx.cache["tags"] = (
            {name: found[0] for name, found in short.items() if len(found) == 1}
            | {t.name: t for t in tags}
            | {t.code.lower(): t for t in tags}
        )
        ctx.cache["tag_names"] = "、".join(t.name for t in tags)

    def parse_row(self, ctx: ImportContext, row: Row) -> LedgerRecord:
        from lianxin.core.errors import DomainError
        from lianxin.people.services import ledger_interval_check

        problems: list[tuple[str, str]] = []
        h = self.header
        parsed: ParsedId | None = None
        if not row.text("id_number"):
            problems.append((h("id_number"), MISSING))
        else:
            try:
                parsed = parse_id_cell(row.raw("id_number"))
            except ValueError as exc:
                problems.append((h("id_number"), str(exc)))
        tag_text = row.text("tag")
        tag = ctx.cache["tags"].get(tag_text) or ctx.cache["tags"].get(tag_text.lower())
        if not tag_text:
            problems.append((h("tag"), MISSING))
        elif tag is None:
            problems.append((h("tag"), f"没有这个类别，应为：{ctx.cache['tag_names']}"))
        helper_kind, helper_key = "", ""
        helper_text = row.text("helper")
        if helper_text:
            raw = row.raw("helper")
            # An ID number typed as an Excel number arrives as a float: explain, do not guess.
            if _ID_LIKE.match(helper_text) or (isinstance(raw, float) and len(helper_text) > 14):
                try:
                    helper_kind, helper_key = "resident", parse_id_cell(raw).protected.digest
                except ValueError as exc:
                    problems.append((h("helper"), f"帮扶人身份证号有误：{exc}"))
            else:
                helper_kind, helper_key = "user", helper_text
        interval: int | None = None
        interval_text = row.text("interval")
        if interval_text:
            try:
                interval = ledger_interval_check(int(interval_text))
            except ValueError:
                problems.append((h("interval"), "走访周期应为整数天数"))
            except DomainError as exc:
                problems.append((h("interval"), exc.message))
        started_on = ctx.today
        try:
            started_on = parse_date_cell(row.raw("started_on")) or ctx.today
        except ValueError as exc:
            problems.append((h("started_on"), str(exc)))
        if started_on > ctx.today:
            problems.append((h("started_on"), "登记日期不能晚于今天"))
        note = row.text("note")
        if len(note) > 300:
            problems.append((h("note"), "情况说明不能超过300个字"))
        name = row.text("name")
        if problems:
            raise RowRejected(problems)
        assert parsed is not None
        return LedgerRecord(
            row=row.number,
            id_digest=parsed.protected.digest,
            name=name,
            tag=tag,
            helper_kind=helper_kind,
            helper_key=helper_key,
            interval=interval,
            started_on=started_on,
            note=note,
        )

    def check_file(
        self, ctx: ImportContext, records: list[LedgerRecord]
    ) -> dict[int, list[tuple[str, str]]]:
        from lianxin.people.models import LedgerEntry

        h = self.header
        errors: dict[int, list[tuple[str, str]]] = {}
        residents = _residents_by_digest(
            Resident.objects.filter(household__unit__path__startswith=ctx.unit.path),
            [r.id_digest for r in records],
        )
        for r in records:
            r.resident = residents.get(r.id_digest)
            if r.resident is None:
                errors.setdefault(r.row, []).append(
                    (h("id_number"), "该身份证号的居民未在本单元登记")
                )
            elif r.name and r.name != r.resident.name:
                errors.setdefault(r.row, []).append((h("name"), "姓名与登记信息不一致"))
        found = [r for r in records if r.resident is not None]
        dup = duplicates_in_file(found, lambda r: (r.resident.pk, r.tag.pk), h("tag"), "居民与类别")
        taken: set[tuple[int, int]] = set()
        resident_ids = sorted({r.resident.pk for r in found})
        for i in range(0, len(resident_ids), LOOKUP_CHUNK):
            taken.update(
                LedgerEntry.objects.filter(
                    resident_id__in=resident_ids[i : i + LOOKUP_CHUNK], is_active=True
                ).values_list("resident_id", "tag_id")
            )
        in_db = {
            r.row: [(h("tag"), f"该居民已在“{r.tag.name}”类别中登记")]
            for r in found
            if (r.resident.pk, r.tag.pk) in taken
        }
        return merge_errors(errors, dup, in_db, self._check_helpers(ctx, found))

    def _check_helpers(
        self, ctx: ImportContext, records: list[LedgerRecord]
    ) -> dict[int, list[tuple[str, str]]]:
        """Resolve each helper as `selectors.resolve_helper` does (active account; resident in
        the actor's people scope) and apply `services.ledger_helper_check`, once per distinct case."""
        from lianxin.accounts.models import User
        from lianxin.core.errors import DomainError
        from lianxin.people.services import ledger_helper_check

        usernames = sorted({r.helper_key for r in records if r.helper_kind == "user"})
        users = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)}
        members = _residents_by_digest(
            Resident.objects.visible_to(ctx.actor, Perm.PEOPLE_VIEW),
            [r.helper_key for r in records if r.helper_kind == "resident"],
        )
        header = self.header("helper")
        errors: dict[int, list[tuple[str, str]]] = {}
        verdicts: dict[tuple[Any, ...], str] = {}
        for r in records:
            if not r.helper_kind:
                continue
            if r.helper_kind == "user":
                r.helper_user = users.get(r.helper_key)
                helper = r.helper_user
                memo = ("u", getattr(helper, "pk", None), r.resident.household.unit.path)
            else:
                r.helper_resident = members.get(r.helper_key)
                helper = r.helper_resident
                memo = ("r", getattr(helper, "pk", None), helper == r.resident)
            if helper is None:
                errors.setdefault(r.row, []).append((header, HELPER_UNKNOWN))
                continue
            if memo not in verdicts:
                try:
                    ledger_helper_check(
                        actor=ctx.actor,
                        resident=r.resident,
                        helper_user=r.helper_user,
                        helper_resident=r.helper_resident,
                    )
                    verdicts[memo] = ""
                except DomainError as exc:
                    verdicts[memo] = exc.message
            if verdicts[memo]:
                errors.setdefault(r.row, []).append((header, verdicts[memo]))
        return errors

    def write(self, ctx: ImportContext, records: list[LedgerRecord]) -> dict[str, int]:
        from lianxin.people.models import LedgerEntry

        objs = []
        for r in records:
            days = r.interval or r.tag.default_visit_interval_days
            objs.append(
                LedgerEntry(
                    resident_id=r.resident.pk,
                    tag_id=r.tag.pk,
                    helper_user=r.helper_user,
                    helper_resident=r.helper_resident,
                    visit_interval_days=days,
                    started_on=r.started_on,
                    next_visit_due=r.started_on + dt.timedelta(days=days),
                    note=r.note,
                )
            )
        LedgerEntry.objects.bulk_create(objs, batch_size=BULK_BATCH)
        return {
            "ledger_entries_created": len(objs),
            "with_helper": sum(1 for r in records if r.helper_kind),
        }

    def summary_text(self, summary: dict[str, int]) -> str:
        return (
            f"新增台账 {summary.get('ledger_entries_created', 0)} 条"
            f"（已指定帮扶人 {summary.get('with_helper', 0)} 条）"
        )


def _residents_by_digest(qs: Any, digests: Iterable[str]) -> dict[str, Resident]:
    """Active residents of `qs` with these ID digests, with their unit, by digest."""
    wanted = sorted(set(digests))
    found: dict[str, Resident] = {}
    for i in range(0, len(wanted), LOOKUP_CHUNK):
        rows = (
            qs.filter(id_number_digest__in=wanted[i : i + LOOKUP_CHUNK], is_active=True)
            .select_related("household__unit")
            .defer("id_number_cipher", "phone_cipher")
        )
        found.update({res.id_number_digest: res for res in rows})
    return found


# --- reading --------------------------------------------------------------------------------------


class FileProblem(Exception):
    """The file as a whole cannot be imported (not xlsx, no header, missing columns)."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def _clean_header(text: str) -> str:
    text = cell_text(text).replace("＊", "*")
    text = re.sub(r"[（(]必填[）)]$", "", text).strip()
    return text.rstrip("*").strip()


@dataclass
class SheetRows:
    header_row: int
    positions: dict[str, int]  # column key → index
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells) of non-blank data rows


def read_sheet(content: bytes, importer: Importer) -> SheetRows:
    """Read the data sheet with calamine: find the header row, map headers to columns and
    keep the non-blank rows with their Excel row numbers."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = wb.sheet_names
        sheet_name = (
            DATA_SHEET
            if DATA_SHEET in names
            else next((n for n in names if n != NOTES_SHEET), None)
        )
        if sheet_name is None:
            raise FileProblem("文件中没有数据表")
        sheet = wb.get_sheet_by_name(sheet_name)
        iterator: Iterator[list[Any]] = iter(sheet.iter_rows())
        header_row, header = 0, None
        for number, cells in enumerate(iterator, start=1):
            if any(cell_text(c) for c in cells):
                header_row, header = number, cells
                break
        if header is None:
            raise FileProblem("数据表是空的：第一行应为列名")
        wanted = {c.header: c for c in importer.columns}
        positions: dict[str, int] = {}
        errors: list[dict[str, Any]] = []
        for idx, cell in enumerate(header):
            name = _clean_header(cell)
            col = wanted.get(name)
            if col is None:
                continue
            if col.key in positions:
                errors.append({"row": header_row, "column": name, "reason": "列名重复"})
            positions[col.key] = idx
        for col in importer.columns:
            if col.required and col.key not in positions:
                errors.append({"row": header_row, "column": col.header, "reason": "缺少必填列"})
        if errors:
            raise FileProblem("列名与模板不符，请下载模板核对", errors)
        rows: list[tuple[int, list[Any]]] = []
        for number, cells in enumerate(iterator, start=header_row + 1):
            if any(cell_text(c) for c in cells):
                rows.append((number, cells))
    except CalamineError as exc:
        raise FileProblem("无法读取文件：请上传 Excel（.xlsx）文件") from exc
    except (ValueError, OSError) as exc:
        raise FileProblem("无法读取文件：请上传 Excel（.xlsx）文件") from exc
    return SheetRows(header_row=header_row, positions=positions, rows=rows)


# --- kept files (encrypted at rest) ------------------------------------------------------------


def seal_file(content: bytes) -> bytes:
    """Encrypt an uploaded workbook for keeping: it holds ID numbers and phones in clear."""
    return crypto.encrypt(base64.b64encode(content).decode("ascii")).encode("ascii")


def open_sealed(sealed: bytes) -> bytes:
    return base64.b64decode(crypto.decrypt(sealed.decode("ascii")))


def job_file_content(job: ImportJob) -> bytes:
    with job.file.open("rb") as fh:
        return open_sealed(fh.read())


# --- the engine -----------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    status: str
    rows_total: int
    rows_valid: int
    rows_invalid: int
    rows_written: int
    errors: list[dict[str, Any]]
    summary: dict[str, int]
    message: str


def _progress(job: ImportJob, **fields: Any) -> None:
    # A plain UPDATE, committed at once outside the write transaction, so the page polling
    # the job sees it; not audited (progress is not a change of governed data). `updated_at`
    # moves with every progress write: `import_jobs_recover_stale` reads it as a heartbeat.
    fields.setdefault("updated_at", timezone.now())
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for k, v in fields.items():
        setattr(job, k, v)


def _finish(job: ImportJob, outcome: ImportOutcome) -> None:
    _progress(
        job,
        status=outcome.status,
        rows_total=outcome.rows_total,
        rows_done=outcome.rows_total,
        rows_valid=outcome.rows_valid,
        rows_invalid=outcome.rows_invalid,
        rows_written=outcome.rows_written,
        errors=outcome.errors,
        summary=outcome.summary,
        message=outcome.message[:300],
        finished_at=timezone.now(),
    )


def _audit_summary(job: ImportJob, importer: Importer | None, outcome: ImportOutcome) -> None:
    audit_record(
        action=AuditEvent.Action.IMPORT,
        object_type="people.importjob",
        object_id=str(job.public_id),
        object_repr=f"导入{importer.label if importer else job.kind}：{job.original_name}"[:200],
        changes={
            "kind": job.kind,
            "mode": job.mode,
            "status": outcome.status,
            "rows_total": outcome.rows_total,
            "rows_invalid": outcome.rows_invalid,
            "rows_written": outcome.rows_written,
            **{k: v for k, v in outcome.summary.items()},
        },
        scope_path=job.unit.path,
    )


def run_import_job(job_id: int, *, channel: str = "task") -> ImportJob:
    """Run one import job to the end (the Huey task, the CLI and the benchmark call this).

    A job runs once: it is claimed by moving it out of `pending` with a compare-and-set.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.VALIDATING, started_at=timezone.now(), updated_at=timezone.now()
    )
    job = ImportJob.objects.select_related("unit", "created_by").get(pk=job_id)
    if not claimed:
        return job
    actor = _actor_for(job.created_by)
    ctx_audit = AuditContext(
        user_id=job.created_by_id, post_label=actor.post_label, channel=channel
    )
    importer = get_importer(job.kind)
    with acting(ctx_audit):
        try:
            outcome = _run(job, importer, actor)
        except Exception as exc:
            # Log where it failed but not the exception text: it could quote a cell.
            logger.error(
                "import job %s failed with %s:\n%s",
                job.public_id,
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            outcome = ImportOutcome(
                status=ImportJob.Status.FAILED,
                rows_total=job.rows_total,
                rows_valid=0,
                rows_invalid=0,
                rows_written=0,
                errors=[],
                summary={},
                message=f"导入失败（{type(exc).__name__}），未写入任何数据，请联系管理员",
            )
        _finish(job, outcome)
        _audit_summary(job, importer, outcome)
    return job


def _actor_for(user: Any) -> Actor:
    from lianxin.accounts.actor import Actor as AccountActor

    return AccountActor.for_user(user)


def _run(job: ImportJob, importer: Importer | None, actor: Actor) -> ImportOutcome:
    def refused(message: str, errors: list[dict[str, Any]] | None = None) -> ImportOutcome:
        return ImportOutcome(ImportJob.Status.REJECTED, 0, 0, 0, 0, errors or [], {}, message)

    if importer is None:
        return refused(f"未知的导入类型“{job.kind}”")
    if not all(actor.can(p, job.unit.path) for p in importer.perms):
        return refused("没有向该单元导入的权限")
    try:
        sheet = read_sheet(job_file_content(job), importer)
    except FileProblem as exc:
        return refused(exc.message, exc.errors)
    total = len(sheet.rows)
    _progress(job, rows_total=total, rows_done=0)
    ctx = ImportContext(actor=actor, unit=job.unit, today=timezone.localdate(), job=job)
    importer.begin(ctx)

    errors: dict[int, list[tuple[str, str]]] = {}
    records: list[Any] = []
    positions = sheet.positions
    for done, (number, cells) in enumerate(sheet.rows, start=1):
        values = {key: (cells[idx] if idx < len(cells) else "") for key, idx in positions.items()}
        try:
            records.append(importer.parse_row(ctx, Row(number=number, values=values)))
        except RowRejected as exc:
            errors[number] = list(exc.problems)
        if done % PROGRESS_EVERY == 0:
            _progress(job, rows_done=done)
    _progress(job, rows_done=total)
    for row, problems in importer.check_file(ctx, records).items():
        errors.setdefault(row, []).extend(problems)
    valid = [r for r in records if r.row not in errors]
    error_list = [
        {"row": row, "column": column, "reason": reason}
        for row in sorted(errors)
        for column, reason in errors[row]
    ]
    if not total:
        return ImportOutcome(ImportJob.Status.REJECTED, 0, 0, 0, 0, [], {}, "文件中没有数据行")
    if errors and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        return ImportOutcome(
            ImportJob.Status.REJECTED,
            total,
            len(valid),
            len(errors),
            0,
            error_list,
            {},
            f"有 {len(errors)} 行错误，按“全部正确才导入”未写入任何数据",
        )
    if not valid:
        return ImportOutcome(
            ImportJob.Status.REJECTED,
            total,
            0,
            len(errors),
            0,
            error_list,
            {},
            "没有正确的行，未写入任何数据",
        )
    _progress(job, status=ImportJob.Status.WRITING)
    # Every valid row in one transaction: a failure part-way leaves nothing behind.
    with transaction.atomic():
        summary = importer.write(ctx, valid)
    message = f"已导入 {len(valid)} 行：{importer.summary_text(summary)}"
    if errors:
        message += f"；{len(errors)} 行有错误未导入"
    return ImportOutcome(
        ImportJob.Status.DONE,
        total,
        len(valid),
        len(errors),
        len(valid),
        error_list,
        summary,
        message,
    )


# --- reports and templates -------------------------------------------------------------------------


def template_workbook(importer: Importer) -> bytes:
    """The downloadable template: a 数据 sheet with the header row (text-formatted columns) and
    a 说明 sheet describing each column with an example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for idx, col in enumerate(importer.columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.header)
        cell.font = bold
        if col.required:
            cell.fill = required_fill
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = col.width
        if col.text:
            # Pre-format the first rows as text so Excel keeps 18-digit ID numbers intact.
            for r in range(2, 502):
                ws.cell(row=r, column=idx).number_format = "@"
    ws.freeze_panes = "A2"

    notes = wb.create_sheet(NOTES_SHEET)
    notes.append([f"{importer.label}导入模板说明"])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append(
        [
            "在“数据”表第1行之下逐行填写，每行一条；列的顺序可以调整，列名须与模板一致；标色的列为必填。"
        ]
    )
    notes.append(
        ["导入时可选“全部正确才导入”或“只导入正确的行”；每个错误行都会列出行号、列名和原因。"]
    )
    for line in importer.notes:
        notes.append([line])
    notes.append([])
    start = notes.max_row + 1
    notes.append(["列名", "是否必填", "说明", "示例"])
    for col in importer.columns:
        notes.append([col.header, "必填" if col.required else "选填", col.help, col.example])
    for cell in notes[start]:
        cell.font = bold
    notes.append([])
    notes.append(["示例行（照此格式填写在“数据”表中）："])
    notes.append([c.header for c in importer.columns])
    notes.append([c.example for c in importer.columns])
    for cell in notes[notes.max_row - 1]:
        cell.font = bold
    for r in notes.iter_rows(min_row=notes.max_row, max_row=notes.max_row):
        for cell in r:
            cell.number_format = "@"
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 70
    notes.column_dimensions["D"].width = 22
    for row in notes.iter_rows(min_row=start + 1, max_row=start + len(importer.columns)):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def errors_workbook(job: ImportJob) -> bytes:
    """The error report of a job: row, column, reason — one line per problem."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误明细")
    ws.append(["行号", "列名", "原因"])
    for e in job.errors:
        ws.append([e.get("row"), e.get("column", ""), e.get("reason", "")])
    info = wb.create_sheet("导入信息")
    info.append(["文件", job.original_name])
    info.append(["导入到", job.unit.display_name])
    info.append(["方式", job.get_mode_display()])
    info.append(["状态", job.get_status_display()])
    info.append(["说明", job.message])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- command line ------------------------------------------------------------------------------


def run_import_cli(*, kind: str, path: Path, unit_code: str, mode: str, username: str) -> int:
    """`lianxin import KIND FILE --unit CODE --mode M --user U`: run the import in this process
    (same code path as the background job), print a Chinese summary and every bad row.
    Returns 0 on success, 1 when rows were rejected in all-or-nothing mode, 2 on bad input."""
    from lianxin.accounts.models import User
    from lianxin.core.errors import DomainError
    from lianxin.people.services import import_job_create
    from lianxin.territory.models import Unit

    out = sys.stdout
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        print(f"错误：找不到账号 {username}", file=sys.stderr)
        return 2
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        print(f"错误：找不到编码为 {unit_code} 的单元", file=sys.stderr)
        return 2
    try:
        content = Path(path).read_bytes()
    except OSError:
        print(f"错误：无法读取文件 {path}", file=sys.stderr)
        return 2
    actor = _actor_for(user)
    try:
        with acting(AuditContext(user_id=user.pk, post_label=actor.post_label, channel="cli")):
            job = import_job_create(
                actor=actor,
                kind=kind,
                unit=unit,
                mode=mode,
                filename=Path(path).name,
                content=content,
                enqueue=False,
            )
    except DomainError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    job = run_import_job(job.pk, channel="cli")
    print_job_report(job, out)
    # Rejected (bad rows in all-or-nothing mode, or no valid row at all) or failed: 1.
    return 0 if job.status == ImportJob.Status.DONE else 1


def print_job_report(job: ImportJob, out: Any) -> None:
    importer = get_importer(job.kind)
    label = importer.label if importer else job.kind
    print(
        f"导入{label}：{job.original_name} → {job.unit.display_name}（{job.get_mode_display()}）",
        file=out,
    )
    print(
        f"状态：{job.get_status_display()}；共 {job.rows_total} 行，正确 {job.rows_valid} 行，"
        f"错误 {job.rows_invalid} 行，已导入 {job.rows_written} 行",
        file=out,
    )
    if job.message:
        print(job.message, file=out)
    for e in job.errors:
        print(f"  第{e['row']}行 [{e['column']}] {e['reason']}", file=out)
