"""Form of the daily assessment (日常考核). One form per subject kind: the subject picker
(task force, township or village), the name where the subject is a person, the five part
scores and the note. Ranges and the correction rule are the service's."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.stars.models.assessments import SubjectKind
from lianxin.stars.services import assessments as svc

SCORE_ATTRS = {"inputmode": "decimal", "step": "0.01", "min": "0", "max": "100"}


def _score(name: str, required: bool = True) -> forms.DecimalField:
    # No bounds here: the service refuses with the part's name and the range.
    return forms.DecimalField(
        label=svc.PART_LABELS[name],
        max_digits=8,
        decimal_places=4,
        required=required,
        widget=forms.NumberInput(attrs=SCORE_ATTRS),
    )


class AssessmentForm(forms.Form):
    county = forms.ChoiceField(label="县（市、区）")
    period = forms.CharField(
        label="考核期（年-月）",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"}),
    )
    task_force = forms.ChoiceField(label="创建专班")
    unit = forms.ChoiceField(label="单位")
    name = forms.CharField(label="姓名", max_length=30)
    base_work = _score("base_work")
    highlights = _score("highlights")
    results = _score("results")
    knowledge_test = _score("knowledge_test")
    other_work = _score("other_work", required=False)
    note = forms.CharField(
        label="说明",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="更正本期已登记的结果时必填，写明更正原因。",
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        counties: list[tuple[str, str]],
        task_forces: list[tuple[str, str]],
        units: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        county = self.fields["county"]
        assert isinstance(county, forms.ChoiceField)
        county.choices = counties
        if len(counties) == 1:
            county.widget = forms.HiddenInput()
        if kind == SubjectKind.TASK_FORCE:
            del self.fields["unit"], self.fields["name"]
            tf = self.fields["task_force"]
            assert isinstance(tf, forms.ChoiceField)
            tf.choices = [("", "请选择"), *task_forces]
        else:
            del self.fields["task_force"]
            unit = self.fields["unit"]
            assert isinstance(unit, forms.ChoiceField)
            unit.choices = [("", "请选择"), *units]
            if kind == SubjectKind.TOWNSHIP_SECRETARY:
                unit.label, self.fields["name"].label = "乡镇（街道）", "党（工）委书记姓名"
            elif kind == SubjectKind.VILLAGE_SECRETARY:
                unit.label, self.fields["name"].label = "村（社区）", "党组织书记姓名"
            else:
                unit.label, self.fields["name"].label = "村（社区）", "创建领军人姓名"
        self.fields["other_work"].help_text = "加分项：按5%计入，最多加5分。"
