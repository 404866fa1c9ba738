"""The battle map (挂图作战): each cell's state, levels, targets and the quota row, by scope;
a constant number of queries whatever the number of villages; the page, its export and the
API."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.core import clock
from lianxin.stars import workflow as wf
from lianxin.stars.models import Quota
from lianxin.stars.selectors import battlemap as sel
from lianxin.stars.tests import factories_plans as fp

pytestmark = pytest.mark.django_db

ALL = ("branch", "sharing", "ecology", "safety", "civility")


def scene(w: Any) -> dict[str, Any]:
    """迎秀社区 with one star in each state, two villages of the same street, 西关社区 in
    the other street, and the street's quota."""
    east0 = fp.village(w, "410883001200", "东0")
    east1 = fp.village(w, "410883001201", "东1")
    fp.levels(w.village, ["branch", "ecology"], year=2025)
    fp.award(w.village, "branch")
    fp.award(w.village, "sharing", withdrawn=True)
    fp.declaration(w.village, "ecology", wf.NOTICE)
    fp.declaration(w.village, "safety", wf.SUBMITTED)
    fp.declaration(w.village, "civility", wf.RETURNED)
    fp.plan(w, status="confirmed", targets=ALL)
    fp.plan(w, unit=east0, status="submitted", targets=("branch", "industry"))
    fp.declaration(east0, "industry", wf.DRAFT)
    fp.levels(east1, ["branch", "industry", "ecology"])
    fp.progress(east1)
    fp.award(w.other_village, "branch")
    for level, n in {5: 1, 4: 1, 3: 1}.items():
        Quota.objects.create(township=w.street, year=2026, level=level, count=n)
    Quota.objects.create(township=w.other_street, year=2026, level=5, count=1)
    return {"east0": east0, "east1": east1}


def _states(row: sel.Row) -> dict[str, str]:
    return {c.code: c.state.key for c in row.cells}


def test_cells_levels_and_targets(world) -> None:  # noqa: ANN001
    units = scene(world)
    with clock.travel(fp.at(12, 25)):
        data = sel.battle_map(world.actor("org_department"), year=2026)
    rows = {r.unit.display_name: r for r in data.rows}
    assert list(rows) == ["迎秀社区", "东0村", "东1村", "西关社区"]
    assert {c.code for c in data.columns} == {*ALL, "industry"}
    yingxiu = rows["迎秀社区"]
    assert _states(yingxiu) == {
        "branch": "awarded",
        "sharing": "planned",  # the award was withdrawn; the plan still targets it
        "ecology": "notice",
        "safety": "reviewing",
        "civility": "returned",
        "industry": "na",
    }
    assert (yingxiu.last_level, yingxiu.level, yingxiu.target_level) == (2, 1, 5)
    east0 = rows["东0村"]
    assert _states(east0) == {
        "branch": "planned",
        "industry": "planned",  # a draft declaration is not yet a declaration
        "ecology": "none",
        "safety": "none",
        "civility": "none",
        "sharing": "na",
    }
    assert east0.target_level == 2 and east0.plan is not None and east0.plan.status == "submitted"
    east1 = rows["东1村"]
    assert (east1.level, east1.target_level, east1.plan, east1.progress) == (3, None, None, True)
    assert east1.unit.pk == units["east1"].pk
    assert rows["西关社区"].level == 1
    street = next(b for b in data.blocks if b.township.pk == world.street.pk)
    tallies = {t.level: (t.quota, t.planned, t.achieved) for t in street.levels}
    assert tallies == {5: (1, 1, 0), 4: (1, 0, 0), 3: (1, 0, 1), 2: (0, 1, 0), 1: (0, 0, 1)}
    assert street.quota_visible and street.levels[1].short
    totals = {t.level: (t.quota, t.planned, t.achieved) for t in data.totals}
    assert totals[5] == (2, 1, 0) and totals[1] == (0, 0, 2)


def test_a_draft_plan_is_not_planned(world) -> None:  # noqa: ANN001
    fp.plan(world, targets=("branch",))
    row = sel.battle_map(world.actor("village_staff"), year=2026).rows[0]
    assert _states(row)["branch"] == "none" and row.target_level is None
    assert row.plan is not None and row.plan.status == "draft"


def test_each_reader_sees_their_scope(world) -> None:  # noqa: ANN001
    scene(world)
    street = sel.battle_map(world.actor("street_staff"), year=2026)
    assert [r.unit.display_name for r in street.rows] == ["迎秀社区", "东0村", "东1村"]
    assert [t.display_name for t in street.townships] == ["大定街道"]
    village = sel.battle_map(world.actor("village_staff"), year=2026)
    assert [r.unit.display_name for r in village.rows] == ["迎秀社区"]
    assert not village.quota_blocks  # a village does not see its township's quotas
    other = sel.battle_map(world.actor("other_street_staff"), year=2026)
    assert [r.unit.display_name for r in other.rows] == ["西关社区"]
    one = sel.battle_map(world.actor("org_department"), year=2026, township=world.street.code)
    assert len(one.rows) == 3 and one.township.pk == world.street.pk
    own = sel.battle_map(world.actor("village_staff"), year=2026, township=world.street.code)
    assert [r.unit.display_name for r in own.rows] == ["迎秀社区"]
    from django.http import Http404

    with pytest.raises(Http404):
        sel.battle_map(world.actor("street_staff"), year=2026, township=world.other_street.code)
    with pytest.raises(Http404):
        sel.battle_map(world.actor("street_staff"), year=2026, township="nope")


def _count(actor: Any) -> int:
    sel.battle_map(actor, year=2026)  # the catalogs exist from here on
    with CaptureQueriesContext(connection) as ctx:
        data = sel.battle_map(actor, year=2026)
    assert data.rows
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_villages(world) -> None:  # noqa: ANN001
    scene(world)
    actor = world.actor("org_department")
    few = _count(actor)
    for i in range(12):
        unit = fp.village(world, f"4108830022{i:02d}", f"西{i}", world.other_street)
        fp.award(unit, "branch")
        fp.declaration(unit, "ecology", wf.SUBMITTED)
    many = _count(world.actor("org_department"))
    assert many == few and few <= 12


def test_page_export_and_legend(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    scene(world)
    client = world.client("org_department")
    with clock.travel(fp.at(12, 25)):
        client.get(reverse("stars:battle_map"))  # catalogs of the year created once
        with django_assert_max_num_queries(22):
            page = client.get(reverse("stars:battle_map"), {"year": "2026"})
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("已授星", "公示中", "审核中", "已退回", "计划争创", "未计划"):
        assert label in html
    assert 'class="bm-c bm-notice" title="生态宜居星：公示中"' in html
    assert "名额完成情况" in html and "东1村" in html and "西关社区" in html
    village = world.client("village_staff").get(reverse("stars:battle_map"), {"year": "2026"})
    assert (
        "东1村" not in village.content.decode() and "名额完成情况" not in village.content.decode()
    )
    export = client.get(reverse("stars:battle_map_xlsx"), {"year": "2026"})
    assert export.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["乡镇（街道）", "村（社区）", "类型"]
    assert ["大定街道", "迎秀社区", "社区"] == values[1][:3] and "公示中" in values[1]
    assert len(values) == 5


def _api(w: Any, persona: str) -> tuple[Client, dict[str, str]]:
    from lianxin.accounts.services import api_token_issue

    raw = api_token_issue(user=w.users[persona], name="test", created_by=None)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_map_and_figures(world) -> None:  # noqa: ANN001
    scene(world)
    client, auth = _api(world, "street_staff")
    answer = client.get("/api/stars/map", {"year": 2026}, **auth)
    assert answer.status_code == 200
    body = answer.json()
    rows = {r["name"]: r for r in body["rows"]}
    assert set(rows) == {"迎秀社区", "东0村", "东1村"}
    assert rows["迎秀社区"]["cells"]["ecology"] == "notice"
    assert rows["迎秀社区"]["target_level"] == 5 and rows["迎秀社区"]["last_level"] == 2
    town = body["townships"][0]
    assert town["code"] == world.street.code and town["levels"][0] == {
        "level": 5,
        "quota": 1,
        "planned": 1,
        "achieved": 0,
    }
    outside = client.get(
        "/api/stars/map", {"year": 2026, "township": world.other_street.code}, **auth
    )
    assert outside.status_code == 404
    figures = client.get("/api/stars/figures", {"year": 2026}, **auth).json()
    assert figures["unit"] == world.street.code and figures["branches"] == 3
    assert figures["share_3plus"] == "0.3333"
    away = client.get(
        "/api/stars/figures", {"year": 2026, "unit": world.other_village.code}, **auth
    )
    assert away.status_code == 404
    assert Client().get("/api/stars/map").status_code == 401
