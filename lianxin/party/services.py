"""Writes for party organisations, members, household linkage and linkage activities.

Every service takes the acting user and checks the permission at the territory path the write
touches: `party.manage` for organisations, members and links, `party.linkage` for recording
what a member did. Links and activities are history: a link ends (it is never deleted) and an
activity, once recorded, is never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from lianxin.core import crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.scope import Actor
from lianxin.party.models import (
    Duty,
    HouseholdLink,
    LinkageActivity,
    OrgKind,
    PartyMember,
    PartyOrganisation,
)
from lianxin.people.models import Household, Resident
from lianxin.people.services import validate_phone
from lianxin.territory.models import Unit

MANAGE = "party.manage"
LINKAGE = "party.linkage"

# Party organisations nest in this order; a child is always of a later kind than its parent.
ORG_KIND_ORDER: tuple[str, ...] = (
    OrgKind.COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.GROUP,
)
# About one member per 6–10 households (REFERENCE.md "Grid and linkage sizes"); outside the
# band is allowed (small hamlets, new members) but the pages show a warning.
LINK_TARGET_MIN = 6
LINK_TARGET_MAX = 10
SUMMARY_MAX = 2000


def _require(actor: Actor, perm: str, path: str, what: str) -> None:
    if not actor.can(perm, path):
        raise PermissionDenied(f"没有{what}的权限")


def household_label(household: Household) -> str:
    """How a household is named in messages: building and door, e.g. 迎秀小区1号楼 3单元501."""
    return f"{household.unit.display_name} {household.address}".strip()


# --- organisations -----------------------------------------------------------------------


def _check_kind_under(kind: str, parent: PartyOrganisation | None) -> None:
    if kind not in ORG_KIND_ORDER:
        raise DomainError("请选择党组织类型", field="kind")
    if parent is None:
        if kind == OrgKind.GROUP:
            raise DomainError("党小组必须设在党支部之下，请选择上级党组织", field="parent")
        return
    if ORG_KIND_ORDER.index(kind) <= ORG_KIND_ORDER.index(parent.kind):
        raise DomainError(
            f"{OrgKind(kind).label}不能设在{parent.get_kind_display()}「{parent.name}」之下"
            "（顺序：党委 → 党总支 → 党支部 → 党小组）",
            field="kind",
        )
    if kind == OrgKind.GROUP and parent.kind != OrgKind.BRANCH:
        raise DomainError("党小组的上级必须是党支部", field="parent")


@transaction.atomic
def organisation_create(
    *,
    actor: Actor,
    name: str,
    kind: str,
    unit: Unit,
    parent: PartyOrganisation | None = None,
) -> PartyOrganisation:
    """Create a party organisation at a territory unit in the actor's scope.

    The kind order (committee → general branch → branch → group) is enforced against the
    parent, and the unit must lie in the parent's territory subtree.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError("名称不能为空", field="name")
    if not unit.is_active:
        raise DomainError(f"「{unit.display_name}」已撤销，不能再设立党组织", field="unit")
    _require(actor, MANAGE, unit.path, f"在「{unit.display_name}」设立党组织")
    _check_kind_under(kind, parent)
    if parent is not None:
        if not parent.is_active:
            raise DomainError(f"上级党组织「{parent.name}」已停用", field="parent")
        if not unit.path.startswith(parent.unit.path):
            raise DomainError(
                f"「{unit.display_name}」不在上级党组织「{parent.name}」所在的"
                f"「{parent.unit.display_name}」范围内",
                field="unit",
            )
    clash = PartyOrganisation.objects.filter(name=name, parent=parent, unit=unit, is_active=True)
    if clash.exists():
        raise DomainError(f"「{unit.display_name}」已有同名党组织「{name}」", field="name")
    return PartyOrganisation.objects.create(name=name, kind=kind, unit=unit, parent=parent)


# --- members -----------------------------------------------------------------------------


def _apply_contact_phone(member: PartyMember, phone: str) -> None:
    phone = validate_phone(phone)
    crypto.assign(member, "phone", crypto.protect_phone(phone) if phone else None)


def _check_resident(actor: Actor, resident: Resident, member: PartyMember | None) -> None:
    # The resident must be one the actor may manage party data for; being visible is not enough.
    if not actor.can(MANAGE, resident.household.unit.path):
        raise PermissionDenied("该居民不在您的管辖范围内")
    existing = PartyMember.objects.filter(resident=resident)
    if member is not None and member.pk:
        existing = existing.exclude(pk=member.pk)
    other = existing.first()
    if other is not None:
        raise DomainError(
            f"居民 {resident.name} 已登记为党员（{other.organisation.name}）", field="resident"
        )


@transaction.atomic
def member_create(
    *,
    actor: Actor,
    organisation: PartyOrganisation,
    name: str = "",
    resident: Resident | None = None,
    status: str = PartyMember.Status.FULL,
    joined_on: dt.date | None = None,
    duty: str = "",
    is_central_household: bool = False,
    phone: str = "",
    board_phone_consent: bool = False,
) -> PartyMember:
    """Register a party member of an organisation in scope.

    The member is either linked to an existing resident in the actor's scope (the name is taken
    from the resident when not given) or recorded with just a name. `phone` is an optional
    contact number stored encrypted and shown masked. `board_phone_consent` records that the
    member agreed to the full number being printed on the linkage board.
    """
    _require(actor, MANAGE, organisation.unit.path, f"在「{organisation.name}」登记党员")
    if not organisation.is_active:
        raise DomainError(f"党组织「{organisation.name}」已停用", field="organisation")
    name = (name or "").strip() or (resident.name if resident is not None else "")
    if not name:
        raise DomainError("姓名不能为空", field="name")
    if status not in PartyMember.Status.values:
        raise DomainError("请选择党员类别", field="status")
    if joined_on is not None and joined_on > timezone.localdate():
        raise DomainError("入党日期不能晚于今天", field="joined_on")
    member = PartyMember(
        organisation=organisation,
        name=name,
        resident=resident,
        status=status,
        joined_on=joined_on,
        duty=(duty or "").strip(),
        is_central_household=is_central_household,
        board_phone_consent=board_phone_consent,
    )
    if resident is not None:
        _check_resident(actor, resident, None)
    _apply_contact_phone(member, phone)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # two staff registering the same resident at once
        raise DomainError("该居民已登记为党员", field="resident") from exc
    return member


@transaction.atomic
def member_update(
    *,
    actor: Actor,
    member: PartyMember,
    organisation: PartyOrganisation,
    name: str,
    resident: Resident | None = None,
    status: str = PartyMember.Status.FULL,
    joined_on: dt.date | None = None,
    duty: str = "",
    is_central_household: bool = False,
    phone: str | None = None,
    is_active: bool = True,
    board_phone_consent: bool = False,
) -> PartyMember:
    """Change a member. `phone=None` keeps the stored contact phone (forms show the mask).

    Like the other flags, `board_phone_consent` is the new value, so leaving it out withdraws
    the consent: the privacy-safe default.

    Moving to another organisation is refused while active links fall outside the new
    organisation's territory. Taking a member off the roll (`is_active=False`) ends the links,
    so the households can be linked by someone else.
    """
    _require(actor, MANAGE, member.organisation.unit.path, f"修改党员 {member.name}")
    if organisation.pk != member.organisation_id:
        _require(actor, MANAGE, organisation.unit.path, f"把党员转入「{organisation.name}」")
        if not organisation.is_active:
            raise DomainError(f"党组织「{organisation.name}」已停用", field="organisation")
        outside = (
            member.links.filter(is_active=True)
            .exclude(household__unit__path__startswith=organisation.unit.path)
            .count()
        )
        if outside and is_active:
            raise DomainError(
                f"该党员有 {outside} 户联系户不在「{organisation.name}」的范围内，请先解除这些联户",
                field="organisation",
            )
    name = (name or "").strip()
    if not name:
        raise DomainError("姓名不能为空", field="name")
    if status not in PartyMember.Status.values:
        raise DomainError("请选择党员类别", field="status")
    if joined_on is not None and joined_on > timezone.localdate():
        raise DomainError("入党日期不能晚于今天", field="joined_on")
    if resident is not None and resident.pk != member.resident_id:
        _check_resident(actor, resident, member)
    member.organisation = organisation
    member.name = name
    member.resident = resident
    member.status = status
    member.joined_on = joined_on
    member.duty = (duty or "").strip()
    member.is_central_household = is_central_household
    member.board_phone_consent = board_phone_consent
    if phone is not None:
        _apply_contact_phone(member, phone)
    was_active = member.is_active
    member.is_active = is_active
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise DomainError("该居民已登记为党员", field="resident") from exc
    if was_active and not is_active:
        _end_links(member.links.filter(is_active=True).select_related("household__unit"))
    return member


# --- household linkage -------------------------------------------------------------------


def _end_links(links: Iterable[HouseholdLink], ended_on: dt.date | None = None) -> int:
    day = ended_on or timezone.localdate()
    ended = 0
    for link in links:
        # Saved one by one so each ended link has its own audit event.
        link.is_active = False
        link.ended_on = day
        link.save(update_fields=["is_active", "ended_on", "updated_at"])
        ended += 1
    return ended


def link_count_warning(count: int) -> str:
    """The warning shown when a member links fewer or more households than the norm."""
    if count < LINK_TARGET_MIN:
        return f"目前联系 {count} 户，少于建议的 {LINK_TARGET_MIN}–{LINK_TARGET_MAX} 户"
    if count > LINK_TARGET_MAX:
        return f"目前联系 {count} 户，超过建议的 {LINK_TARGET_MIN}–{LINK_TARGET_MAX} 户"
    return ""


@transaction.atomic
def household_link(
    *,
    actor: Actor,
    member: PartyMember,
    households: Iterable[Household],
    started_on: dt.date | None = None,
) -> list[HouseholdLink]:
    """Link households to a member (联户); returns the new links.

    Each household must be in the actor's scope and in the territory of the member's
    organisation, and may have only one active link: a household already linked to someone
    else is refused with a message naming it and the member. Households already linked to
    this member are left as they are. All households are linked, or none.
    """
    org_path = member.organisation.unit.path
    _require(actor, MANAGE, org_path, f"为党员 {member.name} 调整联户")
    if not member.is_active:
        raise DomainError(f"党员 {member.name} 已不在册，不能联户", field="households")
    started_on = started_on or timezone.localdate()
    households = list(households)
    ids = [h.pk for h in households]
    current = {
        link.household_id: link
        for link in HouseholdLink.objects.filter(
            household_id__in=ids, is_active=True
        ).select_related("member")
    }
    created: list[HouseholdLink] = []
    for household in households:
        label = household_label(household)
        if not household.is_active:
            raise DomainError(f"「{label}」已注销，不能联户", field="households")
        if not actor.can(MANAGE, household.unit.path):
            raise PermissionDenied(f"「{label}」不在您的管辖范围内")
        if not household.unit.path.startswith(org_path):
            raise DomainError(
                f"「{label}」不在党组织「{member.organisation.name}」所在的"
                f"「{member.organisation.unit.display_name}」范围内",
                field="households",
            )
        link = current.get(household.pk)
        if link is not None:
            if link.member_id == member.pk:
                continue
            raise DomainError(
                f"「{label}」已由党员 {link.member.name} 联系，请先在其联户名单中解除",
                field="households",
            )
        try:
            with transaction.atomic():
                created.append(
                    HouseholdLink.objects.create(
                        member=member, household=household, started_on=started_on
                    )
                )
        except IntegrityError as exc:  # someone linked it in the meantime
            raise DomainError(
                f"「{label}」刚刚已被其他党员联系，请刷新后重试", field="households"
            ) from exc
        current[household.pk] = created[-1]
    return created


@transaction.atomic
def household_unlink(
    *,
    actor: Actor,
    member: PartyMember,
    households: Iterable[Household],
    ended_on: dt.date | None = None,
) -> int:
    """End the member's active links to these households; the links stay as history."""
    _require(actor, MANAGE, member.organisation.unit.path, f"为党员 {member.name} 调整联户")
    ids = [h.pk for h in households]
    links = member.links.filter(is_active=True, household_id__in=ids).select_related(
        "household__unit"
    )
    return _end_links(links, ended_on)


# --- linkage activities ------------------------------------------------------------------


@transaction.atomic
def linkage_activity_record(
    *,
    actor: Actor,
    member: PartyMember,
    duty: str,
    occurred_on: dt.date,
    summary: str,
    household: Household | None = None,
) -> LinkageActivity:
    """Record one of the five duties a member carried out, optionally for a linked household.

    Records are append-only: there is no update or delete.
    """
    _require(actor, LINKAGE, member.organisation.unit.path, f"登记党员 {member.name} 的履职情况")
    if not member.is_active:
        raise DomainError(f"党员 {member.name} 已不在册", field="member")
    if duty not in Duty.values:
        raise DomainError(
            "请选择职责（联系走访、政策宣传、议事协商、志愿服务、矛盾调解）", field="duty"
        )
    if occurred_on is None:
        raise DomainError("请填写日期", field="occurred_on")
    if occurred_on > timezone.localdate():
        raise DomainError("日期不能晚于今天", field="occurred_on")
    summary = (summary or "").strip()
    if not summary:
        raise DomainError("请填写履职内容", field="summary")
    if len(summary) > SUMMARY_MAX:
        raise DomainError(f"内容不能超过 {SUMMARY_MAX} 字", field="summary")
    if (
        household is not None
        and not member.links.filter(household=household, is_active=True).exists()
    ):
        raise DomainError(
            f"「{household_label(household)}」不是党员 {member.name} 的联系户", field="household"
        )
    return LinkageActivity.objects.create(
        member=member,
        household=household,
        duty=duty,
        occurred_on=occurred_on,
        summary=summary,
        recorded_by_id=actor.user_id,
    )


def _name_list(names: list[str], total: int) -> str:
    # Messages name the blockers, but a branch with 80 members should not print all 80.
    shown = "、".join(names)
    return f"{shown} 等 {total} 个" if total > len(names) else shown


@transaction.atomic
def organisation_rename(
    *, actor: Actor, organisation: PartyOrganisation, name: str
) -> PartyOrganisation:
    """Give an organisation a new name (e.g. after a reorganisation of the branch).

    The old name stays in the audit trail (the update event records old and new values).
    A retired organisation keeps the name it had.
    """
    _require(actor, MANAGE, organisation.unit.path, f"修改党组织「{organisation.name}」")
    name = (name or "").strip()
    if not name:
        raise DomainError("名称不能为空", field="name")
    if len(name) > 100:
        raise DomainError("名称不能超过 100 字", field="name")
    if not organisation.is_active:
        raise DomainError(f"党组织「{organisation.name}」已撤销，不能再改名", field="name")
    if name == organisation.name:
        return organisation
    clash = PartyOrganisation.objects.filter(
        name=name, parent_id=organisation.parent_id, unit_id=organisation.unit_id, is_active=True
    ).exclude(pk=organisation.pk)
    if clash.exists():
        raise DomainError(
            f"「{organisation.unit.display_name}」已有同名党组织「{name}」", field="name"
        )
    organisation.name = name
    organisation.save(update_fields=["name"])
    return organisation


@transaction.atomic
def organisation_retire(*, actor: Actor, organisation: PartyOrganisation) -> PartyOrganisation:
    """Retire (撤销) an organisation. It stays in the database with its members' history.

    Refused while it still has members on the roll or active sub-organisations: they must be
    moved or retired first, and the message names them. The row is locked so a second
    retirement at the same moment sees the first one's result.
    """
    _require(actor, MANAGE, organisation.unit.path, f"撤销党组织「{organisation.name}」")
    locked = PartyOrganisation.objects.select_for_update().get(pk=organisation.pk)
    if not locked.is_active:
        raise DomainError(f"党组织「{organisation.name}」已撤销")
    problems = []
    members = list(
        locked.members.filter(is_active=True).order_by("name", "id").values_list("name", flat=True)
    )
    if members:
        problems.append(f"仍有在册党员 {_name_list(members[:5], len(members))}")
    children = list(
        locked.children.filter(is_active=True).order_by("name", "id").values_list("name", flat=True)
    )
    if children:
        problems.append(f"仍有下级党组织 {_name_list(children[:5], len(children))}")
    if problems:
        raise DomainError(
            f"党组织「{organisation.name}」{'；'.join(problems)}，请先转出党员或撤销下级党组织"
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    organisation.is_active = False
    return locked
