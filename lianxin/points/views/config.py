"""Configuration pages of points (namespace ``points``, under /points/config/; menu 积分配置):
schemes, catalogs per year with their aspects, indicators and each indicator's revision
history, the settings row and the automatic-award rules. See docs/points-config.md.

Thin views: parse input with a form, call one service of `services/catalogs.py`, render.
Without `points.configure` anywhere the pages do not exist (404). Deployment-wide
configuration (schemes, default catalogs, settings, award rules) is read by every configure
holder and edited by county-level posts; a street staffer who opens one of its edit forms gets
403 with the reason. A county's or street's own catalog is edited by the posts covering it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.points.models import (
    AwardRule,
    CapPeriod,
    Catalog,
    Evidence,
    Indicator,
    PointsSettings,
    Scheme,
    SubjectKind,
)
from lianxin.points.services import catalogs
from lianxin.points.services.config import points_settings, schemes
from lianxin.territory.models import Unit

GLOBAL_NOTE = "积分体系、通用指标目录、积分设置和自动积分规则对所有街道生效，由县级及以上的系统管理员维护；您可以查看。"
SETTINGS_FIELDS = [
    "low_score_threshold",
    "member_own_weight",
    "member_linked_weight",
    "rating_top_label",
    "rating_top_min",
    "rating_mid_label",
    "rating_mid_min",
    "rating_low_label",
    "objections_per_source_hour",
]


# --- forms (they parse input; the rules live in services/catalogs.py) -------------------------


class SchemeForm(forms.Form):
    code = forms.CharField(
        label="代码",
        max_length=40,
        help_text="小写字母、数字、-或_，建立后不能修改，如 women",
    )
    name = forms.CharField(label="名称", max_length=60)
    subject_kind = forms.ChoiceField(label="积分对象", choices=SubjectKind.choices)
    spendable = forms.BooleanField(
        label="可在积分超市兑换", required=False, help_text="只有户积分可以兑换"
    )
    notice_days = forms.IntegerField(
        label="公示天数", min_value=0, max_value=catalogs.MAX_NOTICE_DAYS, initial=3,
        help_text="审核通过后公示几天再入账；0 为审核通过即入账",
    )  # fmt: skip
    description = forms.CharField(
        label="说明", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["subject_kind"].disabled = True
        else:
            del self.fields["is_active"]


class CatalogCreateForm(forms.Form):
    scheme = forms.ChoiceField(label="积分体系")
    year = forms.IntegerField(
        label="有效年度", min_value=catalogs.MIN_YEAR, max_value=catalogs.MAX_YEAR
    )
    unit = forms.ChoiceField(label="适用范围", required=False)
    name = forms.CharField(label="名称", max_length=100)
    copy = forms.BooleanField(
        label="以现行目录为底稿",
        required=False,
        initial=True,
        help_text="复制该范围当年适用的目录（没有则用最近一年的）中的方面和在用指标；不勾选则从空目录开始",
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [(s.code, s.name) for s in schemes()]  # type: ignore[attr-defined]
        units: list[tuple[str, str]] = []
        if catalogs.can_edit_global(actor):
            units.append(("", "全市通用（默认目录）"))
        self.units = {str(u.public_id): u for u in catalogs.catalog_units_for(actor)}
        units += [(k, f"{u.display_name}（本地目录）") for k, u in self.units.items()]
        self.fields["unit"].choices = units  # type: ignore[attr-defined]

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data.get("unit") or ""
        return self.units.get(value) if value else None


class CatalogEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    is_active = forms.BooleanField(
        label="启用", required=False, help_text="停用本地目录后，该范围改用上级或通用目录"
    )


class CopyForm(forms.Form):
    year = forms.IntegerField(
        label="复制到年度", min_value=catalogs.MIN_YEAR, max_value=catalogs.MAX_YEAR
    )


class AspectForm(forms.Form):
    name = forms.CharField(label="方面名称", max_length=40)


class IndicatorForm(forms.Form):
    aspect = forms.ChoiceField(label="方面")
    code = forms.CharField(
        label="代码",
        max_length=40,
        help_text="小写字母、数字或_，建立后不能修改；自动积分规则按代码找指标",
    )
    name = forms.CharField(label="指标名称", max_length=100)
    points = forms.IntegerField(label="分值", help_text="扣分填负数，如 -5")
    cap_points = forms.IntegerField(
        label="上限分值",
        min_value=0,
        initial=0,
        help_text="同一对象每个周期最多得（扣）多少分，0 为不限",
    )
    cap_period = forms.ChoiceField(label="上限周期", choices=CapPeriod.choices, required=False)
    evidence = forms.ChoiceField(label="佐证要求", choices=Evidence.choices, initial=Evidence.TEXT)
    reason = forms.CharField(
        label="修改原因", max_length=200, help_text="写入版本记录，如：县委组织部2026年第3号文调整"
    )

    def __init__(
        self, *args: Any, catalog: Catalog | None = None, revising: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if revising:
            del self.fields["aspect"]
            del self.fields["code"]
        else:
            del self.fields["reason"]
            assert catalog is not None
            self.aspects = {str(a.pk): a for a in catalog.aspects.order_by("sort_order", "id")}
            self.fields["aspect"].choices = [(k, a.name) for k, a in self.aspects.items()]  # type: ignore[attr-defined]

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("name", "points", "cap_points", "cap_period", "evidence")}


class SettingsForm(forms.Form):
    """The settings row's fields, labels from the model (checked and saved by the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(PointsSettings, fields=SETTINGS_FIELDS))
        self.fields["member_linked_weight"].help_text = "两项权重之和为 1"
        self.fields["rating_mid_min"].help_text = "低于第一类户的分数线；再低为第三类户"


class RuleForm(forms.Form):
    scheme = forms.ChoiceField(label="积分体系")
    indicator_code = forms.CharField(
        label="指标代码", max_length=40, help_text="按代码在每年、各地适用的目录中找指标"
    )
    is_active = forms.BooleanField(label="启用", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [(s.code, s.name) for s in schemes()]  # type: ignore[attr-defined]


# --- helpers ---------------------------------------------------------------------------------


def _configurer(request: ActorRequest) -> Actor:
    """The actor when `points.configure` is granted somewhere; 404 otherwise."""
    actor: Actor = request.actor
    if not catalogs.can_configure(actor):
        raise Http404("不存在或无权访问")
    return actor


def _global_editor(request: ActorRequest) -> Actor:
    actor = _configurer(request)
    if not catalogs.can_edit_global(actor):
        raise Forbidden(
            "积分体系、通用指标目录、积分设置和自动积分规则由县级及以上的系统管理员维护"
        )
    return actor


def _catalog(actor: Actor, public_id: Any) -> Catalog:
    """A catalog the actor's pages show (default, own, or above the actor's units); 404
    otherwise."""
    row = catalogs.catalogs_for(actor).filter(public_id=public_id).first()
    if row is None:
        raise Http404("不存在或无权访问")
    return row


def _indicator(actor: Actor, public_id: Any) -> Indicator:
    row = (
        Indicator.objects.select_related("aspect", "catalog__scheme", "catalog__unit")
        .filter(public_id=public_id, catalog__in=catalogs.catalogs_for(actor))
        .first()
    )
    if row is None:
        raise Http404("不存在或无权访问")
    return row


def _catalog_editor(request: ActorRequest, catalog: Catalog) -> Actor:
    actor = _configurer(request)
    if not catalogs.can_edit_catalog(actor, catalog):
        raise Forbidden("该目录由其适用范围的管理员维护，您可以查看")
    return actor


def _form_page(request: ActorRequest, form: Any, *, title: str, back: str, **extra: Any) -> Any:
    return render(
        request,
        "points/config/form.html",
        {"form": form, "title": title, "back": back, **extra},
    )


def _year(request: ActorRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return clock.now().year
    return year if catalogs.MIN_YEAR <= year <= catalogs.MAX_YEAR else clock.now().year


# --- index -----------------------------------------------------------------------------------


@login_required
def index(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    year = _year(request)
    visible = catalogs.catalogs_for(actor)
    rows = list(
        visible.filter(year=year).annotate(
            indicator_count=Count("indicators", distinct=True),
        )
    )
    for row in rows:
        row.can_edit = catalogs.can_edit_catalog(actor, row)  # type: ignore[attr-defined]
    years = sorted(set(visible.values_list("year", flat=True)) | {clock.now().year, year})
    return render(
        request,
        "points/config/index.html",
        {
            "can_edit_global": catalogs.can_edit_global(actor),
            "can_create_catalog": catalogs.can_edit_global(actor)
            or catalogs.catalog_units_for(actor).exists(),
            "global_note": GLOBAL_NOTE,
            "schemes": schemes(active_only=False),
            "catalogs": rows,
            "year": year,
            "years": years,
            "settings": points_settings(),
            "rules": AwardRule.objects.select_related("scheme").order_by("source"),
        },
    )


# --- schemes ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request: ActorRequest) -> HttpResponse:
    actor = _global_editor(request)
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scheme = catalogs.scheme_create(
                actor=actor,
                code=data["code"],
                name=data["name"],
                subject_kind=data["subject_kind"],
                spendable=data["spendable"],
                notice_days=data["notice_days"],
                description=data["description"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已新增积分体系“{scheme.name}”，请为它建立指标目录")
            return redirect(f"{reverse('points:config_catalog_create')}?scheme={scheme.code}")
    return _form_page(request, form, title="新增积分体系", back=reverse("points:config"))


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: ActorRequest, code: str) -> HttpResponse:
    _configurer(request)
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise Http404("不存在的积分体系")
    actor = _global_editor(request)
    initial = forms.model_to_dict(
        scheme,
        fields=[
            "code",
            "name",
            "subject_kind",
            "spendable",
            "notice_days",
            "description",
            "is_active",
        ],
    )
    form = SchemeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalogs.scheme_update(
                actor=actor,
                scheme=scheme,
                name=data["name"],
                spendable=data["spendable"],
                notice_days=data["notice_days"],
                description=data["description"],
                is_active=data["is_active"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存积分体系“{scheme.name}”")
            return redirect("points:config")
    return _form_page(
        request,
        form,
        title=f"编辑积分体系“{scheme.name}”",
        back=reverse("points:config"),
        note="公示天数的修改只影响此后审核通过的申报。",
    )


# --- catalogs --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def catalog_create(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    initial = {"year": _year(request), "scheme": request.GET.get("scheme", ""), "copy": True}
    form = CatalogCreateForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit: Unit | None = data["unit"]
        try:
            scheme = Scheme.objects.get(code=data["scheme"])
            source = (
                catalogs.copy_source_for(scheme=scheme, unit=unit, year=data["year"])
                if data["copy"]
                else None
            )
            catalog = catalogs.catalog_create(
                actor=actor,
                scheme=scheme,
                year=data["year"],
                unit=unit,
                name=data["name"],
                copy_from=source,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已建立“{catalog}”")
            return redirect("points:config_catalog", public_id=catalog.public_id)
    return _form_page(
        request,
        form,
        title="新建指标目录",
        back=reverse("points:config"),
        note="县（市、区）或街道可以建立本地目录，建立后即在本辖区代替通用目录；已提交的申报不受影响。",
    )


@login_required
def catalog_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _configurer(request)
    catalog = _catalog(actor, public_id)
    can_edit = catalogs.can_edit_catalog(actor, catalog)
    return render(
        request,
        "points/config/catalog.html",
        {
            "catalog": catalog,
            "aspects": catalogs.catalog_indicators(catalog),
            "can_edit": can_edit,
            "global_note": GLOBAL_NOTE,
            "aspect_form": AspectForm(),
            "copy_form": CopyForm(initial={"year": catalog.year + 1}),
            "edit_form": CatalogEditForm(
                initial={"name": catalog.name, "is_active": catalog.is_active}
            ),
        },
    )


@login_required
@require_POST
def catalog_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    catalog = _catalog(_configurer(request), public_id)
    actor = _catalog_editor(request, catalog)
    form = CatalogEditForm(request.POST)
    if form.is_valid():
        try:
            catalogs.catalog_update(
                actor=actor,
                catalog=catalog,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存目录")
            return redirect("points:config_catalog", public_id=catalog.public_id)
    back = reverse("points:config_catalog", kwargs={"public_id": catalog.public_id})
    return _form_page(request, form, title=f"编辑“{catalog}”", back=back)


@login_required
@require_POST
def catalog_copy(request: ActorRequest, public_id: Any) -> HttpResponse:
    catalog = _catalog(_configurer(request), public_id)
    actor = _catalog_editor(request, catalog)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            new = catalogs.catalog_copy(
                actor=actor, catalog=catalog, year=form.cleaned_data["year"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已复制为“{new}”，各指标从 {new.year} 年1月1日起生效")
            return redirect("points:config_catalog", public_id=new.public_id)
    back = reverse("points:config_catalog", kwargs={"public_id": catalog.public_id})
    return _form_page(request, form, title=f"复制“{catalog}”到其他年度", back=back)


@login_required
@require_POST
def aspects(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Aspects of a catalog: add (no `aspect`), rename, or move up/down (`op`)."""
    catalog = _catalog(_configurer(request), public_id)
    actor = _catalog_editor(request, catalog)
    back = reverse("points:config_catalog", kwargs={"public_id": catalog.public_id})
    op = request.POST.get("op", "create")
    aspect = None
    if op != "create":
        aspect = catalog.aspects.filter(pk=request.POST.get("aspect") or 0).first()
        if aspect is None:
            raise Http404("不存在的方面")
    form = AspectForm(request.POST if op in ("create", "rename") else None)
    try:
        if op in ("up", "down") and aspect is not None:
            catalogs.aspect_move(actor=actor, aspect=aspect, offset=-1 if op == "up" else 1)
            return redirect(back)
        if not form.is_valid():
            raise DomainError("请填写方面名称", field="name")
        if aspect is None:
            catalogs.aspect_create(actor=actor, catalog=catalog, name=form.cleaned_data["name"])
            messages.success(request, f"已新增方面“{form.cleaned_data['name']}”")
        else:
            catalogs.aspect_rename(actor=actor, aspect=aspect, name=form.cleaned_data["name"])
            messages.success(request, f"已改名为“{aspect.name}”")
    except DomainError as exc:
        add_domain_error(form, exc)
        title = f"方面“{aspect.name}”改名" if aspect is not None else "新增方面"
        return _form_page(request, form, title=title, back=back, action=request.path,
                          hidden={"op": op, "aspect": request.POST.get("aspect", "")})  # fmt: skip
    return redirect(back)


# --- indicators ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    catalog = _catalog(_configurer(request), public_id)
    actor = _catalog_editor(request, catalog)
    initial: dict[str, Any] = {"evidence": Evidence.TEXT, "cap_points": 0}
    if request.GET.get("aspect"):
        initial["aspect"] = request.GET["aspect"]
    form = IndicatorForm(request.POST or None, catalog=catalog, initial=initial)
    back = reverse("points:config_catalog", kwargs={"public_id": catalog.public_id})
    if request.method == "POST" and form.is_valid():
        try:
            ind = catalogs.indicator_create(
                actor=actor,
                catalog=catalog,
                aspect=form.aspects[form.cleaned_data["aspect"]],
                code=form.cleaned_data["code"],
                **form.service_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已新增指标“{ind.name}”")
            return redirect(back)
    return _form_page(request, form, title=f"新增指标 · {catalog}", back=back)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """An indicator with its revision history and, for its editors, the revise form."""
    actor = _configurer(request)
    ind = _indicator(actor, public_id)
    can_edit = catalogs.can_edit_catalog(actor, ind.catalog)
    if request.method == "POST":
        actor = _catalog_editor(request, ind.catalog)
    initial = forms.model_to_dict(
        ind, fields=["name", "points", "cap_points", "cap_period", "evidence"]
    )
    form = IndicatorForm(request.POST or None, revising=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rev = catalogs.indicator_revise(
                actor=actor,
                indicator=ind,
                reason=form.cleaned_data["reason"],
                **form.service_values(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已修订为第 {rev.number} 版，此后的申报按新分值计算")
            return redirect("points:config_indicator", public_id=ind.public_id)
    return render(
        request,
        "points/config/indicator.html",
        {
            "indicator": ind,
            "catalog": ind.catalog,
            "revisions": _labelled(ind.revisions.select_related("changed_by").order_by("-number")),
            "form": form,
            "can_edit": can_edit,
        },
    )


def _labelled(revisions: Any) -> list[Any]:
    """Revisions keep raw codes (they outlive the choices); the page shows their labels."""
    evidence, periods = dict(Evidence.choices), dict(CapPeriod.choices)
    rows = list(revisions)
    for r in rows:
        r.evidence_label = evidence.get(r.evidence, r.evidence)
        r.cap_label = periods.get(r.cap_period, r.cap_period)
    return rows


@login_required
@require_POST
def indicator_active(request: ActorRequest, public_id: Any) -> HttpResponse:
    ind = _indicator(_configurer(request), public_id)
    actor = _catalog_editor(request, ind.catalog)
    active = request.POST.get("active") == "1"
    catalogs.indicator_set_active(actor=actor, indicator=ind, active=active)
    messages.success(request, f"已{'启用' if active else '停用'}“{ind.name}”")
    return redirect("points:config_indicator", public_id=ind.public_id)


# --- settings and award rules (deployment-wide) ----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    can_edit = catalogs.can_edit_global(actor)
    if request.method == "POST":
        actor = _global_editor(request)
    row = points_settings()
    form = SettingsForm(
        request.POST or None, initial=forms.model_to_dict(row, fields=SETTINGS_FIELDS)
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalogs.settings_update(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存积分设置")
            return redirect("points:config")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "points/config/settings.html",
        {"form": form, "can_edit": can_edit, "global_note": GLOBAL_NOTE},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: ActorRequest, source: str) -> HttpResponse:
    _configurer(request)
    rule = AwardRule.objects.select_related("scheme").filter(source=source).first()
    if rule is None:
        raise Http404("不存在的规则")
    actor = _global_editor(request)
    initial = {
        "scheme": rule.scheme.code,
        "indicator_code": rule.indicator_code,
        "is_active": rule.is_active,
    }
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalogs.award_rule_update(
                actor=actor,
                rule=rule,
                scheme=Scheme.objects.get(code=data["scheme"]),
                indicator_code=data["indicator_code"],
                is_active=data["is_active"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存自动积分规则“{rule.get_source_display()}”")
            return redirect("points:config")
    return _form_page(
        request,
        form,
        title=f"自动积分：{rule.get_source_display()}",
        back=reverse("points:config"),
        note="每件事只计一次分；达到指标的周期上限后不再自动计分。",
    )


urlpatterns: list[URLPattern] = [
    path("config/", index, name="config"),
    path("config/schemes/new/", scheme_create, name="config_scheme_create"),
    path("config/schemes/<slug:code>/", scheme_edit, name="config_scheme_edit"),
    path("config/catalogs/new/", catalog_create, name="config_catalog_create"),
    path("config/catalogs/<uuid:public_id>/", catalog_detail, name="config_catalog"),
    path("config/catalogs/<uuid:public_id>/edit/", catalog_edit, name="config_catalog_edit"),
    path("config/catalogs/<uuid:public_id>/copy/", catalog_copy, name="config_catalog_copy"),
    path("config/catalogs/<uuid:public_id>/aspects/", aspects, name="config_aspects"),
    path(
        "config/catalogs/<uuid:public_id>/indicators/new/",
        indicator_create,
        name="config_indicator_create",
    ),
    path("config/indicators/<uuid:public_id>/", indicator_detail, name="config_indicator"),
    path(
        "config/indicators/<uuid:public_id>/active/",
        indicator_active,
        name="config_indicator_active",
    ),
    path("config/settings/", settings_edit, name="config_settings"),
    path("config/rules/<slug:source>/", rule_edit, name="config_rule"),
]
