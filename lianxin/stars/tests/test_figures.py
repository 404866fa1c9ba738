"""Five-star figures (`stars.figures.unit_figures`) against hand counts, their query budget,
the figures page and its Excel export."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core import clock
from lianxin.stars import workflow as wf
from lianxin.stars.figures import unit_figures
from lianxin.stars.tests import factories_plans as fp
from lianxin.stars.tests.test_battlemap import scene

pytestmark = pytest.mark.django_db


def contests(w, units) -> None:  # noqa: ANN001
    fp.contest_entry(w.street, units["east1"], rank=1, score="92.00")
    fp.contest_entry(w.street, w.village, rank=2, score="88.50")
    fp.contest_entry(w.county, units["east1"], rank=1, score="95.00", final=True)
    fp.contest_entry(w.street, units["east0"], round_="measures", rank=1, score="80.00")


def _levels(data: dict) -> dict[int, tuple[int, int, int]]:
    return {r["level"]: (r["achieved"], r["planned"], r["quota"]) for r in data["levels"]}


def test_county_figures_match_hand_counts(world) -> None:  # noqa: ANN001
    units = scene(world)
    contests(world, units)
    data = unit_figures(world.county, 2026)
    # 迎秀社区 1 star (its second was withdrawn), 东0村 0, 东1村 3, 西关社区 1.
    assert data["unit"] == "410883" and data["branches"] == 4
    assert data["share_3plus"] == Decimal("0.2500")
    assert _levels(data) == {
        5: (0, 1, 2),
        4: (0, 0, 1),
        3: (1, 0, 1),
        2: (0, 1, 0),
        1: (2, 0, 0),
        0: (1, 0, 0),
    }
    stars = data["by_star"]
    assert list(stars)[0] == "branch" and stars["branch"]["name"] == "支部过硬星"
    assert {c: (s["awarded"], s["planned"]) for c, s in stars.items()} == {
        "branch": (3, 2),
        "sharing": (0, 1),
        "industry": (1, 1),
        "ecology": (1, 1),
        "safety": (0, 1),
        "civility": (0, 1),
    }
    assert data["plans"] == {"draft": 0, "submitted": 1, "confirmed": 1}
    by_status = data["declarations"]["by_status"]
    assert data["declarations"]["total"] == 4
    assert {k: v for k, v in by_status.items() if v} == {
        wf.DRAFT: 1,
        wf.SUBMITTED: 1,
        wf.RETURNED: 1,
        wf.NOTICE: 1,
    }
    assert data["progress"] == {"count": 1, "amount": Decimal("50000.00")}
    ideas = data["contests"]["ideas"]
    assert [(e["name"], e["is_final"], e["rank"]) for e in ideas] == [
        ("东1村", True, 1),
        ("东1村", False, 1),
        ("迎秀社区", False, 2),
    ]
    assert ideas[2]["average_score"] == Decimal("88.50")
    assert [e["name"] for e in data["contests"]["measures"]] == ["东0村"]
    assert data["contests"]["results"] == []
    children = {c["name"]: c for c in data["children"]}
    assert list(children) == ["大定街道", "会昌街道"]
    street, other = children["大定街道"], children["会昌街道"]
    assert (street["branches"], street["share_3plus"]) == (3, Decimal("0.3333"))
    assert _levels(street)[5] == (0, 1, 1) and _levels(street)[2] == (0, 1, 0)
    assert (other["branches"], other["share_3plus"]) == (1, Decimal("0.0000"))
    assert _levels(other)[5] == (0, 0, 1) and _levels(other)[1] == (1, 0, 0)
    assert "contests" not in street and "children" not in street


def test_township_and_village_figures(world) -> None:  # noqa: ANN001
    scene(world)
    street = unit_figures(world.street, 2026)
    assert street["branches"] == 3 and street["progress"]["count"] == 1
    assert [c["name"] for c in street["children"]] == ["迎秀社区", "东0村", "东1村"]
    assert [c["branches"] for c in street["children"]] == [1, 1, 1]
    village = unit_figures(world.village, 2026)
    assert village["branches"] == 1 and "children" not in village
    assert _levels(village)[1] == (1, 0, 0) and _levels(village)[5] == (0, 1, 0)
    last_year = unit_figures(world.village, 2025)
    assert _levels(last_year)[2] == (1, 0, 0) and last_year["plans"]["confirmed"] == 0
    empty = unit_figures(world.county, 2024)
    assert empty["branches"] == 4 and empty["share_3plus"] == Decimal("0.0000")


def test_figures_take_a_constant_number_of_queries(world) -> None:  # noqa: ANN001
    units = scene(world)
    contests(world, units)
    with CaptureQueriesContext(connection) as few:
        unit_figures(world.county, 2026)
    for i in range(10):
        unit = fp.village(world, f"4108830022{i:02d}", f"西{i}", world.other_street)
        fp.award(unit, "branch")
        fp.contest_entry(world.other_street, unit, rank=i + 1)
    with CaptureQueriesContext(connection) as many:
        data = unit_figures(world.county, 2026)
    assert len(many.captured_queries) == len(few.captured_queries) <= 10
    assert data["branches"] == 14 and data["by_star"]["branch"]["awarded"] == 13
    assert len(data["contests"]["ideas"]) == 5  # the top five only


def test_figures_page_and_export(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    scene(world)
    county = world.client("org_department")
    with clock.travel(fp.at(12, 25)), django_assert_max_num_queries(18):
        page = county.get(reverse("stars:figures"), {"year": "2026"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "孟州市" in html and "大定街道" in html and "会昌街道" in html
    assert "25.00%" in html  # ≥ 3 stars: 1 of 4
    export = county.get(reverse("stars:figures_xlsx", args=["410883"]), {"year": "2026"})
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0][:3] == ["单位", "村（社区）支部", "三星以上占比"]
    assert [r[0] for r in rows[1:]] == ["大定街道", "会昌街道", "孟州市（合计）"]
    assert rows[3][1] == 4 and rows[3][2] == 0.25
    village = world.client("village_staff").get(reverse("stars:figures"), {"year": "2026"})
    assert "迎秀社区" in village.content.decode() and "会昌街道" not in village.content.decode()
    away = world.client("village_staff").get(
        reverse("stars:figures"), {"unit": world.street.code, "year": "2026"}
    )
    assert away.status_code == 404
    outside = world.client("other_street_staff").get(
        reverse("stars:figures_xlsx", args=[world.street.code])
    )
    assert outside.status_code == 404
