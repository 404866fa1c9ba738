"""Screenshots of the votes pages at phone width (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/consultation/tests/test_votes_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-votes-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.cases.models import OutboundMessage
from lianxin.cases.services.residents import SESSION_KEY, SESSION_MASK_KEY
from lianxin.consultation import electorate
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.core import clock

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-votes-shots"
ROOT = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": ROOT / "static" / "lianxin" / "app.css",
    "cases/public.css": ROOT / "cases" / "static" / "cases" / "public.css",
}


def _inline(html: str) -> str:
    for name, path in CSS.items():
        found = re.search(rf'<link rel="stylesheet" href="[^"]*{re.escape(name)}">', html)
        if found:
            html = html.replace(found.group(0), f"<style>{path.read_text()}</style>")
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def _shoot(pages: dict[str, str], width: int = 360) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, html in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(_inline(html))
            page = browser.new_page(viewport={"width": width, "height": 740})
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    homes = f.households(world.building, 12)
    m = f.open_meeting(
        world, code="property_face_to_face", attendees=6, title="迎秀小区加装电梯议事会"
    )
    item = f.voting_item(
        world,
        m,
        title="1号楼加装电梯及费用分摊方案",
        description="拟在1号楼东侧加装电梯一部，费用按楼层分摊。",
        allow_online=True,
    )
    staff = world.actor("village_staff")
    keys = [e.key for e in electorate.electors(world.village, "households", on=clock.now().date())]
    for key in keys[:3]:
        votes.ballot_record(actor=staff, item=item, elector_key=key, choice="yes")
    votes.vote_links_send(actor=staff, item=item, base_url="http://testserver/c/vote/")
    token = (
        OutboundMessage.objects.filter(template="consultation_vote_link")
        .latest("id")
        .payload["url"]
        .rstrip("/")
        .rsplit("/", 1)[1]
    )
    resident = Client()
    session = resident.session
    me = homes[10].residents.get()
    session[SESSION_KEY] = me.phone_digest
    session[SESSION_MASK_KEY] = me.phone_masked
    session.save()
    signin = reverse("consultation_public:meeting_signin", args=[m.public_id])
    pages = {
        "signin": resident.get(signin).content.decode(),
        "signin_wrong": resident.post(signin, {"code": "12"}).content.decode(),
        "signin_done": resident.post(signin, {"code": m.signin_code}).content.decode(),
        "vote": resident.get(
            reverse("consultation_public:item_vote", args=[item.public_id])
        ).content.decode(),
        "vote_link": Client().get(f"/c/vote/{token}/").content.decode(),
        "vote_done": Client().post(f"/c/vote/{token}/", {"choice": "yes"}).content.decode(),
        "vote_gone": Client().get(f"/c/vote/{token}/").content.decode(),
    }
    staff_client = world.client("village_staff")
    pages["roll"] = staff_client.get(
        reverse("consultation:item_roll", args=[item.public_id])
    ).content.decode()
    pages["item_detail"] = staff_client.get(
        reverse("consultation:item_detail", args=[item.public_id])
    ).content.decode()
    pages["item_add"] = staff_client.get(
        reverse("consultation:item_add", args=[m.public_id])
    ).content.decode()
    _shoot(pages)
    for name in pages:
        assert (OUT / f"{name}.png").exists()
