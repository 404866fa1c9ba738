"""Forms of the collective-economy pages: the year's income by source. They parse what was
typed (and keep it when the service refuses); the service checks the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from lianxin.stars.models import IncomeSource
from lianxin.stars.services.economy import amount_field


class IncomeForm(forms.Form):
    year = forms.IntegerField(
        label="年度",
        error_messages={"invalid": "年度应为整数，如 2025", "required": "请填写年度"},
    )
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="更正已填报的数据时必填，写明更正原因",
    )
    # The revision the page showed, and for which year: a correction made meanwhile by
    # someone else is refused instead of overwritten (services.economy.income_record).
    revision = forms.IntegerField(widget=forms.HiddenInput(), required=False)
    for_year = forms.IntegerField(widget=forms.HiddenInput(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for source, label in IncomeSource.choices:
            self.fields[amount_field(source)] = forms.DecimalField(
                label=f"{label}（元）",
                required=False,
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
                error_messages={
                    "invalid": f"{label}金额应为数字",
                    "max_digits": f"{label}金额过大",
                    "max_whole_digits": f"{label}金额过大",
                    "max_decimal_places": f"{label}金额最多保留两位小数（分）",
                },
            )
        # The year first, then the sources, then the note.
        order = [
            "year",
            *(amount_field(s) for s in IncomeSource.values),
            "note",
            "revision",
            "for_year",
        ]
        self.order_fields(order)

    def expected_revision(self) -> int | None:
        """The revision the page showed for the year now typed (None: not shown)."""
        d = self.cleaned_data
        if d.get("revision") is None or d.get("for_year") != d.get("year"):
            return None
        return int(d["revision"])

    def amounts(self) -> dict[str, Decimal | None]:
        d = self.cleaned_data
        return {s: d.get(amount_field(s)) for s in IncomeSource.values}
