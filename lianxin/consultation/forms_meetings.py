"""Forms of the meetings part: they parse and keep what was typed; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from lianxin.consultation.models import (
    Base,
    Electorate,
    MeetingType,
    QuorumRule,
    Threshold,
    Venue,
)
from lianxin.territory.models import Unit

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MeetingForm(forms.Form):
    """Announce or change a meeting of one village (type, place only when creating)."""

    title = forms.CharField(label="会议名称", max_length=100)
    meeting_type = forms.ChoiceField(label="会议类型")
    starts_at = forms.DateTimeField(
        label="开始时间", widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    venue = forms.ChoiceField(label="场所", required=False)
    place = forms.ChoiceField(
        label="网格/楼院",
        required=False,
        help_text="只召集某个网格或楼院的居民时选择；不选为全村（社区）",
    )
    host_label = forms.CharField(label="主持人", max_length=60, required=False)
    is_public = forms.BooleanField(
        label="向居民公开（会议预告、议定结果、定稿记录）", required=False
    )

    def __init__(
        self,
        *args: Any,
        types: list[MeetingType],
        venues: list[Venue],
        places: list[Unit],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.types = {t.code: t for t in types}
        self.venues = {str(v.public_id): v for v in venues}
        self.places = {str(p.public_id): p for p in places}
        cast(forms.ChoiceField, self.fields["meeting_type"]).choices = [
            (t.code, t.name) for t in types
        ]
        cast(forms.ChoiceField, self.fields["venue"]).choices = [("", "（未定）")] + [
            (k, v.name) for k, v in self.venues.items()
        ]
        cast(forms.ChoiceField, self.fields["place"]).choices = [("", "全村（社区）")] + [
            (k, ("　" if p.kind == "building" else "") + p.display_name)
            for k, p in self.places.items()
        ]
        if editing:
            # Type, place and visibility are fixed once announced (the electorate follows them).
            for name in ("meeting_type", "place", "is_public"):
                del self.fields[name]

    def chosen_type(self) -> MeetingType | None:
        return self.types.get(self.cleaned_data.get("meeting_type", ""))

    def chosen_venue(self) -> Venue | None:
        return self.venues.get(self.cleaned_data.get("venue") or "")

    def chosen_place(self) -> Unit | None:
        return self.places.get(self.cleaned_data.get("place") or "")


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="取消原因", max_length=200, help_text="居民在会议公开页上看到")


class MinutesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    body = forms.CharField(
        label="记录内容",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 18}),
        strip=False,
    )


class LockForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="我已核对记录内容，定稿后不能再修改（只能添加签署的补充说明）",
        error_messages={"required": "请勾选确认后再定稿"},
    )


class AddendumForm(forms.Form):
    body = forms.CharField(
        label="补充内容", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class VenueForm(forms.Form):
    unit = forms.ChoiceField(label="所属村（社区）")
    name = forms.CharField(label="名称", max_length=60)
    kind = forms.ChoiceField(label="类型", choices=Venue.Kind.choices)
    address = forms.CharField(label="位置", max_length=120, required=False)
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def __init__(self, *args: Any, units: list[Unit], editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.units = {str(u.public_id): u for u in units}
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            (k, u.display_name) for k, u in self.units.items()
        ]
        if editing:
            del self.fields["unit"]
        else:
            del self.fields["is_active"]

    def chosen_unit(self) -> Unit | None:
        return self.units.get(self.cleaned_data.get("unit", ""))


class RepresentativeForm(forms.Form):
    resident = forms.CharField(widget=forms.HiddenInput, required=False)
    term_start = forms.DateField(
        label="任期开始", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class TermEndForm(forms.Form):
    term_end = forms.DateField(
        label="任期结束",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class MeetingTypeForm(forms.Form):
    name = forms.CharField(label="名称", max_length=40)
    electorate = forms.ChoiceField(
        label="参会人员",
        choices=[c for c in Electorate.choices if c[0] != Electorate.ATTENDEES],
    )
    quorum_rule = forms.ChoiceField(label="法定人数", choices=QuorumRule.choices)
    quorum_share = forms.DecimalField(
        label="法定人数比例（%）",
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text="法定人数为“指定比例以上”时填写",
    )
    quorum_minimum = forms.IntegerField(label="最少到会人数", min_value=0, initial=0)
    threshold = forms.ChoiceField(label="默认表决规则", choices=Threshold.choices)
    threshold_share = forms.DecimalField(
        label="默认通过比例（%）",
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text="表决规则为“指定比例以上”时填写",
    )
    base = forms.ChoiceField(label="默认计票基数", choices=Base.choices)
    description = forms.CharField(label="说明", max_length=300, required=False)
    is_active = forms.BooleanField(label="启用", required=False)
