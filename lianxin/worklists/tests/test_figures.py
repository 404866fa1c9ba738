"""`worklists.figures.unit_figures`: inspections per quarter, rectifications issued / open /
overdue / verified, key-work items per month, folded per child unit, in four queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianxin.core import clock
from lianxin.stars.models import TaskForce
from lianxin.worklists.figures import unit_figures
from lianxin.worklists.services import inspections as ins
from lianxin.worklists.services import keywork as kw
from lianxin.worklists.tests import scope_inspections as f
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = pytest.mark.django_db
MARCH = timezone.make_aware(dt.datetime(2026, 3, 20, 10, 0))
APRIL = timezone.make_aware(dt.datetime(2026, 4, 25, 10, 0))


@pytest.fixture
def data(world):  # noqa: ANN001, ANN201
    street, village = world.actor("street_staff"), world.actor("village_staff")
    tf = TaskForce.objects.create(county=world.county, name="支部过硬星专班")
    with clock.travel(MARCH):
        a = f.notice(world)  # deadline 2026-04-19
        b = f.notice(world, quarter="2025Q4")
        ins.rectification_report(actor=village, rectification=b, note="已整改")
        ins.rectification_verify(actor=street, rectification=b)
        f.inspection(
            world, unit=world.other_village, persona="org_department", problems=(), notice=False
        )
        items = [kf.add(world, f"事项{i}") for i in range(3)]
        kw.keywork_done(actor=village, item=items[0], result="完成")
        kf.add(world, "街道事项", owner=kw.KeyList(unit=world.street), persona="street_staff")
        kf.add(
            world,
            "专班事项",
            owner=kw.KeyList(unit=world.county, task_force=tf),
            persona="org_department",
        )
    with clock.travel(APRIL):
        kf.add(world, "四月事项")
    return a


def test_county_figures_with_children(world, data, django_assert_num_queries) -> None:  # noqa: ANN001
    with clock.travel(APRIL), django_assert_num_queries(4):
        fig = unit_figures(world.county, 2026)
    assert fig["year"] == 2026
    assert fig["inspections"] == {
        "total": 2,
        "manual_complete": 0,
        "with_problems": 1,
        "by_quarter": {"2026Q1": 2, "2026Q2": 0, "2026Q3": 0, "2026Q4": 0},
    }
    # 2025Q4's notice belongs to 2025: this year's is the one of 2026Q1, overdue in April.
    assert fig["rectifications"] == {
        "issued": 1,
        "open": 1,
        "reported": 0,
        "overdue": 1,
        "verified": 0,
    }
    keywork = fig["keywork"]
    assert (keywork["month"], keywork["open"], keywork["done"]) == ("2026-04", 1, 0)
    assert keywork["by_month"] == {
        "2026-03": {"open": 4, "done": 1, "dropped": 0},
        "2026-04": {"open": 1, "done": 0, "dropped": 0},
    }
    children = {c["name"]: c for c in fig["children"]}
    assert set(children) == {"大定街道", "会昌街道"}
    dading = children["大定街道"]
    assert dading["code"] == world.street.code and dading["kind"] == "township"
    assert dading["rectifications"]["overdue"] == 1
    assert dading["keywork"]["by_month"]["2026-03"] == {"open": 3, "done": 1, "dropped": 0}
    huichang = children["会昌街道"]
    assert huichang["inspections"]["total"] == 1 and huichang["rectifications"]["issued"] == 0
    assert huichang["keywork"]["by_month"] == {}


def test_township_and_past_year(world, data) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        fig = unit_figures(world.street, 2026)
        assert fig["keywork"]["month"] == "2026-03"
        assert (fig["keywork"]["open"], fig["keywork"]["done"]) == (3, 1)
        assert fig["rectifications"]["overdue"] == 0
        village = fig["children"][0]
        assert village["name"] == "迎秀社区" and village["inspections"]["total"] == 1
        old = unit_figures(world.street, 2025)
    assert old["keywork"]["month"] == "2025-12"
    assert old["inspections"]["by_quarter"]["2025Q4"] == 1
    assert old["rectifications"]["verified"] == 1 and old["rectifications"]["open"] == 0
