"""Screenshots of the key-work list and inspection pages at 360 px and 1280 px (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/worklists/tests/test_keywork_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-worklists-shots)."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.stars.models import TaskForce
from lianxin.worklists.services import inspections as ins
from lianxin.worklists.services import keywork as svc
from lianxin.worklists.tests import scope_inspections as f
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = (
    Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-worklists-shots"
)
CSS = Path(__file__).resolve().parents[2] / "static" / "lianxin" / "app.css"
MARCH = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))
APRIL = timezone.make_aware(dt.datetime(2026, 4, 25, 9, 0))


def _inline(html: str) -> str:
    html = re.sub(
        r'<link rel="stylesheet" href="[^"]*lianxin/app.css">',
        lambda _m: f"<style>{CSS.read_text()}</style>",
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
            for width in (360, 1280):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(path.as_uri())
                page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)
                page.close()
        browser.close()


def test_shots(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    tf = TaskForce.objects.create(county=world.county, name="生态宜居星专班")
    with clock.travel(MARCH):
        a = kf.add(world, "老旧小区加装太阳能路灯", detail="东区6盏、西区6盏，月底前完成安装")
        kf.add(world, "修缮村东排水沟", star_code="ecology")
        b = kf.add(world, "建设幸福院助餐点")
        svc.keywork_done(actor=staff, item=b, result="助餐点3月8日开餐，每日服务老人42人")
        kf.add(
            world,
            "指导各村人居环境整治",
            owner=svc.KeyList(unit=world.county, task_force=tf),
            persona="org_department",
        )
        rect = f.notice(world)
    with clock.travel(APRIL):
        kf.add(world, "迎检材料整理")
        village = world.client("village_staff")
        ins.rectification_report(
            actor=staff, rectification=rect, note="补齐3月支委会记录，补走访3户", evidence=f.photo()
        )
        county = world.client("org_department")
        street = world.client("street_staff")
        pages = {
            "keywork_list": village.get(reverse("worklists:keywork")).content.decode(),
            "keywork_item": village.get(
                reverse("worklists:keywork_item", args=[a.public_id])
            ).content.decode(),
            "keywork_overview": county.get(
                reverse("worklists:keywork_overview"), {"month": "2026-03"}
            ).content.decode(),
            "inspection_list": street.get(
                reverse("worklists:inspection_list"), {"quarter": "2026Q1"}
            ).content.decode(),
            "inspection_create": street.post(
                reverse("worklists:inspection_create"),
                {"unit": world.village.code, "quarter": "2026Q2", "summary": "查阅"},
            ).content.decode(),
            "inspection_detail": street.get(
                reverse("worklists:inspection_detail", args=[rect.inspection.public_id])
            ).content.decode(),
            "rectifications": county.get(
                reverse("worklists:rectification_list"), {"overdue": "1"}
            ).content.decode(),
        }
    _shoot(pages)
