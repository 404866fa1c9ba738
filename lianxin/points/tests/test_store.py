"""The points store's services: redeem, pickup, cancel, restock — and every refusal leaves
balance, stock and ledger exactly as they were."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_resident
from lianxin.points.models import EntryKind, PointEntry, Redemption, StoreItem
from lianxin.points.services import ledger
from lianxin.points.services import store as svc
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
Counter = Redemption.Channel.COUNTER


@pytest.fixture
def account(world):  # noqa: ANN001, ANN201
    acc = f.household_account(world.building)
    f.credit(acc, 30)
    return acc


@pytest.fixture
def item(world):  # noqa: ANN001, ANN201
    return f.store_item(world, price=10, stock=5)


def _resident(account):  # noqa: ANN001, ANN202
    return account.household.residents.get()


def _redeem(world, account, item, quantity=1, *, by="village_staff", **kw):  # noqa: ANN001, ANN003, ANN202
    kw.setdefault("resident", _resident(account))
    kw.setdefault("channel", Counter)
    return svc.redeem(account=account, item=item, quantity=quantity, actor=world.actor(by), **kw)


def _state(account, item):  # noqa: ANN001, ANN202
    account.refresh_from_db()
    item.refresh_from_db()
    return account.balance, item.stock, PointEntry.objects.count(), Redemption.objects.count()


def test_redeem_spends_and_takes_stock(world, account, item) -> None:  # noqa: ANN001
    order = _redeem(world, account, item, 2)
    assert order.status == Redemption.Status.PLACED
    assert order.points == 20 and len(order.pickup_code) == 6
    assert _state(account, item) == (10, 3, 2, 1)
    entry = order.spend_entry
    assert (entry.kind, entry.amount, entry.source_key) == (
        EntryKind.SPEND,
        -20,
        f"redeem:{order.public_id}",
    )
    assert entry.resident_id == _resident(account).pk
    assert ledger.ledger_verify().ok


@pytest.mark.parametrize(
    ("quantity", "message", "field"),
    [
        (4, "积分余额不足", "quantity"),  # 40 > 30
        (0, "至少为 1", "quantity"),
        (100, "最多兑换", "quantity"),
    ],
)
def test_bad_quantity_refused_nothing_moves(world, account, item, quantity, message, field) -> None:  # noqa: ANN001
    before = _state(account, item)
    with pytest.raises(DomainError, match=message) as err:
        _redeem(world, account, item, quantity)
    assert err.value.field == field
    assert _state(account, item) == before


def test_beyond_stock_refused_nothing_moves(world, account) -> None:  # noqa: ANN001
    item = f.store_item(world, price=1, stock=2)
    before = _state(account, item)
    with pytest.raises(DomainError, match="库存不足") as err:
        _redeem(world, account, item, 3)
    assert err.value.field == "quantity"
    assert _state(account, item) == before


def test_ledger_refusal_rolls_back_the_stock(world, account, item, monkeypatch) -> None:  # noqa: ANN001
    """The ledger is the last word on the balance: when it refuses after the stock was
    taken (a balance moved in between), the stock comes back with the rollback."""
    before = _state(account, item)
    real = ledger.entry_append

    def refuse(**kw):  # noqa: ANN003, ANN202
        raise DomainError("积分余额不足", field="quantity")

    monkeypatch.setattr(ledger, "entry_append", refuse)
    with pytest.raises(DomainError):
        _redeem(world, account, item, 1)
    monkeypatch.setattr(ledger, "entry_append", real)
    assert _state(account, item) == before


def test_monthly_limit_per_household(world, account) -> None:  # noqa: ANN001
    item = f.store_item(world, price=1, stock=10, limit=2)
    _redeem(world, account, item, 2)
    before = _state(account, item)
    with pytest.raises(DomainError, match="每户每月限兑 2 件，本月已兑 2 件"):
        _redeem(world, account, item, 1)
    assert _state(account, item) == before
    # Next month the limit starts again.
    with clock.travel(clock.now() + dt.timedelta(days=32)):
        _redeem(world, account, item, 1)


def test_cancelled_orders_do_not_count_towards_the_limit(world, account) -> None:  # noqa: ANN001
    item = f.store_item(world, price=1, stock=10, limit=1)
    order = _redeem(world, account, item, 1)
    svc.redemption_cancel(redemption=order, reason="拿错了", actor=world.actor("village_staff"))
    _redeem(world, account, item, 1)


def test_party_member_points_are_not_spendable(world, item) -> None:  # noqa: ANN001
    from lianxin.party.tests.factories import make_member, make_org

    member_account = f.member_account(make_member(make_org(world.village)))
    f.credit(member_account, 50)
    with pytest.raises(DomainError, match="不能在积分超市兑换"):
        svc.redeem(
            account=member_account,
            item=item,
            quantity=1,
            resident=None,
            channel=Counter,
            actor=world.actor("village_staff"),
        )


def test_household_of_another_village_refused(world, item) -> None:  # noqa: ANN001
    from lianxin.core.testing import make_unit

    other_building = make_unit("building", "B-OTHER-1", "西关小区1号楼", world.other_village)
    other = f.household_account(other_building)
    f.credit(other, 30)
    with pytest.raises(DomainError, match="不在迎秀社区"):
        _redeem(world, other, item)


def test_staff_outside_the_store_scope_refused(world, account, item) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        _redeem(world, account, item, by="other_village_staff")
    with pytest.raises(PermissionDenied):  # grid workers do not keep the counter
        _redeem(world, account, item, by="grid_worker")


def test_resident_must_belong_to_the_household(world, account, item) -> None:  # noqa: ANN001
    stranger = make_resident(f.household_account(world.building, head_name="李四").household)
    with pytest.raises(DomainError, match="不是该户") as err:
        _redeem(world, account, item, resident=stranger)
    assert err.value.field == "resident"


def test_closed_store_and_withdrawn_item_refused(world, account, item) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    svc.item_update(actor=staff, item=item, name=item.name, price=10, is_active=False)
    with pytest.raises(DomainError, match="已下架"):
        _redeem(world, account, item)
    svc.item_update(actor=staff, item=item, name=item.name, price=10, is_active=True)
    store = item.store
    svc.store_update(
        actor=staff, store=store, name=store.name, address="", hours="", is_active=False
    )
    item.store.refresh_from_db()
    with pytest.raises(DomainError, match="暂停营业"):
        _redeem(world, account, item)


def test_phone_redemption_needs_the_resident(world, account, item) -> None:  # noqa: ANN001
    with pytest.raises(DomainError, match="验证身份"):
        svc.redeem(
            account=account,
            item=item,
            quantity=1,
            resident=None,
            channel=Redemption.Channel.PHONE,
            actor=None,
        )
    order = svc.redeem(
        account=account,
        item=item,
        quantity=1,
        resident=_resident(account),
        channel=Redemption.Channel.PHONE,
        actor=None,
    )
    assert order.placed_by_id is None and order.channel == "phone"


def test_pickup_by_code_once(world, account, item) -> None:  # noqa: ANN001
    order = _redeem(world, account, item)
    staff = world.actor("village_staff")
    with pytest.raises(DomainError, match="6位"):
        svc.redemption_pickup_by_code(actor=staff, store=item.store, code="12a")
    done = svc.redemption_pickup_by_code(actor=staff, store=item.store, code=order.pickup_code)
    assert done.pk == order.pk and done.status == Redemption.Status.PICKED_UP
    order.refresh_from_db()
    assert order.picked_up_by_id == world.users["village_staff"].pk
    with pytest.raises(DomainError, match="没有取货码"):
        svc.redemption_pickup_by_code(actor=staff, store=item.store, code=order.pickup_code)
    with pytest.raises(DomainError, match="已领取，不能取消"):
        svc.redemption_cancel(redemption=order, reason="不要了", actor=staff)


def test_cancel_refunds_points_and_stock(world, account, item) -> None:  # noqa: ANN001
    order = _redeem(world, account, item, 2)
    staff = world.actor("village_staff")
    with pytest.raises(DomainError, match="取消原因"):
        svc.redemption_cancel(redemption=order, reason=" ", actor=staff)
    svc.redemption_cancel(redemption=order, reason="居民改换其他商品", actor=staff)
    assert _state(account, item) == (30, 5, 3, 1)
    order.refresh_from_db()
    assert order.status == Redemption.Status.CANCELLED
    refund = order.refund_entry
    assert (refund.kind, refund.amount, refund.source_key) == (
        EntryKind.REFUND,
        20,
        f"refund:{order.public_id}",
    )
    with pytest.raises(DomainError, match="已取消"):
        svc.redemption_cancel(redemption=order, reason="再取消一次", actor=staff)
    assert ledger.ledger_verify().ok


def test_resident_cancels_only_own_household(world, account, item) -> None:  # noqa: ANN001
    order = _redeem(world, account, item)
    other = f.household_account(world.building, head_name="李四")
    with pytest.raises(PermissionDenied):
        svc.redemption_cancel(redemption=order, reason="", resident=other.household.residents.get())
    svc.redemption_cancel(redemption=order, reason="", resident=_resident(account))
    order.refresh_from_db()
    assert order.cancel_reason == "居民在手机上取消"


def test_restock_moves_stock_with_reason(world, item) -> None:  # noqa: ANN001
    from lianxin.audit.models import AuditEvent

    staff = world.actor("village_staff")
    with pytest.raises(DomainError, match="调整原因"):
        svc.item_restock(actor=staff, item=item, change=5, reason="")
    svc.item_restock(actor=staff, item=item, change=10, reason="爱心商户捐赠")
    assert StoreItem.objects.get(pk=item.pk).stock == 15
    with pytest.raises(DomainError, match="库存不足"):
        svc.item_restock(actor=staff, item=item, change=-16, reason="盘点")
    svc.item_restock(actor=staff, item=item, change=-3, reason="破损报废")
    assert StoreItem.objects.get(pk=item.pk).stock == 12
    event = AuditEvent.objects.filter(object_type="points.storeitem").order_by("-id").first()
    assert event is not None and event.changes["stock"]["reason"] == "破损报废"


def test_store_only_in_a_village_in_scope(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with pytest.raises(DomainError, match="村（社区）"):
        svc.store_create(actor=staff, unit=world.grid, name="网格小超市")
    with pytest.raises(PermissionDenied):
        svc.store_create(actor=staff, unit=world.other_village, name="西关超市")
    with pytest.raises(DomainError, match="名称"):
        svc.store_create(actor=staff, unit=world.village, name="  ")


def test_item_price_must_be_positive(world, item) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with pytest.raises(DomainError) as err:
        svc.item_create(actor=staff, store=item.store, name="食用油", price=0, stock=3)
    assert err.value.field == "price"
    with pytest.raises(DomainError) as err:
        svc.item_create(actor=staff, store=item.store, name="食用油", price=5, stock=-1)
    assert err.value.field == "stock"


def test_micro_assistant_keeps_the_counter(world, account, item) -> None:  # noqa: ANN001
    from lianxin.accounts.models import User
    from lianxin.accounts.permissions import Role
    from lianxin.core.testing import make_user

    make_user("micro_assistant", Role.MICRO_ASSISTANT, world.village)
    world.users["micro_assistant"] = User.objects.get(username="micro_assistant")
    order = _redeem(world, account, item, by="micro_assistant")
    svc.redemption_pickup(actor=world.actor("micro_assistant"), redemption=order)
    assert Redemption.objects.get().status == Redemption.Status.PICKED_UP
