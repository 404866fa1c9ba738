"""Forms of the 四议两公开 pages: they parse and keep what was typed; the rules live in
services/matters.py, whose refusals land next to the field they name (add_domain_error)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from lianxin.consultation.models import Matter, Meeting
from lianxin.consultation.services.matters import NOTICE_DAYS_MAX, NOTICE_DAYS_MIN
from lianxin.territory.models import Unit


class VersionedForm(forms.Form):
    """Carries the version the page showed, so a stale action is refused (compare-and-set)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MatterCreateForm(forms.Form):
    unit = forms.ChoiceField(label="村（社区）")
    title = forms.CharField(
        label="事项名称", max_length=100, help_text="如：村集体闲置厂房对外出租"
    )
    description = forms.CharField(
        label="事项说明",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="事由、方案、涉及范围等，将随议题提交各次会议",
    )
    amount = forms.DecimalField(
        label="涉及金额（元）",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="不涉及资金的可不填",
    )

    def __init__(self, *args: Any, units: Iterable[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, u.display_name) for code, u in self.units.items()]
        if len(self.units) == 1:
            field.initial = next(iter(self.units))

    def chosen_unit(self) -> Unit | None:
        return self.units.get(self.cleaned_data.get("unit", ""))


class ScheduleForm(VersionedForm):
    meeting = forms.ChoiceField(label="会议")

    def __init__(self, *args: Any, meetings: Iterable[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meetings = {str(m.public_id): m for m in meetings}
        field = self.fields["meeting"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (key, f"{m.starts_at:%Y-%m-%d %H:%M} {m.meeting_type.name}：{m.title}")
            for key, m in self.meetings.items()
        ]

    def chosen_meeting(self) -> Meeting | None:
        return self.meetings.get(self.cleaned_data.get("meeting", ""))


class ResolutionForm(VersionedForm):
    text = forms.CharField(
        label="决议公开内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="决议事项、实施方案、责任人和监督方式",
    )
    notice_days = forms.IntegerField(
        label="公示天数",
        initial=5,
        min_value=NOTICE_DAYS_MIN,
        max_value=NOTICE_DAYS_MAX,
        help_text="自公开次日起算，期满后方可公开实施结果",
    )


class ResultForm(VersionedForm):
    text = forms.CharField(
        label="实施结果",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="实施情况、资金使用、验收结果等",
    )


class WithdrawForm(VersionedForm):
    reason = forms.CharField(
        label="撤销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def version_initial(matter: Matter) -> dict[str, Any]:
    return {"version": matter.version}
