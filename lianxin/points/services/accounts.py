"""Points accounts: one per subject and scheme, opened on first use.

An account copies where its subject hangs in the tree (`unit`, and the grid, village and
township above it) so that scoping is one path prefix and rankings partition by plain ids.
When a household moves, `account_relocate` moves its accounts (receivers.py).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from lianxin.core.crypto import mask_name
from lianxin.core.errors import DomainError
from lianxin.party.models import PartyMember
from lianxin.people.models import Household
from lianxin.points.models import Account, Scheme, SubjectKind
from lianxin.points.services.config import scheme_for
from lianxin.territory.models import Unit, UnitKind


def ancestors_by_kind(unit: Unit) -> dict[str, Unit]:
    """The unit and its ancestors keyed by kind (one query by path prefixes)."""
    parts = [p for p in unit.path.split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return {u.kind: u for u in Unit.objects.filter(path__in=prefixes)}


def _placement(unit: Unit) -> dict[str, Unit | None]:
    found = ancestors_by_kind(unit)
    return {
        "unit": unit,
        "grid": found.get(UnitKind.GRID),
        "village": found.get(UnitKind.VILLAGE),
        "township": found.get(UnitKind.TOWNSHIP),
    }


def household_labels(household: Household) -> tuple[str, str]:
    """(staff label, public label): the public one masks the head's name and the door."""
    head = household.head_name or "户"
    unit_name = household.unit.display_name
    return f"{head}家 · {unit_name} {household.address}", f"{mask_name(head)}家 · {unit_name}"


def _open(scheme: Scheme, kind: str, lookup: dict[str, object], **fields: object) -> Account:
    account = Account.objects.filter(scheme=scheme, **lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(scheme=scheme, kind=kind, **lookup, **fields)
    except IntegrityError:
        # Opened by a concurrent request in between.
        return Account.objects.get(scheme=scheme, **lookup)


def account_for_household(household: Household, scheme: Scheme | None = None) -> Account:
    """The household's account in `scheme` (default: the active household scheme)."""
    scheme = scheme or scheme_for(SubjectKind.HOUSEHOLD)
    if scheme.subject_kind != SubjectKind.HOUSEHOLD:
        raise DomainError(f"“{scheme.name}”不是户积分体系")
    label, public = household_labels(household)
    return _open(
        scheme,
        SubjectKind.HOUSEHOLD,
        {"household": household},
        label=label,
        public_label=public,
        **_placement(household.unit),
    )


def account_for_member(member: PartyMember, scheme: Scheme | None = None) -> Account:
    """The party member's account in `scheme` (default: the active party-member scheme)."""
    scheme = scheme or scheme_for(SubjectKind.PARTY_MEMBER)
    if scheme.subject_kind != SubjectKind.PARTY_MEMBER:
        raise DomainError(f"“{scheme.name}”不是党员积分体系")
    unit = member.organisation.unit
    return _open(
        scheme,
        SubjectKind.PARTY_MEMBER,
        {"member": member},
        label=member.name,
        public_label=mask_name(member.name),
        **_placement(unit),
    )


def account_for_unit(unit: Unit, scheme: Scheme) -> Account:
    """A building's or grid's account in a 繁星 scheme."""
    kind = scheme.subject_kind
    if kind not in (SubjectKind.BUILDING, SubjectKind.GRID) or unit.kind != kind:
        raise DomainError(f"“{unit.display_name}”不能在“{scheme.name}”中计分", field="unit")
    return _open(
        scheme,
        kind,
        {"unit": unit},
        label=unit.display_name,
        public_label=unit.display_name,
        **{k: v for k, v in _placement(unit).items() if k != "unit"},
    )


@transaction.atomic
def merchant_account_create(*, scheme: Scheme, unit: Unit, name: str) -> Account:
    """A merchant (partner) joins a 繁星 merchant scheme under a village or grid."""
    name = (name or "").strip()
    if scheme.subject_kind != SubjectKind.MERCHANT:
        raise DomainError(f"“{scheme.name}”不是商户积分体系")
    if not name:
        raise DomainError("请填写商户名称", field="name")
    if Account.objects.filter(scheme=scheme, unit=unit, label=name).exists():
        raise DomainError(f"“{name}”已在该单元登记", field="name")
    return Account.objects.create(
        scheme=scheme, kind=SubjectKind.MERCHANT, label=name, public_label=name, **_placement(unit)
    )


def account_relocate(household: Household) -> int:
    """Move the household's accounts to where the household now hangs; returns rows moved."""
    placement = _placement(household.unit)
    label, public = household_labels(household)
    return Account.objects.filter(household=household).update(
        label=label, public_label=public, **placement
    )
