"""Screenshots of the decisions pages, residents' at 360 px and staff at 1280 px (run by
hand: LIANXIN_SHOTS=1 python -m pytest lianxin/consultation/tests/test_decisions_shots.py;
PNGs in $LIANXIN_SCREENSHOTS or the system temp folder's lianxin-decision-shots)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.cases.services import lifecycle
from lianxin.cases.tests import factories as cf
from lianxin.consultation.services import decisions as svc
from lianxin.consultation.tests import scope_decisions as b
from lianxin.core import clock

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-decision-shots"
)
STATIC = Path(__file__).resolve().parents[2]
CSS = {
    "lianxin/app.css": STATIC / "static" / "lianxin" / "app.css",
    "cases/public.css": STATIC / "cases" / "static" / "cases" / "public.css",
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
    staff = world.actor("village_staff")
    case = cf.assigned_case(world)
    d = b.decision(
        world, item=b.passed_item(world), title="迎秀小区排水沟修缮", project="老旧小区改造"
    )
    survey = b.milestone(world, d, title="现场勘察，确定清淤范围")
    b.milestone(world, d, title="排水沟清淤和盖板更换", case=case)
    b.milestone(world, d, title="组织居民代表验收")
    svc.milestone_progress(actor=staff, milestone=survey, progress=100, note="已会同物业勘察")
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="已疏通")
    late = b.decision(world, title="3号楼楼道照明改造", due_on=svc.today() + dt.timedelta(days=1))
    m = b.milestone(world, late, title="更换声控灯")
    with clock.travel(clock.now() + dt.timedelta(days=5)):
        svc.milestone_progress(actor=staff, milestone=m, progress=100, note="")
    open_ = b.decision(world, title="小区停车位划线（一个很长很长的事项名称用来检查换行）")
    svc.milestone_progress(
        actor=staff,
        milestone=b.milestone(world, open_, title="征求意见"),
        progress=30,
        note="已发放问卷",
    )
    resident = Client()
    desk = world.client("village_staff")
    pages = {
        "public_list_360": (
            resident.get(
                reverse("consultation_public:decision_list", args=[world.village.code])
            ).content.decode(),
            360,
        ),
        "public_detail_360": (
            resident.get(
                reverse("consultation_public:decision_public", args=[d.public_id])
            ).content.decode(),
            360,
        ),
        "staff_list_1280": (desk.get(reverse("consultation:decision_list")).content.decode(), 1280),
        "staff_detail_1280": (
            desk.get(reverse("consultation:decision_detail", args=[d.public_id])).content.decode(),
            1280,
        ),
        "staff_detail_360": (
            desk.get(reverse("consultation:decision_detail", args=[d.public_id])).content.decode(),
            360,
        ),
    }
    _shoot(pages)
