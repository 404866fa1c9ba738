"""JSON API for party organisations and members (mounted at /api/party).

Scoped like the pages: the token's account sees what its posts let it see. Personal data
leaves only masked: household heads as 张*, phones as 138****5678.
"""

import datetime as dt
import uuid

from django.db.models import QuerySet
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from lianxin.core.crypto import mask_name
from lianxin.core.http import ApiRequest
from lianxin.party import selectors
from lianxin.party.models import PartyMember

router = Router(tags=["party"])


class OrganisationOut(Schema):
    public_id: uuid.UUID
    name: str
    kind: str
    kind_label: str
    parent_id: uuid.UUID | None
    unit_code: str
    unit_name: str
    member_count: int


class MemberOut(Schema):
    public_id: uuid.UUID
    name: str
    status: str
    organisation_id: uuid.UUID
    organisation_name: str
    duty: str
    is_central_household: bool
    link_count: int

    @staticmethod
    def resolve_organisation_id(obj: PartyMember) -> uuid.UUID:
        return obj.organisation.public_id

    @staticmethod
    def resolve_organisation_name(obj: PartyMember) -> str:
        return obj.organisation.name


class LinkedHouseholdOut(Schema):
    household_id: uuid.UUID
    unit_name: str
    address: str
    head_name_masked: str
    started_on: dt.date


class MemberDetailOut(MemberOut):
    joined_on: dt.date | None
    contact_phone_masked: str
    households: list[LinkedHouseholdOut]
    duty_counts: dict[str, int]


@router.get("/organisations", response=list[OrganisationOut], url_name="party_organisation_list")
def organisation_list(request: ApiRequest) -> list[dict]:
    """Party organisations in scope, in tree order, with their active member counts."""
    nodes = selectors.organisation_tree(request.auth)
    parents = {n.org.pk: n.org.public_id for n in nodes}
    return [
        {
            "public_id": n.org.public_id,
            "name": n.org.name,
            "kind": n.org.kind,
            "kind_label": n.org.get_kind_display(),
            "parent_id": parents.get(n.org.parent_id) if n.org.parent_id else None,
            "unit_code": n.org.unit.code,
            "unit_name": n.org.unit.display_name,
            "member_count": n.member_count,
        }
        for n in nodes
    ]


@router.get("/members", response=list[MemberOut], url_name="party_member_list")
@paginate(PageNumberPagination, page_size=50)
def member_list(
    request: ApiRequest, organisation: uuid.UUID | None = None
) -> QuerySet[PartyMember]:
    """Members in scope, 50 a page; `organisation` includes its sub-organisations."""
    actor = request.auth
    org = selectors.organisation_get(actor, organisation) if organisation else None
    return selectors.member_list(actor, organisation=org)


@router.get("/members/{public_id}", response=MemberDetailOut, url_name="party_member_detail")
def member_detail(request: ApiRequest, public_id: uuid.UUID) -> PartyMember:
    """One member with linked households (masked head names) and activity counts per duty."""
    actor = request.auth
    member = selectors.member_get(actor, public_id)
    detail = selectors.member_detail(actor, member, limit=0)
    member.link_count = len(detail.links)
    member.households = [
        {
            "household_id": link.household.public_id,
            "unit_name": link.household.unit.display_name,
            "address": link.household.address,
            "head_name_masked": mask_name(link.household.head_name),
            "started_on": link.started_on,
        }
        for link in detail.links
    ]
    member.duty_counts = {duty: n for duty, _, n in detail.duty_counts}
    return member
