"""Reads behind the Open311 endpoints: services, public requests, places, jurisdictions.

The GET endpoints are public (GeoReport v2 requires no key to read), so they read by consent,
not by territory: `public_requests()` keeps only ordinary requests whose reporter agreed to
publish them and that staff did not hide, exactly the rows the 楼院有话 column may show.
What leaves is chosen in `present.py` (no names, phones or door numbers).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import CharField, F, Q, QuerySet, Value

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Category
from lianxin.core.errors import DomainError
from lianxin.territory.models import Unit, UnitKind

PLACE_KINDS = (UnitKind.BUILDING, UnitKind.GRID, UnitKind.VILLAGE)
JURISDICTION_KINDS = (UnitKind.PROVINCE, UnitKind.CITY, UnitKind.COUNTY)
MAX_CANDIDATES = 50


def services() -> QuerySet[Category]:
    """The Open311 services: active categories residents may choose that have no active
    sub-categories (a service is something one files, not a heading)."""
    return (
        Category.objects.filter(is_active=True, is_public=True)
        .exclude(children__is_active=True)
        .exclude(parent__is_active=False)
        .select_related("parent")
        .order_by("sort_order", "code")
    )


def service(code: str) -> Category | None:
    return services().filter(code=code).first()


def public_requests() -> QuerySet[Case]:
    """Requests anyone may read: ordinary ones (not mediations or errands, which are about
    named people), not private matters, published with the reporter's consent, not hidden."""
    return Case.objects.filter(
        allow_publish=True, board_hidden=False, kind=wf.Kind.ORDINARY
    ).exclude(level=wf.Level.PRIVATE)


# What `present.request` reads: loading only these keeps a 1,000-row answer cheap.
_ROW_FIELDS = (
    "tracking_no",
    "status",
    "outcome",
    "channel",
    "description",
    "result",
    "rejection_reason",
    "place_path",
    "latitude",
    "longitude",
    "received_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "resolve_due_at",
    "category__code",
    "category__name",
    "unit__code",
    "handler_unit__display_name",
    "handler_department__name",
    "handler_team__name",
    "merged_into__tracking_no",
)


def for_display(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The requests with what an Open311 answer shows, in one query."""
    return qs.select_related(
        "category", "unit", "handler_unit", "handler_department", "handler_team", "merged_into"
    ).only(*_ROW_FIELDS)


def open311_case_by_token(token: str) -> Case | None:
    """A request filed through Open311, by the token its POST answered with."""
    import uuid

    try:
        public_id = uuid.UUID(token)
    except ValueError:
        return None
    return Case.objects.filter(public_id=public_id, channel=wf.Channel.OPEN311).first()


def place_names(cases: list[Case]) -> dict[str, Unit]:
    """The units named in the requests' place paths, by code, in one query."""
    codes = {code for case in cases for code in case.place_path.split("/") if code}
    return {
        u.code: u for u in Unit.objects.filter(code__in=codes).only("code", "display_name", "kind")
    }


def jurisdiction_known(jurisdiction_id: str, host: str) -> bool:
    """Whether this endpoint serves `jurisdiction_id`: the site's host name (the spec's
    suggestion), a county/city/province code in the tree, or one configured in
    ``OPEN311_JURISDICTION_IDS``."""
    jid = jurisdiction_id.strip().lower()
    own = host.split(":")[0].lower().removeprefix("www.")
    extra = {j.lower() for j in getattr(settings, "OPEN311_JURISDICTION_IDS", ())}
    if jid in {own, *extra}:
        return True
    return Unit.objects.filter(code=jid, kind__in=JURISDICTION_KINDS, is_active=True).exists()


def _ambiguous(units: list[Unit]) -> DomainError:
    names = "、".join(u.display_name for u in units[:5])
    return DomainError(
        f"address_string 可对应多个地点（{names}），请写得更具体或改用 address_id",
        field="address_string",
    )


def find_place(*, actor: Actor, address_id: str, address_string: str) -> Unit:
    """The building, grid or village a request is about.

    `address_id` is a unit code (anywhere: the caller checks the key may file there).
    `address_string` is matched within the key's own filing scope: a unit whose name equals
    it, else the most specific unit whose name it contains (迎秀小区1号楼3单元 → 迎秀小区1号楼),
    else the one unit whose name contains it."""
    if address_id.strip():
        unit = Unit.objects.filter(
            code=address_id.strip(), is_active=True, kind__in=PLACE_KINDS
        ).first()
        if unit is None:
            raise DomainError(
                f"address_id “{address_id}” 不是在用的楼栋、网格或村/社区编码", field="address_id"
            )
        return unit
    text = address_string.strip()
    scope = Unit.objects.visible_to(actor, wf.FILE).filter(is_active=True, kind__in=PLACE_KINDS)
    exact = list(scope.filter(Q(display_name=text) | Q(name=text))[:5])
    if len(exact) == 1:
        return exact[0]
    if exact:
        raise _ambiguous(exact)
    contained = list(
        scope.alias(said=Value(text, output_field=CharField()))
        .filter(Q(said__contains=F("display_name")) | Q(said__contains=F("name")))
        .order_by("-depth")[:MAX_CANDIDATES]
    )
    if contained:

        def matched(u: Unit) -> int:
            return max(len(n) for n in (u.display_name, u.name) if n in text)

        best = max(matched(u) for u in contained)
        top = [u for u in contained if matched(u) == best]
        deepest = max(u.depth for u in top)
        top = [u for u in top if u.depth == deepest]
        if len(top) == 1:
            return top[0]
        raise _ambiguous(top)
    if len(text) >= 2:
        containing = list(scope.filter(Q(display_name__contains=text) | Q(name__contains=text))[:6])
        if len(containing) == 1:
            return containing[0]
        if containing:
            raise _ambiguous(containing)
    raise DomainError(
        f"找不到 address_string “{text}” 对应的楼栋、网格或村/社区（仅在该 api_key 可提交的范围内查找），"
        "请改用 address_id",
        field="address_string",
    )
