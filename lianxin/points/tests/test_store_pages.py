"""The points store's pages: the counter, stores and items, orders (list, export, pickup,
cancel), and the residents' phone store — through the test client."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEvent
from lianxin.points.models import PointEntry, Redemption, StoreItem
from lianxin.points.services import store as svc
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
PHONE_URLS = pytest.mark.urls("lianxin.points.tests.urls_phone")


@pytest.fixture
def item(world):  # noqa: ANN001, ANN201
    return f.store_item(world, price=10, stock=5)


@pytest.fixture
def account(world):  # noqa: ANN001, ANN201
    acc = f.household_account(world.building, head_name="赵桂兰")
    f.credit(acc, 25)
    return acc


def _order(world, account, item, quantity=1, channel=Redemption.Channel.COUNTER):  # noqa: ANN001, ANN202
    resident = account.household.residents.get()
    return svc.redeem(
        account=account,
        item=item,
        quantity=quantity,
        resident=resident,
        channel=channel,
        actor=world.actor("village_staff") if channel == "counter" else None,
    )


def _counter_url(item, account=None) -> str:  # noqa: ANN001
    url = reverse("points:store_counter") + f"?store={item.store.public_id}"
    return url + (f"&household={account.household.public_id}" if account else "")


# --- the counter -----------------------------------------------------------------------------


def test_counter_finds_household_with_balance(world, item, account) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    page = client.get(reverse("points:store_counter"), {"q": "赵桂兰"}).content.decode()
    assert "迎秀社区积分超市" in page and "赵桂兰家" in page
    assert "余额 <strong>25</strong> 分" in page
    # Another village's staff find nobody there.
    other = world.client("other_village_staff").get(
        reverse("points:store_counter"), {"q": "赵桂兰"}
    )
    assert "赵桂兰" not in other.content.decode()


def test_counter_redeems_and_hands_over(
    world, item, account, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with django_assert_max_num_queries(16):
        page = client.get(_counter_url(item, account))
    assert "可用积分<strong>25</strong>分" in page.content.decode()
    resident = account.household.residents.get()
    response = client.post(
        reverse("points:store_counter_redeem", args=[item.store.public_id]),
        {
            "household": str(account.household.public_id),
            "item": str(item.public_id),
            "quantity": "2",
            "resident": str(resident.public_id),
            "pickup_now": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == _counter_url(item, account)
    assert "兑换成功：大米（5斤）×2，扣减 20 分" in response.content.decode()
    order = Redemption.objects.get()
    assert order.status == Redemption.Status.PICKED_UP and order.channel == "counter"
    account.refresh_from_db()
    assert account.balance == 5 and StoreItem.objects.get().stock == 3


def test_counter_beyond_balance_shows_reason_and_keeps_input(world, item, account) -> None:  # noqa: ANN001
    resident = account.household.residents.get()
    response = world.client("village_staff").post(
        reverse("points:store_counter_redeem", args=[item.store.public_id]),
        {
            "household": str(account.household.public_id),
            "item": str(item.public_id),
            "quantity": "3",
            "resident": str(resident.public_id),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "积分余额不足：当前 25 分，兑换 3 件需要 30 分" in page
    assert 'value="3"' in page
    account.refresh_from_db()
    assert account.balance == 25 and StoreItem.objects.get().stock == 5
    assert not Redemption.objects.exists()


def test_counter_beyond_stock(world, account) -> None:  # noqa: ANN001
    item = f.store_item(world, price=1, stock=2)
    resident = account.household.residents.get()
    response = world.client("village_staff").post(
        reverse("points:store_counter_redeem", args=[item.store.public_id]),
        {
            "household": str(account.household.public_id),
            "item": str(item.public_id),
            "quantity": "3",
            "resident": str(resident.public_id),
        },
    )
    assert response.status_code == 400
    assert "库存不足" in response.content.decode()
    assert PointEntry.objects.count() == 1  # the credit only


def test_counter_refuses_household_of_another_village(world, item) -> None:  # noqa: ANN001
    from lianxin.core.testing import make_unit

    other = f.household_account(make_unit("building", "B-X-1", "西关1号楼", world.other_village))
    response = world.client("village_staff").get(_counter_url(item, other))
    assert response.status_code == 404


def test_pickup_by_code(world, item, account) -> None:  # noqa: ANN001
    order = _order(world, account, item)
    client = world.client("village_staff")
    url = reverse("points:store_pickup", args=[item.store.public_id])
    bad = client.post(url, {"code": "000000" if order.pickup_code != "000000" else "111111"})
    assert bad.status_code == 400 and "没有取货码" in bad.content.decode()
    client.post(url, {"code": order.pickup_code})
    order.refresh_from_db()
    assert order.status == Redemption.Status.PICKED_UP


# --- stores and items ------------------------------------------------------------------------


def test_store_and_item_management(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    response = client.post(
        reverse("points:store_create"),
        {"unit": str(world.village.public_id), "name": "迎秀积分超市", "address": "服务中心"},
    )
    store = svc.stores_for(world.actor("village_staff")).get()
    assert response["Location"] == reverse("points:store_detail", args=[store.public_id])
    bad = client.post(
        reverse("points:item_create", args=[store.public_id]),
        {"name": "洗衣粉", "price": "0", "stock": "10", "per_household_limit": "0"},
    )
    assert bad.status_code == 200 and "洗衣粉" in bad.content.decode()  # input kept
    assert not StoreItem.objects.exists()
    client.post(
        reverse("points:item_create", args=[store.public_id]),
        {"name": "洗衣粉", "price": "8", "stock": "10", "per_household_limit": "2"},
    )
    item = StoreItem.objects.get()
    assert (item.price, item.stock, item.per_household_limit) == (8, 10, 2)
    client.post(
        reverse("points:item_restock", args=[item.public_id]),
        {"change": "-4", "reason": "受潮报损"},
    )
    refused = client.post(
        reverse("points:item_restock", args=[item.public_id]),
        {"change": "-7", "reason": "盘点"},
    )
    assert "库存不足" in refused.content.decode()
    client.post(
        reverse("points:item_edit", args=[item.public_id]),
        {"name": "洗衣粉（1袋）", "price": "9", "per_household_limit": "2", "sort_order": "1"},
    )
    item.refresh_from_db()
    assert (item.name, item.price, item.stock, item.is_active) == ("洗衣粉（1袋）", 9, 6, False)
    detail = client.get(reverse("points:store_detail", args=[store.public_id])).content.decode()
    assert "洗衣粉（1袋）" in detail and "下架" in detail


# --- orders ----------------------------------------------------------------------------------


def test_order_list_filters_and_query_budget(
    world, item, account, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    f.credit(account, 100)
    for _ in range(2):
        _order(world, account, item)
    picked = _order(world, account, item, channel=Redemption.Channel.PHONE)
    svc.redemption_pickup(actor=world.actor("village_staff"), redemption=picked)
    client = world.client("village_staff")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("points:redemption_list")).content.decode()
    assert page.count("赵桂兰家") == 3
    placed = client.get(reverse("points:redemption_list"), {"status": "placed"}).content.decode()
    assert placed.count("赵桂兰家") == 2
    by_code = client.get(reverse("points:redemption_list"), {"q": picked.pickup_code})
    assert "赵桂兰家" in by_code.content.decode()


def test_export_xlsx(world, item, account) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    _order(world, account, item, 2)
    response = world.client("village_staff").get(
        reverse("points:redemption_export"), {"status": "placed"}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("兑换时间", "积分超市", "户", "兑换人", "商品")
    assert len(rows) == 2 and rows[1][4] == "大米（5斤）" and rows[1][6] == 20
    assert rows[1][3] == "赵**"  # names leave masked
    assert AuditEvent.objects.filter(action="export", object_type="points.redemption").exists()
    empty = world.client("other_village_staff").get(reverse("points:redemption_export"))
    wb = load_workbook(io.BytesIO(b"".join(empty.streaming_content)))
    assert len(list(wb.active.iter_rows(values_only=True))) == 1


def test_cancel_from_the_order_page(world, item, account) -> None:  # noqa: ANN001
    order = _order(world, account, item, 2)
    client = world.client("village_staff")
    url = reverse("points:redemption_cancel", args=[order.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "居民改日再来"})
    order.refresh_from_db()
    account.refresh_from_db()
    assert order.status == Redemption.Status.CANCELLED and account.balance == 25
    page = client.get(reverse("points:redemption_detail", args=[order.public_id]))
    assert "居民改日再来" in page.content.decode()


# --- the phone -------------------------------------------------------------------------------


@PHONE_URLS
def test_phone_store_needs_the_code_session(client, world, item) -> None:  # noqa: ANN001
    response = client.get(reverse("points_public:store"))
    assert response.status_code == 302
    login = reverse("resident:login")
    assert response["Location"] == f"{login}?next=%2Fp%2Fstore%2F"
    assert "no-store" in response["Cache-Control"]


@PHONE_URLS
def test_phone_redeem_shows_pickup_code_and_cancels(client, world, item, account) -> None:  # noqa: ANN001
    resident = account.household.residents.get()
    f.phone_sign_in(client, resident)
    page = client.get(reverse("points_public:store")).content.decode()
    assert "大米（5斤）" in page and "<strong>25</strong>" in page
    prefix = str(item.public_id)
    response = client.post(
        reverse("points_public:store_redeem", args=[item.public_id]),
        {f"{prefix}-quantity": "2", f"{prefix}-resident": str(resident.public_id)},
    )
    order = Redemption.objects.get()
    assert response["Location"] == reverse("points_public:order", args=[order.public_id])
    assert order.channel == "phone" and order.resident == resident
    detail = client.get(response["Location"]).content.decode()
    assert f'<p class="pickup-code" aria-label="取货码">{order.pickup_code}</p>' in detail
    listing = client.get(reverse("points_public:orders")).content.decode()
    assert order.pickup_code in listing
    client.post(reverse("points_public:order_cancel", args=[order.public_id]))
    order.refresh_from_db()
    account.refresh_from_db()
    assert order.status == Redemption.Status.CANCELLED and account.balance == 25


@PHONE_URLS
def test_phone_beyond_balance_refused_nothing_moves(client, world, item, account) -> None:  # noqa: ANN001
    resident = account.household.residents.get()
    f.phone_sign_in(client, resident)
    prefix = str(item.public_id)
    response = client.post(
        reverse("points_public:store_redeem", args=[item.public_id]),
        {f"{prefix}-quantity": "3", f"{prefix}-resident": str(resident.public_id)},
    )
    assert response.status_code == 400
    assert "积分余额不足" in response.content.decode()
    account.refresh_from_db()
    assert account.balance == 25 and StoreItem.objects.get().stock == 5
    assert not Redemption.objects.exists()


@PHONE_URLS
def test_phone_sees_only_own_orders(client, world, item, account) -> None:  # noqa: ANN001
    theirs = _order(world, account, item)
    neighbour = f.household_account(world.building, head_name="钱多多")
    f.phone_sign_in(client, neighbour.household.residents.get())
    assert client.get(reverse("points_public:order", args=[theirs.public_id])).status_code == 404
    cancel = client.post(reverse("points_public:order_cancel", args=[theirs.public_id]))
    assert cancel.status_code == 404
    assert theirs.pickup_code not in client.get(reverse("points_public:orders")).content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Redemption.Status.PLACED


@PHONE_URLS
def test_phone_store_query_budget(
    client, world, item, account, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    for n in range(5):
        svc.item_create(
            actor=world.actor("village_staff"), store=item.store, name=f"商品{n}", price=3, stock=9
        )
    f.phone_sign_in(client, account.household.residents.get())
    with django_assert_max_num_queries(8):
        page = client.get(reverse("points_public:store")).content.decode()
    assert page.count('class="price"') == 6
