"""三诺 pages: the staff list with the year's figures, a pledge's page and its actions, the
report form with a photo, the score sheet; the residents' page by year."""

from __future__ import annotations

import base64
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.consultation.models import Pledge, PledgeReport, PledgeScore
from lianxin.consultation.services import pledges as svc
from lianxin.consultation.tests import scope_pledges as pf
from lianxin.core import clock
from lianxin.core.crypto import mask_name

pytestmark = pytest.mark.django_db


def _detail(pledge: Pledge) -> str:
    return reverse("consultation:pledge_detail", args=[pledge.public_id])


def test_list_shows_the_year_and_its_figures(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    pf.evaluated(world)
    client = world.client("street_staff")
    with django_assert_max_num_queries(15):
        page = client.get(reverse("consultation:pledge_list"), {"year": "2026"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "迎秀社区" in html and "87.50" in html
    empty = client.get(reverse("consultation:pledge_list"), {"year": "2025"}).content.decode()
    assert "还没有建立三诺" in empty


def test_secretary_drafts_edits_and_publishes_on_the_pages(world) -> None:  # noqa: ANN001
    client = world.client("village_secretary")
    bad = client.post(
        reverse("consultation:pledge_create"),
        {"unit": world.village.code, "year": "2040", "items": "修缮排水沟\n道路白变黑"},
    )
    assert bad.status_code == 400
    assert "年度应在" in bad.content.decode() and "道路白变黑" in bad.content.decode()
    done = client.post(
        reverse("consultation:pledge_create"),
        {"unit": world.village.code, "year": str(svc.today().year), "items": "修缮排水沟\n"},
    )
    pledge = Pledge.objects.get()
    assert done.status_code == 302 and done["Location"] == _detail(pledge)
    add = reverse("consultation:pledge_item_add", args=[pledge.public_id])
    refused = client.post(add, {"title": "", "version": pledge.version})
    assert refused.status_code == 400
    client.post(add, {"title": "道路白变黑", "due_on": "2026-10-01", "version": pledge.version})
    pledge.refresh_from_db()
    edit = reverse("consultation:pledge_item_edit", args=[pledge.public_id, 1])
    client.post(edit, {"op": "save", "i1-title": "修缮村东排水沟", "i1-version": pledge.version})
    pledge.refresh_from_db()
    act = reverse("consultation:pledge_act", args=[pledge.public_id])
    stale = client.post(act, {"action": "publish", "version": pledge.version - 1})
    assert stale.status_code == 409 and "刚刚有变化" in stale.content.decode()
    assert client.post(act, {"action": "publish", "version": pledge.version}).status_code == 302
    pledge.refresh_from_db()
    assert pledge.stage == "published"
    assert [i.title for i in pledge.items.order_by("order")] == ["修缮村东排水沟", "道路白变黑"]
    html = client.get(_detail(pledge)).content.decode()
    assert "报告年中践诺" in html and "修改或删除" not in html


def test_report_with_photo_and_the_photo_page(world) -> None:  # noqa: ANN001
    pledge = pf.published(world)
    client = world.client("village_secretary")
    url = reverse("consultation:pledge_item_report", args=[pledge.public_id, 1])
    with clock.travel(pf.at(7, 1)):
        assert client.get(url).status_code == 200
        refused = client.post(
            url,
            {
                "stage": "midyear",
                "fulfilment": "done",
                "note": "照片",
                "evidence": pf.SimpleUploadedFile("x.jpg", b"no"),
            },
        )
        assert refused.status_code == 400 and "不是有效的图片" in refused.content.decode()
        ok = client.post(
            url,
            {
                "stage": "midyear",
                "fulfilment": "in_progress",
                "note": "已开工",
                "evidence": pf.photo(),
            },
        )
    assert ok.status_code == 302
    report = PledgeReport.objects.get()
    name = report.evidence.name.rsplit("/", 1)[-1]
    photo = client.get(reverse("consultation:pledge_evidence", args=[pledge.public_id, name]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert name in client.get(_detail(pledge)).content.decode()
    # The street sees the report but may not write one.
    street = world.client("street_staff")
    with clock.travel(pf.at(7, 2)):
        again = street.post(url, {"stage": "midyear", "fulfilment": "done", "note": "代报"})
    assert again.status_code == 403 and PledgeReport.objects.count() == 1


def test_score_sheet(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    keys = pf.evaluators(world, reps=3, members=3)
    pledge = pf.evaluating(world)
    client = world.client("street_staff")
    url = reverse("consultation:pledge_scores", args=[pledge.public_id])
    with django_assert_max_num_queries(14):
        sheet = client.get(url)
    html = sheet.content.decode()
    assert html.count('name="elector_key"') == 6 and "代表0" in html and "党员2" in html
    bad = client.post(url, {"elector_key": keys[0], "score": "120"})
    assert bad.status_code == 400 and not PledgeScore.objects.exists()
    assert (
        client.post(url, {"elector_key": keys[0], "score": "92", "comment": "好"}).status_code
        == 302
    )
    twice = client.post(url, {"elector_key": keys[0], "score": "50"})
    assert twice.status_code == 400 and "已经评过分" in twice.content.decode()
    html = client.get(url).content.decode()
    assert "92 分" in html and html.count('name="elector_key"') == 5
    # The secretary reads the sheet but has no inputs.
    own = world.client("village_secretary").get(url).content.decode()
    assert 'name="elector_key"' not in own and "书记本人不能" in own
    assert world.client("other_street_staff").get(url).status_code == 404


def test_residents_page_by_year(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    old = pf.evaluated(world, year=2025, evidence=True)
    pf.draft(world, titles=["2026年的草稿"])
    client = Client()
    url = reverse("consultation_public:pledge_public", args=[world.village.code])
    with django_assert_max_num_queries(8):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "2025年承诺" in html and "87.50" in html and "2 名" in html
    assert "草稿" not in html and "代表0" not in html and "village_secretary" not in html
    assert mask_name("village_secretary") in html  # the secretary's name, masked
    assert (
        client.get(
            reverse("consultation_public:pledge_public", args=[world.village.code, 2026])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("consultation_public:pledge_public", args=["nowhere"])).status_code
        == 404
    )
    name = PledgeReport.objects.filter(item__pledge=old).first().evidence.name.rsplit("/", 1)[-1]
    assert name in html
    photo = reverse(
        "consultation_public:pledge_public_evidence", args=[world.village.code, 2025, name]
    )
    assert client.get(photo).status_code == 200
    other = reverse(
        "consultation_public:pledge_public_evidence", args=[world.other_village.code, 2025, name]
    )
    assert client.get(other).status_code == 404


@pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand")
def test_public_page_shot(world) -> None:  # noqa: ANN001
    """LIANXIN_SHOTS=1: the residents' page at 360 px (PNG in the temp folder)."""
    from playwright.sync_api import sync_playwright

    root = Path(__file__).resolve().parents[2]
    pf.evaluated(world, year=2025, evidence=True)
    pledge = pf.reported(world, evidence=True)
    with clock.travel(pf.at(7, 20)):
        svc.pledge_report(
            actor=world.actor("village_secretary"),
            item=pledge.items.get(order=3),
            stage="midyear",
            fulfilment="done",
            note="幸福院已于7月建成投用，可容纳30位老人日间照料。",
        )
    out = Path(tempfile.gettempdir()) / "lianxin-pledge-shots"
    out.mkdir(exist_ok=True)
    shots = {
        "public-2026": reverse("consultation_public:pledge_public", args=[world.village.code]),
        "public-2025": reverse(
            "consultation_public:pledge_public", args=[world.village.code, 2025]
        ),
    }
    jpeg = base64.b64encode(pf.photo().read()).decode()
    css = {
        "lianxin/app.css": root / "static" / "lianxin" / "app.css",
        "cases/public.css": root / "cases" / "static" / "cases" / "public.css",
    }
    evaluating = pf.evaluating(world, year=2024)
    staff = {
        "staff-detail": _detail(pledge),
        "staff-scores": reverse("consultation:pledge_scores", args=[evaluating.public_id]),
    }
    pages = {}
    for name, url in staff.items():
        pages[name] = world.client("street_staff").get(url).content.decode()
    # Render first: Playwright's sync API runs an event loop (no ORM inside it).
    for name, url in shots.items():
        pages[name] = Client().get(url).content.decode()
    for name, html in list(pages.items()):
        for ref, path in css.items():
            html = re.sub(
                rf'<link rel="stylesheet" href="[^"]*{re.escape(ref)}">',
                lambda _m, p=path: f"<style>{p.read_text()}</style>",
                html,
            )
        html = re.sub(r'src="[^"]*/evidence/[^"]*"', f'src="data:image/jpeg;base64,{jpeg}"', html)
        pages[name] = re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, html in pages.items():
            (out / f"{name}.html").write_text(html)
            width = 1100 if name.startswith("staff") else 360
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto((out / f"{name}.html").as_uri())
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            page.close()
        browser.close()
