"""Forms of the declarations pages: they parse and keep what was typed; the rules live in
services/declarations.py, reviews.py and notices.py, whose refusals land next to the field
they name (add_domain_error). The entry and review forms have one group of fields per
standard, named by `entry_field` / `score_field` so the services can point at them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms

from lianxin.core import clock
from lianxin.stars import workflow as wf
from lianxin.stars.indicators import IndicatorValue
from lianxin.stars.models import Declaration, DeclarationEntry, Objection, Star
from lianxin.stars.services.declarations import EntryInput, entry_field
from lianxin.stars.services.reviews import DECISIONS, ScoreInput, score_field
from lianxin.territory.models import Unit

YES_NO = [("yes", "达标"), ("no", "不达标")]


class VersionedForm(forms.Form):
    """Carries the version the page showed, so a stale action is refused (compare-and-set)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def version_initial(obj: Any) -> dict[str, Any]:
    return {"version": obj.version}


class DeclarationCreateForm(forms.Form):
    unit = forms.ChoiceField(label="村（社区）")
    year = forms.TypedChoiceField(label="申报年度", coerce=int)
    stars = forms.MultipleChoiceField(
        label="申报的星",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="可同时勾选多颗星，每颗星单独填报、单独评审",
    )
    progress = forms.BooleanField(
        label="同时申报进步星", required=False, help_text="较上年进步明显的村（社区）可申报"
    )
    statement = forms.CharField(
        label="申报说明",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="可不填；进步星请在申报材料中说明进步情况",
    )

    def __init__(
        self, *args: Any, units: Iterable[Unit], stars: Sequence[Star], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [(code, u.display_name) for code, u in self.units.items()]
        if len(self.units) == 1:
            unit_field.initial = next(iter(self.units))
        this = clock.today().year
        year_field = self.fields["year"]
        assert isinstance(year_field, forms.ChoiceField)
        year_field.choices = [(y, f"{y}年度") for y in (this - 1, this, this + 1)]
        year_field.initial = this
        star_field = self.fields["stars"]
        assert isinstance(star_field, forms.ChoiceField)
        star_field.choices = [(s.code, s.name) for s in stars]

    def chosen_unit(self) -> Unit | None:
        return self.units.get(self.cleaned_data.get("unit", ""))


class EntriesForm(VersionedForm):
    """The village's claims on every standard of the open round (one group per standard)."""

    statement = forms.CharField(
        label="申报说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        entries: Sequence[DeclarationEntry],
        figures: dict[str, IndicatorValue] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        figures = figures or {}
        self.group_names: list[tuple[DeclarationEntry, IndicatorValue | None, list[str]]] = []
        for entry in self.entries:
            std = entry.standard
            sid = entry.standard_id
            names = []
            if std is not None and std.kind == wf.MANUAL:
                name = entry_field(sid, "self_score")
                self.fields[name] = forms.DecimalField(
                    label=f"自评分（满分{_num(std.max_score)}）",
                    required=False,
                    max_digits=6,
                    decimal_places=2,
                    initial=entry.self_score,
                    widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
                )
                names.append(name)
            claim = entry_field(sid, "claim")
            self.fields[claim] = forms.CharField(
                label="进步情况说明" if std is None else "达标情况",
                required=False,
                max_length=2000,
                initial=entry.claim,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            names.append(claim)
            evidence = entry_field(sid, "evidence")
            needed = std is None or std.kind == wf.EVIDENCE
            hint = std.evidence_hint if std is not None else "上传能说明进步情况的材料"
            self.fields[evidence] = forms.FileField(
                label="佐证材料" + ("（必传）" if needed else "（可选）"),
                required=False,
                help_text=(
                    (f"{hint}；" if hint else "")
                    + "照片或PDF，PDF不超过10MB"
                    + ("；不重新上传则保留已传文件" if entry.evidence else "")
                ),
                widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
            )
            names.append(evidence)
            figure = figures.get(std.figure_key) if std is not None and std.figure_key else None
            self.group_names.append((entry, figure, names))

    @property
    def groups(self) -> list[dict[str, Any]]:
        return [
            {"entry": e, "figure": fig, "fields": [self[n] for n in names]}
            for e, fig, names in self.group_names
        ]

    def entry_inputs(self) -> list[EntryInput]:
        data = self.cleaned_data
        out = []
        for entry in self.entries:
            sid = entry.standard_id
            out.append(
                EntryInput(
                    standard_id=sid,
                    self_score=data.get(entry_field(sid, "self_score")),
                    claim=data.get(entry_field(sid, "claim")) or "",
                    evidence=data.get(entry_field(sid, "evidence")) or None,
                )
            )
        return out


class ReviewForm(VersionedForm):
    """A reviewer's judgement of each standard of the round, the decision and its reason."""

    decision = forms.ChoiceField(
        label="审核结论", choices=list(DECISIONS.items()), widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="意见 / 退回原因",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必填，村（社区）据此修改后重新报送",
    )

    def __init__(
        self,
        *args: Any,
        entries: Sequence[DeclarationEntry],
        figures: dict[str, IndicatorValue] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        figures = figures or {}
        self.entries = [e for e in entries if e.standard is not None]
        self.group_names: list[tuple[DeclarationEntry, IndicatorValue | None, list[str]]] = []
        for entry in self.entries:
            std = entry.standard
            assert std is not None
            names = []
            figure = figures.get(std.figure_key) if std.figure_key else None
            if std.kind == wf.MANUAL:
                name = score_field(std.pk, "score")
                self.fields[name] = forms.DecimalField(
                    label=f"评分（满分{_num(std.max_score)}，{_num(std.pass_score)}分达标）",
                    required=False,
                    max_digits=6,
                    decimal_places=2,
                    widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
                )
            else:
                name = score_field(std.pk, "passed")
                initial = None
                if figure is not None and std.threshold is not None and std.comparator:
                    ok = wf.figure_passes(figure.value, std.comparator, std.threshold)
                    initial = "yes" if ok else "no"
                self.fields[name] = forms.ChoiceField(
                    label="是否达标",
                    choices=YES_NO,
                    required=False,
                    initial=initial,
                    widget=forms.RadioSelect,
                )
            names.append(name)
            comment = score_field(std.pk, "comment")
            self.fields[comment] = forms.CharField(label="意见", required=False, max_length=300)
            names.append(comment)
            self.group_names.append((entry, figure, names))
        # The decision and the reason come after the standards.
        self.order_fields(["version", *[n for _e, _f, ns in self.group_names for n in ns]])

    @property
    def groups(self) -> list[dict[str, Any]]:
        return [
            {"entry": e, "figure": fig, "fields": [self[n] for n in names]}
            for e, fig, names in self.group_names
        ]

    def score_inputs(self) -> list[ScoreInput]:
        data = self.cleaned_data
        out = []
        for entry in self.entries:
            std = entry.standard
            assert std is not None
            passed_raw = data.get(score_field(std.pk, "passed"))
            out.append(
                ScoreInput(
                    standard_id=std.pk,
                    score=data.get(score_field(std.pk, "score")),
                    passed={"yes": True, "no": False}.get(passed_raw or ""),
                    comment=data.get(score_field(std.pk, "comment")) or "",
                )
            )
        return out


class CancelForm(VersionedForm):
    reason = forms.CharField(
        label="撤回原因", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(VersionedForm):
    reason = forms.CharField(
        label="撤星原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoticePublishForm(forms.Form):
    target = forms.ChoiceField(label="乡镇（街道）与年度")
    starts_on = forms.ChoiceField(label="公示开始", widget=forms.RadioSelect)
    contact = forms.CharField(
        label="受理异议电话", max_length=40, help_text="印在公示上，如 0391-8123456"
    )

    def __init__(self, *args: Any, targets: Sequence[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = {f"{t['township'].code}:{t['year']}": t for t in targets}
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [
            (key, f"{t['township'].display_name} · {t['year']}年度（待公示 {t['count']} 项）")
            for key, t in self.targets.items()
        ]
        today = clock.today()
        tomorrow = today + dt.timedelta(days=1)
        starts = self.fields["starts_on"]
        assert isinstance(starts, forms.ChoiceField)
        starts.choices = [
            (tomorrow.isoformat(), f"明天（{tomorrow:%m月%d日}）"),
            (today.isoformat(), f"今天（{today:%m月%d日}）"),
        ]
        starts.initial = tomorrow.isoformat()

    def chosen(self) -> dict[str, Any] | None:
        return self.targets.get(self.cleaned_data.get("target", ""))

    def chosen_start(self) -> dt.date:
        return dt.date.fromisoformat(self.cleaned_data["starts_on"])


class ObjectionForm(forms.Form):
    """An objection received about one declaration of the notice."""

    declaration = forms.ChoiceField(label="异议对象")
    channel = forms.ChoiceField(label="渠道", choices=Objection.Channel.choices)
    received_on = forms.DateField(
        label="收到日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    objector = forms.CharField(label="反映人（可匿名）", required=False, max_length=40)
    content = forms.CharField(
        label="异议内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, declarations: Sequence[Declaration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declarations = {str(d.public_id): d for d in declarations}
        field = self.fields["declaration"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (key, f"{d.unit.display_name} · {d.star.name if d.star else '进步星'}")
            for key, d in self.declarations.items()
        ]
        self.fields["received_on"].initial = clock.today()

    def chosen(self) -> Declaration | None:
        return self.declarations.get(self.cleaned_data.get("declaration", ""))


class AnswerForm(forms.Form):
    upheld = forms.ChoiceField(
        label="核查结论",
        choices=[("no", "异议不成立"), ("yes", "异议成立（不予授星）")],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label="核查答复", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def upheld_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("upheld") or "")


def _num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}"
