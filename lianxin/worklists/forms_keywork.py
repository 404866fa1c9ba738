"""Forms of the key-work list pages. The services check the rules (six open items, months,
dates); these only parse what was typed and keep it when a rule refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.worklists.services.keywork import ItemDraft

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemForm(forms.Form):
    title = forms.CharField(label="事项", max_length=120)
    detail = forms.CharField(
        label="推进要求",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="要达到什么、分几步，写清楚便于调度。",
    )
    responsible = forms.CharField(label="责任人", max_length=60)
    due_on = forms.DateField(label="完成时限", widget=DATE)
    star_code = forms.ChoiceField(label="关联星", required=False)

    def __init__(self, *args: Any, stars: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["star_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "（不关联）"), *stars]

    def draft(self) -> ItemDraft:
        d = self.cleaned_data
        return ItemDraft(
            title=d["title"],
            detail=d.get("detail") or "",
            responsible=d["responsible"],
            due_on=d.get("due_on"),
            star_code=d.get("star_code") or "",
        )


class AddForm(ItemForm):
    """Adding to a list (named in the URL): the month travels as a hidden field."""

    month = forms.CharField(widget=forms.HiddenInput())


class EditForm(ItemForm):
    version = forms.IntegerField(widget=forms.HiddenInput())


class DoneForm(forms.Form):
    result = forms.CharField(
        label="完成情况",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="做成了什么，群众或上级能看到的结果。",
    )
    done_on = forms.DateField(
        label="完成日期", required=False, widget=DATE, help_text="留空为今天。"
    )
    version = forms.IntegerField(widget=forms.HiddenInput())


class DropForm(forms.Form):
    reason = forms.CharField(
        label="移出原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput())
