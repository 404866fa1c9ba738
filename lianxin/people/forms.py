"""Forms of the people pages. They check the shape of the input and name the field at fault;
the rules live in the services, whose `DomainError.field` is mapped back onto the form."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianxin.core.errors import DomainError
from lianxin.core.idnumber import InvalidIdNumber, parse_id_number
from lianxin.people.models import ImportJob, VulnerabilityTag
from lianxin.people.services import MAX_VISIT_PHOTOS, RESIDENCE_TYPES, validate_phone

KIND_LABELS = {"building": "楼栋", "grid": "网格", "village": "村/社区"}


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        depth = max(0, obj.depth - 4)  # indent below the village level
        return f"{'　' * depth}{obj.display_name}（{KIND_LABELS.get(obj.kind, obj.get_kind_display())}）"


def _today() -> dt.date:
    return timezone.localdate()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class HouseholdForm(forms.Form):
    unit = UnitChoiceField(
        queryset=None, to_field_name="public_id", label="所在楼栋/网格", empty_label="请选择"
    )
    address = forms.CharField(label="门牌（单元/室）", max_length=120)
    head_name = forms.CharField(label="户主姓名", max_length=50, required=False)
    number = forms.CharField(label="户号", max_length=40, required=False)
    residence_type = forms.ChoiceField(
        label="居住类型", required=False, choices=[("", "未填写"), *RESIDENCE_TYPES.items()]
    )
    note = forms.CharField(
        label="备注", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units


def _clean_id(value: str) -> str:
    value = (value or "").strip().upper().replace(" ", "")
    if not value:
        return ""
    try:
        parse_id_number(value)
    except InvalidIdNumber as exc:
        raise ValidationError(str(exc)) from exc
    return value


def _clean_phone(value: str) -> str:
    try:
        return validate_phone(value or "")
    except DomainError as exc:
        raise ValidationError(exc.message) from exc


class ResidentForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="身份证号",
        max_length=24,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}
        ),
        help_text="18位，出生日期与性别由身份证号得出",
    )
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    relation = forms.CharField(label="与户主关系", max_length=20, required=False)
    note = forms.CharField(
        label="备注", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, editing: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            # The stored values are never put back into the page: empty means "keep".
            self.fields[
                "id_number"
            ].help_text = f"当前：{editing.id_number_masked or '未登记'}。不修改请留空"
            self.fields[
                "phone"
            ].help_text = f"当前：{editing.phone_masked or '未登记'}。不修改请留空"
            self.fields["clear_phone"] = forms.BooleanField(label="清除手机号", required=False)

    def clean_id_number(self) -> str:
        return _clean_id(self.cleaned_data.get("id_number", ""))

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label="迁出日期", widget=DateInput(), initial=_today)
    reason = forms.CharField(label="迁出原因", max_length=200)


class ResidentMoveForm(forms.Form):
    household = forms.UUIDField(widget=forms.HiddenInput)
    relation = forms.CharField(label="在新户中与户主关系", max_length=20, required=False)


class LedgerEntryForm(forms.Form):
    tag: forms.ModelChoiceField[VulnerabilityTag] = forms.ModelChoiceField(
        queryset=None, to_field_name="code", label="类别", empty_label="请选择"
    )
    helper = forms.ChoiceField(label="帮扶人", choices=())
    visit_interval_days = forms.IntegerField(
        label="走访周期（天）",
        required=False,
        min_value=1,
        max_value=366,
        help_text="不填则按类别的默认周期",
    )
    started_on = forms.DateField(label="登记日期", widget=DateInput(), initial=_today)
    note = forms.CharField(
        label="情况说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, tags: Any, helpers: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["tag"]).queryset = tags
        cast(forms.ChoiceField, self.fields["helper"]).choices = [("", "请选择"), *helpers]


class LedgerEndForm(forms.Form):
    ended_on = forms.DateField(label="销号日期", widget=DateInput(), initial=_today)
    reason = forms.CharField(label="销号原因", max_length=200)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one input; each is checked as an image by the visit service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_VISIT_PHOTOS:
            raise ValidationError(f"最多上传{MAX_VISIT_PHOTOS}张照片")
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class VisitForm(forms.Form):
    visited_on = forms.DateField(label="走访日期", widget=DateInput(), initial=_today)
    found = forms.CharField(label="发现情况", widget=forms.Textarea(attrs={"rows": 3}))
    done = forms.CharField(
        label="处理情况", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = MultipleImageField(
        label="照片",
        required=False,
        help_text=f"可拍照或从相册选择，最多{MAX_VISIT_PHOTOS}张，每张不超过5MB",
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="导入内容", choices=())
    unit = UnitChoiceField(
        queryset=None, to_field_name="public_id", label="导入到", empty_label="请选择村/社区或网格"
    )
    mode = forms.ChoiceField(
        label="导入方式",
        choices=ImportJob.Mode.choices,
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label="Excel 文件", help_text="请使用下载的模板填写（.xlsx）")

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kinds
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        self.fields["file"].widget.attrs["accept"] = (
            ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
