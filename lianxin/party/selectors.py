"""Reads for the party app: every selector takes the actor and scopes by territory path.

Lists are built so their query count does not grow with the number of rows (joins and
annotations, no per-row look-ups); the tests hold them to that.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from lianxin.core import crypto
from lianxin.core.scope import Actor
from lianxin.party.models import (
    Duty,
    HouseholdLink,
    LinkageActivity,
    PartyMember,
    PartyOrganisation,
)
from lianxin.party.services import LINK_TARGET_MAX, LINK_TARGET_MIN, MANAGE, link_count_warning
from lianxin.people.models import Household, Resident
from lianxin.territory.models import Unit

VIEW = "party.view"

# Link-count bands for the member list filter (value → label).
LINK_BANDS: dict[str, str] = {
    "none": "未联户",
    "under": f"少于{LINK_TARGET_MIN}户",
    "normal": f"{LINK_TARGET_MIN}–{LINK_TARGET_MAX}户",
    "over": f"多于{LINK_TARGET_MAX}户",
}

# The kind order allows at most four levels, so "this organisation or below" is four joins.
_ORG_DEPTH = 4


def parse_uuids(values: list[str]) -> list[uuid.UUID]:
    # Form values come from the browser: malformed ids are dropped, not errors.
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


# --- organisations -----------------------------------------------------------------------


def organisation_list(actor: Actor, perm: str = VIEW) -> QuerySet[PartyOrganisation]:
    """Active organisations in scope, in tree order of their units."""
    return (
        PartyOrganisation.objects.visible_to(actor, perm)
        .filter(is_active=True)
        .select_related("unit", "parent")
        .order_by("unit__path", "id")
    )


def organisation_get(actor: Actor, public_id: Any, perm: str = VIEW) -> PartyOrganisation:
    """One organisation in scope (404 otherwise)."""
    qs = PartyOrganisation.objects.select_related("unit", "parent")
    return qs.get_visible(actor, perm, public_id=public_id)


@dataclass
class OrgNode:
    org: PartyOrganisation
    depth: int
    member_count: int = 0
    children: list[OrgNode] = field(default_factory=list)


def organisation_tree(actor: Actor, *, root: PartyOrganisation | None = None) -> list[OrgNode]:
    """The party tree the actor sees, flattened depth-first (for an indented list).

    An organisation whose parent lies outside the actor's scope becomes a root. With `root`,
    only that organisation's subtree. One query.
    """
    orgs = list(
        organisation_list(actor).annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True)
        )
    )
    nodes = {o.pk: OrgNode(org=o, depth=0, member_count=o.member_count) for o in orgs}
    roots: list[OrgNode] = []
    for o in orgs:
        parent = nodes.get(o.parent_id) if o.parent_id else None
        if parent is None:
            roots.append(nodes[o.pk])
        else:
            parent.children.append(nodes[o.pk])
    if root is not None:
        roots = [nodes[root.pk]] if root.pk in nodes else []
    flat: list[OrgNode] = []

    def walk(node: OrgNode, depth: int) -> None:
        node.depth = depth
        flat.append(node)
        for child in node.children:
            walk(child, depth + 1)

    for r in roots:
        walk(r, 0)
    return flat


def _org_subtree_q(org: PartyOrganisation, prefix: str = "organisation") -> Q:
    q = Q(**{prefix: org})
    lookup = prefix
    for _ in range(_ORG_DEPTH - 1):
        lookup += "__parent"
        q |= Q(**{lookup: org})
    return q


def unit_choices_for_org(actor: Actor, parent: PartyOrganisation | None) -> QuerySet[Unit]:
    """Units where the actor may set up an organisation (under `parent`'s unit when given).

    Without a parent only county, township and village units are offered (top-level
    committees and branches); grid- and building-level ones are created under a parent.
    """
    units = Unit.objects.visible_to(actor, MANAGE).filter(is_active=True)
    if parent is not None:
        return units.filter(path__startswith=parent.unit.path).order_by("path")
    return units.filter(kind__in=["county", "township", "village"]).order_by("path")


@dataclass
class RetireBlockers:
    members: list[PartyMember]
    member_count: int
    children: list[PartyOrganisation]

    @property
    def any(self) -> bool:
        return bool(self.member_count or self.children)


def organisation_retire_blockers(org: PartyOrganisation, limit: int = 20) -> RetireBlockers:
    """What stands in the way of retiring `org`: its members on the roll and active children.

    The organisation came through a scoped selector, so its own members and children are
    shown to the same viewer (the retire page lists them so they can be moved first).
    """
    members = org.members.filter(is_active=True).order_by("name", "id")
    return RetireBlockers(
        members=list(members[:limit]),
        member_count=members.count(),
        children=list(org.children.filter(is_active=True).order_by("name", "id")),
    )


# --- members -----------------------------------------------------------------------------


def _active_links() -> Count:
    return Count("links", filter=Q(links__is_active=True), distinct=True)


def member_list(
    actor: Actor,
    *,
    organisation: PartyOrganisation | None = None,
    central: bool | None = None,
    band: str = "",
    search: str = "",
    include_inactive: bool = False,
) -> QuerySet[PartyMember]:
    """Members in scope with their active link count (`link_count`), filtered.

    `organisation` includes its sub-organisations; `band` is one of LINK_BANDS.
    """
    qs = (
        PartyMember.objects.visible_to(actor, VIEW)
        .select_related("organisation__unit", "resident")
        .annotate(link_count=_active_links())
        .order_by("organisation__unit__path", "organisation_id", "name", "id")
    )
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if organisation is not None:
        qs = qs.filter(_org_subtree_q(organisation))
    if central is not None:
        qs = qs.filter(is_central_household=central)
    if search:
        qs = qs.filter(name__contains=search.strip())
    if band == "none":
        qs = qs.filter(link_count=0)
    elif band == "under":
        qs = qs.filter(link_count__gt=0, link_count__lt=LINK_TARGET_MIN)
    elif band == "normal":
        qs = qs.filter(link_count__gte=LINK_TARGET_MIN, link_count__lte=LINK_TARGET_MAX)
    elif band == "over":
        qs = qs.filter(link_count__gt=LINK_TARGET_MAX)
    return qs


def member_get(actor: Actor, public_id: Any, perm: str = VIEW) -> PartyMember:
    """One member in scope (404 otherwise), with organisation, unit and resident loaded."""
    qs = PartyMember.objects.select_related(
        "organisation__unit", "organisation__parent", "resident__household__unit"
    )
    return qs.get_visible(actor, perm, public_id=public_id)


def member_links(member: PartyMember) -> list[HouseholdLink]:
    """The member's active links with household and building, in address order.

    The member was obtained through a scoped selector, so its links are the member's own
    business: a street-level board shows every household the member links.
    """
    return list(
        member.links.filter(is_active=True)
        .select_related("household__unit")
        .order_by("household__unit__path", "household__address", "id")
    )


def member_link_history(member: PartyMember, limit: int = 50) -> list[HouseholdLink]:
    """Ended links, newest first (who linked which household before)."""
    return list(
        member.links.filter(is_active=False)
        .select_related("household__unit")
        .order_by("-ended_on", "-id")[:limit]
    )


@dataclass
class MemberDetail:
    member: PartyMember
    links: list[HouseholdLink]
    link_warning: str
    duty_counts: list[tuple[str, str, int]]
    activities: list[LinkageActivity]


def member_detail(
    actor: Actor, member: PartyMember, *, duty: str = "", limit: int = 30
) -> MemberDetail:
    """What the member page shows: links, the warning on their count, duty counts, activities."""
    links = member_links(member)
    counts = dict(member.activities.values_list("duty").annotate(n=Count("id")).order_by())
    activities = activity_list(actor, member=member, duty=duty)[:limit]
    return MemberDetail(
        member=member,
        links=links,
        link_warning=link_count_warning(len(links)),
        duty_counts=[(d.value, d.label, counts.get(d.value, 0)) for d in Duty],
        activities=list(activities),
    )


def link_candidates(
    actor: Actor,
    member: PartyMember,
    *,
    building: Unit | None = None,
    search: str = "",
    unlinked_only: bool = False,
) -> QuerySet[Household]:
    """Households the member may link: in the actor's manage scope and the organisation's
    territory, active; each with `active_links` prefetched to show who links it now."""
    qs = (
        Household.objects.visible_to(actor, MANAGE)
        .filter(is_active=True, unit__path__startswith=member.organisation.unit.path)
        .select_related("unit")
        .prefetch_related(
            Prefetch(
                "party_links",
                queryset=HouseholdLink.objects.filter(is_active=True).select_related("member"),
                to_attr="active_links",
            )
        )
        .order_by("unit__path", "address", "id")
    )
    if building is not None:
        qs = qs.filter(unit__path__startswith=building.path)
    if search:
        s = search.strip()
        qs = qs.filter(Q(address__contains=s) | Q(head_name__contains=s) | Q(number=s))
    if unlinked_only:
        qs = qs.exclude(party_links__is_active=True)
    return qs


def link_buildings(actor: Actor, member: PartyMember) -> QuerySet[Unit]:
    """Grids and buildings under the member's organisation, for the building filter."""
    return (
        Unit.objects.visible_to(actor, MANAGE)
        .filter(
            is_active=True,
            path__startswith=member.organisation.unit.path,
            kind__in=["grid", "building"],
        )
        .order_by("path")
    )


def households_in_scope(actor: Actor, public_ids: list[str]) -> list[Household]:
    """Households by public id that the actor may manage party links for (others are dropped)."""
    ids = parse_uuids(public_ids)
    if not ids:
        return []
    return list(
        Household.objects.visible_to(actor, MANAGE).filter(public_id__in=ids).select_related("unit")
    )


def household_for_activity(member: PartyMember, public_id: str) -> Household | None:
    """A household among the member's active links, by public id; None if not linked."""
    ids = parse_uuids([public_id])
    if not ids:
        return None
    link = (
        member.links.filter(is_active=True, household__public_id=ids[0])
        .select_related("household__unit")
        .first()
    )
    return link.household if link else None


# --- activities --------------------------------------------------------------------------


def activity_list(
    actor: Actor,
    *,
    member: PartyMember | None = None,
    duty: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    organisation: PartyOrganisation | None = None,
) -> QuerySet[LinkageActivity]:
    """Linkage activities in scope, newest first, filtered by member, duty, period, org."""
    qs = LinkageActivity.objects.visible_to(actor, VIEW).select_related(
        "member__organisation", "household__unit", "recorded_by"
    )
    if member is not None:
        qs = qs.filter(member=member)
    if duty:
        qs = qs.filter(duty=duty)
    if start is not None:
        qs = qs.filter(occurred_on__gte=start)
    if end is not None:
        qs = qs.filter(occurred_on__lte=end)
    if organisation is not None:
        qs = qs.filter(_org_subtree_q(organisation, "member__organisation"))
    return qs.order_by("-occurred_on", "-id")


def duty_counts(
    actor: Actor,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    organisation: PartyOrganisation | None = None,
    member: PartyMember | None = None,
) -> list[tuple[str, str, int]]:
    """(duty, label, count) for the five duties in a period, in the actor's scope. One query."""
    qs = activity_list(actor, start=start, end=end, organisation=organisation, member=member)
    counts: dict[str, int] = defaultdict(int)
    for duty, n in qs.order_by().values_list("duty").annotate(n=Count("id")):
        counts[duty] = n
    return [(d.value, d.label, counts[d.value]) for d in Duty]


def resident_by_id_number(actor: Actor, id_number: str) -> Resident | None:
    """A resident the actor may register as a member, found by exact ID number (keyed hash)."""
    digest = crypto.id_number_digest(id_number)
    return (
        Resident.objects.visible_to(actor, MANAGE)
        .filter(id_number_digest=digest)
        .select_related("household__unit")
        .first()
    )


# --- the public member page (QR code on the linkage board) ---------------------------------

PUBLIC_ACTIVITY_DAYS = 90


@dataclass
class MemberPublicCard:
    """What a resident who scans the board sees: nothing beyond what the board prints."""

    name: str
    organisation_name: str
    is_central_household: bool
    # Always the mask, even with the member's consent to a full number on the board: a web
    # page is scrapable and indexable in bulk, a paper board in a stairwell is not.
    phone_masked: str
    # Whether the posted board carries the full number (the page then points there).
    board_phone_consent: bool
    buildings: list[str]
    duty_counts: list[tuple[str, int]]
    since: dt.date


def member_public_card(public_id: Any, *, today: dt.date) -> MemberPublicCard | None:
    """The public card of an active member, or None (the page answers 404).

    Deliberately not scoped by an actor: the board hangs in a stairwell and its QR code is
    meant for anyone. So this returns plain values, never model instances, and only building
    names (no doors, no household heads). Three queries whatever the member's size.
    """
    ids = parse_uuids([str(public_id)])
    if not ids:
        return None
    member = (
        PartyMember.objects.filter(public_id=ids[0], is_active=True, organisation__is_active=True)
        .select_related("organisation", "resident")
        .first()
    )
    if member is None:
        return None
    buildings = list(
        Unit.objects.filter(
            households__party_links__member=member, households__party_links__is_active=True
        )
        .order_by("path")
        .values_list("display_name", flat=True)
        .distinct()
    )
    since = today - dt.timedelta(days=PUBLIC_ACTIVITY_DAYS)
    counts = dict(
        member.activities.filter(occurred_on__gt=since, occurred_on__lte=today)
        .order_by()
        .values_list("duty")
        .annotate(n=Count("id"))
    )
    return MemberPublicCard(
        name=member.name,
        organisation_name=member.organisation.name,
        is_central_household=member.is_central_household,
        phone_masked=member.contact_phone_masked,
        board_phone_consent=member.board_phone_consent and bool(member.contact_phone_masked),
        buildings=buildings,
        duty_counts=[(d.label, counts.get(d.value, 0)) for d in Duty],
        since=since,
    )
