"""Forms of the inspection pages: the check with its problem rows (问题反馈表) and the optional
notice, the notice on its own, the village's report and the inspector's verdict. The services
check the rules; these parse what was typed and keep it when a rule refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.worklists.models import InspectionProblem
from lianxin.worklists.services.inspections import MAX_PROBLEMS, NoticeDraft, ProblemDraft

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PROBLEM_ROWS = 4
YES_NO = [("yes", "完整"), ("no", "不完整")]


class InspectionForm(forms.Form):
    unit = forms.ChoiceField(label="被检查村（社区）")
    quarter = forms.ChoiceField(label="检查季度")
    inspected_on = forms.DateField(label="检查日期", widget=DATE)
    manual_complete = forms.ChoiceField(
        label="工作手册记录", choices=YES_NO, widget=forms.RadioSelect
    )
    summary = forms.CharField(
        label="检查情况",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="查阅了哪些记录（三会一课、主题党日、联户走访……），总体情况如何。",
    )

    def __init__(
        self,
        *args: Any,
        units: list[tuple[str, str]],
        quarters: list[tuple[str, str]],
        rows: int = PROBLEM_ROWS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ChoiceField)
        unit.choices = units
        quarter = self.fields["quarter"]
        assert isinstance(quarter, forms.ChoiceField)
        quarter.choices = quarters
        data = self.data if self.is_bound else {}
        submitted = sum(1 for k in data if str(k).startswith("p") and str(k).endswith("-desc"))
        self.rows = min(max(rows, submitted, 1), MAX_PROBLEMS)
        categories = [("", "选择类别"), *InspectionProblem.Category.choices]
        for n in range(1, self.rows + 1):
            self.fields[f"p{n}-cat"] = forms.ChoiceField(
                label=f"问题{n} 类别", choices=categories, required=False
            )
            self.fields[f"p{n}-desc"] = forms.CharField(
                label=f"问题{n} 描述",
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": f"问题{n}：具体描述"}),
            )
        self.fields["notice"] = forms.BooleanField(label="同时下发整改通知单", required=False)
        self.fields["requirements"] = forms.CharField(
            label="整改要求",
            max_length=2000,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        self.fields["deadline"] = forms.DateField(label="整改期限", required=False, widget=DATE)

    def problem_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"p{n}-cat"], self[f"p{n}-desc"]) for n in range(1, self.rows + 1)]

    def base_fields_bound(self) -> list[Any]:
        return [self[n] for n in ("unit", "quarter", "inspected_on", "manual_complete", "summary")]

    def problems(self) -> list[ProblemDraft]:
        d = self.cleaned_data
        drafts = []
        for n in range(1, self.rows + 1):
            cat, desc = d.get(f"p{n}-cat") or "", (d.get(f"p{n}-desc") or "").strip()
            if cat or desc:
                drafts.append(ProblemDraft(category=cat, description=desc))
        return drafts

    def notice(self) -> NoticeDraft | None:
        d = self.cleaned_data
        if not d.get("notice"):
            return None
        return NoticeDraft(requirements=d.get("requirements") or "", deadline=d.get("deadline"))


class NoticeForm(forms.Form):
    requirements = forms.CharField(
        label="整改要求", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    deadline = forms.DateField(label="整改期限", widget=DATE)


class ReportForm(forms.Form):
    note = forms.CharField(
        label="整改情况",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="逐条说明针对发现的问题做了什么。",
    )
    # The service checks the file (an image re-encoded without EXIF, or a PDF).
    evidence = forms.FileField(
        label="佐证材料",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
        help_text="可选：一张照片（不超过5MB）或一份PDF（不超过10MB）。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput())


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("verify", "销号"), ("reopen", "退回重新整改")])
    note = forms.CharField(
        label="核验意见",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必须说明原因。",
    )
    deadline = forms.DateField(
        label="新的整改期限", required=False, widget=DATE, help_text="退回时可延长，留空不变。"
    )
    version = forms.IntegerField(widget=forms.HiddenInput())
