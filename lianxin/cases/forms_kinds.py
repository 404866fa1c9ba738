"""Forms of the mediation, errand and patrol pages. They check the shape of the input; the
rules live in the services, whose `DomainError.field` is put back next to the field."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.utils import timezone

from lianxin.cases.models import Category, MediationTeam
from lianxin.cases.services import errands, mediation
from lianxin.cases.workflow import Channel, Satisfaction
from lianxin.people.forms import MultipleImageField, UnitChoiceField

ERRAND_CHANNELS = [(c.value, c.label) for c in errands.CHANNELS]
MEDIATION_CHANNELS = [
    (c.value, c.label)
    for c in (
        Channel.VISIT,
        Channel.WALK_IN,
        Channel.PHONE,
        Channel.PATROL,
        Channel.BUILDING_LEADER,
    )
]
OTHER_DISPUTE = "other"


def _photos(label: str = "照片") -> MultipleImageField:
    return MultipleImageField(
        label=label, required=False, help_text="可直接拍照，最多9张，每张不超过5MB"
    )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


def leaf_categories() -> Any:
    return (
        Category.objects.filter(is_active=True, parent__isnull=False)
        .select_related("parent")
        .order_by("parent__sort_order", "sort_order", "code")
    )


# --- patrol ----------------------------------------------------------------------------------


class PatrolStartForm(forms.Form):
    unit = UnitChoiceField(queryset=None, to_field_name="public_id", label="巡查网格/楼栋")
    route = forms.CharField(
        label="巡查路线/点位",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：1号楼—3号楼—小区北门—垃圾站"}),
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = units
        if len(units) == 1:
            field.empty_label = None


class PatrolFindingForm(forms.Form):
    description = forms.CharField(
        label="发现的问题",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "什么问题、在哪里"}),
    )
    unit = UnitChoiceField(
        queryset=None, to_field_name="public_id", label="地点", required=False, empty_label=None
    )
    address_text = forms.CharField(label="具体位置", max_length=200, required=False)
    category = CategoryChoiceField(
        queryset=None, to_field_name="code", label="类别", required=False, empty_label="不确定"
    )
    photos = _photos("现场照片")

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = leaf_categories()


class PatrolFinishForm(forms.Form):
    note = forms.CharField(
        label="巡查情况",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：未发现其他问题"}),
    )


# --- mediation -------------------------------------------------------------------------------


class MediationForm(forms.Form):
    unit = UnitChoiceField(
        queryset=None, to_field_name="public_id", label="纠纷发生地", empty_label="请选择"
    )
    dispute_kind = forms.ChoiceField(label="纠纷类型", choices=())
    description = forms.CharField(
        label="纠纷情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    channel = forms.ChoiceField(label="发现途径", choices=MEDIATION_CHANNELS)
    team: forms.ModelChoiceField[MediationTeam] = forms.ModelChoiceField(
        queryset=None,
        to_field_name="public_id",
        label="派至调解组织",
        required=False,
        empty_label="暂不派遣",
    )

    def __init__(self, *args: Any, units: Any, kinds: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        cast(forms.ChoiceField, self.fields["dispute_kind"]).choices = [
            ("", "请选择"),
            *[(c.code, c.name) for c in kinds],
            (OTHER_DISPUTE, "其他纠纷"),
        ]
        if teams is None:
            del self.fields["team"]
        else:
            cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams


class PartyForm(forms.Form):
    role = forms.ChoiceField(label="身份", choices=list(mediation.ROLES.items()))
    name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.CharField(
        label="电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


PartyFormSet = forms.formset_factory(PartyForm, extra=0, max_num=mediation.MAX_PARTIES)
PARTY_INITIAL = [{"role": "applicant"}, {"role": "respondent"}, {"role": "respondent"}]


def _now_local() -> str:
    return timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")


class SessionForm(forms.Form):
    mode = forms.ChoiceField(
        label="方式", choices=list(mediation.SESSION_MODES.items()), widget=forms.RadioSelect
    )
    held_at = forms.DateTimeField(
        label="时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        initial=_now_local,
    )
    mediators = forms.CharField(label="调解人", max_length=200)
    note = forms.CharField(label="调解情况", widget=forms.Textarea(attrs={"rows": 3}))


class ConcludeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    agreement_reached = forms.TypedChoiceField(
        label="调解结果",
        choices=[("yes", "达成调解协议"), ("no", "未达成协议")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    agreement = forms.CharField(
        label="协议内容 / 未达成的原因", max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = _photos("协议照片")


class RevisitForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    stable = forms.TypedChoiceField(
        label="回访情况",
        choices=[("yes", "协议履行，关系稳定"), ("no", "出现反复")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label="当事人评价",
        required=False,
        choices=[("", "满意（默认）"), (Satisfaction.BASIC.value, Satisfaction.BASIC.label)],
        help_text="出现反复时按不满意记录，诉求重新办理",
    )
    note = forms.CharField(
        label="回访记录", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DispatchForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    team: forms.ModelChoiceField[MediationTeam] = forms.ModelChoiceField(
        queryset=None, to_field_name="public_id", label="调解组织", empty_label="请选择"
    )

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams


# --- errands ---------------------------------------------------------------------------------


class ErrandForm(forms.Form):
    service = forms.CharField(
        label="办理事项",
        max_length=errands.MAX_SERVICE,
        widget=forms.TextInput(attrs={"list": "errand-services", "autocomplete": "off"}),
        help_text="可从常办事项中选择，也可直接填写",
    )
    mode = forms.ChoiceField(
        label="方式", choices=list(errands.MODES.items()), initial="home", widget=forms.RadioSelect
    )
    beneficiary = forms.UUIDField(required=False, widget=forms.HiddenInput)
    beneficiary_name = forms.CharField(
        label="服务对象",
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "输入姓名查找居民"}),
        help_text="从下方选择在册居民，可关联民生台账；不在册的直接填写姓名",
    )
    unit = UnitChoiceField(
        queryset=None,
        to_field_name="public_id",
        label="办理地点",
        required=False,
        empty_label="服务对象住址",
    )
    channel = forms.ChoiceField(label="来源", choices=ERRAND_CHANNELS)
    description = forms.CharField(
        label="情况说明", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    done = forms.BooleanField(label="已当场办结", required=False, initial=True)
    result = forms.CharField(
        label="办理结果",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不填写则记为“已代办（事项）”",
    )
    photos = _photos()

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units


class ErrandCompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.CharField(
        label="办理结果", max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = _photos()


def parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
