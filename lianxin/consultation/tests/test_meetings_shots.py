"""Screenshots at 360 px of the phone pages of meetings: the sign-in roll (staff at the door)
and the residents' meeting page (run by hand: LIANXIN_SHOTS=1 python -m pytest
lianxin/consultation/tests/test_meetings_shots.py; PNGs in $LIANXIN_SCREENSHOTS or the
system temp folder's lianxin-meeting-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.consultation.services import meetings, minutes, votes
from lianxin.consultation.tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-meeting-shots"
ROOT = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": ROOT / "static" / "lianxin" / "app.css",
    "cases/public.css": ROOT / "cases" / "static" / "cases" / "public.css",
}


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


def test_shots(world: Any) -> None:
    f.households(world.building, 8)
    staff = world.actor("village_staff")
    m = f.open_meeting(
        world,
        code="property_face_to_face",
        attendees=5,
        title="迎秀小区停车位规划面对面议事会",
        venue=f.venue(world.village, "迎秀小区凉亭议事角"),
    )
    item = f.voting_item(world, m, title="在3号楼东侧划定20个临时停车位")
    for a in list(m.attendances.all())[:4]:
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    votes.ballot_record(
        actor=staff, item=item, elector_key=m.attendances.last().elector_key, choice="no"
    )
    votes.item_vote_close(actor=staff, item=item, note="由物业负责施划，两周内完成。")
    votes.item_add(actor=staff, meeting=m, title="电动车充电桩选址")
    client = world.client("village_staff")
    roll = client.get(reverse("consultation:meeting_roll", args=[m.public_id])).content.decode()
    minutes.minutes_save(actor=staff, meeting=m, body="一、停车位规划：同意4户，反对1户，通过。")
    meetings.meeting_close(actor=staff, meeting=m)
    minutes.minutes_lock(actor=staff, meeting=m)
    minutes.addendum_add(actor=staff, meeting=m, body="补充：施划时间定为下周六上午。")
    public = Client().get(reverse("consultation_public:meeting_public", args=[m.public_id]))
    _shoot({"roll-360": roll, "public-meeting-360": public.content.decode()})
    assert (OUT / "roll-360.png").exists()
