"""Scope cases for the figures URLs of the cases app (run by core's URL walk).

Figures need `cases.report`: the village staff of 迎秀社区 is inside, the staff of another
village is outside. The page is a "list" URL: the outsider asking for 迎秀社区 gets the page
with a form error and none of 迎秀社区's figures (the marker is a grid name that only the
breakdown shows). Downloads and reports carry the unit or report in the URL: 404 outside.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.cases.models import CaseReport
from lianxin.core.scopecheck import ScopeCase, ScopeSetup

INSIDER = "village_staff"
OUTSIDER = "other_village_staff"
PERIOD = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def figures_page(w: Any) -> ScopeSetup:
    return ScopeSetup(query={"unit": w.village.code, **PERIOD}, marker=w.grid.display_name)


def figures_download(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"code": w.village.code}, query=PERIOD)


def _report(w: Any) -> CaseReport:
    from lianxin.cases.figures import unit_figures

    day = dt.date(2026, 3, 2)
    data = unit_figures(unit=w.grid, date_from=day, date_to=day + dt.timedelta(days=6)).as_dict()
    return CaseReport.objects.create(
        unit=w.grid, period="week", date_from=day, date_to=day + dt.timedelta(days=6), figures=data
    )


def report_list(w: Any) -> ScopeSetup:
    _report(w)
    return ScopeSetup(marker=w.grid.display_name)


def report_download(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _report(w).public_id, "fmt": "xlsx"})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("cases:figures", figures_page, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("cases:figures_xlsx", figures_download, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("cases:figures_pdf", figures_download, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("cases:report_list", report_list, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("cases:report_download", report_download, insider=INSIDER, outsider=OUTSIDER),
]
