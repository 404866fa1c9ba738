"""Screenshots of the project list pages (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/worklists/tests/test_projects_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-worklists-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.worklists.services import projects as svc
from lianxin.worklists.tests import scope_projects as sp

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / (
    "lianxin-worklists-shots"
)
PACKAGE = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": PACKAGE / "static" / "lianxin" / "app.css",
    "cases/public.css": PACKAGE / "cases" / "static" / "cases" / "public.css",
}


def inline(html: str) -> str:
    for name, path in CSS.items():
        html = re.sub(
            rf'<link rel="stylesheet" href="[^"]*{re.escape(name)}">',
            lambda _m, p=path: f"<style>{p.read_text()}</style>",
            html,
        )
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def shoot(pages: dict[str, tuple[str, int]]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, (html, width) in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(inline(html))
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(path.as_uri())
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    lib = sp.supply(world, name="农村人居环境整治专项资金", funds="800000")
    sp.supply(world, name="村级集体经济发展扶持资金", funds="1500000", star_code="industry")
    done = sp.matched(world, lib=lib, name="迎秀社区背街小巷改造", amount="180000")
    village = world.actor("village_staff")
    done = svc.demand_spend(actor=village, project=done, amount="120000", note="一期工程款")
    sp.demand(world, name="社区文化广场提升", funds="260000")
    sp.demand(
        world,
        name="西关社区养老服务站",
        unit=world.other_village,
        funds="90000",
        by="org_department",
    )
    county = world.client("org_department")
    staff = world.client("village_staff")
    detail = reverse("worklists:demand_detail", kwargs={"public_id": done.public_id})
    shoot(
        {
            "projects-list-1280": (
                county.get(reverse("worklists:project_list")).content.decode(),
                1280,
            ),
            "projects-list-360": (
                staff.get(reverse("worklists:project_list")).content.decode(),
                360,
            ),
            "projects-detail-360": (staff.get(detail).content.decode(), 360),
            "projects-detail-1280": (county.get(detail).content.decode(), 1280),
            "projects-library-1280": (
                county.get(reverse("worklists:supply_list")).content.decode(),
                1280,
            ),
        }
    )
