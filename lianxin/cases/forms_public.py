"""Forms of the residents' pages (no account): QR intake, 楼院有话, rating, lookup, support,
the phone login.

Forms only parse; the rules (real images, rate limits, garbage text) live in
`services.intake` and come back as `DomainError`s shown next to the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from lianxin.cases.models import Category
from lianxin.cases.services.lifecycle import MAX_PHOTOS
from lianxin.cases.workflow import Satisfaction
from lianxin.territory.models import Unit


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to `MAX_PHOTOS` files in one input; each is checked as an image by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"最多上传{MAX_PHOTOS}张照片，现在选了{len(files)}张")
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


def category_choices() -> tuple[list[Any], dict[str, Category]]:
    """Public categories grouped by their parent, each labelled with its help text; and the
    categories by code (from the per-process snapshot of categories)."""
    from lianxin.cases.services.config import public_categories

    rows = public_categories()
    by_code = {c.code: c for c in rows if c.parent_id is not None}
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for cat in rows:
        if cat.parent is None:
            continue
        label = f"{cat.name}（{cat.help_text}）" if cat.help_text else cat.name
        groups.setdefault(cat.parent_id or 0, (cat.parent.name, []))[1].append((cat.code, label))
    choices: list[Any] = [("", "不确定，由社区判断")]
    choices += [(name, items) for name, items in groups.values()]
    return choices, by_code


class RequestForm(forms.Form):
    """What a resident fills in after scanning a QR code (码上办)."""

    description = forms.CharField(
        label="遇到了什么问题",
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "例如：3单元楼道灯不亮好几天了，晚上上下楼看不清",
                "maxlength": 2000,
            }
        ),
        help_text="说清是什么问题、在哪个位置，我们会尽快处理",
        error_messages={"required": "请描述遇到的问题"},
    )
    category = forms.ChoiceField(label="问题类别（可不选）", required=False)
    photos = MultiplePhotoField(
        label="照片（可不传）",
        required=False,
        help_text=f"最多{MAX_PHOTOS}张，每张不超过5MB；照片中的位置信息会被去除",
    )
    share_location = forms.BooleanField(
        label="分享照片位置",
        required=False,
        help_text="勾选后，用第一张照片拍摄时的位置帮助我们找到现场",
    )
    name = forms.CharField(label="称呼（可不填）", max_length=50, required=False)
    phone = forms.CharField(
        label="手机号（可不填）",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text="留下手机号，可以随时查询自己反映的问题，办结后也会通知您",
    )
    allow_publish = forms.BooleanField(
        label="同意在楼院有话公开（不显示个人信息）",
        required=False,
        help_text="公开后邻居可以看到并附议，办理结果也会公示",
    )

    field_order = (
        "place",
        "description",
        "category",
        "photos",
        "share_location",
        "name",
        "phone",
        "allow_publish",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices, self.categories = category_choices()
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = choices
        self.fields["description"].widget.attrs.setdefault("id", "id_description")

    def clean_category(self) -> Category | None:
        code = self.cleaned_data.get("category") or ""
        return self.categories.get(code)


class ColumnRequestForm(RequestForm):
    """楼院有话: the same form, with the place chosen from the community's buildings/grids."""

    place = forms.ChoiceField(
        label="在哪里",
        help_text="选楼栋；找不到就选网格或整个社区",
        error_messages={
            "required": "请选择问题所在的楼栋、网格或社区",
            "invalid_choice": "请选择问题所在的楼栋、网格或社区",
        },
    )

    def __init__(self, *args: Any, places: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = {u.code: u for u in places}
        place = self.fields["place"]
        assert isinstance(place, forms.ChoiceField)
        place.choices = [("", "请选择")] + [(u.code, u.display_name) for u in places]

    def clean_place(self) -> Unit:
        unit = self.places.get(self.cleaned_data.get("place") or "")
        if unit is None:
            raise ValidationError("请选择问题所在的楼栋、网格或社区")
        return unit


class RatingForm(forms.Form):
    """评: the resident rates the result from the private page."""

    satisfaction = forms.ChoiceField(
        label="您对办理结果满意吗", choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="意见（不满意时请说明原因）",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LookupForm(forms.Form):
    tracking_no = forms.CharField(
        label="受理编号",
        max_length=16,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label="提交时留的手机号",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_tracking_no(self) -> str:
        return "".join((self.cleaned_data.get("tracking_no") or "").split()).upper()


class SupportForm(forms.Form):
    """附议 from the similar list: the intake form's own fields ride along (its buttons post
    the whole form here); only the case, the page to go back to and the phone are read."""

    case = forms.UUIDField()
    next = forms.CharField(required=False, max_length=1000)
    phone = forms.CharField(required=False, max_length=20)


class PhoneForm(forms.Form):
    """The phone login, step 1: the phone recorded in the register (services.residents)."""

    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "居民档案登记的手机号"}
        ),
        error_messages={"required": "请填写手机号"},
    )
    next = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)


class CodeForm(PhoneForm):
    """Step 2: the phone again (carried in a field, never in the session) and the code."""

    code = forms.CharField(
        label="验证码",
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
        error_messages={"required": "请填写短信验证码"},
    )
