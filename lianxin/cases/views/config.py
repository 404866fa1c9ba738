"""Configuration pages of requests (namespace ``cases``, under /cases/config/): categories,
SLA targets, the working calendar and the settings row (deployment-wide: county-level posts
and above edit, street staff read), routing rules with a "试一试" form and mediation teams
(territorial: edited for the units in the actor's scope). See docs/cases-sla.md.

Thin views: parse input with a form, call one service, render. Without `cases.configure`
anywhere the pages do not exist (404); a street staffer opening an edit page of the
deployment-wide configuration gets 403 with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.cases import forms_config as f
from lianxin.cases.models import Category, MediationTeam, RoutingRule, SlaTarget
from lianxin.cases.services import config, routing, sla
from lianxin.cases.workflow import Urgency
from lianxin.core import calendar, clock
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.models import CalendarDay

PAGE_SIZE = 50
GLOBAL_NOTE = "以下配置对所有街道生效，由县级及以上的系统管理员维护；您可以查看。"


def _configurer(request: ActorRequest) -> Actor:
    """The actor when `cases.configure` is granted somewhere; 404 otherwise."""
    actor: Actor = request.actor
    if not config.can_configure(actor):
        raise Http404("不存在或无权访问")
    return actor


def _global_editor(request: ActorRequest) -> Actor:
    actor = _configurer(request)
    if not config.can_edit_global(actor):
        raise Forbidden("诉求类别、办理时限、工作日历和全局设置由县级及以上的系统管理员维护")
    return actor


def _form_page(request: ActorRequest, form: Any, *, title: str, back: str, **extra: Any) -> Any:
    return render(
        request,
        "cases/config/form.html",
        {"form": form, "title": title, "back": back, **extra},
    )


# --- index -----------------------------------------------------------------------------------


@login_required
def index(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    year = clock.now().year
    units = sorted(
        {(p.unit_path, p.unit_name) for p in actor.posts_with(config.CONFIGURE)},
    )
    return render(
        request,
        "cases/config/index.html",
        {
            "units": [name for _, name in units],
            "can_edit_global": config.can_edit_global(actor),
            "category_count": Category.objects.filter(is_active=True).count(),
            "sla_count": SlaTarget.objects.count(),
            "calendar_count": CalendarDay.objects.filter(day__year=year).count(),
            "year": year,
            "rule_count": config.rules_for(actor).filter(is_active=True).count(),
            "team_count": config.teams_for(actor).filter(is_active=True).count(),
        },
    )


# --- categories ------------------------------------------------------------------------------


@login_required
def categories(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    return render(
        request,
        "cases/config/categories.html",
        {
            "rows": config.category_tree(),
            "can_edit": config.can_edit_global(actor),
            "global_note": GLOBAL_NOTE,
        },
    )


def _category(code: str) -> Category:
    row = Category.objects.select_related("parent").filter(code=code).first()
    if row is None:
        raise Http404("不存在的类别")
    return row


@login_required
@require_http_methods(["GET", "POST"])
def category_create(request: ActorRequest) -> HttpResponse:
    actor = _global_editor(request)
    initial = {"default_level": "small", "default_urgency": "general", "is_public": True}
    if request.GET.get("parent"):
        initial["parent"] = request.GET["parent"]
    form = f.CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            row = config.category_create(
                actor=actor, code=form.cleaned_data["code"], **form.service_fields()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已新增类别“{row.name}”")
            return redirect("cases:config_categories")
    back = reverse("cases:config_categories")
    return _form_page(request, form, title="新增诉求类别", back=back)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request: ActorRequest, code: str) -> HttpResponse:
    actor = _configurer(request)
    row = _category(code)
    actor = _global_editor(request)
    initial = {
        "code": row.code,
        "name": row.name,
        "parent": row.parent.code if row.parent else "",
        "help_text": row.help_text,
        "keywords": row.keywords,
        "default_level": row.default_level,
        "default_handler_kind": row.default_handler_kind,
        "default_urgency": row.default_urgency,
        "is_public": row.is_public,
        "sort_order": row.sort_order,
    }
    form = f.CategoryForm(request.POST or None, initial=initial, category=row)
    if request.method == "POST" and form.is_valid():
        try:
            config.category_update(actor=actor, category=row, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存类别“{row.name}”")
            return redirect("cases:config_categories")
    return _form_page(
        request,
        form,
        title=f"编辑类别“{row.name}”",
        back=reverse("cases:config_categories"),
        category=row,
    )


@login_required
@require_POST
def category_active(request: ActorRequest, code: str) -> HttpResponse:
    _configurer(request)
    row = _category(code)
    actor = _global_editor(request)
    active = request.POST.get("active") == "1"
    try:
        changed = config.category_set_active(actor=actor, category=row, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        word = "启用" if active else "停用"
        messages.success(
            request, f"已{word}“{row.name}”" + (f"等{changed}个类别" if changed > 1 else "")
        )
    return redirect("cases:config_categories")


@login_required
@require_POST
def category_delete(request: ActorRequest, code: str) -> HttpResponse:
    _configurer(request)
    row = _category(code)
    actor = _global_editor(request)
    try:
        config.category_delete(actor=actor, category=row)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除类别“{row.name}”")
    return redirect("cases:config_categories")


# --- SLA targets -----------------------------------------------------------------------------


@login_required
def sla_list(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    rows = list(SlaTarget.objects.select_related("category"))
    order = {u: i for i, u in enumerate(Urgency.values)}
    rows.sort(
        key=lambda r: (
            r.category_id is not None,
            r.category.sort_order if r.category else 0,
            r.category.code if r.category else "",
            order.get(r.urgency, 9),
        )
    )
    return render(
        request,
        "cases/config/sla.html",
        {"rows": rows, "can_edit": config.can_edit_global(actor), "global_note": GLOBAL_NOTE},
    )


@login_required
@require_http_methods(["GET", "POST"])
def sla_edit(request: ActorRequest) -> HttpResponse:
    actor = _global_editor(request)
    # Which row: named in the query string (kept on POST, since the form posts to the same
    # URL); none named means a new category override, chosen in the form.
    urgency = request.GET.get("urgency", "")
    category = Category.objects.filter(code=request.GET.get("category", "")).first()
    row = None
    if urgency in Urgency.values:
        row = SlaTarget.objects.filter(urgency=urgency, category=category).first()
    initial: dict[str, Any] = {"urgency": urgency if urgency in Urgency.values else "general"}
    if category is not None:
        initial["category"] = category.code
    target = (
        sla.target_from_row(row)
        if row is not None
        else sla.target_for(urgency=initial["urgency"], category=category)
    )
    initial.update(
        respond_within=target.respond_within,
        respond_counting=target.respond_counting,
        resolve_within=target.resolve_within,
        resolve_counting=target.resolve_counting,
        near_due_share=target.near_due_share,
    )
    form = f.SlaTargetForm(request.POST or None, initial=initial, fixed=row is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            config.sla_target_save(
                actor=actor,
                urgency=data["urgency"],
                category=data["category"],
                respond_within=data["respond_within"],
                respond_counting=data["respond_counting"],
                resolve_within=data["resolve_within"],
                resolve_counting=data["resolve_counting"],
                near_due_share=data["near_due_share"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存办理时限；此后受理和派遣的诉求按新时限计算")
            return redirect("cases:config_sla")
    title = "修改办理时限" if row is not None else "新增办理时限"
    return _form_page(
        request,
        form,
        title=title,
        back=reverse("cases:config_sla"),
        note="修改后只影响此后计算的期限，已在办理中的诉求期限不变。",
    )


@login_required
@require_POST
def sla_delete(request: ActorRequest) -> HttpResponse:
    actor = _global_editor(request)
    row = (
        SlaTarget.objects.select_related("category")
        .filter(
            urgency=request.POST.get("urgency", ""), category__code=request.POST.get("category", "")
        )
        .first()
    )
    if row is None:
        raise Http404("不存在的时限")
    try:
        config.sla_target_delete(actor=actor, target=row)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{row.category}”已恢复使用通用时限")
    return redirect("cases:config_sla")


# --- settings --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    row = config.case_settings()
    can_edit = config.can_edit_global(actor)
    if request.method == "POST" and not can_edit:
        _global_editor(request)
    form = f.CaseSettingsForm(request.POST or None, initial=f.settings_initial(row))
    if request.method == "POST" and form.is_valid():
        try:
            config.case_settings_update(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存诉求办理设置")
            return redirect("cases:config_settings")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "cases/config/settings.html",
        {"form": form, "can_edit": can_edit, "global_note": GLOBAL_NOTE},
    )


# --- working calendar ------------------------------------------------------------------------


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise Http404("日期格式不正确") from exc


@login_required
@require_http_methods(["GET", "POST"])
def calendar_list(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    can_edit = config.can_edit_global(actor)
    year_form = f.YearForm(request.GET or None)
    year = year_form.cleaned_data["year"] if year_form.is_valid() else clock.now().year
    if request.method == "POST":
        _global_editor(request)
    form = f.CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            config.calendar_day_set(
                actor=actor, day=data["day"], is_workday=data["is_workday"], name=data["name"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记 {data['day']:%Y年%m月%d日} {data['name']}")
            return redirect(f"{reverse('cases:config_calendar')}?year={data['day'].year}")
    rows = calendar.year_exceptions(year)
    return render(
        request,
        "cases/config/calendar.html",
        {
            "rows": rows,
            "year": year,
            "years": [year - 1, year, year + 1],
            "year_form": year_form,
            "form": form,
            "can_edit": can_edit,
            "global_note": GLOBAL_NOTE,
            "rest_days": sum(1 for r in rows if not r.is_workday),
            "makeup_days": sum(1 for r in rows if r.is_workday),
            "working_days": _working_days(year),
        },
    )


def _working_days(year: int) -> int:
    day, end, count = dt.date(year, 1, 1), dt.date(year, 12, 31), 0
    while day <= end:
        count += calendar.is_workday(day)
        day += dt.timedelta(days=1)
    return count


@login_required
@require_http_methods(["GET", "POST"])
def calendar_day(request: ActorRequest, day: str) -> HttpResponse:
    _configurer(request)
    date = _parse_day(day)
    row = CalendarDay.objects.filter(day=date).first()
    if row is None:
        raise Http404("该日期没有登记")
    actor = _global_editor(request)
    initial = {"day": date, "is_workday": "1" if row.is_workday else "0", "name": row.name}
    form = f.CalendarDayForm(request.POST or None, initial=initial, fixed_day=date)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            config.calendar_day_set(
                actor=actor, day=date, is_workday=data["is_workday"], name=data["name"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存 {date:%Y年%m月%d日}")
            return redirect(f"{reverse('cases:config_calendar')}?year={date.year}")
    back = f"{reverse('cases:config_calendar')}?year={date.year}"
    return _form_page(
        request,
        form,
        title=f"{date:%Y年%m月%d日} 节假日与调休",
        back=back,
        delete_url=reverse("cases:config_calendar_delete", kwargs={"day": date.isoformat()}),
        delete_label="删除此安排（恢复按周一至周五）",
    )


@login_required
@require_POST
def calendar_day_delete(request: ActorRequest, day: str) -> HttpResponse:
    _configurer(request)
    date = _parse_day(day)
    if not CalendarDay.objects.filter(day=date).exists():
        raise Http404("该日期没有登记")
    actor = _global_editor(request)
    try:
        config.calendar_day_remove(actor=actor, day=date)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除 {date:%Y年%m月%d日} 的安排")
    return redirect(f"{reverse('cases:config_calendar')}?year={date.year}")


# --- routing rules ---------------------------------------------------------------------------


@login_required
def rules(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    page = Paginator(config.rules_for(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/config/rules.html", {"page": page})


def _rule(actor: Actor, public_id: Any) -> RoutingRule:
    rule: RoutingRule = RoutingRule.objects.get_visible(
        actor, config.CONFIGURE, public_id=public_id
    )
    return rule


def _rule_kwargs(form: f.RoutingRuleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "unit": data["unit"],
        "category": data["category"],
        "level": data["level"],
        "handler_kind": data["handler_kind"],
        "handler_unit": data["handler_unit"],
        "handler_department": data["handler_department"],
        "handler_team": data["handler_team"],
        "handler_post": data["handler_post"],
        "priority": data["priority"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    form = f.RoutingRuleForm(request.POST or None, actor=actor, initial={"priority": 100})
    if request.method == "POST" and form.is_valid():
        try:
            config.routing_rule_create(actor=actor, **_rule_kwargs(form))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已新增派遣规则")
            return redirect("cases:config_rules")
    return _form_page(
        request, form, title="新增派遣规则", back=reverse("cases:config_rules"), wide=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _configurer(request)
    rule = _rule(actor, public_id)
    initial = {
        "unit": rule.unit.public_id,
        "category": rule.category.code if rule.category else "",
        "level": rule.level,
        "handler_kind": rule.handler_kind,
        "handler_unit": rule.handler_unit.public_id if rule.handler_unit else "",
        "handler_department": rule.handler_department.public_id if rule.handler_department else "",
        "handler_team": rule.handler_team.public_id if rule.handler_team else "",
        "handler_post": rule.handler_post.public_id if rule.handler_post else "",
        "priority": rule.priority,
    }
    form = f.RoutingRuleForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config.routing_rule_update(actor=actor, rule=rule, **_rule_kwargs(form))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存派遣规则")
            return redirect("cases:config_rules")
    return _form_page(
        request,
        form,
        title="编辑派遣规则",
        back=reverse("cases:config_rules"),
        wide=True,
        status_url=reverse("cases:config_rule_active", kwargs={"public_id": rule.public_id}),
        is_active=rule.is_active,
    )


@login_required
@require_POST
def rule_active(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _configurer(request)
    rule = _rule(actor, public_id)
    active = request.POST.get("active") == "1"
    try:
        config.routing_rule_set_active(actor=actor, rule=rule, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已启用派遣规则" if active else "已停用派遣规则")
    return redirect("cases:config_rules")


@login_required
def rule_try(request: ActorRequest) -> HttpResponse:
    """试一试: which handler `services.routing.route` picks for a place, category and level."""
    actor = _configurer(request)
    form = f.RouteTryForm(request.GET or None, actor=actor)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        result = routing.route(
            place_path=data["place"].path, category=data["category"], level=data["level"]
        )
    category = form.cleaned_data.get("category") if result is not None else None
    return render(
        request,
        "cases/config/rule_try.html",
        {"form": form, "result": result, "category": category},
    )


# --- mediation teams -------------------------------------------------------------------------


@login_required
def teams(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    page = Paginator(config.teams_for(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/config/teams.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: ActorRequest) -> HttpResponse:
    actor = _configurer(request)
    form = f.MediationTeamForm(request.POST or None, actor=actor, initial={"kind": "team"})
    if request.method == "POST" and form.is_valid():
        try:
            team = config.mediation_team_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已新增调解组织“{team.name}”")
            return redirect("cases:config_teams")
    return _form_page(request, form, title="新增调解组织", back=reverse("cases:config_teams"))


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _configurer(request)
    team: MediationTeam = MediationTeam.objects.get_visible(
        actor, config.CONFIGURE, public_id=public_id
    )
    initial = {
        "unit": team.unit.public_id,
        "name": team.name,
        "kind": team.kind,
        "members": team.members,
        "is_active": team.is_active,
    }
    form = f.MediationTeamForm(request.POST or None, actor=actor, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config.mediation_team_update(actor=actor, team=team, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存调解组织“{team.name}”")
            return redirect("cases:config_teams")
    return _form_page(
        request, form, title=f"编辑调解组织“{team.name}”", back=reverse("cases:config_teams")
    )


urlpatterns: list[URLPattern] = [
    path("config/", index, name="config"),
    path("config/categories/", categories, name="config_categories"),
    path("config/categories/new/", category_create, name="config_category_create"),
    path("config/categories/<slug:code>/", category_edit, name="config_category_edit"),
    path("config/categories/<slug:code>/active/", category_active, name="config_category_active"),
    path("config/categories/<slug:code>/delete/", category_delete, name="config_category_delete"),
    path("config/sla/", sla_list, name="config_sla"),
    path("config/sla/edit/", sla_edit, name="config_sla_edit"),
    path("config/sla/delete/", sla_delete, name="config_sla_delete"),
    path("config/settings/", settings_edit, name="config_settings"),
    path("config/calendar/", calendar_list, name="config_calendar"),
    path("config/calendar/<str:day>/", calendar_day, name="config_calendar_day"),
    path("config/calendar/<str:day>/delete/", calendar_day_delete, name="config_calendar_delete"),
    path("config/rules/", rules, name="config_rules"),
    path("config/rules/new/", rule_create, name="config_rule_create"),
    path("config/rules/try/", rule_try, name="config_rule_try"),
    path("config/rules/<uuid:public_id>/", rule_edit, name="config_rule_edit"),
    path("config/rules/<uuid:public_id>/active/", rule_active, name="config_rule_active"),
    path("config/teams/", teams, name="config_teams"),
    path("config/teams/new/", team_create, name="config_team_create"),
    path("config/teams/<uuid:public_id>/", team_edit, name="config_team_edit"),
]
