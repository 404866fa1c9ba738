"""Never overspends: 50 redemptions started at the same instant, each on its own database
connection, against one household's balance and one item's stock (PostgreSQL; SQLite
serialises writers, so the race cannot happen there)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from lianxin.core.errors import DomainError
from lianxin.points.models import Account, PointEntry, Redemption, StoreItem
from lianxin.points.services import ledger
from lianxin.points.services import store as svc
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises writers: the race needs PostgreSQL",
)

WORKERS = 50


def _race(world, account: Account, item: StoreItem) -> Counter[str]:  # noqa: ANN001
    """WORKERS threads redeem one unit each at the same moment; returns outcome counts."""
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []
    lock = threading.Lock()
    resident_id = account.household.residents.get().pk

    def worker() -> None:
        from lianxin.people.models import Resident

        try:
            # Each thread reads its own rows on its own connection before the start line.
            acc = Account.objects.select_related("scheme", "unit").get(pk=account.pk)
            it = StoreItem.objects.select_related("store__unit").get(pk=item.pk)
            resident = Resident.objects.get(pk=resident_id)
            actor = world.actor("village_staff")
            barrier.wait(timeout=30)
            try:
                svc.redeem(
                    account=acc,
                    item=it,
                    quantity=1,
                    resident=resident,
                    channel=Redemption.Channel.COUNTER,
                    actor=actor,
                )
                result = "ok"
            except DomainError as exc:
                result = exc.message.split("：")[0]
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == WORKERS, "a worker died or hung"
    return Counter(outcomes)


def _spent(account: Account) -> int:
    row = PointEntry.objects.filter(account=account, kind="spend").aggregate(s=Sum("amount"))
    return -(row["s"] or 0)


def test_fifty_simultaneous_redemptions_never_overspend(
    restore_migration_data,
    transactional_db,
    world,  # noqa: ANN001
) -> None:
    account = f.household_account(world.building)
    f.credit(account, 300)

    # 1. The balance binds: 300 points buy 30 of 40 in stock.
    rice = f.store_item(world, price=10, stock=40, name="大米")
    outcome = _race(world, account, rice)
    account.refresh_from_db()
    rice.refresh_from_db()
    assert outcome == Counter({"ok": 30, "积分余额不足": 20})
    assert account.balance == 0 and rice.stock == 10
    assert _spent(account) == outcome["ok"] * rice.price
    assert Redemption.objects.filter(item=rice).count() == 30

    # 2. The stock binds: 20 in stock, points for all 50.
    f.credit(account, 1000)
    oil = StoreItem.objects.create(store=rice.store, name="食用油", price=10, stock=20)
    outcome = _race(world, account, oil)
    account.refresh_from_db()
    oil.refresh_from_db()
    assert outcome == Counter({"ok": 20, "库存不足": 30})
    assert oil.stock == 0 and account.balance == 1000 - 20 * 10
    assert _spent(account) == 300 + outcome["ok"] * oil.price

    # Never negative, and the chain and the cached balance agree with the entries.
    assert not Account.objects.filter(balance__lt=0).exists()
    assert not StoreItem.objects.filter(stock__lt=0).exists()
    report = ledger.ledger_verify()
    assert report.ok, report.problems
    assert report.entries == 2 + 30 + 20
