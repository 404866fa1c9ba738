"""Staff pages of meetings: list (filters, paging, query budget, Excel), announce/edit/cancel,
open/close, the live quorum, the sign-in roll, the projector screen and the minutes."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess  # noqa: S404
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.consultation import electorate
from lianxin.consultation.models import Attendance, Meeting, Minutes, MinutesRevision
from lianxin.consultation.services import meetings, minutes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock

pytestmark = pytest.mark.django_db


def _url(name: str, m: Meeting) -> str:
    return reverse(f"consultation:{name}", kwargs={"public_id": m.public_id})


def _keys(world: Any, kind: str = "residents") -> list[str]:
    return [e.key for e in electorate.electors(world.village, kind, on=clock.now().date())]


# --- list ------------------------------------------------------------------------------------


def test_list_filters_and_stays_within_query_budget(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    f.households(world.building, 3)
    for i in range(3):
        f.meeting(world, title=f"议事会{i}")
    f.meeting(world, code="resident_reps", title="代表会议甲")
    client = world.client("village_staff")
    url = reverse("consultation:meeting_list")
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(12):
        small = client.get(url)
    for i in range(3, 20):
        f.meeting(world, title=f"议事会{i}")
    with django_assert_max_num_queries(12):
        big = client.get(url)
    assert small.status_code == big.status_code == 200
    page = big.content.decode()
    assert "议事会19" in page and "第 1 / 1 页" not in page
    only_reps = client.get(url, {"type": "resident_reps"}).content.decode()
    assert "代表会议甲" in only_reps and "议事会1<" not in only_reps
    month = (clock.now() + dt.timedelta(days=1)).strftime("%Y-%m")
    assert "代表会议甲" in client.get(url, {"month": month}).content.decode()
    assert "代表会议甲" not in client.get(url, {"month": "2001-01"}).content.decode()
    assert "代表会议甲" not in client.get(url, {"status": "open"}).content.decode()


def test_export_is_the_filtered_list(world: Any) -> None:
    f.households(world.building, 2)
    f.meeting(world, title="导出的会议")
    f.meeting(world, code="resident_reps", title="不导出的会议")
    response = world.client("village_staff").get(
        reverse("consultation:meeting_export"), {"type": "resident_council"}
    )
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "会议名称"
    assert [r[0] for r in rows[1:]] == ["导出的会议"]
    assert rows[1][1] == "迎秀社区"


# --- announce, edit, cancel, open, close -------------------------------------------------------


def test_create_offers_only_the_unit_types_and_keeps_input_on_refusal(world: Any) -> None:
    f.households(world.building, 2)
    venue = f.venue(world.village)
    client = world.client("village_staff")
    url = reverse("consultation:meeting_create")
    form = client.get(url).content.decode()
    # A community: the villages-only types are not offered.
    assert 'value="resident_council"' in form and 'value="village_assembly"' not in form
    bad = client.post(
        url,
        {
            "unit": str(world.village.public_id),
            "title": "",
            "meeting_type": "resident_council",
            "starts_at": "2026-12-01T19:30",
            "venue": str(venue.public_id),
            "host_label": "李书记",
            "is_public": "on",
        },
    )
    assert bad.status_code == 200
    page = bad.content.decode()
    assert "李书记" in page and "2026-12-01T19:30" in page
    good = client.post(
        url,
        {
            "unit": str(world.village.public_id),
            "title": "楼道堆物整治议事会",
            "meeting_type": "resident_council",
            "starts_at": "2026-12-01T19:30",
            "venue": str(venue.public_id),
            "place": str(world.building.public_id),
            "host_label": "李书记",
            "is_public": "on",
        },
    )
    m = Meeting.objects.get(title="楼道堆物整治议事会")
    assert good.status_code == 302 and good["Location"] == _url("meeting_detail", m)
    assert (m.venue, m.place, m.host_label, m.is_public) == (venue, world.building, "李书记", True)


def test_other_village_venue_is_refused_by_name(world: Any) -> None:
    f.households(world.building, 2)
    elsewhere = f.venue(world.other_village, "西关议事角")
    response = world.client("village_staff").post(
        reverse("consultation:meeting_create"),
        {
            "unit": str(world.village.public_id),
            "title": "议事会",
            "meeting_type": "resident_council",
            "starts_at": "2026-12-01T19:30",
            "venue": str(elsewhere.public_id),
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Meeting.objects.exists()


def test_edit_cancel_and_stale_version(world: Any) -> None:
    f.households(world.building, 2)
    m = f.meeting(world, title="原名称")
    client = world.client("village_staff")
    data = {"title": "新名称", "starts_at": "2026-12-02T09:00", "venue": "", "host_label": ""}
    response = client.post(_url("meeting_edit", m), {**data, "version": m.version})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.title == "新名称" and m.version == 2
    stale = client.post(_url("meeting_edit", m), {**data, "title": "再改", "version": 1})
    assert "刚刚有变化" in stale.content.decode() and "再改" in stale.content.decode()
    refused = client.post(_url("meeting_cancel", m), {"version": m.version, "reason": ""})
    assert "请填写取消原因" in refused.content.decode() or "必填" in refused.content.decode()
    client.post(_url("meeting_cancel", m), {"version": m.version, "reason": "台风停会"})
    m.refresh_from_db()
    assert (m.status, m.cancel_reason) == ("cancelled", "台风停会")


def test_open_and_close_from_the_detail_page(world: Any) -> None:
    f.households(world.building, 4)
    m = f.meeting(world)
    client = world.client("village_staff")
    page = client.get(_url("meeting_detail", m)).content.decode()
    assert "开始会议" in page and "尚差" in page
    client.post(reverse("consultation:meeting_action", args=[m.public_id, "open"]), {"version": 1})
    m.refresh_from_db()
    assert m.status == "open" and m.eligible_count == 4 and len(m.signin_code) == 6
    # The same button pressed twice (an old page): refused with a message, nothing changes.
    again = client.post(
        reverse("consultation:meeting_action", args=[m.public_id, "open"]),
        {"version": 1},
        follow=True,
    )
    assert "不能进行此操作" in again.content.decode() or "刚刚有变化" in again.content.decode()
    client.post(reverse("consultation:meeting_action", args=[m.public_id, "close"]))
    m.refresh_from_db()
    assert m.status == "closed"


def test_frontline_viewer_sees_no_actions(world: Any) -> None:
    f.households(world.building, 2)
    m = f.meeting(world)
    page = world.client("street_staff").get(_url("meeting_detail", m)).content.decode()
    assert m.title in page and "开始会议" not in page
    refused = world.client("street_staff").post(
        reverse("consultation:meeting_action", args=[m.public_id, "open"]), follow=True
    )
    assert "权限" in refused.content.decode()
    m.refresh_from_db()
    assert m.status == "planned"


def test_agenda_row_and_add_item_link(world: Any) -> None:
    f.households(world.building, 2)
    m = f.meeting(world)
    from lianxin.consultation.services import votes

    votes.item_add(actor=world.actor("village_staff"), meeting=m, title="加装电梯")
    page = world.client("village_staff").get(_url("meeting_detail", m)).content.decode()
    assert "加装电梯" in page
    assert reverse("consultation:item_add", kwargs={"public_id": m.public_id}) in page


def test_detail_queries_do_not_grow_with_decided_items(world: Any) -> None:
    """Each decided item's row links to its decision (or offers to record one): read with the
    agenda, not one query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianxin.consultation.services import decisions, votes

    f.households(world.building, 9)
    staff = world.actor("village_staff")
    m = f.open_meeting(world, attendees=8)
    keys = [a.elector_key for a in m.attendances.all()]

    def decided_item(title: str, *, with_decision: bool) -> None:
        item = f.voting_item(world, m, title=title)
        for key in keys:
            votes.ballot_record(actor=staff, item=item, elector_key=key, choice="yes")
        item = votes.item_vote_close(actor=staff, item=item)
        if with_decision:
            today = clock.now().date()
            decisions.decision_create(
                actor=staff,
                item=item,
                title=title,
                summary="落实",
                responsible="社区居委会",
                decided_on=today,
                due_on=today + dt.timedelta(days=30),
            )

    client = world.client("village_staff")
    decided_item("议题一", with_decision=True)
    with CaptureQueriesContext(connection) as one:
        assert client.get(_url("meeting_detail", m)).status_code == 200
    for n in range(4):
        decided_item(f"议题{n + 2}", with_decision=n % 2 == 0)
    with CaptureQueriesContext(connection) as five:
        page = client.get(_url("meeting_detail", m)).content.decode()
    assert "落实进度" in page and "登记议定事项" in page
    assert len(five) == len(one)


# --- quorum ----------------------------------------------------------------------------------


def test_quorum_panel_counts_and_polls_while_open(world: Any) -> None:
    f.representatives(world.village, 9)
    m = f.open_meeting(world, code="resident_reps", attendees=5)
    client = world.client("village_staff")
    panel = client.get(_url("meeting_quorum", m)).content.decode()
    assert 'hx-trigger="every 5s"' in panel
    assert "尚差 1 人" in panel and ">9<" in panel and ">6<" in panel and ">5<" in panel
    key = [k for k in _keys(world, "representatives") if not m.attendances.filter(elector_key=k)]
    meetings.attendance_record(actor=world.actor("village_staff"), meeting=m, elector_key=key[0])
    assert "已达到法定人数" in client.get(_url("meeting_quorum", m)).content.decode()


# --- roll ------------------------------------------------------------------------------------


def test_roll_signs_in_many_shows_refusals_and_marks_the_signed(world: Any) -> None:
    f.households(world.building, 6)
    m = f.open_meeting(world, attendees=1)
    keys = _keys(world)
    client = world.client("village_staff")
    page = client.get(_url("meeting_roll", m)).content.decode()
    assert page.count('name="key"') == 5 and "已签到" in page
    response = client.post(_url("meeting_roll", m), {"key": keys[:3]}, follow=True)
    text = response.content.decode()
    assert "已签到 2 人" in text
    assert "未签到：" in text and "住户0已签到" in text
    assert Attendance.objects.filter(meeting=m).count() == 3
    found = client.get(_url("meeting_roll", m), {"q": "住户5"}).content.decode()
    assert "住户5" in found and "住户4" not in found


def test_roll_of_a_planned_meeting_cannot_sign(world: Any) -> None:
    f.households(world.building, 2)
    m = f.meeting(world)
    client = world.client("village_staff")
    assert "会议开始后才能签到" in client.get(_url("meeting_roll", m)).content.decode()
    text = client.post(_url("meeting_roll", m), {"key": _keys(world)[:1]}, follow=True)
    assert "不能签到" in text.content.decode()
    assert not Attendance.objects.exists()


# --- screen ----------------------------------------------------------------------------------


def test_screen_shows_code_and_renews_it(world: Any) -> None:
    f.households(world.building, 2)
    m = f.open_meeting(world)
    client = world.client("village_staff")
    page = client.get(_url("meeting_screen", m)).content.decode()
    assert m.signin_code in page and "quorum-panel" in page
    assert 'src="data:image/png;base64,' in page  # the QR of the residents' sign-in page
    client.post(_url("meeting_screen", m))
    m2 = Meeting.objects.get(pk=m.pk)
    assert m2.signin_code != m.signin_code or len(m2.signin_code) == 6
    assert m2.signin_code in client.get(_url("meeting_screen", m)).content.decode()


# --- minutes ---------------------------------------------------------------------------------


def test_minutes_edit_conflict_keeps_the_text(world: Any) -> None:
    f.households(world.building, 2)
    m = f.open_meeting(world, attendees=2)
    client = world.client("village_staff")
    url = _url("meeting_minutes", m)
    assert client.post(url, {"op": "save", "version": 1, "body": "第一稿"}).status_code == 302
    minutes.minutes_save(actor=world.actor("village_secretary"), meeting=m, body="书记改过的稿")
    stale = client.post(url, {"op": "save", "version": 2, "body": "我的第二稿"})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "我的第二稿" in page and "书记改过的稿" in page and "刚刚被他人修改" in page
    # Saved knowingly on top of the newest version.
    assert 'name="version" value="3"' in page
    assert client.post(url, {"op": "save", "version": 3, "body": "合并稿"}).status_code == 302
    assert Minutes.objects.get(meeting=m).body == "合并稿"
    assert MinutesRevision.objects.filter(minutes__meeting=m).count() == 3
    history = client.get(url).content.decode()
    assert "第 4 版" in history and "第 2 版" in history


def test_lock_needs_confirmation_then_refuses_edits_and_takes_addenda(world: Any) -> None:
    f.households(world.building, 2)
    m = f.open_meeting(world, attendees=2)
    staff = world.actor("village_staff")
    minutes.minutes_save(actor=staff, meeting=m, body="议定：修缮排水沟。")
    meetings.meeting_close(actor=staff, meeting=m)
    client = world.client("village_staff")
    url = _url("meeting_minutes", m)
    unconfirmed = client.post(url, {"op": "lock", "version": 2})
    assert "请勾选确认" in unconfirmed.content.decode()
    assert Minutes.objects.get(meeting=m).locked_at is None
    assert client.post(url, {"op": "lock", "version": 2, "confirm": "on"}).status_code == 302
    locked = Minutes.objects.get(meeting=m)
    assert locked.locked_at is not None and len(locked.digest) == 64
    refused = client.post(url, {"op": "save", "version": locked.version, "body": "偷偷改写"})
    text = refused.content.decode()
    assert "已定稿" in text and "偷偷改写" in text
    assert Minutes.objects.get(meeting=m).body == "议定：修缮排水沟。"
    empty = client.post(url, {"op": "addendum", "body": ""})
    assert "必填" in empty.content.decode() or "请填写" in empty.content.decode()
    client.post(url, {"op": "addendum", "body": "补充：排水沟由物业负责。"})
    page = client.get(url).content.decode()
    assert "补充：排水沟由物业负责。" in page and locked.digest in page
    addendum = locked.addenda.get()
    assert addendum.signature in page


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    source = tmp_path / "m.pdf"
    source.write_bytes(data)
    out = subprocess.run([tool, "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True)  # noqa: S603
    return out.stdout.decode("utf-8")


def test_minutes_pdf(world: Any, tmp_path: Path) -> None:
    from lianxin.consultation.services import votes
    from lianxin.core import pdf

    f.households(world.building, 4)
    m = f.open_meeting(world, code="property_face_to_face", attendees=4, title="供暖改造议事会")
    staff = world.actor("village_staff")
    item = f.voting_item(world, m, title="老旧小区供暖改造")
    for key in _keys(world, "households")[:3]:
        votes.ballot_record(actor=staff, item=item, elector_key=key, choice="yes")
    votes.item_vote_close(actor=staff, item=item)
    minutes.minutes_save(actor=staff, meeting=m, body="会议议定供暖改造。")
    meetings.meeting_close(actor=staff, meeting=m)
    locked = minutes.minutes_lock(actor=staff, meeting=m)
    minutes.addendum_add(actor=staff, meeting=m, body="补充说明一则")
    response = world.client("village_staff").get(_url("meeting_minutes_pdf", m))
    try:
        pdf.cjk_font()
    except pdf.PdfFontMissing:
        assert response.status_code == 503
        return
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content, tmp_path).replace(" ", "")
    for expected in (
        "供暖改造议事会",
        "老旧小区供暖改造",
        "100.00%",
        "会议议定供暖改造。",
        "补充说明一则",
    ):
        assert expected in text
    assert locked.digest[:16] in text.replace("\n", "")
