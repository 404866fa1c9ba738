"""Configuration reads of points: the settings row, schemes and the catalog that applies.

Schemes and the settings row are read on most pages, so they are per-process snapshots
(core.snapshot) that reload when their table changes.
"""

from __future__ import annotations

import copy

from lianxin.core.errors import DomainError
from lianxin.core.snapshot import TableSnapshot
from lianxin.points.models import Catalog, PointsSettings, Scheme


def _load_settings() -> PointsSettings:
    row = PointsSettings.objects.order_by("pk").first()
    if row is None:
        # Read back: a fresh row holds the defaults as Python floats, not Decimals.
        row = PointsSettings.objects.create()
        row.refresh_from_db()
    return row


_settings = TableSnapshot("points.PointsSettings", _load_settings)


def points_settings() -> PointsSettings:
    """The single settings row (created with the defaults on first use); a private copy."""
    return copy.copy(_settings.get())


def _load_schemes() -> list[Scheme]:
    return list(Scheme.objects.order_by("sort_order", "id"))


_schemes = TableSnapshot("points.Scheme", _load_schemes)


def schemes(*, active_only: bool = True) -> list[Scheme]:
    return [s for s in _schemes.get() if s.is_active or not active_only]


def scheme_for(kind: str) -> Scheme:
    """The first active scheme whose subjects are of `kind` (e.g. the household scheme)."""
    for scheme in schemes():
        if scheme.subject_kind == kind:
            return scheme
    raise DomainError("没有启用的积分体系，请先在积分设置中启用")


def scheme_get(code: str) -> Scheme:
    for scheme in schemes(active_only=False):
        if scheme.code == code:
            return scheme
    raise DomainError(f"没有代码为“{code}”的积分体系", field="scheme")


def _load_catalogs() -> list[tuple[int, int, str, int]]:
    return [
        (c.scheme_id, c.year, c.unit.path if c.unit is not None else "", c.pk)
        for c in Catalog.objects.filter(is_active=True).select_related("unit")
    ]


# Read on every proposal; a handful of rows per year.
_catalogs = TableSnapshot("points.Catalog", _load_catalogs)


def catalog_for(*, scheme: Scheme, path: str, year: int) -> Catalog | None:
    """The catalog that applies at `path` in `year`: the deepest unit's own catalog above
    the path, else the default (no unit) one."""
    best, best_depth = None, -1
    for scheme_id, catalog_year, unit_path, pk in _catalogs.get():
        if scheme_id != scheme.pk or catalog_year != year:
            continue
        if path.startswith(unit_path) and len(unit_path) > best_depth:
            best, best_depth = pk, len(unit_path)
    return Catalog.objects.get(pk=best) if best is not None else None


def catalog_id_for(*, scheme: Scheme, path: str, year: int) -> int | None:
    """`catalog_for`'s answer as an id, without a query."""
    best, best_depth = None, -1
    for scheme_id, catalog_year, unit_path, pk in _catalogs.get():
        if scheme_id == scheme.pk and catalog_year == year and path.startswith(unit_path):
            if len(unit_path) > best_depth:
                best, best_depth = pk, len(unit_path)
    return best
