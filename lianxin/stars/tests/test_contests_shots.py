"""Screenshots of the contests and daily assessment pages at 360 px and 1280 px (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/stars/tests/test_contests_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-contest-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.stars.services import contests as svc
from lianxin.stars.tests import scope_assessments as ab
from lianxin.stars.tests import scope_contests as b

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-contest-shots"
CSS = Path(__file__).resolve().parents[2] / "static" / "lianxin" / "app.css"


def _inline(html: str) -> str:
    html = re.sub(
        r'<link rel="stylesheet" href="[^"]*lianxin/app.css">',
        lambda _m: f"<style>{CSS.read_text()}</style>",
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
    extra = b.villages(world, 3)
    entries = b.scoring(world, extra[:2], material=b.pdf())
    b.score_all(world, entries[:2], [[92, 88.5]])
    # The third is left for street_staff: the page shows its score input.
    svc.contest_score(actor=b.judge(world, 1), entry=entries[2], score=88.5)
    contest = entries[0].contest
    other = b.heat(world, township=world.other_street)
    svc.contest_entries_register(
        actor=world.actor("other_street_staff"),
        contest=other,
        drafts=[svc.EntryDraft(unit=world.other_village, presenter="赵书记", title="西关思路")],
    )
    ab.record(world, "task_force")
    ab.record(world, "task_force", tf=ab.task_force(world, "生态宜居星专班"))
    ab.record(world, unit=world.street, name="李大定", p=ab.parts(92, 90, 95, 88))
    ab.record(world, unit=world.other_street, name="周会昌", p=ab.parts(70, 60, 65, 80))
    ab.record(
        world, unit=world.other_street, name="周会昌", p=ab.parts(75, 60, 65, 80), note="补计"
    )
    street = world.client("street_staff")
    county = world.client("org_department")
    village = world.client("village_staff")
    detail = reverse("stars:contest_detail", args=[contest.public_id])
    pages = {
        "contest_list_1280": (county.get(reverse("stars:contest_list")).content.decode(), 1280),
        "contest_list_360": (village.get(reverse("stars:contest_list")).content.decode(), 360),
        "contest_detail_judge_1280": (street.get(detail).content.decode(), 1280),
        "contest_detail_judge_360": (street.get(detail).content.decode(), 360),
        "contest_register_360": (
            street.get(
                reverse("stars:contest_register", args=[contest.public_id])
            ).content.decode(),
            360,
        ),
        "contest_entry_360": (
            village.get(
                reverse("stars:contest_entry", args=[entries[0].public_id])
            ).content.decode(),
            360,
        ),
        "contest_open_360": (county.get(reverse("stars:contest_open")).content.decode(), 360),
    }
    svc.contest_score(actor=world.actor("street_staff"), entry=entries[2], score=88.5)
    svc.contest_close(actor=world.actor("street_staff"), contest=contest)
    pages["contest_detail_closed_1280"] = (street.get(detail).content.decode(), 1280)
    pages["contest_rankings_1280"] = (
        county.get(reverse("stars:contest_rankings"), {"round": "ideas"}).content.decode(),
        1280,
    )
    pages["contest_rankings_360"] = (
        village.get(reverse("stars:contest_rankings"), {"round": "ideas"}).content.decode(),
        360,
    )
    pages["assessment_list_1280"] = (
        county.get(reverse("stars:assessment_list")).content.decode(),
        1280,
    )
    pages["assessment_list_360"] = (
        county.get(reverse("stars:assessment_list")).content.decode(),
        360,
    )
    pages["assessment_create_360"] = (
        county.get(
            reverse("stars:assessment_create"), {"kind": "village_secretary"}
        ).content.decode(),
        360,
    )
    pages["assessment_year_1280"] = (
        county.get(
            reverse("stars:assessment_year"), {"kind": "township_secretary"}
        ).content.decode(),
        1280,
    )
    pages["assessment_year_360"] = (
        county.get(
            reverse("stars:assessment_year"), {"kind": "township_secretary"}
        ).content.decode(),
        360,
    )
    _shoot(pages)
