"""Who may attend and vote (参会与表决资格), read live from the register.

An elector is identified by a key: ``household:<id>`` (one vote per household),
``resident:<id>`` (residents, representatives), ``member:<id>`` (party members) or
``user:<id>`` (members of the two committees, i.e. staff posts at the village). Attendance,
ballots and pledge scores store the key, and a unique constraint on (meeting or item, key)
makes "one each" a database fact.

The electorate of a meeting is the part of the register under `area` (the meeting's place,
or its village). Counting is one query; checking one person is one or two queries; listing
is paged by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from lianxin.accounts.models import Post
from lianxin.accounts.permissions import Role
from lianxin.consultation.models import Electorate, Representative
from lianxin.core import crypto
from lianxin.party.models import PartyMember
from lianxin.people.models import Household, Resident
from lianxin.territory.models import Unit

ADULT_AGE = 18
COMMITTEE_ROLES = (Role.VILLAGE_SECRETARY, Role.VILLAGE_STAFF)


@dataclass(frozen=True)
class Elector:
    key: str
    label: str
    resident_id: int | None = None
    # The phone a one-time vote link can go to ("" when none is on file).
    phone_digest: str = ""
    phone_masked: str = ""


def _adult_cutoff(on: dt.date) -> dt.date:
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:  # 29 February
        return on.replace(year=on.year - ADULT_AGE, day=28)


def _households(area: Unit) -> QuerySet[Household]:
    return Household.objects.filter(unit__path__startswith=area.path, is_active=True)


def _residents(area: Unit, on: dt.date) -> QuerySet[Resident]:
    # Residents without a birth date count: the register is incomplete, not the person.
    return Resident.objects.filter(
        household__unit__path__startswith=area.path,
        household__is_active=True,
        is_active=True,
    ).filter(Q(birth_date__isnull=True) | Q(birth_date__lte=_adult_cutoff(on)))


def _representatives(area: Unit, on: dt.date) -> QuerySet[Representative]:
    return Representative.objects.filter(
        unit__path__startswith=area.path, is_active=True, resident__is_active=True
    ).filter(Q(term_end__isnull=True) | Q(term_end__gte=on))


def _members(area: Unit, *, committee: bool = False) -> QuerySet[PartyMember]:
    # Probationary members attend but have no vote (党章 第七条): the electorate is full members.
    qs = PartyMember.objects.filter(
        organisation__unit__path__startswith=area.path,
        is_active=True,
        status=PartyMember.Status.FULL,
    )
    if committee:
        qs = qs.exclude(duty="")
    return qs


def _committee_posts(area: Unit) -> QuerySet[Post]:
    return Post.objects.filter(
        unit__path__startswith=area.path,
        role__in=COMMITTEE_ROLES,
        is_active=True,
        user__is_active=True,
    )


def electorate_count(area: Unit, kind: str, *, on: dt.date) -> int:
    """How many electors `kind` has under `area` on `on` (one query)."""
    if kind == Electorate.HOUSEHOLDS:
        return _households(area).count()
    if kind == Electorate.RESIDENTS:
        return _residents(area, on).count()
    if kind == Electorate.REPRESENTATIVES:
        return _representatives(area, on).values("resident_id").distinct().count()
    if kind == Electorate.PARTY_MEMBERS:
        return _members(area).count()
    if kind == Electorate.BRANCH_COMMITTEE:
        return _members(area, committee=True).count()
    if kind == Electorate.COMMITTEES:
        return _committee_posts(area).values("user_id").distinct().count()
    raise ValueError(f"electorate {kind!r} has no register count")


def electors(area: Unit, kind: str, *, on: dt.date) -> Iterator[Elector]:
    """Every elector of `kind` under `area`, ordered for a sign-in sheet (streamed)."""
    if kind == Electorate.HOUSEHOLDS:
        for h in _households(area).order_by("unit__path", "address", "id").iterator():
            yield Elector(f"household:{h.pk}", f"{h.address} {h.head_name}".strip())
    elif kind == Electorate.RESIDENTS:
        residents = _residents(area, on).select_related("household").order_by("household_id", "id")
        for r in residents.iterator():
            yield Elector(f"resident:{r.pk}", r.name, r.pk, r.phone_digest, r.phone_masked)
    elif kind == Electorate.REPRESENTATIVES:
        seen: set[int] = set()
        reps = _representatives(area, on).select_related("resident").order_by("resident_id")
        for rep in reps.iterator():
            if rep.resident_id not in seen:
                seen.add(rep.resident_id)
                r = rep.resident
                yield Elector(f"resident:{r.pk}", r.name, r.pk, r.phone_digest, r.phone_masked)
    elif kind in (Electorate.PARTY_MEMBERS, Electorate.BRANCH_COMMITTEE):
        members = _members(area, committee=kind == Electorate.BRANCH_COMMITTEE)
        for m in members.order_by("name", "id").iterator():
            yield Elector(f"member:{m.pk}", m.name, m.resident_id, m.phone_digest, m.phone_masked)
    elif kind == Electorate.COMMITTEES:
        seen_users: set[int] = set()
        for p in _committee_posts(area).select_related("user").order_by("user_id"):
            if p.user_id not in seen_users:
                seen_users.add(p.user_id)
                yield Elector(f"user:{p.user_id}", str(p.user), None)
    else:
        raise ValueError(f"electorate {kind!r} has no register list")


def elector_by_key(area: Unit, kind: str, key: str, *, on: dt.date) -> Elector | None:
    """The elector behind `key` if it belongs to the electorate, else None."""
    prefix, _, raw = key.partition(":")
    if not raw.isdigit():
        return None
    pk = int(raw)
    if kind == Electorate.HOUSEHOLDS and prefix == "household":
        h = _households(area).filter(pk=pk).first()
        if h is None:
            return None
        phone = (
            Resident.objects.filter(household_id=h.pk, is_active=True)
            .exclude(phone_digest="")
            .order_by("id")
            .values_list("phone_digest", "phone_masked")
            .first()
        ) or ("", "")
        return Elector(key, f"{h.address} {h.head_name}".strip(), None, *phone)
    if kind == Electorate.RESIDENTS and prefix == "resident":
        r = _residents(area, on).filter(pk=pk).first()
        return Elector(key, r.name, r.pk, r.phone_digest, r.phone_masked) if r else None
    if kind == Electorate.REPRESENTATIVES and prefix == "resident":
        rep = _representatives(area, on).filter(resident_id=pk).select_related("resident").first()
        if rep is None:
            return None
        r = rep.resident
        return Elector(key, r.name, r.pk, r.phone_digest, r.phone_masked)
    if kind in (Electorate.PARTY_MEMBERS, Electorate.BRANCH_COMMITTEE) and prefix == "member":
        m = _members(area, committee=kind == Electorate.BRANCH_COMMITTEE).filter(pk=pk).first()
        return Elector(key, m.name, m.resident_id, m.phone_digest, m.phone_masked) if m else None
    if kind == Electorate.COMMITTEES and prefix == "user":
        post = _committee_posts(area).filter(user_id=pk).select_related("user").first()
        return Elector(key, str(post.user), None) if post else None
    return None


def elector_for_resident(
    area: Unit, kind: str, resident: Resident, *, on: dt.date
) -> Elector | None:
    """The elector a resident (signed in with the phone) stands for, if any: their household,
    themselves, or their party membership."""
    if kind == Electorate.HOUSEHOLDS:
        return elector_by_key(area, kind, f"household:{resident.household_id}", on=on)
    if kind in (Electorate.RESIDENTS, Electorate.REPRESENTATIVES):
        return elector_by_key(area, kind, f"resident:{resident.pk}", on=on)
    if kind in (Electorate.PARTY_MEMBERS, Electorate.BRANCH_COMMITTEE):
        member_id = (
            PartyMember.objects.filter(resident_id=resident.pk, is_active=True)
            .values_list("pk", flat=True)
            .first()
        )
        if member_id is None:
            return None
        return elector_by_key(area, kind, f"member:{member_id}", on=on)
    return None


def masked_label(label: str) -> str:
    """A name as the public pages show it (张*)."""
    return crypto.mask_name(label) if label else ""
