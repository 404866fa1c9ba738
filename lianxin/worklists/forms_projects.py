"""Forms of the project list pages: they parse and keep what was typed; the rules live in
services/projects.py, whose refusals land next to the field they name (add_domain_error).
Money fields are text so a refused amount stays as typed (the service parses it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms

from lianxin.core import clock
from lianxin.territory.models import Unit
from lianxin.worklists.models import DemandProject, SupplyProject

MONEY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def _money_field(label: str, help_text: str = "", required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=MONEY_ATTRS),
    )


def _star_field() -> forms.ChoiceField:
    return forms.ChoiceField(label="支撑星", required=False)


def _set_star_choices(form: forms.Form, stars: Sequence[tuple[str, str]]) -> None:
    field = form.fields["star_code"]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [("", "不限"), *stars]


class VersionedForm(forms.Form):
    """Carries the version the page showed, so a stale action is refused (compare-and-set)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DemandCreateForm(forms.Form):
    unit = forms.ChoiceField(label="村（社区）")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(label="项目名称", max_length=120, help_text="如：村内道路硬化")
    description = forms.CharField(
        label="建设内容",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="建设规模、地点、预期效果，以及与创星的关系",
    )
    star_code = _star_field()
    funds_requested = _money_field("申请资金（元）")

    def __init__(
        self,
        *args: Any,
        units: Iterable[Unit],
        stars: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"year": clock.today().year})
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, u.display_name) for code, u in self.units.items()]
        if len(self.units) == 1:
            field.initial = next(iter(self.units))
        _set_star_choices(self, stars)

    def chosen_unit(self) -> Unit | None:
        return self.units.get(self.cleaned_data.get("unit", ""))


class SupplyForm(forms.Form):
    county = forms.ChoiceField(label="县（市、区）")
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    name = forms.CharField(label="项目名称", max_length=120)
    department = forms.CharField(label="主管部门", max_length=60, help_text="如：市农业农村局")
    category = forms.CharField(
        label="类别", max_length=30, required=False, help_text="如：基础设施、产业发展、人居环境"
    )
    star_code = _star_field()
    funds = _money_field("可投入资金（元）")
    description = forms.CharField(
        label="支持内容与条件",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_open = forms.BooleanField(label="可对接", required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        counties: Iterable[Unit],
        stars: Sequence[tuple[str, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"year": clock.today().year, "is_open": True})
        super().__init__(*args, **kwargs)
        self.counties = {u.code: u for u in counties}
        field = self.fields["county"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, u.display_name) for code, u in self.counties.items()]
        if len(self.counties) == 1:
            field.initial = next(iter(self.counties))
            field.widget = forms.HiddenInput()
        if editing:
            # County and year of a library project stay as created.
            del self.fields["county"]
            del self.fields["year"]
        else:
            del self.fields["is_open"]
        _set_star_choices(self, stars)

    def chosen_county(self) -> Unit | None:
        return self.counties.get(self.cleaned_data.get("county", ""))

    @staticmethod
    def initial_of(supply: SupplyProject) -> dict[str, Any]:
        return {
            "name": supply.name,
            "department": supply.department,
            "category": supply.category,
            "star_code": supply.star_code,
            "funds": f"{supply.funds:.2f}",
            "description": supply.description,
            "is_open": supply.is_open,
        }


class MatchForm(VersionedForm):
    supply = forms.ChoiceField(label="项目库中的项目")
    funds_allocated = _money_field("安排资金（元）")
    note = forms.CharField(label="对接说明", max_length=300, required=False)

    def __init__(self, *args: Any, supplies: Iterable[SupplyProject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.supplies = {str(s.public_id): s for s in supplies}
        field = self.fields["supply"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (
                key,
                f"{s.name}（{s.department}，尚余 {getattr(s, 'left', s.funds):,.2f} 元）",
            )
            for key, s in self.supplies.items()
        ]

    def chosen_supply(self) -> SupplyProject | None:
        return self.supplies.get(self.cleaned_data.get("supply", ""))


class DeclineForm(VersionedForm):
    reason = forms.CharField(
        label="暂不支持的原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class StartForm(VersionedForm):
    note = forms.CharField(label="说明", max_length=300, required=False)


class SpendForm(VersionedForm):
    amount = _money_field("本次使用资金（元）")
    note = forms.CharField(label="用途说明", max_length=300, required=False)


class FinishForm(VersionedForm):
    note = forms.CharField(
        label="完成情况",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def version_initial(project: DemandProject) -> dict[str, Any]:
    return {"version": project.version}
