"""Writes for households, residents and the livelihood ledger."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.idnumber import InvalidIdNumber, parse_id_number
from lianxin.core.scope import Actor
from lianxin.people.models import Household, Resident

PHONE_LENGTHS = (11,)


def validate_phone(value: str) -> str:
    """Normalise a mobile or landline number; raise DomainError naming the field."""
    digits = crypto.normalise_phone(value)
    if not digits:
        return ""
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    if 7 <= len(digits) <= 12 and digits.startswith("0"):
        return digits  # landline with area code
    raise DomainError("手机号应为11位数字（以1开头），座机请带区号", field="phone")


def _apply_id_number(resident: Resident, id_number: str) -> None:
    if not id_number:
        resident.id_number_cipher = resident.id_number_digest = resident.id_number_masked = ""
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
    resident.id_number_cipher = protected.cipher
    resident.id_number_digest = protected.digest
    resident.id_number_masked = protected.masked
    resident.birth_date = info.birth_date
    resident.sex = info.sex


def _apply_phone(resident: Resident, phone: str) -> None:
    phone = validate_phone(phone)
    if not phone:
        resident.phone_cipher = resident.phone_digest = resident.phone_masked = ""
        return
    protected = crypto.protect_phone(phone)
    resident.phone_cipher, resident.phone_digest, resident.phone_masked = (
        protected.cipher,
        protected.digest,
        protected.masked,
    )


@transaction.atomic
def resident_create(
    *,
    household: Household,
    name: str,
    id_number: str = "",
    phone: str = "",
    relation: str = "",
    note: str = "",
) -> Resident:
    """Register a resident; the ID number and phone are validated, encrypted and masked."""
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空", field="name")
    resident = Resident(household=household, name=name, relation=relation.strip(), note=note.strip())
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
) -> Resident:
    """Change a resident. `None` for ID/phone keeps the stored value (the form shows masks)."""
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空", field="name")
    resident.name, resident.relation, resident.note = name, relation.strip(), note.strip()
    if id_number is not None:
        _apply_id_number(resident, id_number)
    if phone is not None:
        _apply_phone(resident, phone)
    resident.save()
    return resident


def resident_reveal(*, actor: Actor, resident: Resident, field: str) -> str:
    """Return the plaintext ID number or phone; a permission, and always audit-logged."""
    if field not in {"id_number", "phone"}:
        raise DomainError("只能查看身份证号或手机号", field="field")
    path = resident.household.unit.path
    if not actor.can("people.reveal", path):
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
