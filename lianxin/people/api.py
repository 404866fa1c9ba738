"""People endpoints of the JSON API (mounted at /api/people, token auth).

`request.auth` is the Actor of the token's account; every answer is scoped by its posts, and a
household or resident outside that scope is a 404 exactly like one that does not exist. ID
numbers and phones leave only masked; there is no reveal through the API.

No ``from __future__ import annotations`` here: Ninja reads the annotations of the
@paginate-wrapped functions at import time.
"""

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from lianxin.core.http import ApiRequest
from lianxin.people import selectors
from lianxin.people.models import Household, Resident

router = Router(tags=["people"])
PAGE_SIZE = 50


class HouseholdOut(Schema):
    public_id: UUID
    unit_public_id: UUID
    unit_code: str
    unit_name: str
    address: str
    head_name: str
    number: str
    residence_type: str
    is_active: bool
    resident_count: int

    @staticmethod
    def resolve_unit_public_id(obj: Household) -> UUID:
        return obj.unit.public_id

    @staticmethod
    def resolve_unit_code(obj: Household) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_unit_name(obj: Household) -> str:
        return obj.unit.display_name


class ResidentOut(Schema):
    public_id: UUID
    household_public_id: UUID
    name: str
    sex: str
    birth_date: dt.date | None
    relation: str
    id_number_masked: str
    phone_masked: str
    is_active: bool
    tags: list[str]

    @staticmethod
    def resolve_household_public_id(obj: Resident) -> UUID:
        return obj.household.public_id

    @staticmethod
    def resolve_tags(obj: Resident) -> list[str]:
        entries = getattr(obj, "active_entries", None)
        if entries is None:
            entries = obj.ledger_entries.filter(is_active=True).select_related("tag")
        return [e.tag.code for e in entries]


class HouseholdDetailOut(HouseholdOut):
    moved_out_on: dt.date | None
    residents: list[ResidentOut]

    @staticmethod
    def resolve_residents(obj: Household) -> list[Resident]:
        return obj.residents_list


@router.get("/households", response=list[HouseholdOut], url_name="people_household_list")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def household_list(request: ApiRequest, unit: UUID | None = None, q: str = "") -> Any:
    """Active households in the caller's scope, 50 a page; `unit` keeps its subtree; `q` is
    text in the address or head name, or a complete ID number or phone of a member."""
    return selectors.household_list(actor=request.auth, unit_public_id=unit, q=q)


@router.get(
    "/households/{uuid:public_id}", response=HouseholdDetailOut, url_name="people_household_detail"
)
def household_detail(request: ApiRequest, public_id: UUID) -> Any:
    """One household in scope with its residents (masked)."""
    household = selectors.household_get(actor=request.auth, public_id=public_id)
    residents = list(selectors.household_residents(household=household))
    for r in residents:
        r.household = household  # already loaded: no query per resident
    household.resident_count = sum(1 for r in residents if r.is_active)
    household.residents_list = residents
    return household


@router.get("/residents", response=list[ResidentOut], url_name="people_resident_list")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def resident_list(
    request: ApiRequest, unit: UUID | None = None, q: str = "", tag: str = "", age: str = ""
) -> Any:
    """Residents in scope, 50 a page, ID number and phone masked. Filters: `unit` (subtree),
    `q` (name, or complete ID number/phone), `tag` (ledger tag code), `age` (age band)."""
    return selectors.resident_list(
        actor=request.auth, unit_public_id=unit, q=q, tag_code=tag, age_band=age
    )


@router.get("/residents/{uuid:public_id}", response=ResidentOut, url_name="people_resident_detail")
def resident_detail(request: ApiRequest, public_id: UUID) -> Any:
    """One resident in scope, masked."""
    return selectors.resident_get(actor=request.auth, public_id=public_id)
