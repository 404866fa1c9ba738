"""Forms of the proposal pages (积分申报、审核、月度汇总). They check the shape of the input and
name the field at fault; the rules (scope, catalog, evidence, caps, who may approve) live in
`services.proposals`, whose `DomainError.field` is mapped back onto these fields.

Every action form carries the proposal's `version` as seen when the page was drawn; the view
passes it on as `expected_version` (compare-and-set), so two people acting at once cannot
overwrite each other. Other parts of points keep their forms in their own modules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms

from lianxin.cases.forms import PhotosField
from lianxin.points.services.proposals import MAX_PHOTOS

TEXTAREA = {"rows": 3}
# Service field names → the form's (a link requirement names the first link field).
SERVICE_FIELDS = {"case": "case_no", "account": "subject", "points": "indicator"}


class ProposalForm(forms.Form):
    """A proposal from the phone: subject, indicator, date, description, evidence.

    `subject` is a token the search results post back ("household:<uuid>", ...); the
    indicator, contributor, visit and activity choices depend on the subject and are given
    by the view."""

    scheme = forms.CharField(widget=forms.HiddenInput, max_length=40)
    subject = forms.CharField(
        label="积分对象",
        max_length=80,
        widget=forms.HiddenInput,
        error_messages={"required": "请先查找并选择积分对象"},
    )
    subject_q = forms.CharField(label="查找对象", required=False, max_length=30)
    indicator = forms.ChoiceField(label="评分指标", error_messages={"required": "请选择评分指标"})
    occurred_on = forms.DateField(
        label="发生日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "请填写发生日期", "invalid": "日期格式不正确"},
    )
    resident = forms.ChoiceField(label="贡献人（可选）", required=False)
    description = forms.CharField(
        label="事由与佐证说明",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    photos = PhotosField(
        label="佐证照片",
        help_text=f"可拍照或从相册选择，最多{MAX_PHOTOS}张，每张不超过5MB",
    )
    case_no = forms.CharField(
        label="关联诉求（受理编号）",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "如 WZ2605120003"}),
    )
    visit = forms.ChoiceField(label="关联走访", required=False)
    activity = forms.ChoiceField(label="关联履职记录", required=False)
    link_note = forms.CharField(
        label="其他关联（活动、会议等）",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如 5月12日楼院议事会"}),
    )

    def __init__(
        self,
        *args: Any,
        indicators: Iterable[tuple[str, str]] = (),
        residents: Iterable[tuple[str, str]] = (),
        visits: Iterable[tuple[str, str]] = (),
        activities: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["indicator"]).choices = list(indicators)
        self.fields["indicator"].error_messages["invalid_choice"] = (
            "所选指标不在适用的指标目录中，请重新选择"
        )
        for name, choices in (("resident", residents), ("visit", visits), ("activity", activities)):
            cast(forms.ChoiceField, self.fields[name]).choices = [("", "（不选）"), *choices]
            self.fields[name].error_messages["invalid_choice"] = "所选记录不可用，请重新选择"


class VersionForm(forms.Form):
    """Base of every action form: the version seen and where to go afterwards."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)


class ApproveForm(VersionForm):
    note = forms.CharField(label="审核意见（可选）", required=False, max_length=300)


class RejectForm(VersionForm):
    note = forms.CharField(
        label="不通过原因",
        max_length=300,
        error_messages={"required": "请填写不通过的原因"},
        widget=forms.TextInput(attrs={"placeholder": "如 照片与事由不符"}),
    )


class WithdrawForm(VersionForm):
    note = forms.CharField(label="撤回说明（可选）", required=False, max_length=300)


class ReverseForm(VersionForm):
    reason = forms.CharField(
        label="冲正原因",
        max_length=200,
        error_messages={"required": "请填写冲正原因"},
        widget=forms.TextInput(attrs={"placeholder": "如 重复申报"}),
    )


class ResolveForm(VersionForm):
    """An answer to one objection: upheld (the proposal is refused) or dismissed."""

    objection = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label="处理结果",
        choices=[("dismiss", "异议不成立（继续公示）"), ("uphold", "异议成立（不予计分）")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理结果"},
    )
    resolution = forms.CharField(
        label="处理意见",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写处理意见"},
    )


ACTION_FORMS: dict[str, type[VersionForm]] = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "withdraw": WithdrawForm,
    "reverse": ReverseForm,
    "resolve": ResolveForm,
}


class TallyForm(forms.Form):
    """Which month and which village (`village` is the unit code)."""

    month = forms.CharField(
        label="月份",
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    village = forms.CharField(label="村/社区", max_length=40, required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_month(self) -> str:
        from lianxin.points.selectors import month_bounds

        month = (self.cleaned_data.get("month") or "").strip()
        if not month:
            return self.today.strftime("%Y-%m")
        bounds = month_bounds(month)
        if bounds is None:
            raise forms.ValidationError("月份格式应为 2026-05")
        if bounds[0] > self.today:
            raise forms.ValidationError("不能选择未来的月份")
        return month
