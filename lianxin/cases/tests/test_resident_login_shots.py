"""Screenshots of the residents' phone login at 360 px (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/cases/tests/test_resident_login_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-login-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core.testing import make_household, make_resident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-login-shots"
PACKAGE = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": PACKAGE / "static" / "lianxin" / "app.css",
    "cases/public.css": PACKAGE / "cases" / "static" / "cases" / "public.css",
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


def _shoot(pages: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, html in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(_inline(html))
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def test_shots(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = True
    make_resident(make_household(world.building, head_name="王秀英"), name="王秀英", phone=PHONE)
    login, verify = reverse("resident:login"), reverse("resident:login_verify")
    client = Client()
    pages = {"login": client.get(login, {"next": "/p/me/"}).content.decode()}
    pages["login-error"] = client.post(login, {"phone": "1391234"}).content.decode()
    sent = client.post(login, {"phone": PHONE, "next": "/p/me/"}).content.decode()
    pages["verify"] = sent
    pages["verify-error"] = client.post(verify, {"phone": PHONE, "code": "1"}).content.decode()
    code = re.search(r'class="demo-code">(\d{6})<', sent)
    assert code is not None
    client.post(verify, {"phone": PHONE, "code": code.group(1), "next": "/p/me/"})
    pages["signed-in"] = client.get(login, {"next": "/p/me/"}).content.decode()
    _shoot(pages)
