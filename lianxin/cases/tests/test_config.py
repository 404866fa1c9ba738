"""Configuration pages and services: who edits what, inputs kept with the field named on
errors, audit of calendar edits, routing rules with "试一试", constant queries on lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.audit.models import AuditEvent
from lianxin.cases.models import Category, MediationTeam, RoutingRule, SlaTarget
from lianxin.cases.services import config, routing, sla
from lianxin.cases.tests.factories import assigned_case, make_case
from lianxin.core import calendar
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.models import CalendarDay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar():  # noqa: ANN202
    calendar.invalidate()
    yield
    calendar.invalidate()


def errors_of(response, field: str) -> list[str]:  # noqa: ANN001
    return list(response.context["form"].errors.get(field, []))


CATEGORY_POST = {
    "code": "bike-shed",
    "name": "车棚充电",
    "parent": "facilities",
    "help_text": "电动车车棚充电桩故障",
    "keywords": "车棚 充电",
    "default_level": "big",
    "default_handler_kind": "department",
    "default_urgency": "utility",
    "is_public": "on",
    "sort_order": "30",
}


# --- who -------------------------------------------------------------------------------------


def test_pages_exist_only_for_configure_holders(world) -> None:  # noqa: ANN001
    url = reverse("cases:config")
    assert world.client("grid_worker").get(url).status_code == 404
    assert world.client("village_staff").get(url).status_code == 404
    assert world.client("street_staff").get(url).status_code == 200
    assert world.client("sysadmin").get(url).status_code == 200
    from django.test import Client

    anon = Client().get(url)
    assert anon.status_code == 302 and anon["Location"].startswith(reverse("accounts:login"))


def test_street_staff_read_but_do_not_edit_deployment_wide_configuration(world) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    page = street.get(reverse("cases:config_categories"))
    assert page.status_code == 200 and "照明路灯" in page.content.decode()
    assert "新增类别" not in page.content.decode()
    assert street.get(reverse("cases:config_category_create")).status_code == 403
    assert street.post(reverse("cases:config_category_create"), CATEGORY_POST).status_code == 403
    assert street.get(reverse("cases:config_sla_edit")).status_code == 403
    settings_page = street.get(reverse("cases:config_settings"))
    assert settings_page.status_code == 200
    assert settings_page.context["form"].fields["weight_response"].disabled
    assert street.post(reverse("cases:config_settings"), {}).status_code == 403
    assert street.post(reverse("cases:config_calendar"), {}).status_code == 403
    assert not Category.objects.filter(code="bike-shed").exists()
    with pytest.raises(PermissionDenied):
        config.calendar_day_set(
            actor=world.actor("street_staff"), day=dt.date(2030, 1, 2), is_workday=False, name="x"
        )


# --- categories ------------------------------------------------------------------------------


def test_sysadmin_creates_a_category_and_errors_keep_the_input(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_category_create")
    bad = admin.post(url, {**CATEGORY_POST, "code": "lighting"})
    assert bad.status_code == 200
    assert errors_of(bad, "code") == ["编码“lighting”已被使用"]
    assert 'value="车棚充电"' in bad.content.decode()  # what was typed is kept
    bad = admin.post(url, {**CATEGORY_POST, "code": "车棚"})
    assert errors_of(bad, "code")
    done = admin.post(url, CATEGORY_POST)
    assert done.status_code == 302
    row = Category.objects.get(code="bike-shed")
    assert row.parent.code == "facilities" and row.default_urgency == "utility"
    assert AuditEvent.objects.filter(object_type="cases.category", action="create").exists()


def test_category_edit_keeps_the_code_and_refuses_cycles(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_category_edit", kwargs={"code": "facilities"})
    page = admin.get(url)
    assert page.status_code == 200
    data = {**CATEGORY_POST, "code": "hacked", "name": "公共设施", "parent": "lighting"}
    bad = admin.post(url, data)
    assert errors_of(bad, "parent") == ["上级类别不能是它自己或它的下级"]
    done = admin.post(url, {**data, "parent": "", "name": "公共设施设备"})
    assert done.status_code == 302
    row = Category.objects.get(code="facilities")
    assert row.name == "公共设施设备"
    assert not Category.objects.filter(code="hacked").exists()


def test_stopping_a_category_stops_its_children_and_used_ones_are_never_deleted(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    make_case(world.building)  # uses "lighting"
    admin.post(
        reverse("cases:config_category_active", kwargs={"code": "facilities"}), {"active": "0"}
    )
    assert not Category.objects.get(code="facilities").is_active
    assert not Category.objects.get(code="lighting").is_active
    # A child resumes only under an active parent.
    page = admin.post(
        reverse("cases:config_category_active", kwargs={"code": "lighting"}),
        {"active": "1"},
        follow=True,
    )
    assert "请先启用上级类别" in page.content.decode()
    page = admin.post(
        reverse("cases:config_category_delete", kwargs={"code": "lighting"}), follow=True
    )
    assert "已有诉求使用该类别" in page.content.decode()
    assert Category.objects.filter(code="lighting").exists()
    fresh = Category.objects.create(code="typo-cat", name="错建的类别")
    admin.post(reverse("cases:config_category_delete", kwargs={"code": fresh.code}))
    assert not Category.objects.filter(code="typo-cat").exists()


def test_category_list_queries_are_constant(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_categories")
    admin.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(url).status_code == 200
        return len(ctx)

    base = count()
    parent = Category.objects.get(code="facilities")
    Category.objects.bulk_create(
        [Category(code=f"extra-{i}", name=f"附加{i}", parent=parent) for i in range(30)]
    )
    assert count() == base


# --- SLA targets -----------------------------------------------------------------------------


def test_sla_override_for_a_category(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_sla_edit")
    form = {
        "urgency": "general",
        "category": "lighting",
        "respond_within": "2",
        "respond_counting": "working_hours",
        "resolve_within": "3",
        "resolve_counting": "working_days",
        "near_due_share": "1.5",
    }
    bad = admin.post(url, form)
    assert errors_of(bad, "near_due_share")
    assert 'value="3"' in bad.content.decode()
    bad = admin.post(url, {**form, "near_due_share": "0.75", "resolve_within": "0"})
    assert errors_of(bad, "resolve_within") == ["时限应大于0且不超过9999"]
    assert admin.post(url, {**form, "near_due_share": "0.75"}).status_code == 302
    lighting = Category.objects.get(code="lighting")
    t = sla.target_for(urgency="general", category=lighting)
    assert (t.respond_within, t.resolve_within, t.near_due_share) == (2, 3, Decimal("0.75"))
    # Editing the row found by the query string; urgency and category are fixed then.
    edit = admin.get(url, {"urgency": "general", "category": "lighting"})
    assert edit.context["form"].fields["category"].disabled
    done = admin.post(
        f"{url}?urgency=general&category=lighting",
        {**form, "respond_within": "1", "near_due_share": "0.8"},
    )
    assert done.status_code == 302
    assert SlaTarget.objects.get(category=lighting).respond_within == 1
    page = admin.get(reverse("cases:config_sla"))
    assert "照明路灯" in page.content.decode()
    admin.post(reverse("cases:config_sla_delete"), {"urgency": "general", "category": "lighting"})
    assert not SlaTarget.objects.filter(category=lighting).exists()
    assert sla.target_for(urgency="general", category=lighting).resolve_within == 7


def test_general_sla_rows_cannot_be_deleted(world) -> None:  # noqa: ANN001
    row = SlaTarget.objects.get(category=None, urgency="general")
    with pytest.raises(DomainError):
        config.sla_target_delete(actor=world.actor("sysadmin"), target=row)


# --- settings --------------------------------------------------------------------------------


def test_settings_weights_must_add_up(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_settings")
    data = dict(admin.get(url).context["form"].initial)
    data = {k: str(v) for k, v in data.items()}
    bad = admin.post(url, {**data, "weight_response": "0.3"})
    assert errors_of(bad, "weight_satisfaction")
    assert 'value="0.3"' in bad.content.decode()
    ok = admin.post(
        url,
        {
            **data,
            "weight_response": "0.2",
            "weight_resolution": "0.4",
            "auto_whistle_overdue_hours": "8",
        },
    )
    assert ok.status_code == 302
    row = config.case_settings()
    assert row.weight_response == Decimal("0.2") and row.auto_whistle_overdue_hours == 8
    bad = admin.post(url, {**data, "supervise_reopen_count": "0"})
    assert errors_of(bad, "supervise_reopen_count")
    bad = admin.post(url, {**data, "login_codes_per_phone_hour": "0"})
    assert errors_of(bad, "login_codes_per_phone_hour")
    assert admin.post(url, {**data, "login_codes_per_phone_hour": "8"}).status_code == 302
    assert config.case_settings().login_codes_per_phone_hour == 8


# --- calendar --------------------------------------------------------------------------------


def test_calendar_lists_a_year_and_edits_are_audited(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_calendar")
    page = admin.get(url, {"year": 2026})
    body = page.content.decode()
    assert "春节" in body and "国庆节调休上班" in body and ">248<" in body
    # A local holiday on an ordinary Wednesday.
    bad = admin.post(url, {"day": "2030-03-13", "is_workday": "1", "name": "补班"})
    assert errors_of(bad, "is_workday")
    assert 'value="补班"' in bad.content.decode()
    bad = admin.post(url, {"day": "2030-03-13", "is_workday": "0", "name": ""})
    assert errors_of(bad, "name")
    done = admin.post(url, {"day": "2030-03-13", "is_workday": "0", "name": "防汛停工"})
    assert done.status_code == 302 and done["Location"].endswith("year=2030")
    assert not calendar.is_workday(dt.date(2030, 3, 13))
    created = AuditEvent.objects.get(object_type="core.calendarday", action="create")
    assert created.object_id == "2030-03-13" and created.actor == world.users["sysadmin"]
    day_url = reverse("cases:config_calendar_day", kwargs={"day": "2030-03-13"})
    assert admin.post(day_url, {"is_workday": "0", "name": "防汛"}).status_code == 302
    updated = AuditEvent.objects.get(object_type="core.calendarday", action="update")
    assert updated.changes["name"] == {"old": "防汛停工", "new": "防汛"}
    # A make-up Saturday.
    admin.post(url, {"day": "2030-03-16", "is_workday": "1", "name": "调休上班"})
    assert calendar.is_workday(dt.date(2030, 3, 16))
    admin.post(reverse("cases:config_calendar_delete", kwargs={"day": "2030-03-13"}))
    assert calendar.is_workday(dt.date(2030, 3, 13))
    assert AuditEvent.objects.filter(object_type="core.calendarday", action="delete").count() == 1
    assert admin.get(reverse("cases:config_calendar_day", kwargs={"day": "x"})).status_code == 404


def test_calendar_list_queries_are_constant(world) -> None:  # noqa: ANN001
    admin = world.client("sysadmin")
    url = reverse("cases:config_calendar")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(url, {"year": 2031}).status_code == 200
        return len(ctx)

    CalendarDay.objects.bulk_create(
        [CalendarDay(day=dt.date(2031, 1, 1 + i), is_workday=False, name="假") for i in range(3)]
    )
    calendar.invalidate()
    base = count()
    CalendarDay.objects.bulk_create(
        [CalendarDay(day=dt.date(2031, 3, 1 + i), is_workday=False, name="假") for i in range(30)]
    )
    calendar.invalidate()
    assert count() == base


# --- routing rules ---------------------------------------------------------------------------


def rule_form(world, **over) -> dict:  # noqa: ANN001
    return {
        "unit": str(world.village.public_id),
        "category": "lighting",
        "level": "small",
        "handler_kind": "grid",
        "handler_unit": str(world.sibling_grid.public_id),
        "priority": "100",
        **over,
    }


def test_street_staff_route_lighting_to_one_grid_and_try_it(world) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    url = reverse("cases:config_rule_create")
    bad = street.post(url, rule_form(world, handler_kind="department", handler_unit=""))
    assert errors_of(bad, "handler_department") == ["承办单位类型为职能部门时请指定部门"]
    bad = street.post(url, rule_form(world, handler_kind="village"))
    assert errors_of(bad, "handler_unit") == ["指定承办单位与承办单位类型不一致"]
    assert street.post(url, rule_form(world)).status_code == 302
    rule = RoutingRule.objects.get()
    assert rule.handler_unit == world.sibling_grid
    try_url = reverse("cases:config_rule_try")
    page = street.get(
        try_url, {"place": str(world.grid.public_id), "category": "lighting", "level": "small"}
    )
    assert page.context["result"].unit == world.sibling_grid
    assert "迎秀社区第二网格" in page.content.decode()
    # The same as dispatch would pick.
    handler = routing.route(
        place_path=world.building.path,
        category=Category.objects.get(code="lighting"),
        level="small",
    )
    assert handler.rule == rule
    # Without a matching rule: the category's default.
    page = street.get(
        try_url, {"place": str(world.grid.public_id), "category": "lighting", "level": "big"}
    )
    assert page.context["result"].rule is None
    assert "没有适用的规则" in page.content.decode()
    # Stop it: dispatch falls back to the default.
    street.post(
        reverse("cases:config_rule_active", kwargs={"public_id": rule.public_id}), {"active": "0"}
    )
    assert (
        routing.matching_rule(place_path=world.building.path, category=rule.category, level="small")
        is None
    )


def test_rules_are_territorial(world) -> None:  # noqa: ANN001
    other = world.client("other_street_staff")
    bad = other.post(reverse("cases:config_rule_create"), rule_form(world))
    assert "unit" in bad.context["form"].errors  # 迎秀社区 is not among their choices
    assert not RoutingRule.objects.exists()
    with pytest.raises(PermissionDenied) as exc:
        config.routing_rule_create(
            actor=world.actor("other_street_staff"),
            unit=world.village,
            category=None,
            level="",
            handler_kind="village",
        )
    assert exc.value.field == "unit"
    # Departments above the street are offered (a street sends 大事 to the county's bureaus).
    assert world.department in config.departments_for(world.actor("street_staff"))
    rule = config.routing_rule_create(
        actor=world.actor("street_staff"),
        unit=world.village,
        category=None,
        level="big",
        handler_kind="department",
        handler_department=world.department,
    )
    assert rule.handler_department == world.department


def test_rule_list_queries_are_constant(world) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    url = reverse("cases:config_rules")
    team = MediationTeam.objects.create(unit=world.village, name="调解队", kind="team")
    from lianxin.accounts.models import Post

    post = Post.objects.get(user=world.users["grid_worker"])

    def build(n: int) -> None:
        RoutingRule.objects.bulk_create(
            [
                RoutingRule(
                    unit=world.village,
                    level="small",
                    handler_kind=["grid", "team", "department", "village"][i % 4],
                    handler_unit=world.grid if i % 4 == 0 else None,
                    handler_team=team if i % 4 == 1 else None,
                    handler_department=world.department if i % 4 == 2 else None,
                    handler_post=post if i % 4 == 3 else None,
                    category=Category.objects.get(code="lighting"),
                )
                for i in range(n)
            ]
        )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert street.get(url).status_code == 200
        return len(ctx)

    build(4)
    base = count()
    build(40)
    assert count() == base


# --- mediation teams -------------------------------------------------------------------------


def test_mediation_teams(world) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    url = reverse("cases:config_team_create")
    data = {"unit": str(world.village.public_id), "name": "迎秀社区多元调解队", "kind": "team"}
    assert street.post(url, data).status_code == 302
    bad = street.post(url, {**data, "members": "张三、李四"})
    assert errors_of(bad, "name") == ["本单位已有同名调解组织"]
    assert "张三、李四" in bad.content.decode()
    team = MediationTeam.objects.get()
    page = street.get(reverse("cases:config_teams"))
    assert "迎秀社区多元调解队" in page.content.decode()
    assert (
        "迎秀社区多元调解队"
        not in world.client("other_street_staff")
        .get(reverse("cases:config_teams"))
        .content.decode()
    )
    # A team with open requests stays active.
    case = assigned_case(world)
    case.handler_team = team
    case.save(update_fields=["handler_team"])
    edit = reverse("cases:config_team_edit", kwargs={"public_id": team.public_id})
    bad = street.post(edit, {**data, "kind": "room"})  # is_active unchecked
    assert errors_of(bad, "is_active")
    assert street.post(edit, {**data, "kind": "room", "is_active": "on"}).status_code == 302
    assert MediationTeam.objects.get().kind == "room"


def test_team_list_queries_are_constant(world) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    url = reverse("cases:config_teams")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert street.get(url).status_code == 200
        return len(ctx)

    MediationTeam.objects.bulk_create(
        [MediationTeam(unit=world.village, name=f"队{i}", kind="team") for i in range(3)]
    )
    base = count()
    MediationTeam.objects.bulk_create(
        [MediationTeam(unit=world.grid, name=f"网格队{i}", kind="team") for i in range(30)]
    )
    assert count() == base


def test_index_counts(world) -> None:  # noqa: ANN001
    page = world.client("street_staff").get(reverse("cases:config"))
    body = page.content.decode()
    assert "大定街道" in body and "全局配置由县级及以上的系统管理员维护" in body
    admin = world.client("sysadmin").get(reverse("cases:config")).content.decode()
    assert "全局配置由县级及以上的系统管理员维护" not in admin
