"""`figure_text`: a stored figure value shown as its indicator shows it (rates in percent)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from lianxin.stars.indicators import INDICATORS, IndicatorValue

register = template.Library()


@register.filter
def figure_text(value: Decimal | None, key: str) -> str:
    """``{{ score.figure_value|figure_text:standard.figure_key }}`` → "100.0%", "3", "60,000.00 元"."""
    indicator = INDICATORS.get(key)
    if indicator is None:
        return "" if value is None else f"{value.normalize():f}"
    day = dt.date(2000, 1, 1)
    return IndicatorValue(
        key, indicator.label, indicator.source, indicator.measure, value, day, day
    ).display
