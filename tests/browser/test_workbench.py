"""End to end in headless Chromium: two roles log in and see their workbench; scope holds.

The grid worker uses a 360×740 phone viewport, the community staff member a 1280×800 desktop.
The grid worker opening a household of the sibling grid gets the 404 page, exactly as for a
household that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import fits_width, log_in

pytestmark = pytest.mark.browser

GRID = "G410883001002-01"  # 迎秀社区第一网格: wangge's grid
SIBLING_GRID = "G410883001002-02"  # 迎秀社区第二网格: wangge2's grid
# A masked ID number as the pages show it: first three and last four characters.
MASKED_ID = re.compile(r"410\*{11}\d{3}[\dX]")
PLAIN_ID = re.compile(r"410883(19|20)\d{9}[\dX]")


def test_grid_worker_on_a_phone_sees_only_the_own_grid(
    phone_page: Page, demo_server, screenshots
) -> None:  # noqa: ANN001
    page = phone_page
    log_in(page, demo_server, "wangge")
    expect(page.locator("h1")).to_contain_text("工作台")
    body = page.locator("main")
    expect(body).to_contain_text("迎秀社区第一网格")
    expect(body).to_contain_text("网格员")
    expect(body).to_contain_text("逾期未走访")
    assert "迎秀社区第二网格" not in body.inner_text()
    assert fits_width(page), "the grid worker's workbench scrolls sideways on a 360-px phone"
    page.screenshot(path=screenshots / "wangge-workbench-360.png", full_page=True)

    # A household of the own grid opens, with the ID numbers masked.
    own = demo_server.household_in_grid(GRID)
    response = page.goto(demo_server.url(f"/people/households/{own}/"))
    assert response is not None and response.status == 200
    text = page.locator("main").inner_text()
    assert MASKED_ID.search(text), "household page shows no masked ID number"
    assert not PLAIN_ID.search(page.content()), "plaintext ID number on the household page"
    assert fits_width(page)
    page.screenshot(path=screenshots / "wangge-household-360.png", full_page=True)

    # The sibling grid's household is "not found", like one that does not exist at all.
    sibling = demo_server.household_in_grid(SIBLING_GRID)
    response = page.goto(demo_server.url(f"/people/households/{sibling}/"))
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_contain_text("未找到")
    refused = page.locator("main").inner_text()
    page.screenshot(path=screenshots / "wangge-sibling-household-404-360.png", full_page=True)
    missing = page.goto(demo_server.url(f"/people/households/{uuid.uuid4()}/"))
    assert missing is not None and missing.status == 404
    assert page.locator("main").inner_text() == refused


def test_community_staff_on_a_desktop_sees_the_community(
    desktop_page: Page, demo_server, screenshots
) -> None:  # noqa: ANN001
    page = desktop_page
    log_in(page, demo_server, "shequ")
    expect(page.locator("h1")).to_contain_text("工作台")
    body = page.locator("main")
    expect(body).to_contain_text("迎秀社区")
    # Both grids of the community are listed; another community of the street is not.
    expect(body).to_contain_text("迎秀社区第一网格")
    expect(body).to_contain_text("迎秀社区第二网格")
    assert "鼓楼社区" not in body.inner_text()
    assert fits_width(page)
    page.screenshot(path=screenshots / "shequ-workbench-1280.png", full_page=True)

    # The community staff member may open households of either grid.
    for grid in (GRID, SIBLING_GRID):
        household = demo_server.household_in_grid(grid)
        response = page.goto(demo_server.url(f"/people/households/{household}/"))
        assert response is not None and response.status == 200


def _filled_template(template: bytes, rows: list[dict[str, str]]) -> bytes:
    """The downloaded template with `rows` written under its header row, as a user would."""
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template))
    ws = wb["数据"] if "数据" in wb.sheetnames else wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    for r, row in enumerate(rows, start=2):
        for c, header in enumerate(headers, start=1):
            ws.cell(row=r, column=c, value=row.get(header, ""))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_import_started_from_the_page_completes_in_the_background(
    desktop_page: Page, demo_server, screenshots
) -> None:  # noqa: ANN001
    """The server's in-process worker (`serve --with-worker`, as `lianxin demo` runs) takes the job."""
    from lianxin.core.idnumber import make_id_number

    page = desktop_page
    log_in(page, demo_server, "shequ")
    template = page.request.get(demo_server.url("/people/imports/templates/residents/"))
    assert template.ok, template.status
    # Area code 410882 (沁阳市) keeps these ID numbers apart from the demo's (all 410883).
    rows = [
        {
            "楼栋": "迎秀小区1号楼",
            "门牌": "9单元901室",
            "姓名": name,
            "身份证号": make_id_number("410882", dt.date(1980 + i, 3, 5), 11 + i * 2),
            "手机号": f"1390391{i:04d}",
            "与户主关系": "户主" if i == 0 else "子",
        }
        for i, name in enumerate(["导入测试甲", "导入测试乙"])
    ]
    community = demo_server.query(
        "SELECT public_id FROM territory_unit WHERE code = ?", "410883001002"
    )[0][0]
    page.goto(demo_server.url("/people/imports/new/?kind=residents"))
    page.select_option("select[name=kind]", "residents")
    page.select_option("select[name=unit]", str(uuid.UUID(str(community))))
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "居民导入.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _filled_template(template.body(), rows),
            }
        ],
    )
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert "/people/imports/" in page.url, page.url
    # The page polls; reload until the worker has finished the job.
    deadline = time.monotonic() + 60
    while "已完成" not in page.locator("main").inner_text() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    page.screenshot(path=screenshots / "shequ-import-done-1280.png", full_page=True)
    text = page.locator("main").inner_text()
    assert "已完成" in text, text
    count = demo_server.query("SELECT COUNT(*) FROM people_resident WHERE name LIKE '导入测试%'")
    assert count == [(2,)]
