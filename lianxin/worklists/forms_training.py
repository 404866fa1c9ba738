"""Forms of the training list pages: they parse and keep what was typed; the rules live in
services/training.py, whose refusals land next to the field they name (add_domain_error)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils import timezone

from lianxin.core import clock
from lianxin.territory.models import Unit
from lianxin.worklists.models import SurveyRecipient, TrainingSession, TrainingSurvey
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.services.training import DEFAULT_FORMATS, PLAN_TOP_MAX

# Topics offered by default (seed 004: the creation standards, collective economy,
# governance, presentation for the contests, ...); the county edits them per survey.
DEFAULT_TOPICS = (
    "“五星”支部创建标准解读",
    "发展壮大村级集体经济",
    "党建引领基层治理与矛盾调解",
    "产业项目谋划与申报",
    "人居环境整治与美丽乡村建设",
    "平安法治建设",
    "演讲表达与创建成果展示",
    "外出观摩先进地区经验",
)


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SurveyForm(forms.Form):
    county = forms.ChoiceField(label="县（市、区）")
    title = forms.CharField(
        label="问卷标题", max_length=120, help_text="如：2026年村（社区）党组织书记培训需求调查"
    )
    groups = forms.MultipleChoiceField(
        label="调查对象",
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="下发时按上年星级、书记年龄和软弱涣散名单自动确定村（社区）",
    )
    topics = forms.CharField(
        label="可选培训内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一项，最多20项",
    )
    formats = forms.CharField(
        label="可选培训形式",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一项",
    )
    deadline = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, counties: Iterable[Unit], **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": f"{clock.today().year}年村（社区）党组织书记培训需求调查",
                "groups": list(TargetGroup.values),
                "topics": "\n".join(DEFAULT_TOPICS),
                "formats": "\n".join(DEFAULT_FORMATS),
                "deadline": clock.today() + dt.timedelta(days=14),
            },
        )
        super().__init__(*args, **kwargs)
        self.counties = {u.code: u for u in counties}
        field = self.fields["county"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, u.display_name) for code, u in self.counties.items()]
        if len(self.counties) == 1:
            field.initial = next(iter(self.counties))
            field.widget = forms.HiddenInput()

    def chosen_county(self) -> Unit | None:
        return self.counties.get(self.cleaned_data.get("county", ""))

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get(name) or "").splitlines()]


class AnswerForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label="希望参加的培训内容（可多选）",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    formats = forms.MultipleChoiceField(
        label="希望的培训形式（可多选）",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label="其他培训需求或建议",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, survey: TrainingSurvey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = self.fields["topics"]
        formats = self.fields["formats"]
        assert isinstance(topics, forms.MultipleChoiceField)
        assert isinstance(formats, forms.MultipleChoiceField)
        topics.choices = [(t, t) for t in survey.topics]
        formats.choices = [(f, f) for f in survey.formats]
        if not survey.formats:
            del self.fields["formats"]


class GenerateForm(VersionedForm):
    title = forms.CharField(label="培训清单名称", max_length=120, required=False)
    top = forms.IntegerField(
        label="班次数",
        min_value=1,
        max_value=PLAN_TOP_MAX,
        initial=5,
        help_text="取需求人数最多的几项培训内容，每项一个班次",
    )


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="培训时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label="地点", max_length=120, required=False)
    lecturer = forms.CharField(label="授课人", max_length=60, required=False)
    form = forms.CharField(label="形式", max_length=30, required=False)

    @staticmethod
    def initial_of(session: TrainingSession) -> dict[str, Any]:
        return {
            "starts_at": timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "place": session.place,
            "lecturer": session.lecturer,
            "form": session.form,
        }


class AttendForm(forms.Form):
    recipients = forms.MultipleChoiceField(
        label="签到学员", widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args: Any, roster: Sequence[SurveyRecipient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roster = {str(r.public_id): r for r in roster}
        field = self.fields["recipients"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (key, f"{r.unit.display_name} {r.person_name}") for key, r in self.roster.items()
        ]

    def chosen(self) -> list[SurveyRecipient]:
        return [self.roster[k] for k in self.cleaned_data.get("recipients", []) if k in self.roster]
