"""Forms of the contests pages (三次大比武). The services check the rules (dates, ranges,
who may act); these only parse what was typed and keep it when a rule refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.stars.models.contests import ContestRound

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MATERIAL_HELP = "可选：PDF（PPT请另存为PDF，不超过10MB）或照片（不超过5MB，位置信息会被去除）。"
MATERIAL_ACCEPT = "application/pdf,.pdf,image/*"


class RoundForm(forms.Form):
    """Open a round (one heat per township) or create the county final."""

    county = forms.ChoiceField(label="县（市、区）")
    year = forms.IntegerField(label="年度")
    round = forms.ChoiceField(label="轮次", choices=ContestRound.choices)
    held_on = forms.DateField(label="比武日期", widget=DATE)
    place = forms.CharField(label="地点", required=False, max_length=120)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        county = self.fields["county"]
        assert isinstance(county, forms.ChoiceField)
        county.choices = counties
        if len(counties) == 1:
            county.widget = forms.HiddenInput()


class ContestEditForm(forms.Form):
    held_on = forms.DateField(label="比武日期", widget=DATE)
    place = forms.CharField(label="地点", required=False, max_length=120)
    version = forms.IntegerField(widget=forms.HiddenInput())


class VersionForm(forms.Form):
    """A state move: carries the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput())


class EntryRowForm(forms.Form):
    """One village's row on the registration form (prefix = the village's code)."""

    include = forms.BooleanField(label="报名", required=False)
    presenter = forms.CharField(label="演讲人（书记）", required=False, max_length=30)
    title = forms.CharField(label="题目", required=False, max_length=120)
    material = forms.FileField(
        label="展示材料",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": MATERIAL_ACCEPT}),
    )


class EntryEditForm(forms.Form):
    presenter = forms.CharField(label="演讲人（书记）", max_length=30)
    title = forms.CharField(label="题目", max_length=120)
    material = forms.FileField(
        label="展示材料（替换）",
        required=False,
        help_text=MATERIAL_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": MATERIAL_ACCEPT}),
    )
    remove_material = forms.BooleanField(label="删除已上传的材料", required=False)


class ScoreForm(forms.Form):
    # No bounds here: the service refuses out-of-range scores with the rule's own words.
    score = forms.DecimalField(label="得分", max_digits=8, decimal_places=4)
    comment = forms.CharField(label="点评", required=False, max_length=300)
