"""The figures page and its downloads: scope, periods, the same numbers everywhere, query budget."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.cases.figures import unit_figures
from lianxin.cases.tests.factories import make_case
from lianxin.cases.tests.test_figures import MARCH, at, build_march
from lianxin.core import clock
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db

URL = reverse("cases:figures")
MARCH_QUERY = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def _options(response: Any) -> list[str]:
    return [o["code"] for o in response.context["unit_options"]]


def test_page_shows_the_numbers_of_unit_figures(world) -> None:
    build_march(world)
    response = world.client("village_staff").get(URL, {"unit": world.village.code, **MARCH_QUERY})
    assert response.status_code == 200
    expected = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()
    assert response.context["data"] == expected
    body = response.content.decode()
    assert "迎秀社区诉求办理统计（2026年3月1日至2026年3月31日）" in body
    assert "65.33%" in body and "63.33%" in body  # 综合得分, 满意率
    assert "迎秀社区第一网格" in body and "迎秀社区（本级）" in body
    assert "扫码（码上办）" in body  # a bar
    xlsx = reverse("cases:figures_xlsx", args=[world.village.code])
    assert f"{xlsx}?period=custom&amp;date_from=2026-03-01&amp;date_to=2026-03-31" in body


def test_default_is_this_month_of_the_primary_post(world) -> None:
    with clock.travel(at(3, 20)):
        make_case(world.building)
        response = world.client("village_staff").get(URL)
    assert response.status_code == 200
    data = response.context["data"]
    assert data["unit"]["code"] == world.village.code
    assert (data["date_from"], data["date_to"]) == ("2026-03-01", "2026-03-20")
    assert data["counts"]["received"] == 1


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("this_week", ("2026-03-16", "2026-03-20")),
        ("this_month", ("2026-03-01", "2026-03-20")),
        ("last_month", ("2026-02-01", "2026-02-28")),
    ],
)
def test_period_presets(world, period: str, expected: tuple[str, str]) -> None:
    with clock.travel(at(3, 20)):
        response = world.client("street_staff").get(URL, {"period": period})
    data = response.context["data"]
    assert (data["date_from"], data["date_to"]) == expected
    assert data["unit"]["code"] == world.street.code


def test_bad_custom_period_is_explained(world) -> None:
    client = world.client("village_staff")
    response = client.get(
        URL, {"period": "custom", "date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    assert "data" not in response.context
    assert "结束日期不能早于开始日期" in response.content.decode()
    response = client.get(URL, {"period": "custom", "date_from": "2026-03-01"})
    assert "请填写结束日期" in response.content.decode()
    response = client.get(
        URL, {"period": "custom", "date_from": "2026-02-30", "date_to": "2026-03-01"}
    )
    assert response.context["form"].errors["date_from"]
    download = client.get(
        reverse("cases:figures_xlsx", args=[world.village.code]),
        {"period": "custom", "date_from": "2026-03-31", "date_to": "2026-03-01"},
    )
    assert download.status_code == 400
    assert "结束日期不能早于开始日期" in download.content.decode()


def test_units_are_limited_to_the_report_scope(world) -> None:
    village = world.client("village_staff").get(URL)
    assert _options(village) == [world.village.code, world.grid.code, world.sibling_grid.code]
    street = world.client("street_staff").get(URL)
    assert world.street.code in _options(street) and world.grid.code in _options(street)
    assert world.other_village.code not in _options(street)
    # Another village's unit is refused with a message, and nothing of it is shown.
    response = world.client("village_staff").get(URL, {"unit": world.other_village.code})
    assert response.status_code == 200 and "data" not in response.context
    assert "单位不存在或不在您的管辖范围内" in response.content.decode()
    assert "西关社区" not in response.content.decode()
    assert (
        world.client("village_staff")
        .get(reverse("cases:figures_pdf", args=[world.other_village.code]), MARCH_QUERY)
        .status_code
        == 404
    )
    # Roles without cases.report are turned away.
    assert world.client("building_leader").get(URL).status_code == 403
    # A grid worker reads the own grid's figures, not the sibling grid's.
    gw = world.client("grid_worker")
    assert gw.get(URL, {"unit": world.grid.code, **MARCH_QUERY}).context["data"] is not None
    assert "data" not in gw.get(URL, {"unit": world.sibling_grid.code}).context
    assert world.client("sysadmin").get(URL).status_code == 403


def test_drill_down_to_a_building(world) -> None:
    build_march(world)
    client = world.client("village_staff")
    response = client.get(URL, {"unit": world.building.code, **MARCH_QUERY})
    data = response.context["data"]
    assert data["unit"]["code"] == world.building.code
    assert data["counts"]["received"] == 7  # A B C E F G K
    assert world.building.code in _options(response)  # the selector keeps the current unit
    crumbs = [u.code for u in response.context["ancestors"]]
    assert crumbs == [world.village.code, world.grid.code]  # the street is outside the scope


def test_downloads_carry_the_same_numbers(world) -> None:
    from openpyxl import load_workbook

    build_march(world)
    client = world.client("village_staff")
    xlsx = client.get(reverse("cases:figures_xlsx", args=[world.village.code]), MARCH_QUERY)
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    summary = load_workbook(io.BytesIO(xlsx.content))["汇总"]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r and r[0]}
    assert values["受理诉求"] == 12 and values["按时响应"] == 5
    pdf = client.get(reverse("cases:figures_pdf", args=[world.village.code]), MARCH_QUERY)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]


def test_page_queries_do_not_grow_with_children(world) -> None:
    client = world.client("village_staff")

    def count(n: int) -> int:
        for i in range(n):
            grid = make_unit("grid", f"G-page-{n}-{i}", f"页面网格{n}-{i}", world.village)
            with clock.travel(at(3, 10)):
                make_case(grid)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"unit": world.village.code, **MARCH_QUERY})
        assert response.status_code == 200
        return len(ctx)

    assert count(3) == count(30)


def test_period_boundary_on_the_page(world) -> None:
    with clock.travel(
        dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ):
        make_case(world.building)
    client = world.client("village_staff")
    march = client.get(URL, MARCH_QUERY).context["data"]
    april = client.get(
        URL, {"period": "custom", "date_from": "2026-04-01", "date_to": "2026-04-30"}
    ).context["data"]
    assert (march["counts"]["received"], april["counts"]["received"]) == (1, 0)
