"""Forms for accounts pages: they parse input; the rules live in services.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms

from lianxin.accounts import selectors
from lianxin.accounts.actor import Actor
from lianxin.accounts.passwords import CharacterClassValidator
from lianxin.accounts.permissions import Role

if TYPE_CHECKING:
    from lianxin.accounts.models import Department, User


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label="当前密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        help_text=CharacterClassValidator().get_help_text(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_confirm = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("new_password") and data.get("new_password") != data.get(
            "new_password_confirm"
        ):
            self.add_error("new_password_confirm", "两次输入的新密码不一致")
        return data


class _UnitCodeField(forms.CharField):
    """A unit chosen by its code; the page offers in-scope units in a datalist."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "任职单元")
        kwargs.setdefault("help_text", "输入单元编码，或从下拉建议中选择")
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "grantable-units", "autocomplete": "off"})


class _PostFields(forms.Form):
    role = forms.ChoiceField(label="角色", choices=[("", "请选择"), *Role.choices])
    unit = _UnitCodeField()
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        label="所属部门",
        queryset=None,
        required=False,
        to_field_name="public_id",
        help_text="仅职能部门人员需要选择",
    )
    title = forms.CharField(
        label="职务", max_length=50, required=False, help_text="如：网格长、党支部书记"
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        department = cast(forms.ModelChoiceField, self.fields["department"])
        department.queryset = selectors.departments_grantable(actor)
        department.empty_label = "（无）"

    def clean_unit(self) -> Any:
        code = self.cleaned_data.get("unit", "")
        unit = selectors.unit_for_grant(self.actor, code)
        if unit is None:
            raise forms.ValidationError("找不到该单元，或该单元不在您的管辖范围内")
        return unit


class UserCreateForm(_PostFields):
    username = forms.CharField(
        label="用户名", max_length=150, help_text="登录用，字母、数字和 @ . + - _"
    )
    full_name = forms.CharField(
        label="姓名", max_length=50, help_text="接口账号填写用途，如“12345热线对接”"
    )
    is_integration = forms.BooleanField(
        label="接口账号（不用密码登录，只通过接口令牌访问）", required=False
    )
    password = forms.CharField(
        label="初始密码",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="留空则自动生成；首次登录须修改",
    )

    field_order = [
        "username",
        "full_name",
        "is_integration",
        "password",
        "role",
        "unit",
        "department",
        "title",
    ]


class PostCreateForm(_PostFields):
    started_on = forms.DateField(
        label="任职日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="留空为今天",
    )


class _AccountChoiceField(forms.ModelChoiceField):
    """Accounts shown as "name (username)"."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.username}（{obj.username}）"


class TokenCreateForm(forms.Form):
    user: forms.ModelChoiceField[User] = _AccountChoiceField(
        label="接口账号", queryset=None, to_field_name="public_id", empty_label="请选择"
    )
    name = forms.CharField(label="用途", max_length=100, help_text="如：区大数据中心每日同步")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = cast(forms.ModelChoiceField, self.fields["user"])
        user.queryset = selectors.integration_accounts(actor)


class UserFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False, max_length=50)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部"), *Role.choices])
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[
            ("", "全部"),
            ("locked", "锁定中"),
            ("integration", "接口账号"),
            ("inactive", "已停用"),
        ],
    )


class AccountStatusForm(forms.Form):
    """Confirmation of a deactivation or reactivation; the reason goes to the audit log."""

    reason = forms.CharField(
        label="原因",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：调离本单位、长期不再使用；记入审计记录",
    )
