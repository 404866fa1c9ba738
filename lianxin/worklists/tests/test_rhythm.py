"""周通报 and 月调度 on a small fixture: every figure of the week and the month, per township
and in total, the scope of the units offered, and constant query counts."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess  # noqa: S404
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.core import clock
from lianxin.core.testing import make_unit
from lianxin.stars.models import CreationPlan, PlanMeasure, PlanMilestone, Quota, TaskForce
from lianxin.worklists.selectors import rhythm as sel
from lianxin.worklists.services import projects as psvc
from lianxin.worklists.tests import scope_projects as sp
from lianxin.worklists.tests import scope_rhythm as sr

pytestmark = pytest.mark.django_db
# Wednesday of ISO week 2026-W24 (8–14 June).
TODAY = dt.date(2026, 6, 10)
MON = dt.date(2026, 6, 8)
LAST_WEEK = dt.date(2026, 6, 3)
NEXT_WEEK = dt.date(2026, 6, 16)
BULLETIN = reverse("worklists:bulletin")
SCHEDULE = reverse("worklists:schedule")


@pytest.fixture
def now():  # noqa: ANN201
    with clock.travel(sr.at(TODAY)):
        yield TODAY


def _week(w) -> None:  # noqa: ANN001
    """The week's events: some in 大定街道 (迎秀社区), some in 会昌街道 (西关社区), some at the
    county, and some just outside the week."""
    sr.declaration_moves(w.village, MON, "submitted", "township_passed")
    sr.declaration_moves(w.other_village, TODAY, "submitted")
    sr.declaration_moves(w.other_village, LAST_WEEK, "submitted", "cancelled")
    sr.notice(w.street, TODAY, "大定街道2026年度创建公示")
    sr.notice(w.other_street, NEXT_WEEK)
    sr.award(w.village, TODAY, "branch")
    sr.award(w.village, TODAY, "industry")
    sr.award(w.village, TODAY, "", kind="progress")
    sr.award(w.other_village, LAST_WEEK, "ecology", withdrawn_on=TODAY)
    month = "2026-06"
    sr.keywork(w.street, month, "街道事项一", added=MON)
    sr.keywork(w.street, month, "街道事项二", added=LAST_WEEK, done=TODAY)
    sr.keywork(w.county, month, "市级事项", added=TODAY)
    sr.keywork(w.village, month, "社区事项", added=LAST_WEEK)
    sr.rectification(w.village, issued=MON, deadline=dt.date(2026, 6, 30))
    sr.rectification(w.other_village, issued=dt.date(2026, 5, 20), deadline=dt.date(2026, 6, 5))
    sr.rectification(
        w.village, issued=dt.date(2026, 3, 20), deadline=dt.date(2026, 6, 1), verified=TODAY
    )
    sr.contest(w.street, TODAY)
    sr.contest(w.county, NEXT_WEEK, "市级决赛", final=True)
    lib = sp.supply(w, funds="500000")
    done = sp.matched(w, lib=lib, name="迎秀项目", amount="100000")
    village = w.actor("village_staff")
    done = psvc.demand_start(actor=village, project=done)
    psvc.demand_finish(actor=village, project=done)
    sp.matched(w, lib=lib, name="西关项目", unit=w.other_village, by="org_department")


def test_bulletin_numbers(world, now, django_assert_max_num_queries) -> None:  # noqa: ANN001
    _week(world)
    client = world.client("org_department")
    with django_assert_max_num_queries(20):
        page = client.get(BULLETIN, {"week": "2026-W24"})
    report = page.context["report"]
    assert report.period.start == MON and report.as_of == TODAY
    rows = {r.name: dict(r.figures) for r in report.buckets.rows}
    assert rows["大定街道"] == {
        "moves": 2,
        "awarded": 2,
        "kw_added": 1,
        "kw_done": 1,
        "rect_issued": 1,
        "rect_verified": 1,
        "matched": 1,
        "finished": 1,
        "contests": 1,
    }
    assert rows["会昌街道"] == {"moves": 1, "withdrawn": 1, "rect_overdue": 1, "matched": 1}
    assert rows["孟州市本级"] == {"kw_added": 1}
    total = report.buckets.total.figures
    assert (total["moves"], total["awarded"], total["kw_added"], total["matched"]) == (3, 2, 2, 2)
    assert report.progress_awarded == 1
    assert report.moves == [("待乡镇初审", 2), ("待专班审核", 1)]
    assert [n.title for n in report.notices] == ["大定街道2026年度创建公示"]
    assert [c.title for c in report.contests] == [sr.MARK]
    assert [r.inspection.unit for r in report.overdue] == [world.other_village]
    assert report.overdue[0].days_overdue == 5
    html = page.content.decode()
    assert "2026年第24周" in html and "@media print" in html


def test_bulletin_of_a_township_and_constant_queries(
    world,
    now,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    _week(world)
    client = world.client("street_staff")
    with django_assert_max_num_queries(20) as first:
        page = client.get(BULLETIN, {"week": "2026-W24"})
    report = page.context["report"]
    assert report.unit == world.street
    assert [r.name for r in report.buckets.rows] == ["迎秀社区", "大定街道本级"]
    assert report.buckets.total.figures["moves"] == 2
    assert report.buckets.total.figures["rect_overdue"] == 0
    # Twenty more villages with events: the same number of queries.
    for i in range(20):
        v = make_unit(
            "village",
            f"{world.street.code}{300 + i}",
            f"新村{i}",
            world.street,
            display_name=f"新村{i}",
        )
        sr.declaration_moves(v, TODAY, "submitted")
        sr.keywork(v, "2026-06", f"新村事项{i}", added=TODAY)
        sr.rectification(v, issued=MON, deadline=dt.date(2026, 6, 9))
    with django_assert_max_num_queries(len(first.captured_queries)):
        again = client.get(BULLETIN, {"week": "2026-W24"})
    assert again.context["report"].buckets.total.figures["moves"] == 22
    assert again.context["report"].buckets.total.figures["rect_overdue"] == 20


def test_week_and_month_parsing() -> None:
    assert sel.week_of("2026-W01").start == dt.date(2025, 12, 29)
    assert sel.week_of("2026-W24", TODAY).prev_key == "2026-W23"
    assert sel.week_of("garbage", TODAY).key == "2026-W24"
    assert sel.week_of("2026-W60", TODAY).key == "2026-W24"
    m = sel.month_of("2026-02", TODAY)
    assert (m.start, m.end, m.prev_key, m.next_key) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        "2026-01",
        "2026-03",
    )
    assert sel.month_of("2026-13", TODAY).key == "2026-06"
    assert sel.month_of("", TODAY).label == "2026年6月"


def test_units_offered_and_refused(world, now) -> None:  # noqa: ANN001
    street = world.client("street_staff")
    assert [u.display_name for u in street.get(BULLETIN).context["units"]] == ["大定街道"]
    assert street.get(BULLETIN, {"unit": world.other_street.code}).status_code == 404
    assert street.get(SCHEDULE, {"unit": world.county.code}).status_code == 404
    county = world.client("org_department").get(SCHEDULE).context["units"]
    assert [u.display_name for u in county] == ["孟州市", "大定街道", "会昌街道"]
    # A village post reads its own village.
    village = world.client("village_staff").get(BULLETIN)
    assert village.status_code == 200 and village.context["report"].unit == world.village


def _month(w) -> None:  # noqa: ANN001
    month = "2026-06"
    force = TaskForce.objects.create(county=w.county, name="产业兴旺星专班")
    sr.keywork(w.county, month, "召开创建推进会")
    sr.keywork(w.county, month, "专班督导", task_force=force, done=dt.date(2026, 6, 5))
    sr.keywork(w.street, month, "迎秀社区创五星", due=dt.date(2026, 6, 9))
    sr.keywork(w.street, month, "整治背街小巷", done=dt.date(2026, 6, 2))
    sr.keywork(w.village, month, "社区事项一", done=dt.date(2026, 6, 3))
    sr.keywork(w.village, month, "社区事项二", due=dt.date(2026, 6, 1))
    sr.keywork(w.street, "2026-05", "上月事项")
    plan = CreationPlan.objects.create(
        unit=w.village, year=2026, status="confirmed", target_level=5
    )
    PlanMilestone.objects.create(plan=plan, title="完成创建思路比武", due_on=dt.date(2026, 6, 20))
    PlanMilestone.objects.create(plan=plan, title="七月节点", due_on=dt.date(2026, 7, 2))
    PlanMeasure.objects.create(
        plan=plan, title="建成便民服务站", responsible="李书记", deadline=dt.date(2026, 6, 5)
    )
    other_plan = CreationPlan.objects.create(unit=w.other_village, year=2026, target_level=3)
    PlanMeasure.objects.create(
        plan=other_plan,
        title="修缮活动室",
        responsible="王书记",
        deadline=dt.date(2026, 6, 1),
        done_on=dt.date(2026, 5, 30),
    )
    Quota.objects.create(township=w.street, year=2026, level=5, count=1)
    Quota.objects.create(township=w.street, year=2026, level=4, count=2)
    Quota.objects.create(township=w.other_street, year=2026, level=4, count=1)
    for code in ("branch", "industry", "ecology", "safety", "civility"):
        sr.award(w.village, dt.date(2026, 5, 1), code)
    for code in ("branch", "industry", "ecology", "safety"):
        sr.award(w.other_village, dt.date(2026, 5, 1), code)
    sr.award(w.other_village, dt.date(2026, 5, 1), "civility", withdrawn_on=dt.date(2026, 5, 9))
    sr.award(w.other_village, dt.date(2025, 5, 1), "x", year=2025)


def test_schedule_numbers(world, now, django_assert_max_num_queries) -> None:  # noqa: ANN001
    _month(world)
    sp.matched(world)
    client = world.client("org_department")
    with django_assert_max_num_queries(20):
        page = client.get(SCHEDULE, {"month": "2026-06"})
    report = page.context["report"]
    lists = [(wl.name, wl.kind, [i.title for i in wl.items], wl.done) for wl in report.lists]
    assert lists == [
        ("孟州市", "本级", ["召开创建推进会"], 0),
        ("产业兴旺星专班", "专班", ["专班督导"], 1),
        ("大定街道", "乡镇（街道）", ["迎秀社区创五星", "整治背街小巷"], 1),
    ]
    overdue = {i.title: i.overdue for wl in report.lists for i in wl.items}
    assert overdue["迎秀社区创五星"] and not overdue["召开创建推进会"]
    assert report.village_lists == [
        {"township": "大定街道", "lists": 1, "total": 2, "done": 1, "overdue": 1}
    ]
    assert [(r["village"], r["kind"], r["title"], r["overdue"]) for r in report.plan_rows] == [
        ("迎秀社区", "举措", "建成便民服务站", True),
        ("迎秀社区", "节点", "完成创建思路比武", False),
        ("西关社区", "举措", "修缮活动室", False),
    ]
    quotas = [
        (q.township.display_name, q.level, q.count, q.planned, q.achieved, q.met)
        for q in report.quotas
    ]
    assert quotas == [
        ("大定街道", 5, 1, 1, 1, True),
        ("大定街道", 4, 2, 1, 1, False),
        ("会昌街道", 4, 1, 0, 1, True),
    ]
    assert report.quotas[1].short == 1
    assert report.open_projects == 1
    html = page.content.decode()
    assert "2026年6月" in html and "尚差 1 个" in html


def test_schedule_of_a_township_lists_its_villages(
    world,
    now,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    _month(world)
    client = world.client("street_staff")
    with django_assert_max_num_queries(20) as first:
        report = client.get(SCHEDULE, {"month": "2026-06"}).context["report"]
    assert [(wl.name, wl.kind) for wl in report.lists] == [
        ("大定街道", "本级"),
        ("迎秀社区", "村（社区）"),
    ]
    assert report.village_lists == []
    assert [q.level for q in report.quotas] == [5, 4]
    assert [r["village"] for r in report.plan_rows] == ["迎秀社区", "迎秀社区"]
    for i in range(10):
        v = make_unit(
            "village",
            f"{world.street.code}{400 + i}",
            f"新村{i}",
            world.street,
            display_name=f"新村{i}",
        )
        sr.keywork(v, "2026-06", f"新村事项{i}")
        plan = CreationPlan.objects.create(unit=v, year=2026, target_level=4, status="confirmed")
        PlanMilestone.objects.create(plan=plan, title="节点", due_on=dt.date(2026, 6, 15))
    with django_assert_max_num_queries(len(first.captured_queries)):
        again = client.get(SCHEDULE, {"month": "2026-06"}).context["report"]
    assert len(again.lists) == 12 and len(again.plan_rows) == 12
    assert again.quotas[1].planned == 11
    assert Decimal(again.open_projects) == 0


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the Chinese text of PDFs")
    source = tmp_path / "report.pdf"
    source.write_bytes(data)
    out = subprocess.run([tool, "-enc", "UTF-8", source, "-"], capture_output=True, check=True)  # noqa: S603
    return out.stdout.decode("utf-8")


def test_pdfs_hold_the_reports(world, now, tmp_path) -> None:  # noqa: ANN001
    _week(world)
    street = world.client("street_staff")
    response = street.get(reverse("worklists:bulletin_pdf"), {"week": "2026-W24"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "大定街道“五星”支部创建周通报" in text and "迎秀社区" in text and sr.MARK in text
    other = world.client("other_street_staff").get(
        reverse("worklists:bulletin_pdf"), {"week": "2026-W24"}
    )
    other_text = _pdf_text(other.content, tmp_path)
    assert "迎秀社区" not in other_text and sr.MARK not in other_text
    assert "西关社区" in other_text  # its overdue rectification
    sched = street.get(reverse("worklists:schedule_pdf"), {"month": "2026-06"})
    text = _pdf_text(sched.content, tmp_path)
    assert "大定街道“五星”支部创建月调度" in text and "街道事项一" in text
    assert (
        street.get(reverse("worklists:schedule_pdf"), {"unit": world.county.code}).status_code
        == 404
    )
