"""Test factories for party data (used by other apps' tests too).

They write rows directly (no permission checks) so a test can set up any state quickly;
tests of the rules themselves go through `lianxin.party.services`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from lianxin.core import crypto
from lianxin.core.testing import make_household, next_seq
from lianxin.party.models import (
    Duty,
    HouseholdLink,
    LinkageActivity,
    OrgKind,
    PartyMember,
    PartyOrganisation,
)


def make_org(
    unit: Any,
    *,
    name: str | None = None,
    kind: str = OrgKind.BRANCH,
    parent: PartyOrganisation | None = None,
) -> PartyOrganisation:
    """A party organisation at `unit` (a branch by default)."""
    return PartyOrganisation.objects.create(
        name=name or f"{unit.display_name}{OrgKind(kind).label}{next_seq()}",
        kind=kind,
        unit=unit,
        parent=parent,
    )


def make_member(
    org: PartyOrganisation,
    *,
    name: str | None = None,
    resident: Any = None,
    phone: str = "",
    is_central_household: bool = False,
    status: str = PartyMember.Status.FULL,
    duty: str = "",
) -> PartyMember:
    """A party member of `org`; `phone` (plaintext) is stored protected like the service does."""
    member = PartyMember(
        organisation=org,
        name=name or (resident.name if resident is not None else f"党员{next_seq()}"),
        resident=resident,
        is_central_household=is_central_household,
        status=status,
        duty=duty,
        joined_on=dt.date(2001, 7, 1),
    )
    if phone:
        protected = crypto.protect_phone(phone)
        member.phone_cipher, member.phone_digest, member.phone_masked = (
            protected.cipher,
            protected.digest,
            protected.masked,
        )
    member.save()
    return member


def make_link(
    member: PartyMember, household: Any, *, started_on: dt.date | None = None
) -> HouseholdLink:
    """An active link between `member` and `household`."""
    return HouseholdLink.objects.create(
        member=member, household=household, started_on=started_on or dt.date(2024, 1, 1)
    )


def make_linked_households(
    member: PartyMember, unit: Any, count: int, *, head_name: str = "张建国"
) -> list[Any]:
    """`count` new households at `unit`, each linked to `member`."""
    households = [
        make_household(
            unit, address=f"{1 + i // 6}单元{(i % 6) + 1}0{next_seq() % 10}", head_name=head_name
        )
        for i in range(count)
    ]
    for household in households:
        make_link(member, household)
    return households


def make_activity(
    member: PartyMember,
    *,
    duty: str = Duty.VISIT,
    occurred_on: dt.date | None = None,
    summary: str = "入户走访，了解家庭近况",
    household: Any = None,
    recorded_by: Any = None,
) -> LinkageActivity:
    """One recorded linkage activity."""
    return LinkageActivity.objects.create(
        member=member,
        duty=duty,
        occurred_on=occurred_on or timezone.localdate(),
        summary=summary,
        household=household,
        recorded_by=recorded_by,
    )
