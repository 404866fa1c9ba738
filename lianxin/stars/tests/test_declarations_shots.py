"""Screenshots of the declarations and notices pages (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/stars/tests/test_declarations_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-declaration-shots)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.stars.services import reviews
from lianxin.stars.tests import scope_declarations as sd

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir())
    / "lianxin-declaration-shots"
)
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
    w = world
    branch, sharing, ecology, safety = sd.declare(w, ("branch", "sharing", "ecology", "safety"))
    sd.to_approved(w, branch)
    sd.to_approved(w, ecology)
    sharing = sd.submitted(w, sharing)
    sharing = reviews.township_review(
        actor=w.actor("street_staff"),
        declaration=sharing,
        decision=reviews.RETURN,
        scores=sd.passing_scores(sharing)[:1],
        reason="驻区单位共建协议未加盖公章，请补充后重新报送。",
    )
    safety = sd.submitted(w, safety)
    from lianxin.stars.services import notices

    notice = notices.notice_publish(
        actor=w.actor("org_department"), township=w.street, year=sd.year(), contact=sd.CONTACT
    )
    sd.objection(w, notice)
    village, street, org = (
        w.client(p) for p in ("village_staff", "street_staff", "org_department")
    )

    def get(client: Client, name: str, **kw: object) -> str:
        return client.get(reverse(name, kwargs=kw or None)).content.decode()

    _shoot(
        {
            "list-village-360": (get(village, "stars:declaration_list"), 360),
            "list-street-1280": (get(street, "stars:declaration_list"), 1280),
            "edit-returned-360": (
                get(village, "stars:declaration_edit", public_id=sharing.public_id),
                360,
            ),
            "detail-returned-1280": (
                get(village, "stars:declaration_detail", public_id=sharing.public_id),
                1280,
            ),
            "review-street-1280": (
                get(
                    street, "stars:declaration_review", public_id=safety.public_id, stage="township"
                ),
                1280,
            ),
            "review-street-360": (
                get(
                    street, "stars:declaration_review", public_id=safety.public_id, stage="township"
                ),
                360,
            ),
            "create-360": (get(village, "stars:declaration_create"), 360),
            "notices-1280": (get(org, "stars:notice_list"), 1280),
            "notice-detail-1280": (
                get(org, "stars:notice_detail", public_id=notice.public_id),
                1280,
            ),
            "notice-detail-360": (
                get(street, "stars:notice_detail", public_id=notice.public_id),
                360,
            ),
            "notice-public-360": (
                get(Client(), "stars_public:notice_public", public_id=notice.public_id),
                360,
            ),
        }
    )
    (OUT / "notice.pdf").write_bytes(
        Client()
        .get(reverse("stars_public:notice_public_pdf", kwargs={"public_id": notice.public_id}))
        .content
    )
