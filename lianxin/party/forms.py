"""Forms for the party pages. Choices are limited to what the actor may act on."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from lianxin.core.errors import DomainError
from lianxin.core.scope import Actor
from lianxin.party import selectors
from lianxin.party.models import Duty, OrgKind, PartyMember, PartyOrganisation
from lianxin.party.services import MANAGE
from lianxin.people.services import validate_phone
from lianxin.territory.models import Unit, UnitKind

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyOrganisation) -> str:
        return f"{obj.name}（{obj.get_kind_display()}，{obj.unit.display_name}）"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.display_name}（{UnitKind(obj.kind).label}）"


class OrganisationForm(forms.Form):
    parent = OrgChoiceField(
        label="上级党组织",
        queryset=PartyOrganisation.objects.none(),
        required=False,
        to_field_name="public_id",
        help_text="设立党委或社区、村党支部时可不选；网格、楼栋党组织请先选上级",
    )
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择")] + list(OrgKind.choices))
    name = forms.CharField(label="名称", max_length=100)
    unit = UnitChoiceField(
        label="所在单元", queryset=Unit.objects.none(), to_field_name="public_id"
    )

    def __init__(
        self, *args: Any, actor: Actor, parent: PartyOrganisation | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        orgs = selectors.organisation_list(actor, MANAGE)
        cast(forms.ModelChoiceField, self.fields["parent"]).queryset = orgs
        # The unit choices follow the parent (posted or preselected): its subtree, or the
        # county/township/village units in scope for a top-level organisation.
        raw_parent = self.data.get("parent") if self.is_bound else None
        if raw_parent:
            parent = orgs.filter(public_id__in=selectors.parse_uuids([raw_parent])).first()
        elif self.is_bound:
            parent = None
        if parent is not None and not self.is_bound:
            self.initial.setdefault("parent", parent.public_id)
            self.initial.setdefault("unit", parent.unit.public_id)
        unit_field = cast(forms.ModelChoiceField, self.fields["unit"])
        unit_field.queryset = selectors.unit_choices_for_org(actor, parent)


class OrganisationRenameForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)


class MemberForm(forms.Form):
    organisation = OrgChoiceField(
        label="所在党组织", queryset=PartyOrganisation.objects.none(), to_field_name="public_id"
    )
    name = forms.CharField(
        label="姓名", max_length=50, required=False, help_text="关联居民档案时可不填"
    )
    resident_id_number = forms.CharField(
        label="居民身份证号",
        max_length=18,
        required=False,
        help_text="填写后关联辖区内已登记的居民档案；不填则只登记姓名",
    )
    status = forms.ChoiceField(label="党员类别", choices=PartyMember.Status.choices)
    joined_on = forms.DateField(label="入党日期", required=False, widget=DATE_INPUT)
    duty = forms.CharField(label="党内职务", max_length=50, required=False)
    phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        help_text="印在公示牌上时脱敏显示，除非党员同意公开完整号码",
    )
    is_central_household = forms.BooleanField(label="党员中心户", required=False)
    board_phone_consent = forms.BooleanField(
        label="同意在公示牌上公开完整联系电话",
        required=False,
        help_text="仅在党员本人同意后勾选；不勾选时公示牌上的电话脱敏显示",
    )

    def __init__(
        self, *args: Any, actor: Actor, member: PartyMember | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        org_field = cast(forms.ModelChoiceField, self.fields["organisation"])
        org_field.queryset = selectors.organisation_list(actor, MANAGE)
        if member is not None:
            # The stored values are never sent back to the browser: blank keeps them.
            self.fields["phone"].help_text = (
                f"当前：{member.phone_masked}；留空则不修改"
                if member.phone_masked
                else "留空则不修改"
            )
            self.fields["resident_id_number"].help_text = (
                f"已关联居民档案：{member.resident.name}（{member.resident.id_number_masked}）；留空则不修改"
                if member.resident is not None
                else "填写后关联辖区内已登记的居民档案"
            )
            self.fields["is_active"] = forms.BooleanField(
                label="在册", required=False, help_text="取消勾选表示转出或出党，其联户关系同时结束"
            )

    def clean_phone(self) -> str:
        # Checked here too so a bad phone is reported together with the other fields.
        try:
            return validate_phone(self.cleaned_data["phone"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class ActivityForm(forms.Form):
    duty = forms.ChoiceField(label="职责", choices=Duty.choices, widget=forms.RadioSelect)
    occurred_on = forms.DateField(label="日期", widget=DATE_INPUT)
    household = forms.ChoiceField(label="联系户", required=False)
    summary = forms.CharField(
        label="履职内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="做了什么、发现了什么问题、怎么处理的",
    )

    def __init__(self, *args: Any, links: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["household"]).choices = [("", "不针对某一户")] + [
            (
                str(link.household.public_id),
                f"{link.household.unit.display_name} {link.household.address} "
                f"{link.household.head_name}".strip(),
            )
            for link in links
        ]
        self.initial.setdefault("occurred_on", timezone.localdate())


class MemberFilterForm(forms.Form):
    org = forms.ChoiceField(label="党组织", required=False)
    central = forms.ChoiceField(
        label="中心户",
        required=False,
        choices=[("", "全部"), ("1", "党员中心户"), ("0", "非中心户")],
    )
    band = forms.ChoiceField(
        label="联户数", required=False, choices=[("", "全部")] + list(selectors.LINK_BANDS.items())
    )
    q = forms.CharField(label="姓名", required=False, max_length=50)

    def __init__(self, *args: Any, orgs: list[PartyOrganisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["org"]).choices = [("", "全部")] + [
            (str(o.public_id), o.name) for o in orgs
        ]


class ActivityFilterForm(forms.Form):
    duty = forms.ChoiceField(
        label="职责", required=False, choices=[("", "全部")] + list(Duty.choices)
    )
    start = forms.DateField(label="起始", required=False, widget=DATE_INPUT)
    end = forms.DateField(label="截止", required=False, widget=DATE_INPUT)
