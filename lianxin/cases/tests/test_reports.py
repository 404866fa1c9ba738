"""Generated reports (每周汇总、每月通报): idempotent generation, workbook and PDF content,
the periodic tasks' schedule in Asia/Shanghai, scoped list and downloads."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.cases import reports
from lianxin.cases.figures import unit_figures
from lianxin.cases.models import CaseReport
from lianxin.cases.tests.factories import make_case
from lianxin.cases.tests.test_figures import MARCH, at, build_march
from lianxin.core import clock
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db

WEEK_OF_MARCH_9 = dt.date(2026, 3, 9)  # Monday; D (two returns) falls in it


def _pdf_text(content: bytes, tmp_path: Any) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    out = subprocess.run(  # noqa: S603 - fixed local tool
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _sheet(content: bytes, name: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


def test_previous_periods() -> None:
    monday = dt.date(2026, 3, 16)
    assert reports.previous_week(monday) == (dt.date(2026, 3, 9), dt.date(2026, 3, 15))
    assert reports.previous_week(dt.date(2026, 3, 22)) == (
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 15),
    )
    assert reports.previous_month(dt.date(2026, 3, 1)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    assert reports.previous_month(dt.date(2026, 1, 15)) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )
    assert reports.period_end("month", dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert reports.period_end("week", WEEK_OF_MARCH_9) == dt.date(2026, 3, 15)


def test_schedules_are_read_in_shanghai_time() -> None:
    weekly = reports.weekly_reports_task.task_class().validate_datetime
    monthly = reports.monthly_reports_task.task_class().validate_datetime
    # Huey hands the validators naive UTC times: Monday 01:00 in Shanghai is Sunday 17:00 UTC.
    assert weekly(dt.datetime(2026, 3, 15, 17, 0))  # noqa: DTZ001
    assert not weekly(dt.datetime(2026, 3, 16, 1, 0))  # noqa: DTZ001
    assert not weekly(dt.datetime(2026, 3, 15, 17, 1))  # noqa: DTZ001
    # The 1st at 02:00 in Shanghai is the last day of the month before, 18:00 UTC.
    assert monthly(dt.datetime(2026, 2, 28, 18, 0))  # noqa: DTZ001
    assert not monthly(dt.datetime(2026, 3, 1, 2, 0))  # noqa: DTZ001


def test_monthly_reports_are_generated_once(world) -> None:
    build_march(world)
    with clock.travel(at(4, 1, 2)):
        queued = reports.monthly_reports_task.call_local()
    assert queued == 2  # the world's two streets, each a batch (run at once in tests)
    rows = list(CaseReport.objects.filter(period="month").order_by("unit__path"))
    assert [r.unit for r in rows] == [world.village, world.other_village]
    report = rows[0]
    assert (report.date_from, report.date_to) == MARCH
    expected = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()
    assert report.figures == expected
    assert report.xlsx.name.endswith(".xlsx") and report.pdf.name.endswith(".pdf")
    # Re-running keeps the rows and their files.
    first = {r.pk: (r.public_id, r.xlsx.name, r.pdf.name) for r in rows}
    with clock.travel(at(4, 1, 3)):
        reports.monthly_reports_task.call_local()
    again = {
        r.pk: (r.public_id, r.xlsx.name, r.pdf.name)
        for r in CaseReport.objects.filter(period="month")
    }
    assert again == first
    # Forced regeneration updates the same row in place.
    assert reports.generate_reports(period="month", date_from=MARCH[0], force=True) == 2
    assert CaseReport.objects.filter(period="month").count() == 2
    assert CaseReport.objects.get(pk=report.pk).public_id == report.public_id


def test_weekly_reports_per_grid(world) -> None:
    build_march(world)
    with clock.travel(at(3, 16, 1)):
        reports.weekly_reports_task.call_local()
    rows = {r.unit: r for r in CaseReport.objects.filter(period="week")}
    assert set(rows) == {world.grid, world.sibling_grid}
    sibling = rows[world.sibling_grid]
    assert (sibling.date_from, sibling.date_to) == (WEEK_OF_MARCH_9, dt.date(2026, 3, 15))
    assert sibling.figures["counts"]["received"] == 2  # D (10 March) and H (13 March)
    assert sibling.figures["counts"]["returns"] == 2
    assert [c["code"] for c in sibling.figures["children"]] == [world.sibling_building.code]


def test_a_new_grid_gets_its_report_on_a_second_run(world) -> None:
    with clock.travel(at(3, 10)):
        make_case(world.building)
        make_case(world.sibling_building)
    reports.generate_reports(period="week", date_from=WEEK_OF_MARCH_9)
    assert CaseReport.objects.filter(period="week").count() == 2
    grid = make_unit("grid", "G410883001002-03", "迎秀社区第三网格", world.village)
    with clock.travel(at(3, 11)):
        make_case(grid)
    assert reports.generate_reports(period="week", date_from=WEEK_OF_MARCH_9) == 1
    assert reports.generate_reports(period="week", date_from=WEEK_OF_MARCH_9) == 0
    assert CaseReport.objects.filter(period="week").count() == 3


def test_quiet_units_get_no_report(world) -> None:
    with clock.travel(at(3, 10)):
        make_case(world.building)
    assert reports.generate_reports(period="week", date_from=WEEK_OF_MARCH_9) == 1
    assert [r.unit for r in CaseReport.objects.all()] == [world.grid]
    # Villages without grids are not even visited by the weekly batch.
    assert list(reports.report_parents("week")) == [world.village]


def test_batch_queries_do_not_grow_with_grids(world) -> None:
    def run(n: int) -> int:
        for i in range(n):
            grid = make_unit("grid", f"G-batch-{n}-{i}", f"批量网格{n}-{i}", world.village)
            with clock.travel(at(3, 10)):
                make_case(grid)
        CaseReport.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            written = reports.generate_for_parent(
                period="week", parent=world.village, date_from=WEEK_OF_MARCH_9
            )
        assert written == CaseReport.objects.count()
        return len(ctx)

    assert run(2) == run(12)


def test_workbook_holds_the_figures(world) -> None:
    build_march(world)
    data = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()
    content = reports.figures_workbook(data, title=reports.figures_title(data, "month"))
    summary = _sheet(content, "汇总")
    assert summary[0][0] == "迎秀社区诉求办理每月通报（2026年3月）"
    values = {row[0]: row[1] for row in summary if row and row[0]}
    assert values["受理诉求"] == 12
    assert values["退单次数"] == 2
    assert values["吹哨·协调处置"] == 1
    assert float(values["满意率"]) == pytest.approx(0.6333)
    assert float(values["综合得分"]) == pytest.approx(0.6533)
    shares = {row[0]: row[1] for row in _sheet(content, "来源与分类") if row and row[0]}
    assert shares["扫码（码上办）"] == 7 and shares["公共设施"] == 4 and shares["未分流"] == 6
    kids = _sheet(content, "下级单位")
    header = kids[0]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in kids[1:]}
    assert by_name["迎秀社区第一网格"]["受理诉求"] == 7
    assert by_name["迎秀社区（本级）"]["受理诉求"] == 2
    assert by_name["迎秀社区第二网格"]["满意率"] == "—"


def test_pdf_carries_chinese_text(world, tmp_path) -> None:
    build_march(world)
    data = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()
    content = reports.figures_pdf(data, title=reports.figures_title(data, "month"))
    assert content.startswith(b"%PDF")
    text = _pdf_text(content, tmp_path)
    assert "迎秀社区诉求办理每月通报" in text
    assert "满意率" in text and "63.33%" in text and "65.33%" in text
    assert "迎秀社区第一网格" in text and "吹哨" in text


def test_report_list_is_scoped_and_downloads(world, tmp_path) -> None:
    build_march(world)
    reports.generate_reports(period="month", date_from=MARCH[0])
    mine = CaseReport.objects.get(unit=world.village)
    theirs = CaseReport.objects.get(unit=world.other_village)
    page = world.client("village_staff").get(reverse("cases:report_list"))
    body = page.content.decode()
    assert "迎秀社区诉求办理每月通报（2026年3月）" in body
    assert "西关社区" not in body
    street = world.client("street_staff").get(reverse("cases:report_list")).content.decode()
    assert "迎秀社区诉求办理每月通报" in street and "西关社区" not in street
    client = world.client("village_staff")
    xlsx = client.get(reverse("cases:report_download", args=[mine.public_id, "xlsx"]))
    assert xlsx.status_code == 200
    assert _sheet(xlsx.content, "汇总")[0][0] == "迎秀社区诉求办理每月通报（2026年3月）"
    assert "attachment" in xlsx["Content-Disposition"]
    pdf = client.get(reverse("cases:report_download", args=[mine.public_id, "pdf"]))
    assert pdf.status_code == 200 and "每月通报" in _pdf_text(pdf.content, tmp_path)
    assert (
        client.get(reverse("cases:report_download", args=[theirs.public_id, "xlsx"])).status_code
        == 404
    )
    assert (
        client.get(reverse("cases:report_download", args=[mine.public_id, "csv"])).status_code
        == 404
    )
    # Building leaders hold no cases.report.
    assert world.client("building_leader").get(reverse("cases:report_list")).status_code == 403


def test_a_lost_file_is_rendered_again_from_the_stored_figures(world) -> None:
    build_march(world)
    reports.generate_reports(period="month", date_from=MARCH[0])
    report = CaseReport.objects.get(unit=world.village)
    report.xlsx.storage.delete(report.xlsx.name)
    response = world.client("village_staff").get(
        reverse("cases:report_download", args=[report.public_id, "xlsx"])
    )
    assert response.status_code == 200
    values = {r[0]: r[1] for r in _sheet(response.content, "汇总") if r and r[0]}
    assert values["受理诉求"] == 12


def test_report_list_queries_are_constant(world) -> None:
    def count(n: int) -> int:
        for i in range(n):
            grid = make_unit("grid", f"G-list-{n}-{i}", f"列表网格{n}-{i}", world.village)
            with clock.travel(at(3, 10)):
                make_case(grid)
        CaseReport.objects.all().delete()
        reports.generate_reports(period="week", date_from=WEEK_OF_MARCH_9)
        client = world.client("village_staff")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cases:report_list")).status_code == 200
        return len(ctx)

    assert count(1) == count(10)
