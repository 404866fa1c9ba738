"""Forms of the proposals part: a resident's proposal (phone), staff's answer and scheduling,
the figures period."""

from __future__ import annotations

import datetime as dt

from django import forms


class ProposalForm(forms.Form):
    title = forms.CharField(
        label="议题",
        max_length=80,
        widget=forms.TextInput(attrs={"maxlength": 80, "placeholder": "如：3号楼前增设非机动车棚"}),
        error_messages={"required": "请填写议题"},
    )
    body = forms.CharField(
        label="内容与建议",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        error_messages={"required": "请写明想商量的事和您的建议"},
        help_text="写清楚是什么事、在哪里、您建议怎么办。议题会公开，邻居可以表示支持。",
    )
    place = forms.ChoiceField(label="所在网格/小区（可不选）", required=False, choices=())

    def __init__(self, *args: object, places: list[tuple[str, str]] | None = None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.fields["place"].choices = [("", "整个村（社区）"), *(places or [])]  # type: ignore[attr-defined]


class DeclineForm(forms.Form):
    answer = forms.CharField(
        label="答复",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
        error_messages={"required": "请填写答复，答复会向居民公开"},
        help_text="说明不列入议程的原因和后续安排，会在居民端公开",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ScheduleForm(forms.Form):
    meeting = forms.ChoiceField(
        label="列入会议", choices=(), error_messages={"required": "请选择会议"}
    )

    def __init__(self, *args: object, meetings: list[tuple[str, str]] | None = None, **kw: object):
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.fields["meeting"].choices = [("", "请选择"), *(meetings or [])]  # type: ignore[attr-defined]


class FiguresForm(forms.Form):
    unit = forms.CharField(required=False)
    date_from = forms.DateField(label="开始日期", required=False)
    date_to = forms.DateField(label="结束日期", required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data
