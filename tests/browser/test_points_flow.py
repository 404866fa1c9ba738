"""Points end to end in headless Chromium on the demo server (issue "done means").

A grid worker proposes points with a photo for a household's clean courtyard on a phone; the
secretary approves; the public board shows it in notice; a resident objects there; the notice
period passes and staff dismiss the objection, so it books; the household redeems rice at the
store counter; the linked party member's linked-household score moves by exactly Σ/n;
`lianxin points verify` passes, and fails after a row is altered in SQL. The same story runs
against a demo server on SQLite and one on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LIANXIN
from tests.browser.pages import DESKTOP, PHONE, fits_width, log_in

pytestmark = pytest.mark.browser

COMMUNITY = "410883001002"  # 迎秀社区
GRID = "G410883001002-01"  # wangge's grid
POINTS = 5  # 庭院整洁、物品摆放有序
RICE = 50  # 东北大米 5kg
FORMULA = re.compile(r"=\s*(-?\d+)\s*÷\s*(\d+)\s*=\s*(-?[\d.]+)\s*$")


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 160, 90)).save(buf, format="JPEG")
    return buf.getvalue()


def _uuid(value: object) -> str:
    return str(uuid.UUID(str(value)))


def _db_uuid(server, value: str) -> str:  # noqa: ANN001
    """How the server's database stores a UUID (SQLite: 32 hex digits)."""
    return value if server.database_url else uuid.UUID(value).hex


def _target(server) -> dict[str, object]:  # noqa: ANN001
    """A household of wangge's grid with enough points for rice, linked to a party member,
    that has not used this month's 庭院整洁 cap."""
    first = dt.date.today().replace(day=1).isoformat()
    rows = server.query(
        "SELECT a.id, a.public_id, h.public_id, a.balance, m.public_id "
        "FROM points_account a "
        "JOIN people_household h ON h.id = a.household_id "
        "JOIN territory_unit u ON u.id = a.unit_id "
        "JOIN party_householdlink l ON l.household_id = h.id AND l.is_active "
        "JOIN party_partymember m ON m.id = l.member_id "
        "WHERE u.path LIKE ? AND a.balance >= ? AND NOT EXISTS ("
        " SELECT 1 FROM points_proposal p JOIN points_indicator i ON i.id = p.indicator_id"
        " WHERE p.account_id = a.id AND i.code = 'courtyard_clean' AND p.occurred_on >= ?"
        " AND p.status IN ('pending', 'in_notice', 'objected', 'booked')) "
        "ORDER BY a.id LIMIT 1",
        f"%/{GRID}/%",
        RICE - POINTS,
        first,
    )
    assert rows, "the demo has no household fit for the story"
    account_id, account, household, balance, member = rows[0]
    return {
        "account_id": account_id,
        "account": _uuid(account),
        "household": _uuid(household),
        "balance": balance,
        "member": _uuid(member),
    }


def _balance(server, account_id: int) -> int:  # noqa: ANN001
    return int(server.query("SELECT balance FROM points_account WHERE id = ?", account_id)[0][0])


def _linked(page: Page, server, member: str) -> tuple[int, int, Decimal]:  # noqa: ANN001
    page.goto(server.url(f"/points/members/{member}/"))
    text = page.locator("[data-testid=linked-formula]").inner_text().strip()
    match = FORMULA.search(text)
    assert match, f"no Σ ÷ n on the member's card: {text!r}"
    return int(match[1]), int(match[2]), Decimal(match[3])


def _verify(server) -> subprocess.CompletedProcess[str]:  # noqa: ANN001
    return subprocess.run(
        [*LIANXIN, "points", "verify", "--data-dir", str(server.data_dir)],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_points_from_proposal_to_rice(browser, request, screenshots, database) -> None:  # noqa: ANN001, PLR0915
    server = request.getfixturevalue("demo_server" if database == "sqlite" else "demo_server_pg")
    shots = screenshots / database
    shots.mkdir(exist_ok=True)
    target = _target(server)
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

    # The linked member's card before: Σ and n of the linked households this year.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    secretary = desk.new_page()
    log_in(secretary, server, "shuji")
    sigma, n, _value = _linked(secretary, server, str(target["member"]))

    # 1. The grid worker proposes 庭院整洁 with a photo, on the phone.
    gw_ctx = browser.new_context(**phone)
    gw = gw_ctx.new_page()
    log_in(gw, server, "wangge")
    gw.goto(server.url(f"/points/proposals/new/?account={target['account']}"))
    assert fits_width(gw)
    gw.locator("label.ind", has_text="庭院整洁").locator("input[type=radio]").check()
    gw.fill("textarea[name=description]", "院内杂物已清理，花草摆放整齐，经入户查看属实。")
    gw.set_input_files(
        "input[name=photos]",
        files=[{"name": "yard.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}],
    )
    gw.screenshot(path=shots / "wangge-propose-360.png", full_page=True)
    gw.get_by_role("button", name="提交申报").click()
    gw.wait_for_load_state("networkidle")
    found = re.search(r"/points/proposals/([0-9a-f-]{36})/", gw.url)
    assert found, f"no proposal page after submitting: {gw.url}"
    proposal = found[1]
    expect(gw.locator("main")).to_contain_text("待审核")
    assert fits_width(gw)
    gw.screenshot(path=shots / "wangge-proposed-360.png", full_page=True)
    gw_ctx.close()

    # 2. The secretary finds it in the review queue and approves it on its page.
    secretary.goto(server.url("/points/proposals/review/"))
    expect(secretary.locator("main")).to_contain_text("待审核")
    secretary.goto(server.url(f"/points/proposals/{proposal}/"))
    secretary.locator(f"form[action*='{proposal}/act/approve'] button").click()
    secretary.wait_for_load_state("networkidle")
    expect(secretary.locator("main")).to_contain_text("公示中")
    secretary.screenshot(path=shots / "shuji-approved-1280.png", full_page=True)

    # 3. The public board shows it in notice, masked; a resident objects on the phone.
    res_ctx = browser.new_context(**phone)
    resident = res_ctx.new_page()
    resident.goto(server.url(f"/p/v/{COMMUNITY}/"))
    item = resident.locator(f"#p-{proposal}")
    expect(item).to_contain_text(f"+{POINTS} 分")
    expect(item).to_contain_text("公示中")
    assert fits_width(resident)
    head = server.query(
        "SELECT head_name FROM people_household WHERE public_id = ?",
        _db_uuid(server, str(target["household"])),
    )[0][0]
    assert head not in resident.locator("main").inner_text()
    item.locator("summary").click()
    item.locator("textarea[name=text]").fill("他家院子上周还堆着杂物，请再核实一下。")
    item.get_by_role("button", name="提交异议").click()
    resident.wait_for_load_state("networkidle")
    expect(resident.locator(f"#p-{proposal}")).to_contain_text("有异议")
    resident.screenshot(path=shots / "resident-board-objected-360.png", full_page=True)
    res_ctx.close()

    # 4. The three days of notice pass; staff check and dismiss the objection: it books.
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    server.execute(
        "UPDATE points_proposal SET notice_until = ? WHERE public_id = ?",
        past.isoformat() if server.database_url else past.strftime("%Y-%m-%d %H:%M:%S.%f"),
        _db_uuid(server, proposal),
    )
    staff_ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff = staff_ctx.new_page()
    log_in(staff, server, "shequ")
    staff.goto(server.url(f"/points/proposals/{proposal}/"))
    staff.check("input[name=outcome][value=dismiss]")
    staff.fill("textarea[name=resolution]", "经现场查看，杂物已于本周清理，异议不成立。")
    staff.get_by_role("button", name="提交处理意见").click()
    staff.wait_for_load_state("networkidle")
    expect(staff.locator("main")).to_contain_text("已入账")
    staff.screenshot(path=shots / "shequ-booked-1280.png", full_page=True)
    staff_ctx.close()
    assert _balance(server, target["account_id"]) == target["balance"] + POINTS

    # 5. The linked member's score moves by exactly Σ/n.
    sigma2, n2, value2 = _linked(secretary, server, str(target["member"]))
    assert (sigma2, n2) == (sigma + POINTS, n)
    assert value2 == (Decimal(sigma2) / Decimal(n2)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    secretary.screenshot(path=shots / "shuji-member-card-1280.png", full_page=True)
    desk.close()

    # 6. The household redeems rice at the store counter (the micro-assistant serves).
    store = server.query(
        "SELECT s.public_id FROM points_store s JOIN territory_unit u ON u.id = s.unit_id "
        "WHERE u.code = ?",
        COMMUNITY,
    )[0][0]
    counter_ctx = browser.new_context(**phone)
    counter = counter_ctx.new_page()
    log_in(counter, server, "weizhuli")
    counter.goto(server.url(f"/points/store/?store={_uuid(store)}&household={target['household']}"))
    rice = counter.locator("select[name=item] option", has_text="东北大米").get_attribute("value")
    assert rice, "no rice on the counter"
    counter.locator("select[name=item]").select_option(value=rice)
    counter.get_by_role("button", name="确认兑换").click()
    counter.wait_for_load_state("networkidle")
    assert fits_width(counter)
    counter.screenshot(path=shots / "weizhuli-counter-360.png", full_page=True)
    counter_ctx.close()
    assert _balance(server, target["account_id"]) == target["balance"] + POINTS - RICE

    # 7. The ledger verifies; a row altered in SQL (guards opened, as a superuser could) fails.
    ok = _verify(server)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    last = "(SELECT MAX(id) FROM points_pointentry)"
    with pytest.raises(Exception, match="append-only"):
        server.execute(f"UPDATE points_pointentry SET amount = amount + 100 WHERE id = {last}")  # noqa: S608
    server.execute(
        f"UPDATE points_pointentry SET amount = amount + 100 WHERE id = {last}",  # noqa: S608
        superuser=True,
    )
    broken = _verify(server)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "改动" in broken.stdout
    # Put it back for the tests that share this server.
    server.execute(
        f"UPDATE points_pointentry SET amount = amount - 100 WHERE id = {last}",  # noqa: S608
        superuser=True,
    )
    assert _verify(server).returncode == 0
