"""The request closed loop end to end in headless Chromium, on the demo server (issue "done").

A resident scans a building's QR code on a phone and files a request with a photo; the grid
worker sees it; the community triages it as 大事 and dispatches it to the street; the street
whistles the housing department, which reports in, takes and resolves it; the resident rates
it 基本满意 and finds it on the results board; the figures page and `lianxin report cases`
count it. The same story runs against a demo server on SQLite and one on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LIANXIN
from tests.browser.pages import DESKTOP, PHONE, fits_width, log_in

pytestmark = pytest.mark.browser

COMMUNITY = "410883001002"  # 迎秀社区
GRID = "G410883001002-01"  # wangge's grid
TEXT = "迎秀小区1号楼楼顶漏水，下雨时三楼到六楼楼道墙面渗水，墙皮大片脱落，请尽快维修"


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def _building_code(server) -> str:  # noqa: ANN001
    rows = server.query(
        "SELECT code FROM territory_unit WHERE kind = 'building' AND path LIKE ? "
        "ORDER BY path LIMIT 1",
        f"%/{GRID}/%",
    )
    assert rows, "the demo has no building in the grid"
    return rows[0][0]


def _case_public_id(server, tracking_no: str) -> str:  # noqa: ANN001
    import uuid

    rows = server.query("SELECT public_id FROM cases_case WHERE tracking_no = ?", tracking_no)
    assert rows, f"request {tracking_no} is not in the database"
    return str(uuid.UUID(str(rows[0][0])))


def _whistle_public_id(server, tracking_no: str) -> str:  # noqa: ANN001
    import uuid

    rows = server.query(
        "SELECT w.public_id FROM cases_whistle w JOIN cases_case c ON c.id = w.case_id "
        "WHERE c.tracking_no = ?",
        tracking_no,
    )
    assert rows, f"request {tracking_no} was not whistled"
    return str(uuid.UUID(str(rows[0][0])))


def _act(page: Page, server, case_id: str, action: str) -> None:  # noqa: ANN001
    response = page.goto(server.url(f"/cases/{case_id}/act/{action}/"))
    assert response is not None and response.status == 200, (
        f"{action}: {response and response.status}"
    )


def _submit_action(page: Page) -> None:
    page.locator("form.action-form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_request_goes_round_the_whole_loop(browser, request, screenshots, database) -> None:  # noqa: ANN001
    server = request.getfixturevalue("demo_server" if database == "sqlite" else "demo_server_pg")
    shots = screenshots / database
    shots.mkdir(exist_ok=True)
    building = _building_code(server)

    # 1. The resident scans the building's code on a phone and files with a photo.
    resident_ctx = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    resident = resident_ctx.new_page()
    response = resident.goto(server.url(f"/r/q/{building}/"))
    assert response is not None and response.status == 200
    assert fits_width(resident)
    resident.fill("textarea[name=description]", TEXT)
    resident.set_input_files(
        "input[name=photos]",
        files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    resident.fill("input[name=phone]", "13937561234")
    resident.check("input[name=allow_publish]")
    resident.screenshot(path=shots / "resident-qr-form-360.png", full_page=True)
    # The form may also list similar recent requests with their own 附议 buttons (which ones
    # depends on the hour the demo was built): press the form's own 提交.
    resident.locator("form.request-form button.primary[type=submit]").click()
    resident.wait_for_load_state("networkidle")
    assert "/r/t/" in resident.url, f"no private page after submitting: {resident.url}"
    private_url = resident.url
    tracking_no = resident.locator(".big-no").first.inner_text().strip()
    assert re.fullmatch(r"\d{6}[0-9A-Z]{5}", tracking_no), tracking_no
    assert fits_width(resident)
    resident.screenshot(path=shots / "resident-submitted-360.png", full_page=True)
    case_id = _case_public_id(server, tracking_no)

    # 2. The grid worker sees it among the grid's new requests on the phone.
    gw_ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    gw = gw_ctx.new_page()
    log_in(gw, server, "wangge")
    gw.goto(server.url("/cases/mine/"))
    expect(gw.locator("main")).to_contain_text(tracking_no)
    assert fits_width(gw)
    gw.screenshot(path=shots / "wangge-queue-360.png", full_page=True)
    gw_ctx.close()

    # 3. The community triages it as 大事 and dispatches it to the street.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff = desk.new_page()
    log_in(staff, server, "shequ")
    staff.goto(server.url(f"/cases/{case_id}/"))
    expect(staff.locator("main")).to_contain_text(tracking_no)
    _act(staff, server, case_id, "triage")
    staff.check("input[name=level][value=big]")
    _submit_action(staff)
    _act(staff, server, case_id, "assign")
    staff.select_option("select[name=handler_unit]", label="大定街道（街道）")
    _submit_action(staff)
    expect(staff.locator("main")).to_contain_text("已派遣")
    staff.screenshot(path=shots / "shequ-dispatched-1280.png", full_page=True)
    desk.close()

    # 4. The street whistles and summons the housing department.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    street = desk.new_page()
    log_in(street, server, "jiedao")
    _act(street, server, case_id, "whistle")
    street.fill("textarea[name=reason]", "楼顶防水属公共维修，需住建部门牵头，街道吹哨召集")
    _submit_action(street)
    whistle_id = _whistle_public_id(server, tracking_no)
    street.goto(server.url(f"/cases/whistles/{whistle_id}/"))
    street.locator("input[name=departments]").first.check()
    street.locator("form:has(input[value=summon]) button[type=submit]").click()
    street.wait_for_load_state("networkidle")
    expect(street.locator("main")).to_contain_text("住房和城乡建设局")
    whistle_url = street.url
    street.screenshot(path=shots / "jiedao-whistle-1280.png", full_page=True)
    desk.close()

    # 5. The department reports in, takes the request and resolves it.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    dept = desk.new_page()
    log_in(dept, server, "bumen")
    dept.goto(whistle_url)
    dept.fill(
        "form:has(input[value=report_in]) textarea[name=action_note]",
        "已到现场查看，安排施工队做楼顶防水",
    )
    dept.locator("form:has(input[value=report_in]) button[type=submit]").click()
    dept.wait_for_load_state("networkidle")
    _act(dept, server, case_id, "take")
    _submit_action(dept)
    _act(dept, server, case_id, "resolve")
    dept.fill("textarea[name=result]", "楼顶防水层已重新铺设，楼道墙面已修补粉刷")
    _submit_action(dept)
    expect(dept.locator("main")).to_contain_text("已办结")
    desk.close()

    # 6. The resident sees every step and rates the result 基本满意.
    resident.goto(private_url)
    body = resident.locator("main")
    expect(body).to_contain_text("楼顶防水层已重新铺设")
    resident.check("input[name=satisfaction][value=basic]")
    resident.locator("form:has(input[name=satisfaction]) button[type=submit]").click()
    resident.wait_for_load_state("networkidle")
    expect(resident.locator("main")).to_contain_text("基本满意")
    resident.screenshot(path=shots / "resident-rated-360.png", full_page=True)

    # ... and finds it on the community's results board, without personal data.
    resident.goto(server.url(f"/r/v/{COMMUNITY}/board/"))
    board = resident.locator("main")
    expect(board).to_contain_text("楼顶防水层已重新铺设")
    assert "13937561234" not in resident.content()
    assert fits_width(resident)
    resident.screenshot(path=shots / "resident-board-360.png", full_page=True)
    resident_ctx.close()

    # 7. The figures page and the report command count it.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff = desk.new_page()
    log_in(staff, server, "jiedao")
    response = staff.goto(server.url("/cases/figures/"))
    assert response is not None and response.status == 200
    expect(staff.locator("main")).to_contain_text("满意率")
    staff.screenshot(path=shots / "jiedao-figures-1280.png", full_page=True)
    desk.close()
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    out = subprocess.run(
        [
            *LIANXIN,
            "report",
            "cases",
            "--data-dir",
            str(server.data_dir),
            "--unit",
            "410883001",
            "--from",
            today,
            "--to",
            today,
            "--format",
            "json",
        ],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)["counts"]
    assert counts["received"] >= 1
    assert counts["whistles"] >= 1
    assert counts["basic_satisfied"] >= 1
