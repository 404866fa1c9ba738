"""Figures of a unit and period on a constructed set of requests with hand-computed numbers.

March 2026 in 迎秀社区 (the world's village): twelve requests received in the month under the
village (A–K, O), three outside it by time (L, M) or by place (N), built through the real
services at fixed times (Asia/Shanghai). Expected numbers are counted by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianxin.cases.figures import children_figures, format_rate, period_bounds, unit_figures
from lianxin.cases.models import Case, CaseSettings, Mediation, Whistle
from lianxin.cases.services import intake, lifecycle, whistles
from lianxin.cases.tests.factories import category, make_case
from lianxin.cases.workflow import Channel, Kind, Level, Satisfaction
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=SH)


def submit_at(when: dt.datetime, unit: Any, **kw: Any) -> Case:
    with clock.travel(when):
        return make_case(unit, **kw)


def file_at(when: dt.datetime, world: Any, persona: str, unit: Any, **kw: Any) -> Case:
    kw.setdefault("description", "楼下邻居因为停车位的事情发生争吵，需要调解")
    with clock.travel(when):
        return intake.case_file(actor=world.actor(persona), unit=unit, **kw).case


def assign(world: Any, case: Case, when: dt.datetime, *, sibling: bool = False) -> None:
    grid, worker = (
        (world.sibling_grid, "sibling_grid_worker") if sibling else (world.grid, "grid_worker")
    )
    with clock.travel(when):
        lifecycle.case_assign(
            case=case,
            actor=world.actor("village_staff"),
            handler_unit=grid,
            assignee_id=world.users[worker].pk,
        )


def take_and_resolve(world: Any, case: Case, when: dt.datetime, *, sibling: bool = False) -> None:
    worker = world.actor("sibling_grid_worker" if sibling else "grid_worker")
    with clock.travel(when):
        lifecycle.case_take(case=case, actor=worker)
        lifecycle.case_resolve(case=case, actor=worker, result="已处理完毕，现场已恢复正常")


def build_march(world: Any) -> dict[str, Case]:
    staff = world.actor("village_staff")
    c: dict[str, Case] = {}
    # A: QR, lighting; accepted and resolved in time; 满意; closed.
    c["A"] = submit_at(at(3, 2), world.building, code="lighting")
    with clock.travel(at(3, 2, 10, 30)):
        lifecycle.case_accept(case=c["A"], actor=staff)
    assign(world, c["A"], at(3, 2, 11))
    take_and_resolve(world, c["A"], at(3, 3))
    with clock.travel(at(3, 4)):
        lifecycle.case_follow_up(case=c["A"], actor=staff, satisfaction=Satisfaction.SATISFIED)
        lifecycle.case_close(case=c["A"], actor=staff)
    # B: QR, drains (2 h response, 24 h resolution); in time; the resident rates 基本满意.
    c["B"] = submit_at(at(3, 2), world.building, code="drains")
    assign(world, c["B"], at(3, 2, 11))
    take_and_resolve(world, c["B"], at(3, 3))
    with clock.travel(at(3, 3, 12)):
        lifecycle.case_rate_by_resident(case=c["B"], satisfaction=Satisfaction.BASIC)
    # C: QR, pets; accepted two days late; resolved, then 不满意 reopens it.
    c["C"] = submit_at(at(3, 3), world.building, code="pets")
    with clock.travel(at(3, 5)):
        lifecycle.case_accept(case=c["C"], actor=staff)
    assign(world, c["C"], at(3, 5, 10, 30))
    take_and_resolve(world, c["C"], at(3, 6))
    with clock.travel(at(3, 6, 15)):
        lifecycle.case_follow_up(
            case=c["C"],
            actor=staff,
            satisfaction=Satisfaction.UNSATISFIED,
            comment="狗还是在楼道里",
        )
    # D: phone, noise, filed by staff at the sibling building; returned twice; supervised.
    c["D"] = file_at(
        at(3, 10),
        world,
        "village_staff",
        world.sibling_building,
        channel=Channel.PHONE,
        category=category("noise"),
        level=Level.SMALL,
        description="楼上装修噪音很大，晚上十点还在施工",
    )
    sibling = world.actor("sibling_grid_worker")
    for minute in (30, 50):
        assign(world, c["D"], at(3, 10, 10, minute), sibling=True)
        with clock.travel(at(3, 10, 11, minute)):
            lifecycle.case_return(case=c["D"], actor=sibling, reason="不属于本网格")
    with clock.travel(at(3, 10, 14)):
        lifecycle.case_supervise(case=c["D"], actor=staff, reason="两次退单")
    # E: QR without category; guided as 私事.
    c["E"] = submit_at(at(3, 11), world.building, code=None)
    with clock.travel(at(3, 11, 10, 30)):
        lifecycle.case_guide(case=c["E"], actor=staff, guidance="家中水管属自家维修，推荐维修服务")
    # F: QR suggestion; rejected.
    c["F"] = submit_at(at(3, 12), world.building, code="suggestion")
    with clock.travel(at(3, 12, 10, 30)):
        lifecycle.case_reject(case=c["F"], actor=staff, reason="不属于受理范围")
    # G: QR lighting; merged into D.
    c["G"] = submit_at(at(3, 12, 11), world.building, code="lighting")
    with clock.travel(at(3, 12, 11, 30)):
        c["D"].refresh_from_db()
        lifecycle.case_merge(case=c["G"], into=c["D"], actor=staff)
    # H: patrol finding at the sibling building; whistled, closed as coordinated.
    c["H"] = file_at(
        at(3, 13),
        world,
        "sibling_grid_worker",
        world.sibling_building,
        channel=Channel.PATROL,
        description="巡查发现小区东门消防通道被车辆堵塞",
    )
    with clock.travel(at(3, 13, 11)):
        w = whistles.whistle_raise(case=c["H"], actor=staff, reason="需要交警和物业共同处理")
    with clock.travel(at(3, 14)):
        whistles.whistle_close(
            whistle=w, actor=world.actor("street_staff"), outcome="coordinated", note="已协调"
        )
    # I: mediation at the village itself, received at the first instant of the period.
    c["I"] = file_at(
        at(3, 1, 0, 0, 0),
        world,
        "village_staff",
        world.village,
        channel=Channel.WALK_IN,
        kind=Kind.MEDIATION,
    )
    Mediation.objects.create(case=c["I"], dispute_kind="邻里纠纷", agreement_reached=True)
    # J: errand at the village itself, received at the last second of the period.
    c["J"] = file_at(
        at(3, 31, 23, 59, 59),
        world,
        "village_staff",
        world.village,
        channel=Channel.VISIT,
        kind=Kind.ERRAND,
        description="为独居老人上门办理养老金资格认证",
    )
    # K: mediation at the building (a dispute category); no agreement.
    c["K"] = file_at(
        at(3, 20),
        world,
        "village_staff",
        world.building,
        channel=Channel.WALK_IN,
        kind=Kind.MEDIATION,
        category=category("neighbour_dispute"),
    )
    Mediation.objects.create(case=c["K"], dispute_kind="邻里纠纷", agreement_reached=False)
    # O: QR lighting at the sibling building; resolved after its 7 working days.
    c["O"] = submit_at(at(3, 16), world.sibling_building, code="lighting")
    assign(world, c["O"], at(3, 16, 10, 30), sibling=True)
    take_and_resolve(world, c["O"], at(3, 31), sibling=True)
    # Outside: L the last second of February (its whistle on 3/5 counts: whistles are
    # counted by the day they are raised), M the first instant of April, N another village.
    c["L"] = submit_at(at(2, 28, 23, 59, 59), world.building)
    with clock.travel(at(3, 5)):
        whistles.whistle_raise(case=c["L"], actor=staff, reason="村里解决不了")
    c["M"] = submit_at(at(4, 1, 0, 0, 0), world.building)
    c["N"] = submit_at(at(3, 15), world.other_village)
    with clock.travel(at(3, 15, 11)):
        whistles.whistle_raise(
            case=c["N"], actor=world.actor("other_village_staff"), reason="另一个社区"
        )
    return c


EXPECTED_COUNTS = {
    "received": 12,  # A B C D E F G H I J K O
    "responded": 6,  # A B C D E O
    "responded_in_time": 5,  # all but C
    "resolved": 3,  # A (closed) B O; C was reopened
    "resolved_in_time": 2,  # A B
    "overdue": 1,  # O resolved late
    "returned": 1,  # D
    "returns": 2,
    "reopened": 1,  # C
    "reopens": 1,
    "supervised": 1,  # D
    "guided": 1,  # E
    "rejected": 1,  # F
    "merged": 1,  # G
    "whistles": 2,  # H's and L's (N's is in another village)
    "whistles_closed": 0,
    "whistles_coordinated": 1,
    "whistles_unresolved": 0,
    "whistles_open": 1,
    "mediations": 2,  # I K
    "mediations_concluded": 2,
    "mediations_succeeded": 1,
    "errands": 1,  # J
    "patrol_findings": 1,  # H
    "follow_ups": 3,  # A 满意, B 基本满意, C 不满意
    "contacted": 2,  # A B (C was answered late)
    "solved": 2,  # A B
    "satisfied": 1,
    "basic_satisfied": 1,
    "unsatisfied": 1,
}


def test_figures_of_a_village_for_march(world) -> None:
    build_march(world)
    fig = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert fig.counts == EXPECTED_COUNTS
    assert fig.rates == {
        "response_rate": Decimal("0.6667"),  # 2/3
        "resolution_rate": Decimal("0.6667"),  # 2/3
        "satisfaction_rate": Decimal("0.6333"),  # (1 + 0.9 × 1) / 3
        "composite_score": Decimal("0.6533"),  # 0.1 × 2/3 + 0.5 × 2/3 + 0.4 × 1.9/3
        "responded_in_time_rate": Decimal("0.8333"),  # 5/6
        "resolved_in_time_rate": Decimal("0.6667"),  # 2/3
        "mediation_success_rate": Decimal("0.5000"),  # 1/2
    }
    data = fig.as_dict()
    channels = {s["code"]: s["count"] for s in data["by_channel"]}
    assert channels == {
        "qr": 7,  # A B C E F G O
        "column": 0,
        "phone": 1,  # D
        "walk_in": 2,  # I K
        "visit": 1,  # J
        "patrol": 1,  # H
        "rider": 0,
        "building_leader": 0,
        "api": 0,
        "open311": 0,
    }
    levels = {s["code"]: s["count"] for s in data["by_level"]}
    assert levels == {"big": 0, "small": 5, "private": 1, "unset": 6}
    cats = {s["code"]: s["count"] for s in data["by_category"] if s["count"]}
    assert cats == {"facilities": 4, "environment": 2, "disputes": 1, "other": 1, "none": 4}
    assert sum(s["count"] for s in data["by_category"]) == 12
    names = {s["code"]: s["name"] for s in data["by_category"]}
    assert names["environment"] == "市容环境" and names["none"] == "未分类"


def test_child_breakdown_adds_up_and_places_rows(world) -> None:
    build_march(world)
    fig = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    rows = {(r.unit.code, r.is_self): r for r in fig.children}
    assert set(rows) == {
        (world.grid.code, False),
        (world.sibling_grid.code, False),
        (world.village.code, True),
    }
    grid, sibling, own = (
        rows[(world.grid.code, False)],
        rows[(world.sibling_grid.code, False)],
        rows[(world.village.code, True)],
    )
    assert (grid.counts["received"], sibling.counts["received"], own.counts["received"]) == (
        7,  # A B C E F G K
        3,  # D H O
        2,  # I J
    )
    assert (grid.counts["whistles"], sibling.counts["whistles"]) == (1, 1)  # L, H
    assert grid.counts["resolved"] == 2 and sibling.counts["overdue"] == 1
    assert grid.rates["satisfaction_rate"] == Decimal("0.6333")
    assert sibling.rates["satisfaction_rate"] is None  # no follow-up there
    for key, total in fig.counts.items():
        assert sum(r.counts[key] for r in fig.children) == total, key
    # One level up the street shows the village as its only child with the same numbers.
    street = unit_figures(unit=world.street, date_from=MARCH[0], date_to=MARCH[1])
    assert street.counts == EXPECTED_COUNTS
    assert [(r.unit.code, r.counts["received"]) for r in street.children] == [
        (world.village.code, 12)
    ]


def test_a_grid_sees_only_its_subtree(world) -> None:
    build_march(world)
    fig = unit_figures(unit=world.sibling_grid, date_from=MARCH[0], date_to=MARCH[1])
    assert fig.counts["received"] == 3
    assert fig.counts["returns"] == 2 and fig.counts["patrol_findings"] == 1
    assert fig.counts["whistles"] == 1 and fig.counts["whistles_coordinated"] == 1
    assert [r.unit.code for r in fig.children] == [world.sibling_building.code]
    other = unit_figures(unit=world.other_village, date_from=MARCH[0], date_to=MARCH[1])
    assert other.counts["received"] == 1 and other.counts["whistles_open"] == 1


def test_period_boundaries_are_local_days(world) -> None:
    build_march(world)
    first = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[0])
    assert first.counts["received"] == 1  # I at 00:00:00 on 1 March
    last = unit_figures(unit=world.village, date_from=MARCH[1], date_to=MARCH[1])
    assert last.counts["received"] == 1  # J at 23:59:59 on 31 March
    feb = unit_figures(
        unit=world.village, date_from=dt.date(2026, 2, 28), date_to=dt.date(2026, 2, 28)
    )
    assert feb.counts["received"] == 1  # L
    april = unit_figures(
        unit=world.village, date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 4, 1)
    )
    assert april.counts["received"] == 1  # M
    start, end = period_bounds(*MARCH)
    assert start == at(3, 1, 0, 0, 0) and end == at(4, 1, 0, 0, 0)
    assert start.utcoffset() == dt.timedelta(hours=8)


def test_bad_period_is_refused(world) -> None:
    with pytest.raises(DomainError, match="开始日期不能晚于结束日期"):
        unit_figures(unit=world.village, date_from=MARCH[1], date_to=MARCH[0])


def test_weights_come_from_the_settings(world) -> None:
    build_march(world)
    CaseSettings.objects.all().delete()
    CaseSettings.objects.create(
        basic_satisfied_weight=Decimal("0.8"),
        weight_response=Decimal("0.2"),
        weight_resolution=Decimal("0.4"),
        weight_satisfaction=Decimal("0.4"),
    )
    fig = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert fig.rates["satisfaction_rate"] == Decimal("0.6000")  # (1 + 0.8) / 3
    # 0.2 × 2/3 + 0.4 × 2/3 + 0.4 × 1.8/3 = (0.4 + 0.8 + 0.72) / 3 = 0.64
    assert fig.rates["composite_score"] == Decimal("0.6400")
    assert fig.as_dict()["weights"] == {
        "basic_satisfied": "0.80",
        "response": "0.20",
        "resolution": "0.40",
        "satisfaction": "0.40",
    }


def test_empty_period_has_no_rates(world) -> None:
    fig = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert fig.counts["received"] == 0
    assert all(v is None for v in fig.rates.values())
    data = fig.as_dict()
    assert data["rates"]["satisfaction_rate"] is None
    assert format_rate(data["rates"]["satisfaction_rate"]) == "—"
    assert format_rate("0.6533") == "65.33%"
    # Children are listed even without requests.
    assert {r["code"] for r in data["children"]} == {world.grid.code, world.sibling_grid.code}


def _selects(ctx: CaptureQueriesContext) -> int:
    """Reads only: PostgreSQL adds a savepoint and `SET LOCAL jit = off` around them."""
    return sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT"))


def _grids_with_cases(world: Any, n: int) -> None:
    for i in range(n):
        grid = make_unit("grid", f"G-extra-{n}-{i}", f"加密网格{n}-{i}", world.village)
        with clock.travel(at(3, 9)):
            make_case(grid)


def test_query_count_does_not_grow_with_children(world) -> None:
    _grids_with_cases(world, 3)
    with CaptureQueriesContext(connection) as few:
        small = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    _grids_with_cases(world, 30)
    with CaptureQueriesContext(connection) as many:
        big = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert (small.counts["received"], big.counts["received"]) == (3, 33)
    assert len(big.children) == len(small.children) + 30
    assert len(many) == len(few)
    # Categories, children, requests (with mediations), whistles — and the settings row
    # unless its per-process snapshot is already loaded.
    assert _selects(many) == _selects(few) <= 5


def test_children_figures_batch_matches_unit_figures(world) -> None:
    build_march(world)
    batch = children_figures(parent=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert [f.unit.code for f in batch] == [world.grid.code, world.sibling_grid.code]
    for fig in batch:
        unit = world.grid if fig.unit.code == world.grid.code else world.sibling_grid
        single = unit_figures(unit=unit, date_from=MARCH[0], date_to=MARCH[1])
        assert fig.as_dict() == single.as_dict()
    # Constant queries whatever the number of children.
    with CaptureQueriesContext(connection) as few:
        children_figures(parent=world.village, date_from=MARCH[0], date_to=MARCH[1])
    _grids_with_cases(world, 5)
    with CaptureQueriesContext(connection) as ctx:
        more = children_figures(parent=world.village, date_from=MARCH[0], date_to=MARCH[1])
    assert len(more) == 7 and _selects(ctx) == _selects(few) <= 5


def test_whistle_outcomes_match_the_seed_shape(world) -> None:
    """83 whistles, 73 closed, 10 coordinated (seeds): the outcomes add up per unit."""
    cases = []
    for i in range(5):
        with clock.travel(at(3, 2 + i)):
            case = make_case(world.building)
            cases.append(case)
            whistles.whistle_raise(case=case, actor=world.actor("village_staff"), reason="上报")
    street = world.actor("street_staff")
    for whistle, outcome in zip(
        Whistle.objects.order_by("raised_at"),
        ["closed", "closed", "closed", "coordinated", "unresolved"],
        strict=True,
    ):
        whistles.whistle_close(whistle=whistle, actor=street, outcome=outcome, note="结果")
    fig = unit_figures(unit=world.street, date_from=MARCH[0], date_to=MARCH[1])
    got = {k: v for k, v in fig.counts.items() if k.startswith("whistles")}
    assert got == {
        "whistles": 5,
        "whistles_closed": 3,
        "whistles_coordinated": 1,
        "whistles_unresolved": 1,
        "whistles_open": 0,
    }
