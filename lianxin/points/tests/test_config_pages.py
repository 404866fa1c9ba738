"""Configuration pages: who reads and who edits, forms that keep the input and name the field,
and query budgets."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianxin.points.models import AwardRule, Catalog, Indicator, Scheme
from lianxin.points.services.config import points_settings
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def html(response) -> str:  # noqa: ANN001
    return response.content.decode()


def field_error(page: str, field: str) -> str:
    """The error text rendered under `field` (includes/form.html), or ''."""
    m = re.search(rf'id="id_{field}".*?<p class="field-error" role="alert">(.*?)</p>', page, re.S)
    return m.group(1) if m else ""


def default(code: str = "household") -> Catalog:
    return Catalog.objects.get(scheme__code=code, year=f.today().year, unit=None)


def test_index_for_the_county_admin(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    client.get(reverse("points:config"))  # warm the per-process snapshots
    with django_assert_max_num_queries(14):
        page = html(client.get(reverse("points:config")))
    for text in ("群众积分（户）", "党员积分", "新增积分体系", "新建目录", "提醒谈话分数线"):
        assert text in page
    assert "党员办结帮办代办事项" in page and "只读" not in page
    assert reverse("points:config_catalog", kwargs={"public_id": default().public_id}) in page


def test_street_staff_read_global_configuration_only(world) -> None:  # noqa: ANN001
    client = world.client("street_staff")
    page = html(client.get(reverse("points:config")))
    assert "由县级及以上的系统管理员维护" in page and "只读" in page
    assert "新增积分体系" not in page and "新建目录" in page  # their own street's catalog
    assert client.get(reverse("points:config_scheme_create")).status_code == 403
    edit = reverse("points:config_scheme_edit", kwargs={"code": "household"})
    assert client.get(edit).status_code == 403
    settings = client.get(reverse("points:config_settings"))
    assert settings.status_code == 200 and "disabled" in html(settings)
    assert client.post(reverse("points:config_settings"), {}).status_code == 403
    catalog = reverse("points:config_catalog", kwargs={"public_id": default().public_id})
    assert "新增指标" not in html(client.get(catalog))
    ind = default().indicators.get(code="courtyard_clean")
    url = reverse("points:config_indicator", kwargs={"public_id": ind.public_id})
    assert "保存修订" not in html(client.get(url))
    assert client.post(url, {"reason": "x"}).status_code == 403


@pytest.mark.parametrize("persona", ["grid_worker", "village_secretary", "org_department"])
def test_without_configure_the_pages_do_not_exist(world, persona) -> None:  # noqa: ANN001
    assert world.client(persona).get(reverse("points:config")).status_code == 404


def test_street_creates_its_own_catalog_from_the_default(world) -> None:  # noqa: ANN001
    client = world.client("street_staff")
    form = html(client.get(reverse("points:config_catalog_create")))
    assert "全市通用" not in form and "大定街道（本地目录）" in form
    answer = client.post(
        reverse("points:config_catalog_create"),
        {
            "scheme": "household",
            "year": f.today().year,
            "unit": str(world.street.public_id),
            "name": "大定街道群众积分",
            "copy": "on",
        },
    )
    own = Catalog.objects.get(unit=world.street)
    assert answer.status_code == 302 and answer["Location"].endswith(f"{own.public_id}/")
    assert own.indicators.count() == default().indicators.count()
    page = html(client.get(answer["Location"]))
    assert "大定街道本地目录" in page and "庭院整洁、物品摆放有序" in page and "新增指标" in page
    # The same again: refused on the year, the typed name kept.
    again = client.post(
        reverse("points:config_catalog_create"),
        {"scheme": "household", "year": f.today().year, "unit": str(world.street.public_id),
         "name": "第二个目录"},
    )  # fmt: skip
    assert again.status_code == 200
    assert "已有" in field_error(html(again), "year") and "第二个目录" in html(again)


def test_indicator_form_names_the_field_and_keeps_input(world) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    catalog = default("grid")
    aspect = catalog.aspects.get()
    url = reverse("points:config_indicator_create", kwargs={"public_id": catalog.public_id})
    data = {
        "aspect": str(aspect.pk),
        "code": "fire_check",
        "name": "消防隐患排查到位",
        "points": "5",
        "cap_points": "3",
        "cap_period": "month",
        "evidence": "photo",
    }
    bad = client.post(url, data)
    assert bad.status_code == 200
    page = html(bad)
    assert "上限分值不能小于" in field_error(page, "cap_points")
    assert 'value="消防隐患排查到位"' in page and 'value="fire_check"' in page
    assert not Indicator.objects.filter(code="fire_check").exists()
    ok = client.post(url, data | {"cap_points": "10"})
    assert ok.status_code == 302
    assert catalog.indicators.get(code="fire_check").revisions.count() == 1


def test_revising_on_the_page_shows_the_history(world) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    ind = f.indicator("courtyard_clean")
    url = reverse("points:config_indicator", kwargs={"public_id": ind.public_id})
    data = {
        "name": ind.name,
        "points": "6",
        "cap_points": "6",
        "cap_period": "month",
        "evidence": "photo",
        "reason": "",
    }
    missing = client.post(url, data)
    assert missing.status_code == 200 and field_error(html(missing), "reason")
    assert 'value="6"' in html(missing)
    assert client.post(url, data | {"reason": "县里提高人居环境分值"}).status_code == 302
    page = html(client.get(url))
    assert "第 2 版" in page and "现行" in page and "县里提高人居环境分值" in page
    assert "每月最多 5 分" in page and "照片" in page  # revision 1 kept with labels
    ind.refresh_from_db()
    assert ind.points == 6 and ind.revision == 2
    stop = reverse("points:config_indicator_active", kwargs={"public_id": ind.public_id})
    assert client.post(stop, {"active": "0"}).status_code == 302
    assert not Indicator.objects.get(pk=ind.pk).is_active


def test_aspects_and_copy_on_the_catalog_page(world) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    catalog = default("grid")
    aspects_url = reverse("points:config_aspects", kwargs={"public_id": catalog.public_id})
    assert client.post(aspects_url, {"op": "create", "name": "平安网格"}).status_code == 302
    new = catalog.aspects.get(name="平安网格")
    blank = client.post(aspects_url, {"op": "rename", "aspect": new.pk, "name": " "})
    assert blank.status_code == 200 and field_error(html(blank), "name")
    client.post(aspects_url, {"op": "rename", "aspect": new.pk, "name": "平安建设"})
    client.post(aspects_url, {"op": "up", "aspect": new.pk})
    assert list(catalog.aspects.order_by("sort_order").values_list("name", flat=True)) == [
        "平安建设",
        "网格履职",
    ]
    assert client.post(aspects_url, {"op": "up", "aspect": 999999}).status_code == 404
    copy_url = reverse("points:config_catalog_copy", kwargs={"public_id": catalog.public_id})
    answer = client.post(copy_url, {"year": catalog.year + 1})
    copied = Catalog.objects.get(scheme=catalog.scheme, year=catalog.year + 1, unit=None)
    assert answer["Location"].endswith(f"{copied.public_id}/")
    same = client.post(copy_url, {"year": catalog.year + 1})
    assert same.status_code == 200 and "已有" in field_error(html(same), "year")


def test_settings_page_checks_weights_and_keeps_input(world) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    row = points_settings()
    data = {
        "low_score_threshold": "45",
        "member_own_weight": "0.7",
        "member_linked_weight": "0.7",
        "rating_top_label": "示范户",
        "rating_top_min": "88",
        "rating_mid_label": "达标户",
        "rating_mid_min": "40",
        "rating_low_label": "整改户",
        "objections_per_source_hour": "10",
    }
    bad = client.post(reverse("points:config_settings"), data)
    assert bad.status_code == 200
    assert "之和应为 1" in field_error(html(bad), "member_linked_weight")
    assert 'value="88"' in html(bad)
    assert points_settings().rating_top_min == row.rating_top_min
    ok = client.post(reverse("points:config_settings"), data | {"member_linked_weight": "0.3"})
    assert ok.status_code == 302
    assert points_settings().rating_top_min == 88


def test_scheme_and_rule_forms(world) -> None:  # noqa: ANN001
    client = world.client("sysadmin")
    bad = client.post(
        reverse("points:config_scheme_create"),
        {"code": "巾帼", "name": "巾帼积分", "subject_kind": "household", "notice_days": "3"},
    )
    assert bad.status_code == 200 and field_error(html(bad), "code")
    assert 'value="巾帼积分"' in html(bad)
    ok = client.post(
        reverse("points:config_scheme_create"),
        {"code": "women", "name": "巾帼积分", "subject_kind": "household", "notice_days": "3"},
    )
    assert ok.status_code == 302 and Scheme.objects.filter(code="women").exists()
    url = reverse("points:config_rule", kwargs={"source": "linkage_visit"})
    wrong = client.post(
        url, {"scheme": "party_member", "indicator_code": "nope", "is_active": "on"}
    )
    assert wrong.status_code == 200 and field_error(html(wrong), "indicator_code")
    client.post(url, {"scheme": "party_member", "indicator_code": "visit", "is_active": "on"})
    assert AwardRule.objects.get(source="linkage_visit").is_active
