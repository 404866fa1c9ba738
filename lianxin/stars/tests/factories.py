"""Shared factories of the stars tests (each part may keep more in its own test modules)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from lianxin.stars.models import IncomeLine, IncomeSource, IncomeStatement, StarSet
from lianxin.stars.services.catalog import catalog_for_unit, settings_ensure

YEAR = 2026


def catalog(w: Any, year: int = YEAR, unit: Any = None) -> StarSet:
    """The star set of the world's village (迎秀社区: an urban community) for `year`."""
    settings_ensure(county=w.county, year=year)
    return catalog_for_unit(unit or w.village, year)


def income(unit: Any, year: int, total: Decimal | int, revision: int = 1) -> IncomeStatement:
    """A collective-income statement with one line (land transfer)."""
    st = IncomeStatement.objects.create(
        unit=unit, year=year, revision=revision, total=Decimal(total), recorded_by_label="测试"
    )
    IncomeLine.objects.create(
        statement=st, source=IncomeSource.LAND_TRANSFER, amount=Decimal(total)
    )
    return st


def day(month: int, d: int, year: int = YEAR) -> dt.date:
    return dt.date(year, month, d)
