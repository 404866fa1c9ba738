"""Territory endpoints of the JSON API (mounted at /api/territory, token auth).

`request.auth` is the Actor of the token's account; every answer is scoped by its posts, and a
unit outside that scope is a 404 exactly like one that does not exist.

No ``from __future__ import annotations`` here: Ninja builds its parameter models from the
annotations of the @paginate-wrapped functions, which cannot see this module's names as strings.
"""

from typing import Any
from uuid import UUID

from django.db.models import Q
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from lianxin.core.http import ApiRequest
from lianxin.territory import selectors
from lianxin.territory.models import Unit

router = Router(tags=["territory"])
PAGE_SIZE = 50


class UnitOut(Schema):
    public_id: UUID
    code: str
    stat_code: str
    kind: str
    kind_label: str
    name: str
    display_name: str
    parent_code: str | None
    parent_public_id: UUID | None
    depth: int
    is_active: bool
    merged_into_code: str | None

    @staticmethod
    def resolve_kind_label(obj: Unit) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_parent_public_id(obj: Unit) -> UUID | None:
        return obj.parent.public_id if obj.parent is not None else None

    @staticmethod
    def resolve_merged_into_code(obj: Unit) -> str | None:
        return obj.merged_into.code if obj.merged_into is not None else None


@router.get("/units", response=list[UnitOut], url_name="territory_unit_list")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def unit_list(
    request: ApiRequest, code: str = "", kind: str = "", q: str = "", active: bool | None = None
) -> Any:
    """Units in the caller's scope, by path. `code` matches the short code or the 12-digit
    statistical code; `kind` filters by kind; `q` searches names."""
    rows = selectors.units_visible(request.auth)
    if code:
        rows = rows.filter(Q(code=code.strip()) | Q(stat_code=code.strip()))
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(Q(display_name__contains=q.strip()) | Q(name__contains=q.strip()))
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.order_by("path")


@router.get("/units/{uuid:public_id}", response=UnitOut, url_name="territory_unit_detail")
def unit_detail(request: ApiRequest, public_id: UUID) -> Any:
    """One unit in the caller's scope (404 outside it)."""
    return selectors.unit_get(request.auth, public_id)


@router.get(
    "/units/{uuid:public_id}/children", response=list[UnitOut], url_name="territory_unit_children"
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def unit_children(request: ApiRequest, public_id: UUID, include_retired: bool = False) -> Any:
    """Children of a unit in the caller's scope, active ones unless `include_retired`."""
    unit = selectors.unit_get(request.auth, public_id)
    return selectors.unit_children(
        request.auth, unit, include_retired=include_retired
    ).select_related("parent")
