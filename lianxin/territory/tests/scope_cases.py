"""Scope cases for every territory URL (run by lianxin/core/tests/test_url_scope.py)."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase, ScopeSetup


def _grid(w) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": w.grid.public_id})


def _village(w) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(kwargs={"public_id": w.village.public_id})


def _browse(w) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(marker=w.grid.display_name)


def _retired_grid(w) -> ScopeSetup:  # noqa: ANN001
    from lianxin.territory.services import unit_create, unit_retire

    actor = w.actor("village_staff")
    grid = unit_create(actor=actor, parent=w.village, kind="grid", name="迎秀社区临时网格")
    unit_retire(actor=actor, unit=grid)
    return ScopeSetup(kwargs={"public_id": grid.public_id})


def _api_list(w) -> ScopeSetup:  # noqa: ANN001
    return ScopeSetup(query={"code": w.grid.code}, marker=w.grid.code)


def _manage(url_name: str, setup=_grid) -> ScopeCase:  # noqa: ANN001
    return ScopeCase(
        url_name,
        setup,
        insider="village_staff",
        outsider="other_village_staff",
        note="manage pages look the unit up with territory.manage",
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("territory:browse", _browse),
    ScopeCase("territory:unit_detail", _grid),
    ScopeCase(
        "territory:unit_detail", _village, insider="village_staff", outsider="other_village_staff"
    ),
    ScopeCase(
        "territory:unit_detail", _village, insider="street_staff", outsider="other_street_staff"
    ),
    _manage("territory:unit_create", _village),
    _manage("territory:unit_batch_create", _village),
    _manage("territory:unit_edit"),
    _manage("territory:unit_move"),
    _manage("territory:unit_merge"),
    _manage("territory:unit_retire"),
    _manage("territory:unit_restore", _retired_grid),
    # A grid worker may view their grid but not manage it: the manage pages are 404 for them.
    ScopeCase(
        "territory:unit_edit",
        _grid,
        insider="village_staff",
        outsider="grid_worker",
        note="view-only is outside",
    ),
    ScopeCase("api:territory_unit_detail", _grid, api=True),
    ScopeCase("api:territory_unit_children", _grid, api=True),
    ScopeCase("api:territory_unit_list", _api_list, api=True),
]
