"""Forms of the pledges pages (三诺): the draft, its items, reports and scores. The services
check the rules; these only parse what was typed (and keep it when a rule refuses)."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.consultation.models import PledgeItem, PledgeReport
from lianxin.consultation.services.pledges import MAX_ITEMS, SCORE_MAX, ItemDraft


class PledgeCreateForm(forms.Form):
    unit = forms.ChoiceField(label="村（社区）")
    year = forms.IntegerField(label="年度")
    items = forms.CharField(
        label="承诺事项",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"每行一项，最多{MAX_ITEMS}项；亮诺前还可以逐项补充措施、时限和修改。",
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ChoiceField)
        unit.choices = units
        if len(units) == 1:
            self.fields["unit"].widget = forms.HiddenInput()

    def drafts(self) -> list[ItemDraft]:
        lines = (self.cleaned_data.get("items") or "").splitlines()
        return [ItemDraft(title=line.strip()) for line in lines if line.strip()]


class PledgeItemForm(forms.Form):
    title = forms.CharField(label="承诺事项", max_length=100)
    measure = forms.CharField(
        label="措施与时限", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(
        label="承诺完成",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput())

    def draft(self) -> ItemDraft:
        d = self.cleaned_data
        return ItemDraft(title=d["title"], measure=d.get("measure") or "", due_on=d.get("due_on"))


class VersionForm(forms.Form):
    """A stage move: carries the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput())


class PledgeReportForm(forms.Form):
    stage = forms.ChoiceField(
        label="报告类型", choices=PledgeReport.Stage.choices, widget=forms.RadioSelect
    )
    fulfilment = forms.ChoiceField(
        label="兑现情况", choices=PledgeItem.Fulfilment.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="兑现情况说明", widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    # The service checks the image (and re-encodes it without EXIF).
    evidence = forms.FileField(
        label="佐证照片",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="可选，一张，不超过5MB；照片的位置等信息会被去除。",
    )


class PledgeScoreForm(forms.Form):
    elector_key = forms.CharField(widget=forms.HiddenInput())
    score = forms.IntegerField(label="得分", min_value=0, max_value=SCORE_MAX)
    comment = forms.CharField(label="评语", required=False, max_length=300)
