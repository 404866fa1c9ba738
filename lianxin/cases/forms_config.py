"""Forms of the configuration pages (`views/config.py`). They parse input only: the rules
live in `services/config.py`. Choices are limited to what the actor may configure."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department, Post
from lianxin.cases.models import HANDLER_KINDS, CaseSettings, Category, MediationTeam, SlaTarget
from lianxin.cases.services import config
from lianxin.cases.workflow import Level, Urgency
from lianxin.territory.models import Unit, UnitKind

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ANY = "（全部）"


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.display_name}（{UnitKind(obj.kind).label}）"


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        prefix = f"{obj.parent.name} › " if obj.parent_id and obj.parent else ""
        return f"{prefix}{obj.name}{'' if obj.is_active else '（已停用）'}"


class PostField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Post) -> str:
        return f"{obj.user}（{obj.get_role_display()}@{obj.unit.display_name}）"


class DepartmentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.name}（{obj.unit.display_name}）"


def _categories() -> Any:
    return Category.objects.select_related("parent").order_by("sort_order", "code")


# --- categories ------------------------------------------------------------------------------


class CategoryForm(forms.Form):
    code = forms.CharField(
        label="编码",
        max_length=40,
        help_text="Open311 服务编码，小写字母、数字、-或_，建立后不能修改，如 lighting",
    )
    name = forms.CharField(label="名称", max_length=50)
    parent = CategoryField(
        label="上级类别",
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="（无，作为一级类别）",
    )
    help_text = forms.CharField(
        label="填写提示", max_length=200, required=False, help_text="居民选择类别时看到的说明"
    )
    keywords = forms.CharField(
        label="关键词", max_length=300, required=False, help_text="空格分隔，用于自动归类"
    )
    default_level = forms.ChoiceField(label="默认分流", choices=Level.choices)
    default_handler_kind = forms.ChoiceField(label="默认承办单位类型", choices=HANDLER_KINDS)
    default_urgency = forms.ChoiceField(label="时限类别", choices=Urgency.choices)
    is_public = forms.BooleanField(label="居民可选", required=False)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=100000, initial=100)

    def __init__(self, *args: Any, category: Category | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        qs = _categories()
        if category is not None:
            qs = qs.exclude(pk=category.pk)
            # The code is fixed once created: shown, never posted back.
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        parent.queryset = qs

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in self.fields if k != "code"}


# --- SLA targets -----------------------------------------------------------------------------


class SlaTargetForm(forms.Form):
    urgency = forms.ChoiceField(label="时限类别", choices=Urgency.choices)
    category = CategoryField(
        label="类别",
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="（全部类别，通用时限）",
        help_text="选择类别则只对该类别及其下级生效",
    )
    respond_within = forms.DecimalField(
        label="响应时限", max_digits=7, decimal_places=2, help_text="数字，单位见响应计时"
    )
    respond_counting = forms.ChoiceField(label="响应计时", choices=SlaTarget.Counting.choices)
    resolve_within = forms.DecimalField(label="办结时限", max_digits=7, decimal_places=2)
    resolve_counting = forms.ChoiceField(label="办结计时", choices=SlaTarget.Counting.choices)
    near_due_share = forms.DecimalField(
        label="临期提醒比例",
        max_digits=3,
        decimal_places=2,
        help_text="已用时限达到这个比例时提醒，如 0.8 表示剩余两成时提醒",
    )

    def __init__(self, *args: Any, fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = _categories()
        if fixed:  # editing an existing row: which row is not changed here
            self.fields["urgency"].disabled = True
            self.fields["category"].disabled = True


# --- settings --------------------------------------------------------------------------------


SETTINGS_FIELDS = [
    "basic_satisfied_weight",
    "weight_response",
    "weight_resolution",
    "weight_satisfaction",
    "auto_whistle_overdue_hours",
    "summons_report_hours",
    "supervise_reopen_count",
    "mediation_revisit_days",
    "public_per_source_hour",
    "public_per_phone_day",
    "duplicate_window_days",
    "login_codes_per_phone_hour",
]
SETTINGS_HELP = {
    "basic_satisfied_weight": "满意率 =（满意 + 系数 × 基本满意）÷ 回访数",
    "weight_satisfaction": "综合分 = 各率 × 权重之和；三项权重之和应为1",
    "auto_whistle_overdue_hours": "村/社区承办的诉求超期超过这么多工作小时，自动吹哨报街道",
    "login_codes_per_phone_hour": "居民用手机号登录（查积分、议事等）时，同一号码每小时最多发送几次验证码",
}


class CaseSettingsForm(forms.Form):
    """The settings row's fields, labels from the model (saved by the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(CaseSettings, fields=SETTINGS_FIELDS, help_texts=SETTINGS_HELP)
        )


def settings_initial(row: CaseSettings) -> dict[str, Any]:
    return forms.model_to_dict(row, fields=SETTINGS_FIELDS)


# --- calendar --------------------------------------------------------------------------------


class YearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)


class CalendarDayForm(forms.Form):
    day = forms.DateField(label="日期", widget=DATE_INPUT)
    is_workday = forms.TypedChoiceField(
        label="安排",
        choices=[("0", "放假（休息）"), ("1", "调休上班")],
        coerce=lambda v: v == "1",
    )
    name = forms.CharField(label="说明", max_length=40, help_text="如：春节、国庆节调休上班")

    def __init__(self, *args: Any, fixed_day: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_day is not None:
            self.fields["day"].disabled = True
            self.initial["day"] = fixed_day


# --- routing rules ---------------------------------------------------------------------------


class RoutingRuleForm(forms.Form):
    unit = UnitField(
        label="适用区域",
        queryset=Unit.objects.none(),
        to_field_name="public_id",
        empty_label="请选择",
        help_text="规则适用于该区域及其下级的诉求",
    )
    category = CategoryField(
        label="类别",
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=ANY,
        help_text="上级类别的规则也适用于其下级类别",
    )
    level = forms.ChoiceField(label="分流", choices=[("", ANY), *Level.choices], required=False)
    handler_kind = forms.ChoiceField(label="承办单位类型", choices=HANDLER_KINDS)
    handler_unit = UnitField(
        label="指定承办单位",
        queryset=Unit.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="（按类型自动确定：诉求所在的网格、村/社区或街道）",
    )
    handler_department = DepartmentField(
        label="指定部门",
        queryset=Department.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="（无）",
    )
    handler_team = forms.ModelChoiceField(
        label="指定调解组织",
        queryset=MediationTeam.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="（无）",
    )
    handler_post = PostField(
        label="指定岗位（承办人）",
        queryset=Post.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="（无）",
        help_text="指定后直接派给该岗位的人员",
    )
    priority = forms.IntegerField(
        label="优先级", min_value=0, max_value=9999, initial=100, help_text="同样具体时小者优先"
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = config.units_for(actor, config.RULE_UNIT_KINDS)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["handler_unit"]).queryset = units.filter(
            kind__in=("township", "village", "grid")
        )
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = _categories()
        cast(
            forms.ModelChoiceField, self.fields["handler_department"]
        ).queryset = config.departments_for(actor)
        cast(forms.ModelChoiceField, self.fields["handler_team"]).queryset = config.teams_for(
            actor
        ).filter(is_active=True)
        cast(forms.ModelChoiceField, self.fields["handler_post"]).queryset = config.posts_for(actor)


class RouteTryForm(forms.Form):
    place = UnitField(
        label="地点", queryset=Unit.objects.none(), to_field_name="public_id", empty_label="请选择"
    )
    category = CategoryField(
        label="类别",
        queryset=Category.objects.none(),
        required=False,
        to_field_name="code",
        empty_label="（未分类）",
    )
    level = forms.ChoiceField(label="分流", choices=Level.choices, initial=Level.SMALL)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["place"]).queryset = config.units_for(
            actor, ("village", "grid")
        )
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = _categories().filter(
            is_active=True
        )


# --- mediation teams -------------------------------------------------------------------------


class MediationTeamForm(forms.Form):
    unit = UnitField(
        label="所在单位",
        queryset=Unit.objects.none(),
        to_field_name="public_id",
        empty_label="请选择",
    )
    name = forms.CharField(label="名称", max_length=100, help_text="如：迎秀社区多元调解队")
    kind = forms.ChoiceField(label="类型", choices=[("team", "调解队"), ("room", "矛盾工作室")])
    members = forms.CharField(
        label="成员", max_length=300, required=False, help_text="姓名，用顿号分隔"
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = config.units_for(
            actor, config.TEAM_UNIT_KINDS
        )
        if not editing:
            del self.fields["is_active"]
