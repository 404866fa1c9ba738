"""Forms of the territory pages. Rules live in the services; forms only shape the input."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from lianxin.core.errors import DomainError
from lianxin.territory.batch import BATCH_MAX, expand_names
from lianxin.territory.models import ALLOWED_PARENT_KINDS, LOCAL_KINDS, Unit, UnitKind


def _unit_label(unit: Unit) -> str:
    parent = unit.parent.display_name + " / " if unit.parent is not None else ""
    return f"{parent}{unit.display_name}（{unit.get_kind_display()}）"


class UnitCreateForm(forms.Form):
    kind = forms.ChoiceField(label="类型")
    name = forms.CharField(
        label="名称", max_length=100, help_text="如：迎秀社区第三网格、迎秀小区5号楼"
    )
    display_name = forms.CharField(
        label="简称", max_length=100, required=False, help_text="不填则与名称相同"
    )

    def __init__(self, *args: Any, parent: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [k for k in UnitKind if k in LOCAL_KINDS and parent.kind in ALLOWED_PARENT_KINDS[k]]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k.value, k.label) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0].value


class UnitBatchCreateForm(forms.Form):
    """Many grids or buildings at once; `cleaned_data["names"]` is the expanded list."""

    kind = forms.ChoiceField(label="类型")
    names = forms.CharField(
        label="名称（每行一个）",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=(
            f"每行一个名称；连续编号可写成范围，如“迎秀小区1-12号楼”（也可用 ~ 或 ～），"
            f"每行一个范围。空行忽略，一次最多 {BATCH_MAX} 个。"
        ),
    )

    def __init__(self, *args: Any, parent: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [k for k in UnitKind if k in LOCAL_KINDS and parent.kind in ALLOWED_PARENT_KINDS[k]]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k.value, k.label) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0].value

    def clean_names(self) -> list[str]:
        try:
            names = expand_names(self.cleaned_data["names"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        if not names:
            raise forms.ValidationError("请至少填写一个名称。")
        return names


class UnitRenameForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    display_name = forms.CharField(
        label="简称",
        max_length=100,
        required=False,
        help_text="页面上显示的名称；不填则由名称自动缩短",
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": unit.name, "display_name": unit.display_name})
        super().__init__(*args, **kwargs)
        if unit.is_official:
            # The official name comes from the statistical data: shown, never posted back.
            self.fields["name"].disabled = True
            self.fields["name"].required = False
            self.fields["name"].help_text = "规范名称来自统计用区划代码，不能修改"


class _ChooseUnitForm(forms.Form):
    """A choice among candidate units by public id, plus an optional note."""

    choice_field = "target"

    def __init__(self, *args: Any, candidates: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {str(u.public_id): u for u in candidates}
        field = cast(forms.ChoiceField, self.fields[self.choice_field])
        field.choices = [("", "请选择")] + [
            (pid, _unit_label(u)) for pid, u in self.candidates.items()
        ]

    def chosen(self) -> Unit:
        return self.candidates[self.cleaned_data[self.choice_field]]


class UnitMoveForm(_ChooseUnitForm):
    choice_field = "new_parent"
    new_parent = forms.ChoiceField(label="调整到")


class UnitMergeForm(_ChooseUnitForm):
    target = forms.ChoiceField(label="并入")
    note = forms.CharField(label="说明", max_length=300, required=False)
    confirm = forms.BooleanField(
        label="确认合并：本单元的户、岗位和下级单元全部转入目标单元，本单元撤销"
    )


class UnitRetireForm(forms.Form):
    note = forms.CharField(
        label="说明", max_length=300, required=False, help_text="如：小区拆迁，网格撤销"
    )
    confirm = forms.BooleanField(label="确认撤销（历史记录仍可查看，可以恢复）")


class UnitRestoreForm(forms.Form):
    note = forms.CharField(label="说明", max_length=300, required=False)
    confirm = forms.BooleanField(label="确认恢复为在用")
