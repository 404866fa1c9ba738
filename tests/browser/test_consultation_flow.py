"""Consultation end to end in headless Chromium on the demo server (issue 6, "done means").

A resident of 迎秀社区 proposes on a 360-px phone (signing in with the phone's one-time code on
the way) to repair a courtyard's drains; twelve neighbours support it, each on their own phone;
staff put it on a new 居民议事会; the meeting opens, eight neighbours are signed in at the door
and the proposer signs in on the phone with the code on the screen; the quorum is reached; the
vote passes 7 : 1 and shows its support rate; the meeting closes, the minutes are locked (an
edit is refused) and an addendum is signed; a decision is recorded with a milestone that
follows a resident's request, and when the grid worker resolves the request the public
decision page reaches 100%. Then a 四议两公开 matter walks its four meetings, publishes its
resolution and, past the notice period, its result; the residents' page shows the chain and
both notices as PDFs. The same story runs against a demo server on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import uuid
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LIANXIN
from tests.browser.pages import DESKTOP, PHONE, assert_styled, fits_width, log_in

pytestmark = pytest.mark.browser

COMMUNITY = "410883001002"  # 迎秀社区
GRID = "G410883001002-01"  # wangge's grid
GRID_NAME = "迎秀社区第一网格"
TITLE = "修缮庭院排水沟"
BODY = "3号院后院排水沟塌陷堵塞，一下雨就积水到单元门口，建议翻修排水沟并加盖板。"
SUPPORTERS = 12
ATTENDEES = 8  # signed in at the door; the proposer signs in on the phone
LOCAL = ZoneInfo("Asia/Shanghai")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The four steps of 四议两公开 in a community: the meeting type of each.
MATTER_STEPS = (
    ("branch_committee", "党支部委员会会议"),
    ("two_committees", "“两委”会议"),
    ("party_congress", "党员大会"),
    ("resident_reps", "居民代表会议"),
)

# Adults of the grid, one per household, whose phone no other resident shares (a support
# counts once per phone), in the order of the sign-in sheet; phones are encrypted in the
# database, so the server's own code decrypts them.
PEOPLE_CODE = f"""
import json
from django.db.models import Count
from lianxin.consultation import electorate as roll
from lianxin.core import clock, crypto
from lianxin.people.models import Resident
from lianxin.territory.models import Unit
grid = Unit.objects.get(code="{GRID}")
adults = roll._residents(grid, clock.now().date()).order_by("household_id", "id")
shared = set(
    Resident.objects.filter(is_active=True).exclude(phone_digest="").values("phone_digest")
    .annotate(n=Count("id")).filter(n__gt=1).values_list("phone_digest", flat=True)
)
out, households, phones = [], set(), set()
for r in adults.iterator():
    if not r.phone_cipher or r.phone_digest in shared or r.household_id in households:
        continue
    if r.phone_digest in phones:
        continue
    households.add(r.household_id)
    phones.add(r.phone_digest)
    out.append({{"key": f"resident:{{r.pk}}", "name": r.name,
                 "phone": crypto.decrypt(r.phone_cipher)}})
    if len(out) == {SUPPORTERS + 1}:
        break
print("PEOPLE=" + json.dumps(out, ensure_ascii=False))
"""


def _people(server) -> list[dict[str, str]]:  # noqa: ANN001
    out = subprocess.run(
        [*LIANXIN, "--data-dir", str(server.data_dir), "manage", "shell", "-c", PEOPLE_CODE],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    line = next((x for x in out.stdout.splitlines() if x.startswith("PEOPLE=")), "")
    people = json.loads(line.removeprefix("PEOPLE=") or "[]")
    assert len(people) == SUPPORTERS + 1, f"the grid has too few residents with a phone: {people}"
    return people


def _db_uuid(server, value: str) -> str:  # noqa: ANN001
    """How the server's database stores a UUID (SQLite: 32 hex digits)."""
    return value if server.database_url else uuid.UUID(value).hex


def _open_case(server) -> tuple[str, str]:  # noqa: ANN001
    """An open request of wangge's grid that the grid handles (tracking no., public id)."""
    rows = server.query(
        "SELECT c.tracking_no, c.public_id FROM cases_case c "
        "JOIN territory_unit u ON u.id = c.handler_unit_id "
        "WHERE u.code = ? AND c.status IN ('assigned', 'in_progress') ORDER BY c.id LIMIT 1",
        GRID,
    )
    assert rows, "the demo has no open request handled by the grid"
    return rows[0][0], str(uuid.UUID(str(rows[0][1])))


def _found(pattern: str, url: str) -> str:
    match = re.search(pattern, url)
    assert match, f"{pattern} not in {url}"
    return match[1]


def _go(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


def _submit(page: Page, button: Locator) -> None:
    """Click a button that posts a form and wait for the page it leads to."""
    with page.expect_navigation(wait_until="load"):
        button.click()


def _shot(page: Page, path) -> None:  # noqa: ANN001
    """A full-page screenshot from the top (the staff top bar is sticky)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _local(delta: dt.timedelta = dt.timedelta()) -> dt.datetime:
    return dt.datetime.now(LOCAL) + delta


def _phone_context(browser):  # noqa: ANN001, ANN202
    return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")


def _resident_login(page: Page, phone: str) -> None:
    """On the residents' login page: the phone, the code the demo shows, back to `next`."""
    expect(page.locator("h1")).to_contain_text("居民登录")
    page.fill("input[name=phone]", phone)
    _submit(page, page.get_by_role("button", name="获取验证码"))
    code = page.locator(".demo-code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code
    page.fill("input[name=code]", code)
    _submit(page, page.locator("form[action$='/login/verify/'] button[type=submit]"))


def _ratio(text: str, label: str) -> int:
    match = re.search(label + r"\s*(\d+)", text)
    assert match, f"no {label} in {text!r}"
    return int(match[1])


# --- meetings, as staff do them ----------------------------------------------------------------


def _meeting_create(page: Page, server, type_code: str, title: str, *, place: str = "") -> str:  # noqa: ANN001
    _go(page, server.url("/consultation/m/new/"))
    page.select_option("select[name=meeting_type]", value=type_code)
    page.fill("input[name=title]", title)
    page.fill("input[name=starts_at]", _local(dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    if place:
        page.select_option("select[name=place]", label=place)
    _submit(page, page.get_by_role("button", name="预告会议"))
    expect(page.locator("h1")).to_contain_text(title)
    return _found(rf"/consultation/m/({UUID})/", page.url)


def _meeting_open(page: Page, server, meeting: str) -> None:  # noqa: ANN001
    _go(page, server.url(f"/consultation/m/{meeting}/"))
    _submit(page, page.get_by_role("button", name="开始会议（开始签到）"))
    expect(page.locator("main")).to_contain_text("签到码")


def _meeting_close(page: Page, server, meeting: str) -> None:  # noqa: ANN001
    _go(page, server.url(f"/consultation/m/{meeting}/"))
    _submit(page, page.get_by_role("button", name="结束会议"))  # confirm() is accepted
    expect(page.locator("main")).to_contain_text("会议已结束")


def _sign_in_everyone(page: Page, server, meeting: str) -> None:  # noqa: ANN001
    """The sign-in sheet, page by page: 全选本页, 签到."""
    number = 1
    while True:
        _go(page, server.url(f"/consultation/m/{meeting}/roll/?page={number}"))
        if page.locator("input[name=key]").count():
            page.check("label.roll-all input")
            expect(page.locator("input[name=key]:not(:checked)")).to_have_count(0)
            _submit(page, page.locator(".roll-bar button[type=submit]"))
            expect(page.locator(".messages")).to_contain_text("已签到")
        if not page.locator(".pager a", has_text="下一页").count():
            return
        number += 1


def _sign_in(page: Page, server, meeting: str, people: list[dict[str, str]], shot) -> None:  # noqa: ANN001
    """Tick the people who came on the sheet and press 签到 (a person further on the sheet
    is found by name first)."""
    roll = server.url(f"/consultation/m/{meeting}/roll/")
    sign = page.locator(".roll-bar button[type=submit]")
    _go(page, roll)
    for person in people:
        box = page.locator(f"input[name=key][value='{person['key']}']")
        if not box.count():
            if page.locator("input[name=key]:checked").count():
                _submit(page, sign)
            _go(page, roll + "?q=" + person["name"])
        box.check()
    assert fits_width(page)
    _shot(page, shot)
    _submit(page, sign)
    expect(page.locator(".messages")).to_contain_text("已签到")
    expect(page.locator(".messages")).not_to_contain_text("未签到")


def _item_of(page: Page) -> str:
    """The agenda item on the meeting page (one item per meeting here)."""
    href = page.locator("#agenda .vt-row a[href*='/consultation/i/']").first.get_attribute("href")
    return _found(rf"/consultation/i/({UUID})/", href or "")


def _vote_open(page: Page, server, meeting: str) -> str:  # noqa: ANN001
    _go(page, server.url(f"/consultation/m/{meeting}/"))
    item = _item_of(page)
    _submit(page, page.locator("#agenda").get_by_role("button", name="开始表决"))
    expect(page.locator("main")).to_contain_text("表决中")
    return item


def _ballot(page: Page, server, item: str, person: dict[str, str], choice: str) -> None:  # noqa: ANN001
    """One elector's ballot on the sheet (an htmx post that gives the row back)."""
    sheet = server.url(f"/consultation/i/{item}/roll/")
    row = page.locator(f"li:has(input[name=elector][value='{person['key']}'])")
    if not page.url.startswith(sheet) or not row.count():
        _go(page, sheet)
        if not row.count():
            _go(page, sheet + "?q=" + person["name"])
    row.get_by_role("button", name=choice, exact=True).click()
    expect(page.locator(f"#roll-{person['key'].replace(':', '')}")).to_contain_text(
        f"已投：{choice}"
    )


def _all_agree(page: Page, server, item: str) -> None:  # noqa: ANN001
    """Every page of the ballot sheet: 本页未投票者全部记为同意 (a show of hands)."""
    number = 1
    while True:
        _go(page, server.url(f"/consultation/i/{item}/roll/?page={number}"))
        bulk = page.locator("form.vt-many button")
        if bulk.count():
            _submit(page, bulk)  # confirm() is accepted
            expect(page.locator(".messages")).to_contain_text("票同意")
            expect(page.locator(".messages")).not_to_contain_text("未登记")
        if not page.locator(".pager a", has_text="下一页").count():
            return
        number += 1


def _vote_close(page: Page, server, item: str) -> str:  # noqa: ANN001
    _go(page, server.url(f"/consultation/i/{item}/"))
    _submit(page, page.get_by_role("button", name="结束表决并计票"))
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("表决结果：通过")
    return outcome.inner_text()


# --- the story ---------------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_proposal_becomes_a_decision_and_a_matter_walks_four_steps(  # noqa: PLR0915
    browser,  # noqa: ANN001
    request,  # noqa: ANN001
    screenshots,  # noqa: ANN001
    database,  # noqa: ANN001
) -> None:
    server = request.getfixturevalue("demo_server" if database == "sqlite" else "demo_server_pg")
    shots = screenshots / database
    shots.mkdir(exist_ok=True)
    people = _people(server)
    proposer, neighbours = people[0], people[1:]
    tracking_no, case_id = _open_case(server)

    # 1. The proposer opens the community's page on the phone, taps to propose, signs in with
    #    the phone and comes back to the form.
    res_ctx = _phone_context(browser)
    resident = res_ctx.new_page()
    _go(resident, server.url(f"/c/v/{COMMUNITY}/"))
    assert_styled(resident)
    assert fits_width(resident)
    _shot(resident, shots / "consult-home-360.png")
    resident.get_by_role("link", name="我要提议题").click()
    resident.wait_for_url(re.compile(r"/r/login/\?next="))
    _resident_login(resident, proposer["phone"])
    assert resident.url.endswith(f"/c/v/{COMMUNITY}/proposals/new/"), resident.url
    expect(resident.locator("h1")).to_contain_text("提议题")
    resident.fill("input[name=title]", TITLE)
    resident.fill("textarea[name=body]", BODY)
    if resident.locator("select[name=place]").count():
        resident.select_option("select[name=place]", label=GRID_NAME)
    assert fits_width(resident)
    _shot(resident, shots / "consult-propose-360.png")
    _submit(resident, resident.get_by_role("button", name="提交议题"))
    proposal = _found(rf"/c/pr/({UUID})/", resident.url)
    expect(resident.locator("h1")).to_contain_text(TITLE)
    expect(resident.locator("main")).to_contain_text("这是您提出的议题")
    assert proposer["name"] not in resident.locator("main").inner_text()  # masked: 张*
    assert fits_width(resident)
    _shot(resident, shots / "consult-proposed-360.png")
    proposal_url = resident.url

    # 2. Twelve neighbours support it, each on their own phone.
    for n, person in enumerate(neighbours, start=1):
        ctx = _phone_context(browser)
        page = ctx.new_page()
        _go(page, proposal_url)
        _submit(page, page.get_by_role("button", name="我支持"))  # not signed in: to login
        _resident_login(page, person["phone"])
        assert page.url == proposal_url, page.url
        _submit(page, page.get_by_role("button", name="我支持"))
        expect(page.locator(".badge", has_text="您已支持")).to_be_visible()
        expect(page.locator(".big-count")).to_have_text(str(n))
        if n == SUPPORTERS:
            assert fits_width(page)
            _shot(page, shots / "consult-supported-360.png")
        ctx.close()
    _go(resident, proposal_url)
    expect(resident.locator(".big-count")).to_have_text(str(SUPPORTERS))

    # 3. Staff put it on the agenda of a new 居民议事会 of the grid.
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff = desk.new_page()
    staff.on("dialog", lambda dialog: dialog.accept())
    log_in(staff, server, "shequ")
    meeting = _meeting_create(
        staff, server, "resident_council", "居民议事会：修缮庭院排水沟", place=GRID_NAME
    )
    _go(staff, server.url(f"/consultation/proposals/{proposal}/"))
    expect(staff.locator("main")).to_contain_text(f"{SUPPORTERS}")
    staff.select_option("select[name=meeting]", value=meeting)
    _submit(staff, staff.get_by_role("button", name="列入议程"))
    assert f"/consultation/m/{meeting}/" in staff.url, staff.url
    expect(staff.locator("#agenda")).to_contain_text(TITLE)

    # 4. The meeting opens; eight neighbours are signed in at the door, the proposer signs
    #    in on the phone with the code on the screen; the quorum (at least 7) is reached.
    _meeting_open(staff, server, meeting)
    door_ctx = _phone_context(browser)
    door = door_ctx.new_page()
    log_in(door, server, "shequ")
    _sign_in(door, server, meeting, neighbours[:ATTENDEES], shots / "consult-roll-360.png")
    door_ctx.close()
    _go(staff, server.url(f"/consultation/m/{meeting}/screen/"))
    code = staff.locator(".screen .code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code
    _shot(staff, shots / "consult-screen-1280.png")
    _go(resident, server.url(f"/c/m/{meeting}/"))
    _submit(resident, resident.get_by_role("link", name="我在会场，签到"))
    resident.fill("input[name=code]", code)
    _submit(resident, resident.get_by_role("button", name="签到", exact=True))
    expect(resident.locator("main")).to_contain_text("签到成功")
    assert fits_width(resident)
    _shot(resident, shots / "consult-signed-in-360.png")
    _go(staff, server.url(f"/consultation/m/{meeting}/"))
    panel = staff.locator("#quorum-panel")
    expect(panel).to_contain_text("已达到法定人数")
    expect(panel.locator(".quorum div", has_text="已到").locator(".n")).to_have_text(
        str(ATTENDEES + 1)
    )
    _shot(staff, shots / "consult-meeting-open-1280.png")

    # 5. The vote: 7 for, 1 against (one of those present does not vote); it passes with
    #    yes ÷ those present, as the page states its base.
    item = _vote_open(staff, server, meeting)
    for person in [proposer, *neighbours[:6]]:
        _ballot(staff, server, item, person, "同意")
    _ballot(staff, server, item, neighbours[6], "反对")
    _shot(staff, shots / "consult-ballots-1280.png")
    outcome = _vote_close(staff, server, item)
    yes, no, present = _ratio(outcome, "同意"), _ratio(outcome, "反对"), _ratio(outcome, "到会")
    assert (yes, no, present) == (7, 1, ATTENDEES + 1)
    assert "计票基数：到会人数" in outcome
    rate = (Decimal(yes) * 100 / Decimal(present)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    expect(staff.locator("#outcome .vt-rate")).to_have_text(f"{rate}%")
    _shot(staff, shots / "consult-passed-1280.png")

    # 6. The meeting closes; the minutes are written and locked; an edit is refused; an
    #    addendum is signed.
    _meeting_close(staff, server, meeting)
    minutes_url = server.url(f"/consultation/m/{meeting}/minutes/")
    _go(staff, minutes_url)
    text = f"会议实到{present}人，达到法定人数。议题“{TITLE}”表决通过，支持率{rate}%。"
    staff.fill("#minutes-form textarea[name=body]", text)
    _submit(staff, staff.get_by_role("button", name="保存", exact=True))
    expect(staff.locator(".messages")).to_contain_text("会议记录已保存")
    staff.check("input[name=confirm]")
    _submit(staff, staff.get_by_role("button", name="定稿（不可再修改）"))
    expect(staff.locator("h1")).to_contain_text("已定稿")
    expect(staff.locator("#minutes-form")).to_have_count(0)
    expect(staff.get_by_role("button", name="保存", exact=True)).to_have_count(0)
    token = staff.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    refused = staff.request.post(
        minutes_url,
        form={"csrfmiddlewaretoken": token, "op": "save", "version": "9", "body": "改过的记录"},
        headers={"Referer": minutes_url},
    )
    assert "会议记录已定稿，不能修改" in refused.text(), refused.status
    _go(staff, minutes_url)
    expect(staff.locator("main")).to_contain_text(text)
    assert "改过的记录" not in staff.locator("main").inner_text()
    staff.fill("#addenda textarea[name=body]", "补记：施工期间请住户将车辆挪离后院。")
    _submit(staff, staff.get_by_role("button", name="签署并添加补充说明"))
    expect(staff.locator("#addenda")).to_contain_text("补充说明（1）")
    expect(staff.locator("#addenda")).to_contain_text("签名：")
    _shot(staff, shots / "consult-minutes-locked-1280.png")

    # 7. A decision from the passed item, with a milestone that follows a request of the
    #    grid; the public page shows < 100% until the grid worker resolves the request.
    _go(staff, server.url(f"/consultation/m/{meeting}/"))
    _submit(staff, staff.locator("#agenda").get_by_role("link", name="登记议定事项"))
    staff.fill("input[name=responsible]", "迎秀社区居委会")
    due = _local(dt.timedelta(days=30)).date().isoformat()
    staff.fill("input[name=due_on]", due)
    _submit(staff, staff.get_by_role("button", name="登记", exact=True))
    expect(staff.locator(".messages")).to_contain_text("已登记议定事项")
    staff.locator("#milestones summary", has_text="添加落实节点").click()
    staff.fill("#milestones input[name=title]", "后院排水沟翻修")
    staff.fill("#milestones input[name=due_on]", due)
    staff.fill("#milestones input[name=tracking_no]", tracking_no)
    _submit(staff, staff.locator("#milestones").get_by_role("button", name="添加"))
    expect(staff.locator("#milestones")).to_contain_text(tracking_no)
    public_href = staff.get_by_role("link", name="居民看到的页面").get_attribute("href")
    assert public_href, "the decision has no public page"
    _shot(staff, shots / "consult-decision-1280.png")
    _go(resident, server.url(public_href))
    progress = resident.locator(".dc-progress .cn-rate").first
    before = int(progress.inner_text().rstrip("%"))
    assert before < 100
    assert fits_width(resident)
    _shot(resident, shots / "consult-decision-before-360.png")

    gw_ctx = _phone_context(browser)
    gw = gw_ctx.new_page()
    log_in(gw, server, "wangge")
    _go(gw, server.url(f"/cases/{case_id}/act/resolve/"))
    gw.fill("textarea[name=result]", "后院排水沟已翻修并加盖板，雨后无积水")
    _submit(gw, gw.locator("form.action-form button[type=submit]").first)
    expect(gw.locator("main")).to_contain_text("已办结")
    gw_ctx.close()
    _go(resident, server.url(public_href))
    expect(resident.locator(".dc-progress .cn-rate").first).to_have_text("100%")
    expect(resident.locator("main")).to_contain_text("关联诉求已办结")
    _shot(resident, shots / "consult-decision-done-360.png")

    # 8. 四议两公开: a matter walks its four meetings, then both notices are published.
    _go(staff, server.url("/consultation/matters/new/"))
    matter_title = "社区党群服务中心屋面防水维修"
    staff.fill("input[name=title]", matter_title)
    staff.fill("textarea[name=description]", "屋面防水层老化漏雨，拟整体翻修，约需8.6万元。")
    staff.fill("input[name=amount]", "86000")
    _submit(staff, staff.get_by_role("button", name="立项"))
    matter = _found(rf"/consultation/matters/({UUID})/", staff.url)
    matter_url = staff.url
    for number, (type_code, type_name) in enumerate(MATTER_STEPS, start=1):
        step_meeting = _meeting_create(staff, server, type_code, f"{type_name}：{matter_title}")
        _go(staff, matter_url)
        staff.select_option("select[name=schedule-meeting]", value=step_meeting)
        _submit(staff, staff.get_by_role("button", name="安排下一步会议"))
        expect(staff.locator(".messages")).to_contain_text("已列入会议议程")
        _meeting_open(staff, server, step_meeting)
        _sign_in_everyone(staff, server, step_meeting)
        _go(staff, server.url(f"/consultation/m/{step_meeting}/"))
        expect(staff.locator("#quorum-panel")).to_contain_text("已达到法定人数")
        step_item = _vote_open(staff, server, step_meeting)
        abstain = 0
        if type_code == "party_congress":
            # One member abstains, recorded on the row (htmx); the rest of the page agree
            # with the page's button, which leaves that row out.
            _go(staff, server.url(f"/consultation/i/{step_item}/roll/"))
            first = staff.locator("ul.vt-roll > li").first
            first.get_by_role("button", name="弃权", exact=True).click()
            expect(staff.locator("ul.vt-roll > li").first).to_contain_text("已投：弃权")
            abstain = 1
        _all_agree(staff, server, step_item)
        outcome = _vote_close(staff, server, step_item)
        assert _ratio(outcome, "弃权") == abstain
        assert _ratio(outcome, "反对") == 0
        _meeting_close(staff, server, step_meeting)
        _go(staff, matter_url)
        expect(staff.locator(".mt-step").nth(number - 1)).to_contain_text("支持率")
    expect(staff.locator("h1")).to_contain_text("已决议")
    staff.fill("textarea[name=resolution-text]", "同意翻修屋面防水，由社区居委会组织实施。")
    staff.fill("input[name=resolution-notice_days]", "1")  # the shortest notice the form allows
    _submit(staff, staff.get_by_role("button", name="决议公开"))
    expect(staff.locator("main")).to_contain_text("公示中")
    # The server runs on real time: instead of waiting out the notice, the publication is
    # moved two days back in the database, so the one day of notice was yesterday (the
    # matter row is not append-only).
    published = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    server.execute(
        "UPDATE consultation_matter SET resolution_published_at = ?, "
        "resolution_notice_until = ? WHERE public_id = ?",
        published.isoformat()
        if server.database_url
        else published.strftime("%Y-%m-%d %H:%M:%S.%f"),
        (_local() - dt.timedelta(days=1)).date().isoformat(),
        _db_uuid(server, matter),
    )
    _go(staff, matter_url)
    staff.fill("textarea[name=result-text]", "屋面防水已翻修完毕，经验收合格，实际支出8.3万元。")
    _submit(staff, staff.get_by_role("button", name="实施结果公开"))
    expect(staff.locator("main")).to_contain_text("实施结果已公开")
    _shot(staff, shots / "consult-matter-1280.png")
    desk.close()

    _go(resident, server.url(f"/c/mt/{matter}/"))
    chain = resident.locator(".mt-step")
    expect(chain).to_have_count(4)
    for number, (_code, type_name) in enumerate(MATTER_STEPS):
        expect(chain.nth(number)).to_contain_text(type_name)
        expect(chain.nth(number)).to_contain_text("通过")
    expect(resident.locator("#resolution")).to_contain_text("同意翻修屋面防水")
    expect(resident.locator("#resolution")).to_contain_text("公示期满")
    yesterday = _local() - dt.timedelta(days=1)
    expect(resident.locator("#resolution")).to_contain_text(
        f"{yesterday.year}年{yesterday.month}月{yesterday.day}日（1天）"
    )
    expect(resident.locator("#result")).to_contain_text("验收合格")
    assert fits_width(resident)
    _shot(resident, shots / "consult-matter-360.png")
    for kind in ("resolution", "result"):
        pdf = resident.request.get(server.url(f"/c/mt/{matter}/{kind}.pdf"))
        assert pdf.ok, f"{kind}.pdf answered {pdf.status}"
        assert pdf.body().startswith(b"%PDF"), pdf.body()[:20]
    res_ctx.close()
