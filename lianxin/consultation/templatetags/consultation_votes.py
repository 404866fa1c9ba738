"""Template filters of the votes part: a support rate as a percentage and an item's
threshold in words (the agenda row is included by other parts' pages with only `item`)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem

register = template.Library()


@register.filter
def rate_percent(rate: Decimal | None) -> str:
    """0.8333 → "83.33%" (two decimals; "—" when there is no rate)."""
    if rate is None:
        return "—"
    return f"{Decimal(rate) * 100:.2f}%"


@register.filter
def threshold_text(item: AgendaItem) -> str:
    """The item's threshold and base, e.g. "95%以上同意（基数：应投票数）"."""
    rule = wf.threshold_label(item.threshold, item.threshold_share)
    return f"{rule}（基数：{item.get_base_display()}）"
