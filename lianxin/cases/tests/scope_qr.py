"""Scope cases for the staff QR pages (码上办 codes): `cases.view` at the village.

A village's staff print their village's codes; another village's staff get 404 (and do not
see it in their list)."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup


def village_list(w: Any) -> ScopeSetup:
    return ScopeSetup(marker=str(w.village.public_id))


def village_page(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": w.village.public_id}, marker="迎秀小区1号楼")


def village_sheet(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": w.village.public_id})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("cases:qr_index", village_list, "village_staff", "other_village_staff"),
    ScopeCase("cases:qr_page", village_page, "village_staff", "other_village_staff"),
    ScopeCase("cases:qr_page", village_page, "street_staff", "other_street_staff"),
    ScopeCase("cases:qr_sheet", village_sheet, "village_staff", "other_village_staff"),
    # A grid worker holds cases.view below the village only: the sheet is the village's.
    ScopeCase("cases:qr_sheet", village_sheet, "village_secretary", "grid_worker"),
]
