"""Scope cases of the stars api part (run by core's URL walk)."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase

SCOPE_CASES: list[ScopeCase] = []


# --- declarations (H3): list and detail, token auth --------------------------------------


def _declarations_api(w: object) -> object:
    from lianxin.core.scopecheck import ScopeSetup
    from lianxin.stars.tests import scope_declarations as sd

    sd.declare(w)
    return ScopeSetup(marker="410883001002")


def _declaration_api(w: object) -> object:
    from lianxin.core.scopecheck import ScopeSetup
    from lianxin.stars.tests import scope_declarations as sd

    d = sd.submitted(w, sd.declare(w)[0])
    return ScopeSetup(kwargs={"public_id": d.public_id}, marker="submitted")


SCOPE_CASES += [
    ScopeCase(
        "api:stars_declaration_list",
        _declarations_api,  # type: ignore[arg-type]
        insider="village_staff",
        outsider="other_village_staff",
        api=True,
    ),
    ScopeCase(
        "api:stars_declaration_list",
        _declarations_api,  # type: ignore[arg-type]
        insider="street_staff",
        outsider="other_street_staff",
        api=True,
    ),
    ScopeCase(
        "api:stars_declaration_detail",
        _declaration_api,  # type: ignore[arg-type]
        insider="village_staff",
        outsider="other_village_staff",
        api=True,
    ),
]


# --- battle map and figures (H2): the reader's scope, token auth ---------------------------


def _map_api(w: object) -> object:
    from lianxin.core.scopecheck import ScopeSetup
    from lianxin.stars.tests import factories_plans as fp

    fp.award(w.village, "branch")  # type: ignore[attr-defined]
    return ScopeSetup(marker="迎秀社区", query={"year": str(fp.YEAR)})


def _figures_api(w: object) -> object:
    from lianxin.core.scopecheck import ScopeSetup
    from lianxin.stars.tests import factories_plans as fp

    fp.award(w.village, "branch")  # type: ignore[attr-defined]
    # No unit: the token's own post's unit (another village answers its own figures).
    return ScopeSetup(marker="410883001002", query={"year": str(fp.YEAR)})


SCOPE_CASES += [
    ScopeCase(
        "api:stars_map",
        _map_api,  # type: ignore[arg-type]
        insider="village_staff",
        outsider="other_village_staff",
        api=True,
    ),
    ScopeCase(
        "api:stars_map",
        _map_api,  # type: ignore[arg-type]
        insider="street_staff",
        outsider="other_street_staff",
        api=True,
    ),
    ScopeCase(
        "api:stars_figures",
        _figures_api,  # type: ignore[arg-type]
        insider="village_staff",
        outsider="other_village_staff",
        api=True,
    ),
]
