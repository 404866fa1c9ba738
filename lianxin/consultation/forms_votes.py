"""Forms of the votes part: the agenda item, the outcome without a vote, closing a vote, the
sign-in code and the residents' ballot."""

from __future__ import annotations

from typing import Any

from django import forms

from lianxin.consultation.models import AgendaItem, Base, Choice, Electorate, Threshold

SOURCE_CHOICES = [
    (AgendaItem.Source.STAFF, "工作人员提出"),
    (AgendaItem.Source.CASE, "来自群众诉求（填写诉求编号）"),
    (AgendaItem.Source.PROPOSAL, "来自居民议题"),
]


class ItemForm(forms.Form):
    source = forms.ChoiceField(
        label="议题来源", choices=SOURCE_CHOICES, widget=forms.RadioSelect, initial="staff"
    )
    title = forms.CharField(
        label="议题",
        max_length=100,
        required=False,
        help_text="来自诉求或居民议题时可留空，默认使用其标题",
    )
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tracking_no = forms.CharField(label="诉求编号", max_length=30, required=False)
    proposal = forms.ChoiceField(label="居民议题", required=False)
    electorate = forms.ChoiceField(label="表决人员", required=False)
    threshold = forms.ChoiceField(label="表决规则", choices=Threshold.choices)
    threshold_share = forms.DecimalField(
        label="通过比例（%）",
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text="选“指定比例以上”时填写，如 95 表示95%以上同意",
    )
    base = forms.ChoiceField(label="计票基数", choices=Base.choices)
    allow_online = forms.BooleanField(
        label="允许线上表决（向有手机号的表决人发送一次性链接，或居民登录后投票）",
        required=False,
    )

    def __init__(
        self, *args: Any, proposals: list[tuple[str, str]], default_electorate: str, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        proposal_field = self.fields["proposal"]
        assert isinstance(proposal_field, forms.ChoiceField)
        proposal_field.choices = [("", "请选择"), *proposals]
        default_label = Electorate(default_electorate).label
        electorate_field = self.fields["electorate"]
        assert isinstance(electorate_field, forms.ChoiceField)
        electorate_field.choices = [("", f"与会议相同（{default_label}）")] + [
            (value, label) for value, label in Electorate.choices if value != default_electorate
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source == AgendaItem.Source.CASE and not (data.get("tracking_no") or "").strip():
            self.add_error("tracking_no", "请填写诉求编号")
        if source == AgendaItem.Source.PROPOSAL and not data.get("proposal"):
            self.add_error("proposal", "请选择居民议题")
        if source == AgendaItem.Source.STAFF and not (data.get("title") or "").strip():
            self.add_error("title", "请填写议题")
        share = data.get("threshold_share")
        if data.get("threshold") == Threshold.SHARE and share is None:
            self.add_error("threshold_share", "请填写通过比例")
        if share is not None and data.get("threshold") != Threshold.SHARE:
            data["threshold_share"] = None
        return data


class CloseForm(forms.Form):
    note = forms.CharField(
        label="议定结果说明",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="结果",
        choices=[
            (AgendaItem.Status.DISCUSSED, "已议（不表决）"),
            (AgendaItem.Status.DEFERRED, "暂缓"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="议定结果说明", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class SigninForm(forms.Form):
    code = forms.RegexField(
        label="签到码",
        regex=r"^\d{6}$",
        error_messages={"invalid": "签到码是6位数字", "required": "请填写会场显示的6位签到码"},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": "6",
                "pattern": r"\d{6}",
            }
        ),
    )


class ChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        choices=Choice.choices, error_messages={"required": "请选择同意、反对或弃权"}
    )
