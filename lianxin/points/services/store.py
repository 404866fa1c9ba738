"""The points store (积分超市 / 积分兑换): stores, items, redemption orders.

A household spends from its balance; one of its residents redeems at the counter (staff
present, channel `counter`) or from the phone after signing in with a code (`phone`).

Never overspends. `redeem` runs in one transaction and:
1. locks the household's account row, so one household's redemptions are serial and the
   monthly limit is counted under the lock;
2. takes the stock with a conditional UPDATE (`stock >= quantity`; 0 rows → 库存不足), so
   concurrent buyers of one item cannot take the same unit twice;
3. spends through `services.ledger.entry_append`, which refuses beyond the balance.
Any refusal raises and rolls back all three: balance, stock and ledger stay as they were.
Locks are always taken account → item (redeem and cancel alike), so the two never deadlock.

A cancellation returns the points as a `REFUND` ledger entry and the stock, once (the
order's status moves by compare-and-set and the refund's source key is unique).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.people.models import Resident
from lianxin.points import workflow as wf
from lianxin.points.models import Account, EntryKind, Redemption, Store, StoreItem, SubjectKind
from lianxin.points.services import ledger
from lianxin.territory.models import Unit, UnitKind

MAX_QUANTITY = 99
MAX_STOCK_CHANGE = 100_000
Status = Redemption.Status
Channel = Redemption.Channel


def _require_store(actor: Actor | None, path: str) -> None:
    if actor is None or not actor.can(wf.STORE, path):
        raise PermissionDenied("该积分超市不在您的管辖范围内")


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant of the local month containing `moment` (monthly limits)."""
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# --- stores and items ------------------------------------------------------------------------


@transaction.atomic
def store_create(
    *, actor: Actor, unit: Unit, name: str, address: str = "", hours: str = ""
) -> Store:
    """Open a points store for a village or community in the actor's scope."""
    if unit.kind != UnitKind.VILLAGE:
        raise DomainError("积分超市设在村（社区）", field="unit")
    _require_store(actor, unit.path)
    return Store.objects.create(
        unit=unit,
        name=clean_text(name, field="name", label="名称", max_length=60),
        address=clean_text(address, field="address", label="地点", max_length=120, required=False),
        hours=clean_text(hours, field="hours", label="开放时间", max_length=60, required=False),
    )


@transaction.atomic
def store_update(
    *, actor: Actor, store: Store, name: str, address: str, hours: str, is_active: bool
) -> Store:
    """Edit a store; closing it (`is_active=False`) stops new orders, open ones stay."""
    _require_store(actor, store.unit.path)
    store.name = clean_text(name, field="name", label="名称", max_length=60)
    store.address = clean_text(
        address, field="address", label="地点", max_length=120, required=False
    )
    store.hours = clean_text(hours, field="hours", label="开放时间", max_length=60, required=False)
    store.is_active = is_active
    store.save()
    return store


def _item_numbers(*, price: int, per_household_limit: int) -> None:
    if price is None or price <= 0:
        raise DomainError("所需积分须为正整数", field="price")
    if per_household_limit is None or per_household_limit < 0:
        raise DomainError("每户每月限兑不能为负数", field="per_household_limit")


@transaction.atomic
def item_create(
    *,
    actor: Actor,
    store: Store,
    name: str,
    price: int,
    stock: int,
    description: str = "",
    per_household_limit: int = 0,
    sort_order: int = 0,
) -> StoreItem:
    """Put goods on the shelf with a points price and an opening stock."""
    _require_store(actor, store.unit.path)
    _item_numbers(price=price, per_household_limit=per_household_limit)
    if stock is None or stock < 0 or stock > MAX_STOCK_CHANGE:
        raise DomainError(f"库存须为 0–{MAX_STOCK_CHANGE} 的整数", field="stock")
    item = StoreItem.objects.create(
        store=store,
        name=clean_text(name, field="name", label="商品名称", max_length=60),
        description=clean_text(
            description, field="description", label="说明", max_length=200, required=False
        ),
        price=price,
        stock=stock,
        per_household_limit=per_household_limit,
        sort_order=sort_order or 0,
    )
    return item


@transaction.atomic
def item_update(
    *,
    actor: Actor,
    item: StoreItem,
    name: str,
    price: int,
    description: str = "",
    per_household_limit: int = 0,
    is_active: bool = True,
    sort_order: int = 0,
) -> StoreItem:
    """Edit an item (not its stock: that moves only by `item_restock` and orders). A new
    price applies to orders from now on; placed orders keep what they cost."""
    _require_store(actor, item.store.unit.path)
    _item_numbers(price=price, per_household_limit=per_household_limit)
    # Saved field by field: `stock` may be moving concurrently and must not be overwritten.
    item.name = clean_text(name, field="name", label="商品名称", max_length=60)
    item.description = clean_text(
        description, field="description", label="说明", max_length=200, required=False
    )
    item.price = price
    item.per_household_limit = per_household_limit
    item.is_active = is_active
    item.sort_order = sort_order or 0
    item.save(
        update_fields=[
            "name",
            "description",
            "price",
            "per_household_limit",
            "is_active",
            "sort_order",
            "updated_at",
        ]
    )
    return item


@transaction.atomic
def item_restock(*, actor: Actor, item: StoreItem, change: int, reason: str) -> StoreItem:
    """Add stock (进货、捐赠) or take it off (报损、盘点) with a reason; the change lands in the
    audit trail. Stock moves with F() and never below zero."""
    _require_store(actor, item.store.unit.path)
    reason = clean_text(reason, field="reason", label="调整原因", max_length=200)
    if not change:
        raise DomainError("请填写库存变动数量（正数为增加，负数为减少）", field="change")
    if abs(change) > MAX_STOCK_CHANGE:
        raise DomainError(f"一次调整不超过 {MAX_STOCK_CHANGE} 件", field="change")
    rows = StoreItem.objects.filter(pk=item.pk)
    if change < 0:
        rows = rows.filter(stock__gte=-change)
    if not rows.update(stock=F("stock") + change, updated_at=clock.now()):
        raise DomainError(f"库存不足，不能减少 {-change} 件", field="change")
    item.refresh_from_db(fields=["stock", "updated_at"])
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=item,
        object_repr=f"{item.name} 库存{'增加' if change > 0 else '减少'} {abs(change)}"[:200],
        changes={"stock": {"change": change, "after": item.stock, "reason": reason}},
    )
    return item


# --- orders ----------------------------------------------------------------------------------


def _free_pickup_code(store: Store) -> str:
    """A six-digit code not used by another order waiting at this store (staff type it)."""
    busy = Redemption.objects.filter(store=store, status=Status.PLACED)
    code = f"{secrets.randbelow(10**6):06d}"
    for _ in range(20):
        if not busy.filter(pickup_code=code).exists():
            break
        code = f"{secrets.randbelow(10**6):06d}"
    return code


def redeemed_this_month(*, account: Account, item: StoreItem, now: dt.datetime) -> int:
    """Units of `item` the household redeemed this month (cancelled orders do not count)."""
    row = Redemption.objects.filter(
        account=account,
        item=item,
        status__in=(Status.PLACED, Status.PICKED_UP),
        spend_entry__booked_at__gte=month_start(now),
    ).aggregate(total=Sum("quantity"))
    return int(row["total"] or 0)


@transaction.atomic
def redeem(
    *,
    account: Account,
    item: StoreItem,
    quantity: int,
    resident: Resident | None,
    channel: str,
    actor: Actor | None,
) -> Redemption:
    """Redeem `quantity` of `item` from the household's balance (积分兑换); the order waits
    for pickup with a six-digit code.

    At the counter `actor` is the staff member (积分超市 permission at the store's village);
    from the phone `actor` is None and `resident` is the signed-in resident. Refused with the
    reason — beyond balance, beyond stock, above the monthly limit, a closed store or item,
    points that cannot be spent, a household outside the store's village — and then nothing
    has moved."""
    store = item.store
    if channel not in Channel.values:
        raise DomainError("兑换方式无效", field="channel")
    if channel == Channel.COUNTER:
        _require_store(actor, store.unit.path)
    elif resident is None:
        raise DomainError("请先用手机号验证身份", field="resident")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError("兑换数量至少为 1", field="quantity")
    if quantity > MAX_QUANTITY:
        raise DomainError(f"一次最多兑换 {MAX_QUANTITY} 件", field="quantity")
    if account.kind != SubjectKind.HOUSEHOLD or not account.scheme.spendable:
        raise DomainError(f"“{account.scheme.name}”不能在积分超市兑换", field="account")
    if not account.is_active:
        raise DomainError("该积分账户已停用", field="account")
    if not account.unit.path.startswith(store.unit.path):
        raise DomainError(f"该户不在{store.unit.display_name}，不能在本超市兑换", field="account")
    if resident is not None and (
        resident.household_id != account.household_id or not resident.is_active
    ):
        raise DomainError("兑换人不是该户的在册成员", field="resident")
    if not store.is_active:
        raise DomainError(f"“{store.name}”暂停营业", field="item")
    if not item.is_active:
        raise DomainError(f"“{item.name}”已下架", field="item")
    points = item.price * quantity
    now = clock.now()
    # 1. The account lock: this household's orders queue here (limit and balance are exact).
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.balance < points:
        raise DomainError(
            f"积分余额不足：当前 {locked.balance} 分，兑换 {quantity} 件需要 {points} 分",
            field="quantity",
        )
    if item.per_household_limit:
        used = redeemed_this_month(account=account, item=item, now=now)
        if used + quantity > item.per_household_limit:
            raise DomainError(
                f"“{item.name}”每户每月限兑 {item.per_household_limit} 件，本月已兑 {used} 件",
                field="quantity",
            )
    # 2. The stock: a conditional UPDATE, never below zero whatever runs beside it.
    taken = StoreItem.objects.filter(pk=item.pk, is_active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity, updated_at=now
    )
    if not taken:
        left = StoreItem.objects.filter(pk=item.pk).values_list("stock", flat=True).first()
        raise DomainError(f"库存不足：“{item.name}”现有 {left or 0} 件", field="quantity")
    # 3. The points: the ledger refuses beyond the balance (checked again under its lock).
    order_id = uuid.uuid4()
    entry = ledger.entry_append(
        account=account,
        kind=EntryKind.SPEND,
        amount=-points,
        occurred_on=timezone.localdate(now),
        reason=f"积分兑换：{item.name}×{quantity}",
        source_key=f"redeem:{order_id}",
        booked_by_id=actor.user_id if actor else None,
        resident_id=resident.pk if resident else None,
    )
    item.stock -= quantity
    return Redemption.objects.create(
        public_id=order_id,
        store=store,
        item=item,
        account=account,
        resident=resident,
        quantity=quantity,
        points=points,
        channel=channel,
        pickup_code=_free_pickup_code(store),
        spend_entry=entry,
        placed_by_id=actor.user_id if actor else None,
    )


@transaction.atomic
def redemption_pickup(*, actor: Actor, redemption: Redemption) -> Redemption:
    """Staff hand the goods over (核销): placed → picked up, once."""
    _require_store(actor, redemption.store.unit.path)
    if redemption.status != Status.PLACED:
        raise DomainError(f"该兑换单{Status(redemption.status).label}，不能核销")
    now = clock.now()
    done = Redemption.objects.filter(pk=redemption.pk, status=Status.PLACED).update(
        status=Status.PICKED_UP, picked_up_at=now, picked_up_by_id=actor.user_id, updated_at=now
    )
    if not done:
        raise Conflict("该兑换单刚刚已被处理，请刷新后查看")
    redemption.status = Status.PICKED_UP
    redemption.picked_up_at = now
    redemption.picked_up_by_id = actor.user_id
    return redemption


@transaction.atomic
def redemption_pickup_by_code(*, actor: Actor, store: Store, code: str) -> Redemption:
    """Confirm pickup by the six-digit code the resident shows (取货码)."""
    _require_store(actor, store.unit.path)
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise DomainError("请填写6位数字取货码", field="code")
    waiting = list(
        Redemption.objects.filter(store=store, pickup_code=code, status=Status.PLACED)
        .select_related("store__unit", "item", "account")
        .order_by("id")[:2]
    )
    if not waiting:
        raise DomainError(f"“{store.name}”没有取货码为 {code} 的待领取兑换单", field="code")
    if len(waiting) > 1:
        raise DomainError("该取货码对应多张兑换单，请在兑换记录中逐单核销", field="code")
    return redemption_pickup(actor=actor, redemption=waiting[0])


@transaction.atomic
def redemption_cancel(
    *,
    redemption: Redemption,
    reason: str,
    actor: Actor | None = None,
    resident: Resident | None = None,
) -> Redemption:
    """Cancel an order not yet picked up: the points come back as a REFUND ledger entry
    and the stock returns (取消兑换). Staff (`actor`, with a reason) or a resident of the
    household (`resident`, from the phone) may cancel."""
    if actor is not None:
        _require_store(actor, redemption.store.unit.path)
        reason = clean_text(reason, field="reason", label="取消原因", max_length=200)
    elif resident is not None and resident.household_id == redemption.account.household_id:
        reason = (reason or "").strip()[:200] or "居民在手机上取消"
    else:
        raise PermissionDenied("只能取消本户的兑换单")
    if redemption.status != Status.PLACED:
        raise DomainError(f"该兑换单{Status(redemption.status).label}，不能取消")
    # Same lock order as `redeem`: the account first, then the item.
    Account.objects.select_for_update().filter(pk=redemption.account_id).first()
    now = clock.now()
    refund = ledger.entry_append(
        account=redemption.account,
        kind=EntryKind.REFUND,
        amount=redemption.points,
        occurred_on=timezone.localdate(now),
        reason=f"取消兑换退还：{redemption.item.name}×{redemption.quantity}",
        source_key=f"refund:{redemption.public_id}",
        booked_by_id=actor.user_id if actor else None,
        resident_id=resident.pk if resident else redemption.resident_id,
    )
    done = Redemption.objects.filter(pk=redemption.pk, status=Status.PLACED).update(
        status=Status.CANCELLED,
        cancelled_at=now,
        cancel_reason=reason,
        refund_entry=refund,
        updated_at=now,
    )
    if not done:
        # Picked up or cancelled meanwhile: the refund above rolls back with this error.
        raise Conflict("该兑换单刚刚已被处理，请刷新后查看")
    StoreItem.objects.filter(pk=redemption.item_id).update(
        stock=F("stock") + redemption.quantity, updated_at=now
    )
    redemption.status = Status.CANCELLED
    redemption.cancelled_at = now
    redemption.cancel_reason = reason
    redemption.refund_entry = refund
    return redemption


# --- reads -----------------------------------------------------------------------------------


def stores_for(actor: Actor, *, active_only: bool = False) -> QuerySet[Store]:
    """Stores in the actor's 积分超市 scope."""
    qs = Store.objects.visible_to(actor, wf.STORE).select_related("unit")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("unit__path", "id")


def store_get(actor: Actor, public_id: object) -> Store:
    """One store in scope (404 outside)."""
    return Store.objects.select_related("unit").get_visible(actor, wf.STORE, public_id=public_id)


def store_units(actor: Actor) -> QuerySet[Unit]:
    """Villages and communities where the actor may open a store."""
    return (
        Unit.objects.visible_to(actor, wf.STORE)
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


def item_get(actor: Actor, public_id: object) -> StoreItem:
    """One item in scope (404 outside)."""
    return StoreItem.objects.select_related("store__unit").get_visible(
        actor, wf.STORE, public_id=public_id
    )


def store_items(store: Store, *, active_only: bool = False) -> QuerySet[StoreItem]:
    qs = store.items.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "id")


def redemption_get(actor: Actor, public_id: object) -> Redemption:
    """One order in scope (404 outside)."""
    return Redemption.objects.select_related(
        "store__unit", "item", "account__scheme", "resident", "spend_entry", "refund_entry"
    ).get_visible(actor, wf.STORE, public_id=public_id)


@dataclass
class RedemptionFilters:
    store: str = ""
    status: str = ""
    channel: str = ""
    q: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return any((self.store, self.status, self.channel, self.q, self.date_from, self.date_to))


def redemption_list(actor: Actor, filters: RedemptionFilters) -> QuerySet[Redemption]:
    """Orders in scope, newest first, filtered by store, status, channel, placing date and a
    term (pickup code, household or item name)."""
    qs = Redemption.objects.visible_to(actor, wf.STORE).select_related(
        "store", "item", "account", "resident", "spend_entry"
    )
    if filters.store:
        try:
            qs = qs.filter(store__public_id=uuid.UUID(filters.store))
        except ValueError:
            qs = qs.none()
    if filters.status in Status.values:
        qs = qs.filter(status=filters.status)
    if filters.channel in Channel.values:
        qs = qs.filter(channel=filters.channel)
    if filters.date_from:
        qs = qs.filter(spend_entry__occurred_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(spend_entry__occurred_on__lte=filters.date_to)
    term = filters.q.strip()
    if term:
        qs = qs.filter(
            Q(pickup_code=term) | Q(account__label__icontains=term) | Q(item__name__icontains=term)
        )
    return qs.order_by("-spend_entry__booked_at", "-id")


def household_redemptions(account: Account, *, limit: int = 20) -> list[Redemption]:
    """The household's latest orders (the counter and the phone show them)."""
    return list(
        Redemption.objects.filter(account=account)
        .select_related("store", "item", "spend_entry", "resident")
        .order_by("-spend_entry__booked_at", "-id")[:limit]
    )


# --- the phone -------------------------------------------------------------------------------


def phone_accounts(residents: list[Resident]) -> dict[int, Account]:
    """The spendable household accounts of the signed-in residents, by household id."""
    from lianxin.points.services.accounts import account_for_household

    found: dict[int, Account] = {}
    for resident in residents:
        if resident.household_id not in found:
            found[resident.household_id] = account_for_household(resident.household)
    return found


def phone_stores(accounts: list[Account]) -> list[Store]:
    """Open stores of the villages the signed-in households live in, with their items."""
    villages = {a.village_id for a in accounts if a.village_id}
    return list(
        Store.objects.filter(unit_id__in=villages, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "id")
    )


def phone_redemptions(accounts: list[Account]) -> QuerySet[Redemption]:
    """Orders of the signed-in households, newest first."""
    return (
        Redemption.objects.filter(account__in=accounts)
        .select_related("store", "item", "spend_entry", "resident")
        .order_by("-spend_entry__booked_at", "-id")
    )


def phone_redemption(accounts: list[Account], public_id: Any) -> Redemption:
    """One order of the signed-in households (404 for any other, the same answer)."""
    try:
        return phone_redemptions(accounts).get(public_id=public_id)
    except (Redemption.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("没有找到该兑换单") from exc
