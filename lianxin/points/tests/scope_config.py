"""Scope cases for the configuration URLs of points (views/config.py; run by core's URL walk).

A street's own catalog hangs on the street: its staff see and edit it, another street's staff
get 404. The deployment-wide configuration — schemes, default catalogs, settings, award rules
— has no territory: every `points.configure` holder reads it (list pages: no marker), county-
level posts edit it; its pages with kwargs are checked with the system administrator inside
and a user without `points.configure` outside (404).
"""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_exempt
from lianxin.points.models import Catalog
from lianxin.points.services import catalogs
from lianxin.points.services.config import scheme_get
from lianxin.points.tests import factories as f

STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
GLOBAL_EDIT = {"insider": "sysadmin", "outsider": "nobody"}
MARK = "大定街道群众积分范围标记"

register_exempt(
    "points:config_scheme_create",
    "deployment-wide form (a new scheme applies to every street; no territorial or personal "
    "data behind it); points.configure at county level or above is checked in the view (404 "
    "without points.configure, 403 for street staff), tested in test_config_pages.py",
)


def _own(w: Any) -> Catalog:
    """The street's own household catalog for this year, copied from the default."""
    scheme = scheme_get("household")
    year = f.today().year
    return catalogs.catalog_create(
        actor=w.actor("street_staff"),
        scheme=scheme,
        year=year,
        unit=w.street,
        name=MARK,
        copy_from=catalogs.copy_source_for(scheme=scheme, unit=w.street, year=year),
    )


def index_setup(w: Any) -> ScopeSetup:
    _own(w)
    return ScopeSetup(marker=MARK)


def unit_choices(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="大定街道（本地目录）")


def global_list(w: Any) -> ScopeSetup:
    return ScopeSetup()


def catalog_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _own(w).public_id}, marker=MARK)


def catalog_edit_post(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"public_id": _own(w).public_id}, data={"name": MARK + "（改）", "is_active": "on"}
    )


def catalog_copy_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _own(w).public_id}, data={"year": f.today().year + 1})


def aspect_post(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _own(w).public_id}, data={"name": "文明新风"})


def indicator_create_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _own(w).public_id}, marker="人居环境")


def indicator_kwargs(w: Any) -> ScopeSetup:
    ind = _own(w).indicators.get(code="courtyard_clean")
    return ScopeSetup(kwargs={"public_id": ind.public_id}, marker="庭院整洁")


def indicator_revise_post(w: Any) -> ScopeSetup:
    ind = _own(w).indicators.get(code="courtyard_clean")
    return ScopeSetup(
        kwargs={"public_id": ind.public_id},
        data={
            "name": ind.name,
            "points": "6",
            "cap_points": "6",
            "cap_period": "month",
            "evidence": "photo",
            "reason": "街道调整",
        },
    )


def indicator_active_post(w: Any) -> ScopeSetup:
    ind = _own(w).indicators.get(code="courtyard_clean")
    return ScopeSetup(kwargs={"public_id": ind.public_id}, data={"active": "0"})


def default_catalog_kwargs(w: Any) -> ScopeSetup:
    catalog = Catalog.objects.get(scheme__code="grid", year=f.today().year, unit=None)
    return ScopeSetup(kwargs={"public_id": catalog.public_id}, marker="网格履职")


def scheme_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": "merchant"}, marker="商户积分")


def scheme_post(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"code": "merchant"},
        data={"name": "商户积分（繁星）", "notice_days": "3", "is_active": "on"},
    )


def rule_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"source": "linkage_visit"}, marker="党员登记联户走访")


def rule_post(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"source": "linkage_visit"},
        data={"scheme": "party_member", "indicator_code": "visit", "is_active": "on"},
    )


def _post(name: str, setup: Any, who: dict[str, str]) -> ScopeCase:
    return ScopeCase(name, setup, **who, method="post", expect_inside=(302,))


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("points:config", index_setup, **STREET),
    ScopeCase("points:config_catalog_create", unit_choices, **STREET, note="unit choices"),
    ScopeCase("points:config_catalog", catalog_kwargs, **STREET),
    _post("points:config_catalog_edit", catalog_edit_post, STREET),
    _post("points:config_catalog_copy", catalog_copy_post, STREET),
    _post("points:config_aspects", aspect_post, STREET),
    ScopeCase("points:config_indicator_create", indicator_create_kwargs, **STREET),
    ScopeCase("points:config_indicator", indicator_kwargs, **STREET),
    _post("points:config_indicator", indicator_revise_post, STREET),
    _post("points:config_indicator_active", indicator_active_post, STREET),
    # Deployment-wide: read by every configure holder, edited by county-level posts.
    ScopeCase("points:config_settings", global_list, **STREET, note="deployment-wide"),
    ScopeCase("points:config_catalog", default_catalog_kwargs, **GLOBAL_EDIT, note="default"),
    ScopeCase("points:config_scheme_edit", scheme_kwargs, **GLOBAL_EDIT),
    _post("points:config_scheme_edit", scheme_post, GLOBAL_EDIT),
    ScopeCase("points:config_rule", rule_kwargs, **GLOBAL_EDIT),
    _post("points:config_rule", rule_post, GLOBAL_EDIT),
]
