"""Forms of the catalog pages: stars, standards, the county's settings, task forces and weak
branches. They parse what was typed (and keep it when a service refuses); the services check
the rules. Percentages typed here are turned into the shares the database stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from lianxin.stars import indicators
from lianxin.stars import workflow as wf
from lianxin.stars.models import Standard
from lianxin.stars.services.catalog import StandardDraft

HUNDRED = Decimal(100)


def _number(label: str, **kwargs: Any) -> forms.DecimalField:
    """A decimal input whose messages name the field."""
    return forms.DecimalField(
        label=label,
        error_messages={
            "invalid": f"{label}应为数字",
            "required": f"请填写{label}",
            "max_digits": f"{label}位数过多",
            "max_decimal_places": f"{label}小数位数过多",
            "max_whole_digits": f"{label}过大",
        },
        **kwargs,
    )


def _integer(label: str, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        error_messages={"invalid": f"{label}应为整数", "required": f"请填写{label}"},
        **kwargs,
    )


def plain(value: Decimal | None) -> Decimal | None:
    """A stored decimal without trailing zeros and never in exponent form (50000, not 5E+4)."""
    return None if value is None else Decimal(f"{value.normalize():f}")


def _share_to_percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else plain(value * HUNDRED)


class NamedErrors(forms.Form):
    """A form whose "required" and "too long" messages name the field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            label = str(f.label or "")
            if f.error_messages["required"] == forms.Field.default_error_messages["required"]:
                f.error_messages["required"] = f"请填写{label}"
            if isinstance(f, forms.CharField) and f.max_length:
                f.error_messages["max_length"] = f"{label}不超过{f.max_length}个字"


class StarForm(NamedErrors):
    name = forms.CharField(label="星的名称", max_length=30)
    short_name = forms.CharField(
        label="简称", max_length=8, help_text="挂图作战表头用，如“过硬”，不超过8个字"
    )
    description = forms.CharField(
        label="创建要求", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(
        label="启用", required=False, help_text="停用的星不再接受新的申报，已有记录保留"
    )


class StarCreateForm(StarForm):
    code = forms.CharField(
        label="代码",
        max_length=30,
        help_text="英文小写字母开头，如 business；年度之间按代码对照，建立后不能修改",
    )
    field_order = ["code", "name", "short_name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]


class StandardForm(NamedErrors):
    name = forms.CharField(label="标准", max_length=120)
    kind = forms.ChoiceField(label="类型", choices=Standard.Kind.choices)
    max_score = _number("满分", required=False, max_digits=6, decimal_places=2)
    pass_score = _number("及格分", required=False, max_digits=6, decimal_places=2)
    evidence_hint = forms.CharField(
        label="佐证要求", required=False, max_length=200, help_text="如：上传全年会议记录扫描件"
    )
    figure_key = forms.ChoiceField(label="平台数据项", required=False)
    comparator = forms.ChoiceField(
        label="比较",
        required=False,
        choices=[("", "—")] + [(k, v) for k, v in wf.COMPARATORS.items()],
    )
    threshold = _number(
        "阈值",
        required=False,
        max_digits=14,
        decimal_places=4,
        help_text="比例类数据填百分数，如 90 表示 90%；金额填元，件数、人数填整数",
    )
    is_required = forms.BooleanField(
        label="必须达标", required=False, help_text="每条必须达标的标准都通过，这颗星才评得上"
    )
    sort_order = _integer("排序", required=False, min_value=0, max_value=999)
    is_active = forms.BooleanField(
        label="启用", required=False, help_text="停用后新的申报和评审不再使用该标准"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        figure = self.fields["figure_key"]
        assert isinstance(figure, forms.ChoiceField)
        figure.choices = [("", "—"), *indicators.choices()]

    @classmethod
    def initial_of(cls, standard: Standard) -> dict[str, Any]:
        """The form's values for a stored standard (a rate threshold shown in percent)."""
        threshold = standard.threshold
        indicator = indicators.INDICATORS.get(standard.figure_key)
        if threshold is not None:
            threshold = (
                _share_to_percent(threshold)
                if indicator and indicator.measure == "rate"
                else plain(threshold)
            )
        return {
            "name": standard.name,
            "kind": standard.kind,
            "max_score": plain(standard.max_score),
            "pass_score": plain(standard.pass_score),
            "evidence_hint": standard.evidence_hint,
            "figure_key": standard.figure_key,
            "comparator": standard.comparator,
            "threshold": threshold,
            "is_required": standard.is_required,
            "sort_order": standard.sort_order,
            "is_active": standard.is_active,
        }

    def draft(self) -> StandardDraft:
        d = self.cleaned_data
        threshold = d.get("threshold")
        indicator = indicators.INDICATORS.get(d.get("figure_key") or "")
        if threshold is not None and indicator is not None and indicator.measure == "rate":
            threshold = threshold / HUNDRED
        return StandardDraft(
            name=d["name"],
            kind=d["kind"],
            max_score=d.get("max_score"),
            pass_score=d.get("pass_score"),
            evidence_hint=d.get("evidence_hint") or "",
            figure_key=d.get("figure_key") or "",
            comparator=d.get("comparator") or "",
            threshold=threshold,
            is_required=bool(d.get("is_required")),
            is_active=bool(d.get("is_active")),
            sort_order=d.get("sort_order"),
        )


class SettingsForm(NamedErrors):
    notice_days = _integer("公示天数", help_text="授星前公示的天数（1–30）")
    progress_award = _number(
        "进步星奖励（元）", max_digits=14, decimal_places=2, help_text="种子材料：5万元"
    )
    reward_min_income = _number(
        "奖励门槛：年经营性收入（元）", max_digits=14, decimal_places=2, help_text="如 50000"
    )
    reward_min_growth = _number(
        "奖励门槛：较上年增幅（%）", max_digits=8, decimal_places=2, help_text="如 10 表示 10%"
    )
    reward_share = _number(
        "奖励比例：占收入增量（%）", max_digits=8, decimal_places=2, help_text="0–100"
    )
    contest_advance = _integer(
        "每乡镇晋级市级决赛名额", help_text="大比武每个乡镇（街道）晋级的人数"
    )

    @classmethod
    def initial_of(cls, settings: Any) -> dict[str, Any]:
        return {
            "notice_days": settings.notice_days,
            "progress_award": plain(settings.progress_award),
            "reward_min_income": plain(settings.reward_min_income),
            "reward_min_growth": _share_to_percent(settings.reward_min_growth),
            "reward_share": _share_to_percent(settings.reward_share),
            "contest_advance": settings.contest_advance,
        }

    def values(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "notice_days": d["notice_days"],
            "progress_award": d["progress_award"],
            "reward_min_income": d["reward_min_income"],
            "reward_min_growth": d["reward_min_growth"] / HUNDRED,
            "reward_share": d["reward_share"] / HUNDRED,
            "contest_advance": d["contest_advance"],
        }


class TaskForceForm(NamedErrors):
    name = forms.CharField(label="专班名称", max_length=60, help_text="如：产业兴旺星创建专班")
    lead_unit = forms.CharField(label="牵头单位", max_length=60, required=False)
    leader_name = forms.CharField(label="专班负责人", max_length=30, required=False)
    star_code = forms.ChoiceField(label="负责星", required=False)
    is_active = forms.BooleanField(label="在用", required=False)

    def __init__(
        self, *args: Any, stars: list[tuple[str, str]], creating: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["star_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "（不限）"), *stars]
        if creating:
            del self.fields["is_active"]


class WeakBranchForm(NamedErrors):
    unit = forms.ChoiceField(label="村（社区）")
    year = _integer("年度")
    reason = forms.CharField(label="原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
    liaison_name = forms.CharField(label="联系组工干部", max_length=30, required=False)

    def __init__(self, *args: Any, units: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择"), *units]


class WeakBranchEditForm(NamedErrors):
    reason = forms.CharField(label="原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
    liaison_name = forms.CharField(label="联系组工干部", max_length=30, required=False)


class WeakBranchLiftForm(NamedErrors):
    lifted_on = forms.DateField(
        label="整顿转化日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "整顿转化日期格式应为 年-月-日",
            "required": "请填写整顿转化日期",
        },
    )
