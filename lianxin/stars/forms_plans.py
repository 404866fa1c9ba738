"""Forms of the plans and quotas pages. The services check the rules; these only parse what
was typed (and keep it when a rule refuses)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from lianxin.stars.models import PlanStar
from lianxin.stars.services.plans import MeasureDraft, MilestoneDraft, StarDraft
from lianxin.stars.services.quotas import LEVEL_LABELS, LEVELS, field_name

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionForm(forms.Form):
    """A state move: carries the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput())


class PlanCreateForm(forms.Form):
    unit = forms.ChoiceField(label="村（社区）")
    year = forms.TypedChoiceField(label="年度", coerce=int)
    summary = forms.CharField(
        label="创建思路",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="结合去年创星结果，写明今年的总体思路；逐星的优势、短板和举措在下一步填写。",
    )

    def __init__(
        self,
        *args: Any,
        units: list[tuple[str, str]],
        years: Sequence[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        year = self.fields["year"]
        assert isinstance(unit, forms.ChoiceField) and isinstance(year, forms.ChoiceField)
        unit.choices = units
        year.choices = [(y, f"{y}年") for y in years]
        if len(units) == 1:
            unit.widget = forms.HiddenInput()


class PlanEditForm(forms.Form):
    """The draft's approach and, per star, a target box with strengths and weaknesses
    (fields ``<code>-target``, ``<code>-strengths``, ``<code>-weaknesses``)."""

    summary = forms.CharField(
        label="创建思路", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, *args: Any, stars: Sequence[PlanStar], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan_stars = list(stars)
        for ps in self.plan_stars:
            code, name = ps.star.code, ps.star.name
            self.fields[f"{code}-target"] = forms.BooleanField(
                label=f"今年争创{name}", required=False
            )
            self.fields[f"{code}-strengths"] = forms.CharField(
                label="优势",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{code}-weaknesses"] = forms.CharField(
                label="短板弱项",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def star_groups(self) -> list[dict[str, Any]]:
        """The bound fields of each star, for the template."""
        return [
            {
                "star": ps.star,
                "target": self[f"{ps.star.code}-target"],
                "strengths": self[f"{ps.star.code}-strengths"],
                "weaknesses": self[f"{ps.star.code}-weaknesses"],
            }
            for ps in self.plan_stars
        ]

    def drafts(self) -> list[StarDraft]:
        d = self.cleaned_data
        return [
            StarDraft(
                code=ps.star.code,
                is_target=bool(d.get(f"{ps.star.code}-target")),
                strengths=d.get(f"{ps.star.code}-strengths") or "",
                weaknesses=d.get(f"{ps.star.code}-weaknesses") or "",
            )
            for ps in self.plan_stars
        ]

    @staticmethod
    def initial_for(plan_version: int, summary: str, stars: Sequence[PlanStar]) -> dict[str, Any]:
        initial: dict[str, Any] = {"summary": summary, "version": plan_version}
        for ps in stars:
            initial[f"{ps.star.code}-target"] = ps.is_target
            initial[f"{ps.star.code}-strengths"] = ps.strengths
            initial[f"{ps.star.code}-weaknesses"] = ps.weaknesses
        return initial


class MeasureForm(forms.Form):
    title = forms.CharField(label="举措", max_length=200)
    star = forms.ChoiceField(label="对应的星", required=False)
    responsible = forms.CharField(label="责任人", max_length=60)
    deadline = forms.DateField(label="完成时限", widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput())

    def __init__(self, *args: Any, stars: Sequence[PlanStar], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        star = self.fields["star"]
        assert isinstance(star, forms.ChoiceField)
        star.choices = [("", "（综合）")] + [(ps.star.code, ps.star.name) for ps in stars]

    def draft(self) -> MeasureDraft:
        d = self.cleaned_data
        return MeasureDraft(
            title=d["title"],
            responsible=d["responsible"],
            deadline=d.get("deadline"),
            star_code=d.get("star") or "",
        )


class MilestoneForm(forms.Form):
    title = forms.CharField(label="时间节点", max_length=200)
    due_on = forms.DateField(label="计划日期", widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput())

    def draft(self) -> MilestoneDraft:
        return MilestoneDraft(title=self.cleaned_data["title"], due_on=self.cleaned_data["due_on"])


class DoneForm(forms.Form):
    done_on = forms.DateField(label="完成日期", required=False, widget=DATE)


class ReturnForm(forms.Form):
    # Required by the service (one message, next to the box).
    reason = forms.CharField(
        label="退回原因", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput())


class QuotaForm(forms.Form):
    """A township's quota per level (``level_5`` … ``level_1``; empty or 0: no quota)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level in LEVELS:
            self.fields[field_name(level)] = forms.IntegerField(
                label=f"{LEVEL_LABELS[level]}支部（个）", required=False, min_value=0
            )

    def counts(self) -> dict[int, int | None]:
        return {level: self.cleaned_data.get(field_name(level)) for level in LEVELS}
