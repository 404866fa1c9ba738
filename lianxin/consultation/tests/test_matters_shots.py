"""Screenshots of the 四议两公开 pages (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/consultation/tests/test_matters_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-matter-shots)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.consultation.services import matters
from lianxin.consultation.tests import scope_matters as sm
from lianxin.core import clock

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-matter-shots"
PACKAGE = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": PACKAGE / "static" / "lianxin" / "app.css",
    "cases/public.css": PACKAGE / "cases" / "static" / "cases" / "public.css",
}


def _inline(html: str) -> str:
    for name, path in CSS.items():
        html = re.sub(
            rf'<link rel="stylesheet" href="[^"]*{re.escape(name)}">',
            lambda _m, p=path: f"<style>{p.read_text()}</style>",
            html,
        )
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def _shoot(pages: dict[str, tuple[str, int]]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, (html, width) in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(_inline(html))
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    sm.electors(world.village)
    matter = matters.matter_resolution_publish(
        actor=world.actor("village_staff"),
        matter=sm.resolved_matter(world),
        text="同意将村集体闲置厂房公开招租，租期五年，年租金不低于12万元，租金全部纳入村集体收入。",
    )
    with clock.travel(clock.now() + dt.timedelta(days=6)):
        done = matters.matter_result_publish(
            actor=world.actor("village_staff"),
            matter=matter,
            text="已通过公开竞价与承租方签订租赁合同，首年租金12.6万元已入账。",
        )
    fresh = sm.new_matter(world, title="修缮村内道路")
    sm.hold_step(world, fresh, "branch_committee")
    staff = world.client("village_staff")
    public = Client().get(
        reverse("consultation_public:matter_public", kwargs={"public_id": done.public_id})
    )
    for kind in ("resolution", "result"):
        url = reverse(
            "consultation_public:matter_public_pdf",
            kwargs={"public_id": done.public_id, "kind": kind},
        )
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"{kind}.pdf").write_bytes(Client().get(url).content)
    _shoot(
        {
            "public-360": (public.content.decode(), 360),
            "detail-1280": (
                staff.get(
                    reverse("consultation:matter_detail", kwargs={"public_id": fresh.public_id})
                ).content.decode(),
                1280,
            ),
            "detail-done-360": (
                staff.get(
                    reverse("consultation:matter_detail", kwargs={"public_id": done.public_id})
                ).content.decode(),
                360,
            ),
            "list-1280": (staff.get(reverse("consultation:matter_list")).content.decode(), 1280),
        }
    )
