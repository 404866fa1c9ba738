from __future__ import annotations

from django import forms

from lianxin.audit.models import AuditEvent
from lianxin.audit.selectors import EventFilter


class EventFilterForm(forms.Form):
    username = forms.CharField(label="操作人用户名", required=False, max_length=150)
    object_type = forms.CharField(
        label="对象类型", required=False, max_length=60, help_text="如 people.resident"
    )
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    action = forms.ChoiceField(
        label="动作", required=False, choices=[("", "全部"), *AuditEvent.Action.choices]
    )
    since = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "截止日期不能早于起始日期")
        return data

    def to_filter(self) -> EventFilter:
        d = self.cleaned_data
        return EventFilter(
            username=d.get("username") or "",
            object_type=d.get("object_type") or "",
            object_id=d.get("object_id") or "",
            action=d.get("action") or "",
            since=d.get("since"),
            until=d.get("until"),
        )
