"""Screenshots of the residents' consultation page and the proposal pages at 360 px (run by
hand: LIANXIN_SHOTS=1 python -m pytest lianxin/consultation/tests/test_proposals_shots.py;
PNGs in $LIANXIN_SCREENSHOTS or the system temp folder's lianxin-proposal-shots)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.consultation.models import Decision
from lianxin.consultation.services import meetings, votes
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests.test_proposals import neighbour, signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-proposal-shots"
)
STATIC = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": STATIC / "static" / "lianxin" / "app.css",
    "cases/public.css": STATIC / "cases" / "static" / "cases" / "public.css",
}
PHONE = "13912345678"


def _inline(html: str) -> str:
    for name, path in CSS.items():
        html = re.sub(
            rf'<link rel="stylesheet" href="[^"]*{re.escape(name)}">',
            lambda _m, p=path: f"<style>{p.read_text()}</style>",
            html,
        )
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def _shoot(pages: dict[str, str], width: int = 360) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, html in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(_inline(html))
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    me = neighbour(world.building, "王秀英", phone=PHONE)
    lamp = svc.proposal_submit(
        resident=neighbour(world.building, "张建国"),
        unit=world.village,
        place=world.grid,
        title="小区东门加装路灯，方便老人晚上出入",
        body="东门一到晚上就很黑，上个月有老人在台阶上摔倒。建议在门口和台阶两侧各装一盏太阳能路灯。",
    )
    for i in range(12):
        svc.proposal_support(proposal=lamp, resident=neighbour(world.sibling_building, f"邻{i}"))
    svc.proposal_submit(
        resident=me, unit=world.village, title="增设非机动车充电棚", body="电动车在楼道充电不安全。"
    )
    f.meeting(world, title="五月居民议事会", venue=f.venue(world.village))
    f.households(world.building, 7)
    m = f.open_meeting(world, attendees=7, title="四月居民议事会")
    item = f.voting_item(world, m, title="老旧小区供暖改造")
    for a in list(m.attendances.all())[:6]:
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    votes.item_vote_close(actor=staff, item=item)
    meetings.meeting_close(actor=staff, meeting=m)
    Decision.objects.create(
        unit=world.village,
        title="老旧小区供暖改造",
        summary="改造",
        responsible="社区居委会、热力公司",
        decided_on=dt.date(2025, 4, 1),
        due_on=dt.date(2025, 10, 31),
        progress=60,
    )
    client = signed_in(PHONE)
    pages = {
        "unit_home": client.get(
            reverse("consultation_public:unit_home", args=[world.village.code])
        ).content.decode(),
        "proposal_new": client.post(
            reverse("consultation_public:proposal_new", args=[world.village.code]),
            {"title": "", "body": "楼下垃圾桶太少，夏天有异味。"},
        ).content.decode(),
        "proposal_public": client.get(
            reverse("consultation_public:proposal_public", args=[lamp.public_id])
        ).content.decode(),
    }
    _shoot(pages)
