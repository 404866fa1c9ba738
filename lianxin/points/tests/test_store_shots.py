"""Screenshots of the store and micro-task pages, staff and phone (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/points/tests/test_store_shots.py; PNGs in
$LIANXIN_SCREENSHOTS or the system temp folder's lianxin-store-shots)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core.testing import make_resident
from lianxin.points.models import Redemption, TaskClaim
from lianxin.points.services import store as svc
from lianxin.points.services import tasks as task_svc
from lianxin.points.tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("lianxin.points.tests.urls_phone"),
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]
OUT = Path(os.environ.get("LIANXIN_SCREENSHOTS") or tempfile.gettempdir()) / "lianxin-store-shots"
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
    item = f.store_item(world, price=20, stock=12)
    shop = item.store
    for name, price, stock, desc in [
        ("食用油（1.8升）", 40, 6, "爱心商户捐赠"),
        ("洗衣液", 15, 0, ""),
        ("毛巾", 5, 30, "纯棉"),
    ]:
        svc.item_create(
            actor=staff, store=shop, name=name, price=price, stock=stock, description=desc
        )
    account = f.household_account(world.building, head_name="赵桂兰")
    f.credit(account, 86)
    me = account.household.residents.get()
    make_resident(account.household, name="赵小军", phone="13900001111")
    order = svc.redeem(
        account=account, item=item, quantity=1, resident=me, channel="phone", actor=None
    )
    done = svc.redeem(
        account=account, item=item, quantity=1, resident=me, channel="counter", actor=staff
    )
    svc.redemption_pickup(actor=staff, redemption=done)
    task = f.micro_task(world, slots=6, points=2)
    f.micro_task(world, title="清理楼道小广告", unit=world.grid, by="grid_worker", slots=2)
    task_svc.task_claim(task=task, resident=me, channel=TaskClaim.Channel.PHONE)
    other = f.household_account(world.building, head_name="孙秀英").household.residents.get()
    c2 = task_svc.task_claim(
        task=task, resident=other, channel=TaskClaim.Channel.STATION, actor=staff
    )
    task_svc.claim_confirm(actor=staff, claim=c2, evidence="已发放传单30份")

    phone = Client()
    f.phone_sign_in(phone, me)
    desk = world.client("village_staff")
    counter = (
        reverse("points:store_counter")
        + f"?store={shop.public_id}&household={account.household.public_id}"
    )
    pages = {
        "phone_store": (phone.get(reverse("points_public:store")).content.decode(), 360),
        "phone_order": (
            phone.get(reverse("points_public:order", args=[order.public_id])).content.decode(),
            360,
        ),
        "phone_orders": (phone.get(reverse("points_public:orders")).content.decode(), 360),
        "phone_tasks": (phone.get(reverse("points_public:tasks")).content.decode(), 360),
        "counter_360": (desk.get(counter).content.decode(), 360),
        "counter_1280": (desk.get(counter).content.decode(), 1280),
        "counter_search_1280": (
            desk.get(reverse("points:store_counter"), {"q": "赵"}).content.decode(),
            1280,
        ),
        "orders_1280": (desk.get(reverse("points:redemption_list")).content.decode(), 1280),
        "store_1280": (
            desk.get(reverse("points:store_detail", args=[shop.public_id])).content.decode(),
            1280,
        ),
        "task_1280": (
            desk.get(
                reverse("points:task_detail", args=[task.public_id]), {"q": "赵"}
            ).content.decode(),
            1280,
        ),
        "task_360": (
            world.client("grid_worker").get(reverse("points:task_list")).content.decode(),
            360,
        ),
        "task_form_1280": (
            world.client("village_secretary").get(reverse("points:task_create")).content.decode(),
            1280,
        ),
    }
    assert Redemption.objects.count() == 2
    _shoot(pages)
