"""Screenshots of 周通报 and 月调度 (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/worklists/tests/test_rhythm_shots.py); the print
rendering is saved as PDF by Chromium too."""

from __future__ import annotations

import os

import pytest

from lianxin.core import clock
from lianxin.stars.models import StarAward
from lianxin.worklists.tests import scope_rhythm as sr
from lianxin.worklists.tests import test_rhythm as tr
from lianxin.worklists.tests.test_projects_shots import OUT, inline, shoot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]


def test_shots(world) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    with clock.travel(sr.at(tr.TODAY)):
        tr._week(world)
        county = world.client("org_department")
        bulletin = county.get(tr.BULLETIN, {"week": "2026-W24"}).content.decode()
        # The month's fixture holds the same stars for the year: start those afresh.
        StarAward.objects.all().delete()
        tr._month(world)
        schedule = county.get(tr.SCHEDULE, {"month": "2026-06"}).content.decode()
        street = world.client("street_staff").get(tr.SCHEDULE, {"month": "2026-06"})
    shoot(
        {
            "bulletin-1280": (bulletin, 1280),
            "bulletin-360": (bulletin, 360),
            "schedule-1280": (schedule, 1280),
            "schedule-street-360": (street.content.decode(), 360),
        }
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, html in (("bulletin", bulletin), ("schedule", schedule)):
            page = browser.new_page()
            path = OUT / f"{name}-print.html"
            path.write_text(inline(html))
            page.goto(path.as_uri())
            page.pdf(path=str(OUT / f"{name}-print.pdf"), format="A4")
            page.close()
        browser.close()
