"""Forms of the staff pages of requests. They check the shape of the input and name the field at
fault; the rules live in the services, whose `DomainError.field` is mapped back onto the form.

Every action form carries the request's `version` as seen when the page was drawn; the view
passes it on as `expected_version`, so two people acting at once cannot overwrite each other.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from lianxin.cases.models import Case, Category, Whistle
from lianxin.cases.services.intake import STAFF_CHANNELS
from lianxin.cases.services.lifecycle import MAX_PHOTOS
from lianxin.cases.workflow import Channel, Level, Satisfaction, Urgency

TEXTAREA = {"rows": 3}
PHOTO_HELP = f"可拍照或从相册选择，最多{MAX_PHOTOS}张，每张不超过5MB"
LEVEL_HELP = "大事：街道或部门牵头；小事：村/社区和网格办理；私事：引导居民自行解决或找市场服务"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input (the phone's camera opens directly); each is checked as a
    real image by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "照片")
        kwargs.setdefault("help_text", PHOTO_HELP)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"最多上传{MAX_PHOTOS}张照片")
        return [super(PhotosField, self).clean(f, initial) for f in files]


def _text(label: str, *, required: bool = True, max_length: int = 2000, **kw: Any) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs=TEXTAREA),
        **kw,
    )


def category_choices(categories: Any, *, empty: str = "（不改变）") -> list[tuple[str, str]]:
    out = [("", empty)]
    for c in categories:
        label = f"{c.parent.name} · {c.name}" if c.parent_id and c.parent else c.name
        out.append((c.code, label))
    return out


# --- actions --------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of every action form: the version seen and where to go afterwards."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("version", case.version)
        self.case = case
        super().__init__(*args, **kwargs)


class NoteOptionalForm(ActionForm):
    note = _text("说明", required=False, max_length=1000)


class NoteRequiredForm(ActionForm):
    note = _text("说明", max_length=1000)


class ReasonForm(ActionForm):
    reason = _text("理由", max_length=1000)


class TriageForm(ActionForm):
    level = forms.ChoiceField(
        label="三事分流", choices=Level.choices, widget=forms.RadioSelect, help_text=LEVEL_HELP
    )
    category = forms.ChoiceField(label="类别", required=False)
    urgency = forms.ChoiceField(label="时限类别", choices=Urgency.choices)
    note = _text("说明", required=False, max_length=1000)

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(categories)
        case = self.case
        self.fields["level"].initial = case.level or (
            case.category.default_level if case.category else Level.SMALL
        )
        self.fields["urgency"].initial = case.urgency

    def clean_category(self) -> Category | None:
        code = self.cleaned_data.get("category") or ""
        return self.categories.get(code) if code else None


class AssignForm(ActionForm):
    handler_unit = forms.ChoiceField(label="承办单位", required=False)
    department = forms.ChoiceField(label="承办部门", required=False)
    team = forms.ChoiceField(label="调解组织", required=False)
    assignee = forms.ChoiceField(label="承办人", required=False)
    note = _text("派遣说明", required=False, max_length=1000)

    def __init__(
        self, *args: Any, choices: dict[str, list[Any]], posts: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(u.public_id): u for u in choices["units"]}
        self.departments = {str(d.public_id): d for d in choices["departments"]}
        self.teams = {str(t.public_id): t for t in choices["teams"]}
        self.posts = {str(p.public_id): p for p in posts}
        kinds = {"township": "街道", "village": "村/社区", "grid": "网格"}
        self._set(
            "handler_unit",
            [
                (k, f"{u.display_name}（{kinds.get(u.kind, u.get_kind_display())}）")
                for k, u in self.units.items()
            ],
        )
        self._set("department", [(k, d.name) for k, d in self.departments.items()])
        self._set("team", [(k, t.name) for k, t in self.teams.items()])
        self._set(
            "assignee",
            [
                (k, f"{p.user}（{p.get_role_display()}@{p.unit.display_name}）")
                for k, p in self.posts.items()
            ],
        )

    def _set(self, name: str, choices: list[tuple[str, str]]) -> None:
        cast(forms.ChoiceField, self.fields[name]).choices = [("", "—"), *choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        post = self.posts.get(data.get("assignee") or "")
        data["handler_unit_obj"] = self.units.get(data.get("handler_unit") or "")
        data["department_obj"] = self.departments.get(data.get("department") or "")
        data["team_obj"] = self.teams.get(data.get("team") or "")
        data["assignee_id"] = post.user_id if post else None
        if post is not None and data["handler_unit_obj"] is None:
            data["handler_unit_obj"] = post.unit  # a named person: their unit handles it
        return data


class ProgressForm(ActionForm):
    note = _text("办理进展")
    photos = PhotosField()


class ResolveForm(ActionForm):
    result = _text("办理结果", help_text="居民会看到这段话，请写清楚做了什么、现在怎样")
    photos = PhotosField(label="办结后照片")


class FollowUpForm(ActionForm):
    satisfaction = forms.ChoiceField(
        label="居民评价", choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = _text("回访意见", required=False, max_length=300, help_text="不满意时必须填写")


class GuideForm(ActionForm):
    guidance = _text("引导意见", help_text="告诉居民可以怎样自行解决")
    referral = forms.CharField(
        label="推荐服务（可选）", required=False, max_length=200, help_text="如物业、家政、维修服务"
    )


class MergeForm(ActionForm):
    into = forms.CharField(
        label="合并到（受理编号）", max_length=16, help_text="与哪一件未办结的诉求是同一问题"
    )


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label="延期（工作日）", min_value=1, max_value=30, initial=5)
    reason = _text("延期理由", max_length=1000)


class BoardHideForm(ActionForm):
    reason = _text("不公开的理由", max_length=200)


# --- filing ---------------------------------------------------------------------------------------


class FileForm(forms.Form):
    """A request filed by staff on a resident's behalf (or a grid worker's patrol finding)."""

    place = forms.CharField(label="地点（楼栋/网格/村）", max_length=40)
    channel = forms.ChoiceField(label="来源渠道")
    category = forms.ChoiceField(label="类别", required=False)
    level = forms.ChoiceField(
        label="三事分流（可选）",
        required=False,
        choices=[("", "暂不判断"), *Level.choices],
        help_text=LEVEL_HELP,
    )
    description = _text("问题描述", help_text="说明是什么问题、在哪里、持续多久")
    address_text = forms.CharField(
        label="具体位置（可选）", required=False, max_length=200, help_text="如 2单元3楼楼道"
    )
    name = forms.CharField(label="反映人姓名（可选）", required=False, max_length=50)
    phone = forms.CharField(
        label="联系电话（可选）",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    resident = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    photos = PhotosField()

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices(
            categories, empty="请选择（不确定可不选）"
        )
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            (c.value, c.label) for c in Channel if c in STAFF_CHANNELS
        ]

    def clean_category(self) -> Category | None:
        code = self.cleaned_data.get("category") or ""
        return self.categories.get(code) if code else None


# --- whistles -------------------------------------------------------------------------------------


class SummonForm(forms.Form):
    departments = forms.MultipleChoiceField(
        label="召集部门", required=False, widget=forms.CheckboxSelectMultiple
    )
    units = forms.MultipleChoiceField(
        label="召集单位", required=False, widget=forms.CheckboxSelectMultiple
    )
    hours = forms.IntegerField(
        label="报到时限（工作小时）", required=False, min_value=1, max_value=240
    )
    note = _text("说明", required=False, max_length=1000)

    def __init__(self, *args: Any, choices: dict[str, list[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dept_map = {str(d.public_id): d for d in choices["departments"]}
        self.unit_map = {str(u.public_id): u for u in choices["units"]}
        cast(forms.ChoiceField, self.fields["departments"]).choices = [
            (k, d.name) for k, d in self.dept_map.items()
        ]
        cast(forms.ChoiceField, self.fields["units"]).choices = [
            (k, u.display_name) for k, u in self.unit_map.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["department_objs"] = [self.dept_map[k] for k in data.get("departments") or []]
        data["unit_objs"] = [self.unit_map[k] for k in data.get("units") or []]
        return data


class ReportInForm(forms.Form):
    summons = forms.ChoiceField(label="报到单位")
    action_note = _text("采取的措施", max_length=2000)

    def __init__(self, *args: Any, summons: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.summons_map = {str(s.pk): s for s in summons}
        cast(forms.ChoiceField, self.fields["summons"]).choices = [
            (k, s.target_name) for k, s in self.summons_map.items()
        ]
        if len(summons) == 1:
            self.fields["summons"].widget = forms.HiddenInput()
            self.fields["summons"].initial = str(summons[0].pk)

    def clean_summons(self) -> Any:
        return self.summons_map[self.cleaned_data["summons"]]


class WhistleCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="结果", choices=Whistle.Outcome.choices, widget=forms.RadioSelect
    )
    note = _text("结果说明", max_length=2000)
