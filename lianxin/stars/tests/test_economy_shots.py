"""Screenshots of the catalog and collective-economy pages at 360 and 1280 px (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/stars/tests/test_economy_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-stars-h1-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.stars.tests import factories as f
from lianxin.stars.tests import scope_catalog as sc
from lianxin.stars.tests.test_economy import YEAR, village

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-stars-h1-shots"
)
CSS = Path(__file__).resolve().parents[2] / "static" / "lianxin" / "app.css"


def _inline(html: str) -> str:
    found = re.search(r'<link rel="stylesheet" href="[^"]*lianxin/app.css">', html)
    if found:
        html = html.replace(found.group(0), f"<style>{CSS.read_text()}</style>")
    # Keep inline scripts (the standard form's kind switch), drop external ones.
    return re.sub(r'<script src="[^"]*"[^>]*></script>', "", html)


def _shoot(pages: dict[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
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
    sc.task_force(world)
    sc.weak_branch(world)
    units = [village(world, n, name) for n, name in enumerate(["东庄村", "西庄村", "南庄村"], 1)]
    f.income(units[0], YEAR - 1, 60000)
    f.income(units[0], YEAR, 70000)
    f.income(units[1], YEAR - 1, 30000)
    f.income(units[1], YEAR, 45000)
    f.income(units[2], YEAR, 80000)
    f.income(world.village, YEAR - 1, 120000)
    f.income(world.village, YEAR, 118000)
    f.income(world.village, YEAR, 125000, revision=2)
    county = world.client("org_department")
    village_client = world.client("village_staff")
    standard = sc.branch_star(world, YEAR + 1).standards.get(code="meetings")
    pages = {
        "catalog": county.get(reverse("stars:catalog"), {"year": YEAR + 1}),
        "catalog-village": village_client.get(reverse("stars:catalog"), {"year": YEAR + 1}),
        "standard-edit": county.get(
            reverse("stars:catalog_standard_edit", args=[standard.public_id])
        ),
        "settings": county.get(
            reverse("stars:catalog_settings", args=[sc.settings(world, YEAR + 1).public_id])
        ),
        "task-forces": county.get(reverse("stars:task_force_list")),
        "weak": county.get(reverse("stars:weak_branch_list"), {"year": sc.YEAR}),
        "income-list": county.get(reverse("stars:income_list"), {"year": YEAR}),
        "income-unit": village_client.get(
            reverse("stars:income_unit", args=[world.village.public_id])
        ),
        "income-record": village_client.post(
            reverse("stars:income_record", args=[world.village.public_id]),
            {
                "year": str(YEAR),
                "amount_land_transfer": "-3",
                "revision": "2",
                "for_year": str(YEAR),
            },
        ),
    }
    for name, response in pages.items():
        assert response.status_code in (200, 400), name
    _shoot({name: r.content.decode() for name, r in pages.items()})
