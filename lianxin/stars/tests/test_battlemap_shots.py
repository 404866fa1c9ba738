"""Screenshots of the battle map, figures, plans and quotas pages at 360 and 1280 px (run by
hand: LIANXIN_SHOTS=1 python -m pytest lianxin/stars/tests/test_battlemap_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-stars-plans-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.accounts.models import User
from lianxin.core import clock
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationPlan, Quota
from lianxin.stars.tests import factories_plans as fp
from lianxin.stars.tests.test_battlemap import scene

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir())
    / "lianxin-stars-plans-shots"
)
CSS = Path(__file__).resolve().parents[2] / "static" / "lianxin" / "app.css"


def _inline(html: str) -> str:
    found = re.search(r'<link rel="stylesheet" href="[^"]*lianxin/app.css">', html)
    if found:
        html = html.replace(found.group(0), f"<style>{CSS.read_text()}</style>")
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def _shoot(pages: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for name, html in pages.items():
            path = OUT / f"{name}.html"
            path.write_text(_inline(html))
            for width in (360, 1280):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(path.as_uri())
                page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)
                page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    units = scene(world)
    states = [wf.SUBMITTED, wf.NOTICE, wf.RETURNED, wf.TOWNSHIP_PASSED]
    for i in range(14):
        unit = fp.village(world, f"4108830022{i:02d}", f"西{i}", world.other_street)
        for code in ["branch", "industry", "ecology"][: i % 4]:
            fp.award(unit, code)
        fp.declaration(unit, "safety", states[i % 4])
        if i % 3 == 0:
            fp.plan(world, unit=unit, status="confirmed", targets=("branch", "safety", "civility"))
    Quota.objects.create(township=world.other_street, year=2026, level=4, count=4)
    county = world.client("org_department")
    village = world.client("village_staff")
    street = world.client("street_staff")
    own = CreationPlan.objects.get(unit=world.village)
    with clock.travel(fp.at(12, 25)):
        pages = {
            "map-county": county.get(reverse("stars:battle_map"), {"year": "2026"}),
            "map-village": village.get(reverse("stars:battle_map"), {"year": "2026"}),
            "figures-county": county.get(reverse("stars:figures"), {"year": "2026"}),
            "plans-street": street.get(reverse("stars:plan_list"), {"year": "2026"}),
            "plan-detail": village.get(reverse("stars:plan_detail", args=[own.public_id])),
            "plan-review": street.get(
                reverse(
                    "stars:plan_detail",
                    args=[CreationPlan.objects.get(unit=units["east0"]).public_id],
                )
            ),
            "quotas": county.get(reverse("stars:quota_list"), {"year": "2026"}),
        }
    with clock.travel(fp.at(2, 1)):
        draft = fp.plan(world, unit=fp.village(world, "410883001299", "南"), targets=("branch",))
        c = Client()
        c.force_login(User.objects.get(pk=fp.staff_of(world, draft.unit).user_id))
        pages["plan-edit"] = c.get(reverse("stars:plan_edit", args=[draft.public_id]))
        pages["plan-draft"] = c.get(reverse("stars:plan_detail", args=[draft.public_id]))
    html = {name: r.content.decode() for name, r in pages.items()}
    for name, r in pages.items():
        assert r.status_code == 200, name
    _shoot(html)
    for name in html:
        assert (OUT / f"{name}-360.png").exists()
