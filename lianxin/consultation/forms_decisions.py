"""Forms of the decisions part: they parse and check shapes; the rules live in
services/decisions.py and come back through `add_domain_error`."""

from __future__ import annotations

import re
from typing import Any

from django import forms

TRACKING_SPLIT = re.compile(r"[\s,，、;；]+")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DecisionForm(forms.Form):
    title = forms.CharField(label="事项", max_length=100)
    summary = forms.CharField(
        label="决定内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    responsible = forms.CharField(
        label="责任单位", max_length=60, help_text="如：村（社区）“两委”、物业公司、网格党支部"
    )
    responsible_unit = forms.ChoiceField(label="责任单元", required=False)
    project = forms.CharField(label="关联项目", max_length=100, required=False)
    decided_on = forms.DateField(label="决定日期", widget=DATE)
    due_on = forms.DateField(label="计划完成", widget=DATE)
    cases = forms.CharField(
        label="关联诉求",
        required=False,
        max_length=500,
        help_text="填写受理编号，多个用空格或逗号分开",
    )
    is_public = forms.BooleanField(label="向居民公开", required=False, initial=True)

    def __init__(
        self, *args: Any, units: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible_unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "（不指定）"), *(units or [])]

    def tracking_numbers(self) -> list[str]:
        raw = self.cleaned_data.get("cases") or ""
        return [t.upper() for t in TRACKING_SPLIT.split(raw) if t]


class MilestoneForm(forms.Form):
    title = forms.CharField(label="节点", max_length=100)
    due_on = forms.DateField(label="计划完成", widget=DATE)
    tracking_no = forms.CharField(
        label="关联诉求（受理编号）",
        max_length=16,
        required=False,
        help_text="诉求办结时该节点自动达到100%",
    )


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label="进度（%）", min_value=0, max_value=100)
    note = forms.CharField(
        label="进展说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=100)


class CaseLinkForm(forms.Form):
    tracking_no = forms.CharField(label="受理编号", max_length=16)


class CancelForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
