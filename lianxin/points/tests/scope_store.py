"""Scope cases for the points store's staff URLs (insider: the village's staff; outsider:
another village's staff, who also keeps a store counter), and the residents' phone pages of
the store, public by design."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public

MARK_HOUSEHOLD = "范围标记户"
MARK_STORE = "迎秀社区积分超市"

PUBLIC = {
    "points_public:store": "积分超市 on the phone: goods of the signed-in household's village "
    "(phone code session); nothing without the session",
    "points_public:store_redeem": "POST (CSRF): redeem from the signed-in household's balance",
    "points_public:orders": "orders of the households behind the session's phone only",
    "points_public:order": "one order of the session's households (404 for any other)",
    "points_public:order_cancel": "POST (CSRF): cancel an own order not yet picked up",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)


def _world_order(w: Any, *, place: bool = True) -> dict[str, Any]:
    from lianxin.points.models import Redemption
    from lianxin.points.services import store as svc
    from lianxin.points.tests import factories as f

    item = f.store_item(w, price=5, stock=10)
    account = f.household_account(w.building, head_name=MARK_HOUSEHOLD)
    f.credit(account, 50)
    found: dict[str, Any] = {"item": item, "store": item.store, "account": account}
    if place:
        found["order"] = svc.redeem(
            account=account,
            item=item,
            quantity=1,
            resident=account.household.residents.get(),
            channel=Redemption.Channel.COUNTER,
            actor=w.actor("village_staff"),
        )
    return found


def _listed(w: Any) -> ScopeSetup:
    _world_order(w)
    return ScopeSetup(marker=MARK_HOUSEHOLD)


def _exported(w: Any) -> ScopeSetup:
    # A file, not a page: no marker to look for here (the rows are tested by content).
    _world_order(w)
    return ScopeSetup()


def _counter(w: Any) -> ScopeSetup:
    _world_order(w, place=False)
    return ScopeSetup(marker=MARK_STORE)


def _counter_search(w: Any) -> ScopeSetup:
    _world_order(w, place=False)
    return ScopeSetup(marker=MARK_HOUSEHOLD, query={"q": MARK_HOUSEHOLD})


def _store_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _world_order(w, place=False)["store"].public_id})


def _item_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _world_order(w, place=False)["item"].public_id})


def _order_kw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _world_order(w)["order"].public_id})


def _redeem(w: Any) -> ScopeSetup:
    found = _world_order(w, place=False)
    return ScopeSetup(
        kwargs={"public_id": found["store"].public_id},
        data={
            "household": str(found["account"].household.public_id),
            "item": str(found["item"].public_id),
            "quantity": "1",
            "resident": str(found["account"].household.residents.get().public_id),
        },
    )


def _pickup_code(w: Any) -> ScopeSetup:
    found = _world_order(w)
    return ScopeSetup(
        kwargs={"public_id": found["store"].public_id}, data={"code": found["order"].pickup_code}
    )


def _cancel(w: Any) -> ScopeSetup:
    found = _world_order(w)
    return ScopeSetup(kwargs={"public_id": found["order"].public_id}, data={"reason": "拿错商品"})


def _case(name: str, setup: Any, **kw: Any) -> ScopeCase:
    return ScopeCase(name, setup, insider="village_staff", outsider="other_village_staff", **kw)


SCOPE_CASES: list[ScopeCase] = [
    _case("points:store_counter", _counter),
    _case("points:store_counter", _counter_search, note="household search stays in scope"),
    _case("points:store_counter_redeem", _redeem, method="post", expect_inside=(302,)),
    _case("points:store_pickup", _pickup_code, method="post", expect_inside=(302,)),
    _case("points:store_list", _counter),
    _case("points:store_create", lambda w: ScopeSetup(marker="迎秀社区")),
    _case("points:store_detail", _store_kw),
    _case("points:store_edit", _store_kw),
    _case("points:item_create", _store_kw),
    _case("points:item_edit", _item_kw),
    _case("points:item_restock", _item_kw),
    _case("points:redemption_list", _listed),
    _case("points:redemption_export", _exported, note="rows checked in test_store_pages"),
    _case("points:redemption_detail", _order_kw),
    _case("points:redemption_pickup", _order_kw, method="post", expect_inside=(302,)),
    _case("points:redemption_cancel", _cancel, method="post", expect_inside=(302,)),
]
