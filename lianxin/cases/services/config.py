"""Configuration reads shared by the services: the settings row and category lookups."""

from __future__ import annotations

from lianxin.cases.models import CaseSettings


def case_settings() -> CaseSettings:
    """The single settings row, created with the defaults on first use."""
    row = CaseSettings.objects.order_by("id").first()
    if row is None:
        row = CaseSettings.objects.create()
    return row
