"""Writes for households, residents and the livelihood ledger (民生台账).

Every service is keyword-only and atomic, checks the actor's permission at the unit the object
hangs on, and raises `DomainError(message, field=...)` in Chinese. Audit rows for single writes
come from the `Audited` signals; the reveal of personal data is audited here explicitly.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianxin.accounts.permissions import Perm
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.idnumber import InvalidIdNumber, parse_id_number
from lianxin.core.scope import Actor
from lianxin.people.models import (
    Household,
    ImportJob,
    LedgerEntry,
    Resident,
    Visit,
    VisitPhoto,
    VulnerabilityTag,
)

PHONE_LENGTHS = (11,)
# Units a household may hang on: a building, or a grid/village where buildings are not used.
HOUSEHOLD_UNIT_KINDS = ("building", "grid", "village")
RESIDENCE_TYPES = {"owner": "自有住房", "tenant": "租住", "other": "其他"}

MAX_VISIT_PHOTOS = 9
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Refuse decompression bombs long before Pillow's own (warning-only) limit.
MAX_PHOTO_PIXELS = 40_000_000
MIN_VISIT_INTERVAL_DAYS, MAX_VISIT_INTERVAL_DAYS = 1, 366

if TYPE_CHECKING:
    from lianxin.accounts.models import User
    from lianxin.territory.models import Unit


def _today() -> dt.date:
    return timezone.localdate()


def _require(actor: Actor | None, perm: str, path: str, message: str) -> None:
    if actor is not None and not actor.can(perm, path):
        raise PermissionDenied(message)


# --- personal data ---------------------------------------------------------------------------


def validate_phone(value: str) -> str:
    """Normalise a mobile or landline number; raise DomainError naming the field."""
    digits = crypto.normalise_phone(value or "")
    if not digits:
        if (value or "").strip():
            raise DomainError("手机号应为11位数字（以1开头），座机请带区号", field="phone")
        return ""
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and digits.startswith("0"):
        return digits  # landline with area code
    raise DomainError("手机号应为11位数字（以1开头），座机请带区号", field="phone")


def _apply_id_number(resident: Resident, id_number: str) -> None:
    if not id_number:
        crypto.assign(resident, "id_number", None)
        return
    try:
        info = parse_id_number(id_number)
    except InvalidIdNumber as exc:
        raise DomainError(str(exc), field="id_number") from exc
    protected = crypto.protect_id_number(info.number)
    clash = Resident.objects.filter(id_number_digest=protected.digest)
    if resident.pk:
        clash = clash.exclude(pk=resident.pk)
    if clash.exists():
        raise DomainError("该身份证号已登记在其他居民名下", field="id_number")
    crypto.assign(resident, "id_number", protected)
    resident.birth_date = info.birth_date
    resident.sex = info.sex


def _apply_phone(resident: Resident, phone: str) -> None:
    phone = validate_phone(phone)
    crypto.assign(resident, "phone", crypto.protect_phone(phone) if phone else None)


# --- households --------------------------------------------------------------------------------


def _check_household_fields(*, unit: object, address: str, residence_type: str) -> str:
    address = (address or "").strip()
    if not address:
        raise DomainError("门牌不能为空", field="address")
    if getattr(unit, "kind", None) not in HOUSEHOLD_UNIT_KINDS:
        raise DomainError("户只能登记在楼栋、网格或村/社区下", field="unit")
    if not getattr(unit, "is_active", True):
        raise DomainError("该单元已撤销，不能再登记户", field="unit")
    if residence_type and residence_type not in RESIDENCE_TYPES:
        raise DomainError("居住类型只能是自有住房、租住或其他", field="residence_type")
    return address


def _check_address_free(*, unit: object, address: str, exclude_pk: int | None = None) -> None:
    clash = Household.objects.filter(unit=unit, address=address, is_active=True)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(f"该单元下已有门牌为“{address}”的在册户", field="address")


@transaction.atomic
def household_create(
    *,
    actor: Actor,
    unit: Unit,
    address: str,
    head_name: str = "",
    number: str = "",
    residence_type: str = "",
    note: str = "",
) -> Household:
    """Register a household on a building (or grid/village) the actor manages."""
    address = _check_household_fields(unit=unit, address=address, residence_type=residence_type)
    _require(actor, Perm.PEOPLE_MANAGE, unit.path, "没有在该单元登记户的权限")
    _check_address_free(unit=unit, address=address)
    return Household.objects.create(
        unit=unit,
        address=address,
        head_name=(head_name or "").strip(),
        number=(number or "").strip(),
        residence_type=residence_type,
        note=(note or "").strip(),
    )


@transaction.atomic
def household_update(
    *,
    actor: Actor,
    household: Household,
    unit: Unit,
    address: str,
    head_name: str = "",
    number: str = "",
    residence_type: str = "",
    note: str = "",
) -> Household:
    """Change a household; moving it to another unit needs the manage permission at both."""
    address = _check_household_fields(unit=unit, address=address, residence_type=residence_type)
    _require(actor, Perm.PEOPLE_MANAGE, household.unit.path, "没有修改该户的权限")
    _require(actor, Perm.PEOPLE_MANAGE, unit.path, "没有在该单元登记户的权限")
    if not household.is_active:
        raise DomainError("该户已迁出，不能修改")
    _check_address_free(unit=unit, address=address, exclude_pk=household.pk)
    household.unit = unit
    household.address = address
    household.head_name = (head_name or "").strip()
    household.number = (number or "").strip()
    household.residence_type = residence_type
    household.note = (note or "").strip()
    household.save()
    return household


@transaction.atomic
def household_move_out(
    *, actor: Actor, household: Household, moved_out_on: dt.date | None = None, reason: str = ""
) -> Household:
    """Mark a household as moved out: its residents leave the register and their ledger
    entries are closed; the rows stay (history), only `is_active` changes."""
    _require(actor, Perm.PEOPLE_MANAGE, household.unit.path, "没有办理该户迁出的权限")
    if not household.is_active:
        raise DomainError("该户已迁出")
    moved_out_on = moved_out_on or _today()
    if moved_out_on > _today():
        raise DomainError("迁出日期不能晚于今天", field="moved_out_on")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写迁出原因", field="reason")
    household.is_active = False
    household.moved_out_on = moved_out_on
    household.moved_out_reason = reason[:200]
    household.save()
    # Save one by one so every resident and entry change lands in the audit trail.
    for resident in household.residents.filter(is_active=True):
        for entry in resident.ledger_entries.filter(is_active=True).select_related("tag"):
            entry.is_active = False
            entry.ended_on = max(moved_out_on, entry.started_on)
            entry.end_reason = "随户迁出"
            entry.save()
        resident.is_active = False
        resident.save()
    return household


# --- residents ---------------------------------------------------------------------------------


@transaction.atomic
def resident_create(
    *,
    household: Household,
    name: str,
    id_number: str = "",
    phone: str = "",
    relation: str = "",
    note: str = "",
    actor: Actor | None = None,
) -> Resident:
    """Register a resident; the ID number and phone are validated, encrypted and masked."""
    _require(actor, Perm.PEOPLE_MANAGE, household.unit.path, "没有在该户登记居民的权限")
    if not household.is_active:
        raise DomainError("该户已迁出，不能登记居民", field="household")
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空", field="name")
    resident = Resident(
        household=household, name=name, relation=relation.strip(), note=note.strip()
    )
    _apply_id_number(resident, id_number)
    _apply_phone(resident, phone)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise DomainError("该身份证号已登记在其他居民名下", field="id_number") from exc
    return resident


@transaction.atomic
def resident_update(
    *,
    resident: Resident,
    name: str,
    relation: str = "",
    note: str = "",
    id_number: str | None = None,
    phone: str | None = None,
    actor: Actor | None = None,
) -> Resident:
    """Change a resident. `None` for ID/phone keeps the stored value (the form shows masks)."""
    _require(actor, Perm.PEOPLE_MANAGE, resident.household.unit.path, "没有修改该居民的权限")
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空", field="name")
    resident.name, resident.relation, resident.note = name, relation.strip(), note.strip()
    if id_number is not None:
        _apply_id_number(resident, id_number)
    if phone is not None:
        _apply_phone(resident, phone)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise DomainError("该身份证号已登记在其他居民名下", field="id_number") from exc
    return resident


@transaction.atomic
def resident_move(
    *, actor: Actor, resident: Resident, to_household: Household, relation: str | None = None
) -> Resident:
    """Move a resident to another household (both must be in the actor's manage scope)."""
    _require(actor, Perm.PEOPLE_MANAGE, resident.household.unit.path, "没有办理该居民迁移的权限")
    _require(actor, Perm.PEOPLE_MANAGE, to_household.unit.path, "没有向该户迁入居民的权限")
    if not resident.is_active:
        raise DomainError("该居民已不在册", field="household")
    if not to_household.is_active:
        raise DomainError("目标户已迁出", field="household")
    if to_household.pk == resident.household_id:
        raise DomainError("目标户与当前户相同", field="household")
    resident.household = to_household
    if relation is not None:
        resident.relation = relation.strip()
    resident.save()
    return resident


def resident_reveal(*, actor: Actor, resident: Resident, field: str) -> str:
    """Return the plaintext ID number or phone; a permission, and always audit-logged."""
    if field not in {"id_number", "phone"}:
        raise DomainError("只能查看身份证号或手机号", field="field")
    path = resident.household.unit.path
    if not actor.can(Perm.PEOPLE_REVEAL, path):
        raise PermissionDenied("没有查看明文的权限")
    cipher = resident.id_number_cipher if field == "id_number" else resident.phone_cipher
    value = crypto.decrypt(cipher)
    audit_record(
        action=AuditEvent.Action.REVEAL,
        obj=resident,
        changes={field: {"revealed": True}},
    )
    return value


def resident_find_by_id_number(id_number: str) -> Resident | None:
    """Exact look-up through the keyed hash; the caller still scopes the answer."""
    return Resident.objects.filter(id_number_digest=crypto.id_number_digest(id_number)).first()


# --- livelihood ledger -------------------------------------------------------------------------


def helper_user_allowed(*, actor: Actor, user_id: int, resident_path: str) -> bool:
    """A staff helper holds an active post in the actor's ledger scope, or at a unit above
    the resident (a village or street cadre helping one of their residents)."""
    from lianxin.accounts.models import Post

    posts = Post.objects.filter(
        user_id=user_id, is_active=True, user__is_active=True
    ).select_related("unit")
    manage_paths = actor.scope_paths(Perm.LEDGER_MANAGE)
    return any(
        resident_path.startswith(p.unit.path)
        or any(p.unit.path.startswith(m) for m in manage_paths)
        for p in posts
    )


def ledger_helper_check(
    *,
    actor: Actor,
    resident: Resident,
    helper_user: User | None,
    helper_resident: Resident | None,
) -> None:
    if helper_user is None and helper_resident is None:
        raise DomainError("请指定帮扶人（工作人员或党员）", field="helper")
    if helper_user is not None and helper_resident is not None:
        raise DomainError("帮扶人只能指定一位", field="helper")
    path = resident.household.unit.path
    if helper_user is not None and not helper_user_allowed(
        actor=actor, user_id=helper_user.pk, resident_path=path
    ):
        raise DomainError("帮扶人须为本辖区在岗的工作人员", field="helper")
    if helper_resident is not None:
        if helper_resident.pk == resident.pk:
            raise DomainError("帮扶人不能是本人", field="helper")
        # The party app hangs on people (not the reverse), so the member is reached through
        # the one-to-one relation instead of importing the party models.
        is_member = Resident.objects.filter(
            pk=helper_resident.pk, is_active=True, party_member__is_active=True
        ).exists()
        if not is_member:
            raise DomainError("居民帮扶人须为在册党员", field="helper")
        visible = (
            Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW)
            .filter(pk=helper_resident.pk)
            .exists()
        )
        if not visible:
            raise DomainError("帮扶人须为本辖区的党员", field="helper")


def ledger_interval_check(days: int) -> int:
    if not MIN_VISIT_INTERVAL_DAYS <= days <= MAX_VISIT_INTERVAL_DAYS:
        raise DomainError(
            f"走访周期应在{MIN_VISIT_INTERVAL_DAYS}到{MAX_VISIT_INTERVAL_DAYS}天之间",
            field="visit_interval_days",
        )
    return days


@transaction.atomic
def ledger_entry_create(
    *,
    actor: Actor,
    resident: Resident,
    tag: VulnerabilityTag,
    helper_user: User | None = None,
    helper_resident: Resident | None = None,
    visit_interval_days: int | None = None,
    started_on: dt.date | None = None,
    note: str = "",
) -> LedgerEntry:
    """Register a resident in the ledger under a tag, with a one-to-one helper and a visit
    schedule; the interval defaults from the tag and the first visit is due one interval on."""
    path = resident.household.unit.path
    _require(actor, Perm.LEDGER_MANAGE, path, "没有维护该居民台账的权限")
    if not resident.is_active:
        raise DomainError("该居民已不在册", field="resident")
    if not tag.is_active:
        raise DomainError("该类别已停用", field="tag")
    if LedgerEntry.objects.filter(resident=resident, tag=tag, is_active=True).exists():
        raise DomainError(f"该居民已在“{tag.name}”类别中登记", field="tag")
    ledger_helper_check(
        actor=actor, resident=resident, helper_user=helper_user, helper_resident=helper_resident
    )
    days = ledger_interval_check(visit_interval_days or tag.default_visit_interval_days)
    started_on = started_on or _today()
    if started_on > _today():
        raise DomainError("登记日期不能晚于今天", field="started_on")
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                resident=resident,
                tag=tag,
                helper_user=helper_user,
                helper_resident=helper_resident,
                visit_interval_days=days,
                started_on=started_on,
                next_visit_due=started_on + dt.timedelta(days=days),
                note=(note or "").strip()[:300],
            )
    except IntegrityError as exc:  # two staff registering the same person at once
        raise DomainError(f"该居民已在“{tag.name}”类别中登记", field="tag") from exc


@transaction.atomic
def ledger_entry_end(
    *, actor: Actor, entry: LedgerEntry, reason: str, ended_on: dt.date | None = None
) -> LedgerEntry:
    """Close a ledger entry (销号); its visits stay. Ended entries are never reopened: a
    resident who needs help again gets a new entry."""
    _require(
        actor, Perm.LEDGER_MANAGE, entry.resident.household.unit.path, "没有维护该居民台账的权限"
    )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写销号原因", field="reason")
    ended_on = ended_on or _today()
    if ended_on > _today():
        raise DomainError("销号日期不能晚于今天", field="ended_on")
    if ended_on < entry.started_on:
        raise DomainError("销号日期不能早于登记日期", field="ended_on")
    changed = LedgerEntry.objects.filter(pk=entry.pk, is_active=True).update(
        is_active=False, ended_on=ended_on, end_reason=reason[:200]
    )
    if not changed:
        raise DomainError("该台账已销号")
    entry.refresh_from_db()
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=entry,
        changes={
            "is_active": {"old": True, "new": False},
            "ended_on": {"old": None, "new": str(ended_on)},
        },
    )
    return entry


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    extension: str


def clean_photo(upload: UploadedFile) -> CleanPhoto:
    """Check that an upload is a real image of acceptable size and re-encode it, which drops
    EXIF (GPS position, device) while keeping the visible orientation."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = getattr(upload, "name", "") or "照片"
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise DomainError(f"照片“{name}”超过5MB", field="photos")
    raw = upload.read()
    if len(raw) > MAX_PHOTO_BYTES:
        raise DomainError(f"照片“{name}”超过5MB", field="photos")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(raw))
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise DomainError(f"照片“{name}”像素过大", field="photos")
        fmt = image.format
        image = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        if fmt == "PNG" or image.mode in {"RGBA", "LA", "P"}:
            image.save(out, format="PNG", optimize=True)
            ext = "png"
        else:
            image.convert("RGB").save(out, format="JPEG", quality=85)
            ext = "jpg"
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DomainError(f"文件“{name}”不是有效的图片", field="photos") from exc
    return CleanPhoto(content=out.getvalue(), extension=ext)


@transaction.atomic
def visit_record(
    *,
    actor: Actor,
    entry: LedgerEntry,
    visited_on: dt.date,
    found: str,
    done: str = "",
    photos: Sequence[UploadedFile] = (),
) -> Visit:
    """Append a visit (never edited) and move the entry's schedule: last visit and next due
    date follow the latest visit, so a late-entered older visit does not pull them back."""
    path = entry.resident.household.unit.path
    _require(actor, Perm.LEDGER_VISIT, path, "没有登记该居民走访的权限")
    found = (found or "").strip()
    if not found:
        raise DomainError("请填写发现的情况", field="found")
    if visited_on > _today():
        raise DomainError("走访日期不能晚于今天", field="visited_on")
    if visited_on < entry.started_on:
        raise DomainError("走访日期不能早于登记日期", field="visited_on")
    if len(photos) > MAX_VISIT_PHOTOS:
        raise DomainError(f"最多上传{MAX_VISIT_PHOTOS}张照片", field="photos")
    cleaned = [clean_photo(p) for p in photos]
    locked = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if not locked.is_active:
        raise DomainError("该台账已销号，不能再登记走访")
    visit = Visit.objects.create(
        entry=locked,
        visited_on=visited_on,
        visitor_id=actor.user_id,
        found=found,
        done=(done or "").strip(),
    )
    for photo in cleaned:
        # Random names: /media/ is served without login and names must not be guessable.
        VisitPhoto.objects.create(
            visit=visit,
            image=ContentFile(photo.content, name=f"{uuid.uuid4().hex}.{photo.extension}"),
        )
    last = max(locked.last_visit_on or visited_on, visited_on)
    locked.last_visit_on = last
    locked.next_visit_due = last + dt.timedelta(days=locked.visit_interval_days)
    locked.save()
    entry.last_visit_on, entry.next_visit_due = locked.last_visit_on, locked.next_visit_due
    return visit


# --- imports -----------------------------------------------------------------------------------

IMPORT_UNIT_KINDS = ("village", "grid")


@transaction.atomic
def import_job_create(
    *,
    actor: Actor,
    kind: str,
    unit: Unit,
    mode: str,
    filename: str,
    content: bytes,
    enqueue: bool = True,
) -> ImportJob:
    """Accept an uploaded workbook: check kind, target unit and file, keep the file (encrypted,
    under MEDIA_ROOT/imports/) and queue the job for the background worker after commit."""
    from lianxin.people.imports import MAX_UPLOAD_BYTES, get_importer, seal_file

    importer = get_importer(kind)
    if importer is None:
        raise DomainError("请选择导入类型", field="kind")
    if getattr(unit, "kind", None) not in IMPORT_UNIT_KINDS or not unit.is_active:
        raise DomainError("只能导入到在用的村/社区或网格", field="unit")
    # An import is always somebody's (created_by): an anonymous actor holds no permission.
    if actor.user_id is None or not all(actor.can(p, unit.path) for p in importer.perms):
        raise PermissionDenied("没有向该单元导入的权限", field="unit")
    if mode not in ImportJob.Mode.values:
        raise DomainError("请选择导入方式", field="mode")
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1] or "导入文件.xlsx"
    if not name.lower().endswith(".xlsx"):
        raise DomainError("只支持 Excel 2007 及以上格式（.xlsx）的文件", field="file")
    if not content:
        raise DomainError("文件是空的", field="file")
    if len(content) > MAX_UPLOAD_BYTES:
        raise DomainError(f"文件不能超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB", field="file")
    if not content.startswith(b"PK"):
        raise DomainError("文件不是有效的 .xlsx 文件", field="file")
    job = ImportJob(
        kind=kind, unit=unit, mode=mode, original_name=name[:200], created_by_id=actor.user_id
    )
    job.file.save(f"{uuid.uuid4().hex}.xlsx.enc", ContentFile(seal_file(content)), save=False)
    job.save()
    if enqueue:
        from lianxin.people.tasks import import_job_task

        job_pk = job.pk
        transaction.on_commit(lambda: import_job_task(job_pk))
    return job


STALE_IMPORT_MESSAGE = "后台任务中断，未写入任何数据，请重新提交"


def import_jobs_recover_stale(*, older_than_minutes: int = 30) -> int:
    """Mark running import jobs whose worker died as failed; returns how many were marked.

    A job's progress writes move `updated_at` (see `imports._progress`), so a job validating
    or writing with no progress for `older_than_minutes` has lost its worker. Its rows were
    written in one transaction that the dead worker never committed, so nothing was applied
    and the user only has to submit the file again. Each job is marked with a compare-and-set
    on status and timestamp, so a job that reports progress meanwhile is left alone.
    """
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    running = (ImportJob.Status.VALIDATING, ImportJob.Status.WRITING)
    stale = list(
        ImportJob.objects.filter(status__in=running, updated_at__lt=cutoff).select_related("unit")
    )
    marked = 0
    for job in stale:
        now = timezone.now()
        with transaction.atomic():
            changed = ImportJob.objects.filter(
                pk=job.pk, status=job.status, updated_at=job.updated_at
            ).update(
                status=ImportJob.Status.FAILED,
                rows_written=0,
                message=STALE_IMPORT_MESSAGE,
                finished_at=now,
                updated_at=now,
            )
            if not changed:
                continue
            # The job's end lands in the audit trail like any finished import (one summary).
            audit_record(
                action=AuditEvent.Action.IMPORT,
                object_type="people.importjob",
                object_id=str(job.public_id),
                object_repr=f"导入中断：{job.original_name}"[:200],
                changes={
                    "kind": job.kind,
                    "status": {"old": job.status, "new": ImportJob.Status.FAILED},
                    "reason": "stale",
                },
                scope_path=job.unit.path,
            )
        marked += 1
    return marked
