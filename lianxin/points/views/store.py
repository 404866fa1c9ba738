"""Staff pages of the points store (积分超市): the counter, stores and items, redemption
orders with pickup, cancellation and the Excel export (see docs/points-store.md).

Thin views: a form parses the input, one service of `services.store` acts, the page
renders; a refusal (beyond balance or stock, above the limit...) shows next to the field
with the input kept. Stores, items, orders and households come only from selectors scoped
to the actor's 积分超市 permission (404 outside).
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.clock import local_naive
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.people.models import Household, Resident
from lianxin.people.selectors import household_list
from lianxin.points import workflow as wf
from lianxin.points.models import Account, Redemption, Store, StoreItem
from lianxin.points.services import store as svc
from lianxin.points.services.accounts import account_for_household
from lianxin.points.services.config import scheme_for

SEARCH_LIMIT = 20


# --- forms -----------------------------------------------------------------------------------


class RedeemForm(forms.Form):
    """A counter redemption: which household (found above), which item, how many, who."""

    household = forms.UUIDField(widget=forms.HiddenInput)
    item = forms.ChoiceField(label="商品")
    quantity = forms.IntegerField(label="数量", min_value=1, max_value=svc.MAX_QUANTITY, initial=1)
    resident = forms.ChoiceField(label="兑换人（本户成员）")
    pickup_now = forms.BooleanField(label="当场领取（直接核销）", required=False, initial=True)

    def __init__(
        self, *args: Any, items: list[StoreItem], residents: list[Resident], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        # Goods that ran out are not offered (the service would refuse them anyway).
        cast(forms.ChoiceField, self.fields["item"]).choices = [
            (str(i.public_id), f"{i.name}（{i.price}分，库存{i.stock}）") for i in items if i.stock
        ]
        cast(forms.ChoiceField, self.fields["resident"]).choices = [
            (str(r.public_id), r.name) for r in residents
        ]


class PickupCodeForm(forms.Form):
    code = forms.CharField(
        label="取货码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class StoreForm(forms.Form):
    unit = forms.ChoiceField(label="所属村/社区")
    name = forms.CharField(label="名称", max_length=60)
    address = forms.CharField(label="地点", max_length=120, required=False)
    hours = forms.CharField(label="开放时间", max_length=60, required=False)
    is_active = forms.BooleanField(label="营业", required=False, initial=True)

    def __init__(self, *args: Any, actor: Actor, editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if editing:
            del self.fields["unit"]
        else:
            del self.fields["is_active"]
            cast(forms.ChoiceField, self.fields["unit"]).choices = [
                (str(u.public_id), u.display_name) for u in svc.store_units(actor)
            ]


class ItemForm(forms.Form):
    name = forms.CharField(label="商品名称", max_length=60)
    description = forms.CharField(label="说明", max_length=200, required=False)
    price = forms.IntegerField(label="所需积分", min_value=1)
    stock = forms.IntegerField(label="期初库存", min_value=0, max_value=svc.MAX_STOCK_CHANGE)
    per_household_limit = forms.IntegerField(
        label="每户每月限兑", min_value=0, max_value=999, initial=0, help_text="0 为不限"
    )
    sort_order = forms.IntegerField(label="排序", initial=0, required=False)
    is_active = forms.BooleanField(label="上架", required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if editing:
            # Stock moves only by restocking and orders.
            del self.fields["stock"]
        else:
            del self.fields["is_active"]


class RestockForm(forms.Form):
    change = forms.IntegerField(
        label="库存变动", help_text="正数为增加（进货、捐赠），负数为减少（报损、盘点）"
    )
    reason = forms.CharField(label="调整原因", max_length=200)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200)


class RedemptionFilterForm(forms.Form):
    store = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "全部"), *Redemption.Status.choices], label="状态"
    )
    channel = forms.ChoiceField(
        required=False, choices=[("", "全部"), *Redemption.Channel.choices], label="方式"
    )
    q = forms.CharField(required=False, max_length=40, label="取货码、户或商品")
    date_from = forms.DateField(required=False, label="兑换日期从")
    date_to = forms.DateField(required=False, label="到")

    def filters(self) -> svc.RedemptionFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return svc.RedemptionFilters(
            store=data.get("store") or "",
            status=data.get("status") or "",
            channel=data.get("channel") or "",
            q=data.get("q") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# --- the counter -----------------------------------------------------------------------------


def _pick_store(actor: Actor, value: str | None) -> Store | None:
    stores = svc.stores_for(actor, active_only=True)
    if value:
        return svc.store_get(actor, value)
    return stores.first()


def _household_in_store(actor: Actor, store: Store, public_id: object) -> Household:
    household = Household.objects.select_related("unit").get_visible(
        actor, wf.STORE, public_id=public_id
    )
    if not household.unit.path.startswith(store.unit.path) or not household.is_active:
        raise Http404("该户不在本超市所在村（社区）")
    return household


def _search(actor: Actor, store: Store, q: str) -> list[dict[str, Any]]:
    """Households of the store's village matching `q` (door, head of household, or an exact
    phone/ID number), with their balances — two queries."""
    households = list(
        household_list(actor=actor, q=q, perm=wf.STORE).filter(
            unit__path__startswith=store.unit.path
        )[:SEARCH_LIMIT]
    )
    scheme = scheme_for("household")
    balances = dict(
        Account.objects.filter(scheme=scheme, household__in=households).values_list(
            "household_id", "balance"
        )
    )
    return [{"household": h, "balance": balances.get(h.pk, 0)} for h in households]


def _counter_page(
    request: ActorRequest,
    *,
    store: Store | None,
    household: Household | None = None,
    redeem_form: RedeemForm | None = None,
    pickup_form: PickupCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    q = request.GET.get("q", "").strip()[:40]
    ctx: dict[str, Any] = {
        "store": store,
        "stores": list(svc.stores_for(actor, active_only=True)),
        "q": q,
        "pickup_form": pickup_form or PickupCodeForm(),
    }
    if store is not None and q and household is None:
        ctx["results"] = _search(actor, store, q)
    if store is not None and household is not None:
        account = account_for_household(household)
        items = list(svc.store_items(store, active_only=True))
        residents = list(household.residents.filter(is_active=True).order_by("id"))
        if redeem_form is None:
            redeem_form = RedeemForm(
                initial={"household": household.public_id},
                items=items,
                residents=residents,
            )
        ctx.update(
            household=household,
            account=account,
            items=items,
            residents=residents,
            redeem_form=redeem_form,
            orders=svc.household_redemptions(account, limit=10),
        )
    return render(request, "points/store/counter.html", ctx, status=status)


@login_required
def store_counter(request: ActorRequest) -> HttpResponse:
    """积分超市 counter: find a household, see its balance, redeem for a resident present,
    hand over orders by pickup code."""
    actor = require_any(request, wf.STORE)
    store = _pick_store(actor, request.GET.get("store"))
    household = None
    if store is not None and request.GET.get("household"):
        household = _household_in_store(actor, store, request.GET["household"])
    return _counter_page(request, store=store, household=household)


def _counter_url(store: Store, household: Household | None = None) -> str:
    url = reverse("points:store_counter") + f"?store={store.public_id}"
    return url + (f"&household={household.public_id}" if household else "")


@login_required
@require_POST
def store_counter_redeem(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    store = svc.store_get(actor, public_id)
    household = _household_in_store(actor, store, request.POST.get("household", ""))
    items = list(svc.store_items(store, active_only=True))
    residents = list(household.residents.filter(is_active=True).order_by("id"))
    form = RedeemForm(request.POST, items=items, residents=residents)
    if form.is_valid():
        item = next(i for i in items if str(i.public_id) == form.cleaned_data["item"])
        resident = next(r for r in residents if str(r.public_id) == form.cleaned_data["resident"])
        try:
            order = svc.redeem(
                account=account_for_household(household),
                item=item,
                quantity=form.cleaned_data["quantity"],
                resident=resident,
                channel=Redemption.Channel.COUNTER,
                actor=actor,
            )
            if form.cleaned_data["pickup_now"]:
                svc.redemption_pickup(actor=actor, redemption=order)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            done = "，已当场领取" if order.status == Redemption.Status.PICKED_UP else ""
            messages.success(
                request,
                f"兑换成功：{item.name}×{order.quantity}，扣减 {order.points} 分，"
                f"取货码 {order.pickup_code}{done}",
            )
            return redirect(_counter_url(store, household))
    return _counter_page(request, store=store, household=household, redeem_form=form, status=400)


@login_required
@require_POST
def store_pickup(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Hand over an order by the six-digit code the resident shows (核销)."""
    actor = require_any(request, wf.STORE)
    store = svc.store_get(actor, public_id)
    form = PickupCodeForm(request.POST)
    if form.is_valid():
        try:
            order = svc.redemption_pickup_by_code(
                actor=actor, store=store, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"已核销：{order.account.label} 兑换的 {order.item.name}×{order.quantity}",
            )
            return redirect(_counter_url(store))
    return _counter_page(request, store=store, pickup_form=form, status=400)


# --- stores and items ------------------------------------------------------------------------


@login_required
def store_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    stores = svc.stores_for(actor).annotate(
        item_count=Count("items", filter=Q(items__is_active=True), distinct=True),
        waiting=Count(
            "redemptions",
            filter=Q(redemptions__status=Redemption.Status.PLACED),
            distinct=True,
        ),
    )
    return render(
        request,
        "points/store/store_list.html",
        {"stores": stores, "can_create": svc.store_units(actor).exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_create(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    form = StoreForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        unit = svc.store_units(actor).filter(public_id=form.cleaned_data["unit"]).first()
        try:
            if unit is None:
                raise DomainError("请选择您管辖的村（社区）", field="unit")
            store = svc.store_create(
                actor=actor,
                unit=unit,
                name=form.cleaned_data["name"],
                address=form.cleaned_data["address"],
                hours=form.cleaned_data["hours"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已开设“{store.name}”，请添加兑换商品")
            return redirect("points:store_detail", public_id=store.public_id)
    return render(request, "points/store/store_form.html", {"form": form, "store": None})


@login_required
def store_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    store = svc.store_get(actor, public_id)
    return render(
        request,
        "points/store/store_detail.html",
        {"store": store, "items": svc.store_items(store)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def store_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    store = svc.store_get(actor, public_id)
    initial = {
        "name": store.name,
        "address": store.address,
        "hours": store.hours,
        "is_active": store.is_active,
    }
    form = StoreForm(request.POST or None, actor=actor, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.store_update(actor=actor, store=store, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("points:store_detail", public_id=store.public_id)
    return render(request, "points/store/store_form.html", {"form": form, "store": store})


@login_required
@require_http_methods(["GET", "POST"])
def item_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    store = svc.store_get(actor, public_id)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.item_create(actor=actor, store=store, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已上架“{form.cleaned_data['name']}”")
            return redirect("points:store_detail", public_id=store.public_id)
    return render(
        request, "points/store/item_form.html", {"form": form, "store": store, "item": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    item = svc.item_get(actor, public_id)
    initial = {
        f: getattr(item, f)
        for f in ("name", "description", "price", "per_household_limit", "sort_order", "is_active")
    }
    form = ItemForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.item_update(actor=actor, item=item, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存“{item.name}”")
            return redirect("points:store_detail", public_id=item.store.public_id)
    return render(
        request, "points/store/item_form.html", {"form": form, "store": item.store, "item": item}
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_restock(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    item = svc.item_get(actor, public_id)
    form = RestockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.item_restock(actor=actor, item=item, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"“{item.name}”库存现为 {item.stock}")
            return redirect("points:store_detail", public_id=item.store.public_id)
    return render(request, "points/store/restock.html", {"form": form, "item": item})


# --- orders ----------------------------------------------------------------------------------


@login_required
def redemption_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    form = RedemptionFilterForm(request.GET or None)
    filters = form.filters()
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "points/store/redemption_list.html",
        {
            "form": form,
            "filters": filters,
            "stores": list(svc.stores_for(actor)),
            "page": page_of(request, svc.redemption_list(actor, filters)),
            "querystring_without_page": querystring_without_page(request),
            "export_query": urlencode(params),
        },
    )


EXPORT_HEADERS = (
    "兑换时间",
    "积分超市",
    "户",
    "兑换人",
    "商品",
    "数量",
    "花费积分",
    "方式",
    "状态",
    "取货码",
    "领取时间",
    "取消时间",
    "取消原因",
)


def _export_row(r: Redemption) -> list[Any]:
    from lianxin.core.crypto import mask_name

    return [
        local_naive(r.spend_entry.booked_at),
        r.store.name,
        r.account.label,
        mask_name(r.resident.name) if r.resident else "",
        r.item.name,
        r.quantity,
        r.points,
        r.get_channel_display(),
        r.get_status_display(),
        r.pickup_code if r.status == Redemption.Status.PLACED else "",
        local_naive(r.picked_up_at),
        local_naive(r.cancelled_at),
        r.cancel_reason,
    ]


@login_required
def redemption_export(request: ActorRequest) -> FileResponse:
    """The order list as filtered, as .xlsx (every staff list can be exported)."""
    actor = require_any(request, wf.STORE)
    filters = RedemptionFilterForm(request.GET or None).filters()
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    return xlsx_export(
        request,
        sheet="兑换记录",
        headers=EXPORT_HEADERS,
        rows=(
            _export_row(order)
            for order in svc.redemption_list(actor, filters).iterator(chunk_size=2000)
        ),
        object_type="points.redemption",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
        filename=f"积分兑换记录-{stamp}.xlsx",
    )


def _detail(
    request: ActorRequest, order: Redemption, *, cancel_form: CancelForm | None = None
) -> HttpResponse:
    return render(
        request,
        "points/store/redemption_detail.html",
        {"order": order, "cancel_form": cancel_form or CancelForm()},
        status=400 if cancel_form is not None else 200,
    )


@login_required
def redemption_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    return _detail(request, svc.redemption_get(actor, public_id))


@login_required
@require_POST
def redemption_pickup(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    order = svc.redemption_get(actor, public_id)
    try:
        svc.redemption_pickup(actor=actor, redemption=order)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已核销，物品已领取")
    return redirect("points:redemption_detail", public_id=order.public_id)


@login_required
@require_POST
def redemption_cancel(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.STORE)
    order = svc.redemption_get(actor, public_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            svc.redemption_cancel(redemption=order, reason=form.cleaned_data["reason"], actor=actor)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已取消，{order.points} 分已退还该户")
            return redirect("points:redemption_detail", public_id=order.public_id)
    return _detail(request, order, cancel_form=form)


urlpatterns: list[URLPattern] = [
    path("store/", store_counter, name="store_counter"),
    path("store/<uuid:public_id>/redeem/", store_counter_redeem, name="store_counter_redeem"),
    path("store/<uuid:public_id>/pickup/", store_pickup, name="store_pickup"),
    path("store/manage/", store_list, name="store_list"),
    path("store/manage/new/", store_create, name="store_create"),
    path("store/manage/<uuid:public_id>/", store_detail, name="store_detail"),
    path("store/manage/<uuid:public_id>/edit/", store_edit, name="store_edit"),
    path("store/manage/<uuid:public_id>/items/new/", item_create, name="item_create"),
    path("store/items/<uuid:public_id>/edit/", item_edit, name="item_edit"),
    path("store/items/<uuid:public_id>/restock/", item_restock, name="item_restock"),
    path("store/orders/", redemption_list, name="redemption_list"),
    path("store/orders/xlsx/", redemption_export, name="redemption_export"),
    path("store/orders/<uuid:public_id>/", redemption_detail, name="redemption_detail"),
    path("store/orders/<uuid:public_id>/pickup/", redemption_pickup, name="redemption_pickup"),
    path("store/orders/<uuid:public_id>/cancel/", redemption_cancel, name="redemption_cancel"),
]
