"""Residents' phone pages of the points store and micro-tasks (namespace ``points_public``).

Behind the residents' phone login of cases (`resident:login`, a one-time code;
`cases.services.residents`): the session holds only the phone's digest, and every page
looks up the residents behind it; without it a page sends the browser to that login with
`next`. A resident sees the store of the village their household lives in, redeems from the
household's balance (channel `phone`), gets a six-digit pickup code shown large, follows and
cancels their household's orders; sees the open micro-tasks of their village and grid,
claims one and gives it back before it is confirmed. Orders and claims of anyone else are
404, the same answer as a wrong id.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from lianxin.cases.services import residents as phone_login
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.paging import page_of, querystring_without_page
from lianxin.people.models import Resident
from lianxin.points.models import Account, MicroTask, Redemption, StoreItem, TaskClaim
from lianxin.points.services import store as store_svc
from lianxin.points.services import tasks as task_svc

ORDERS_PER_PAGE = 20


def _private(response: HttpResponse) -> HttpResponse:
    """Pages of one household: never in a shared cache, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _login_redirect(request: HttpRequest) -> HttpResponse:
    """To the residents' phone login, coming back here once signed in."""
    query = urlencode({"next": request.get_full_path()})
    return _private(redirect(f"{reverse('resident:login')}?{query}"))


class Phone:
    """Who is signed in: the residents behind the phone and their households' accounts."""

    def __init__(self, residents: list[Resident]) -> None:
        self.residents = residents
        self.accounts: dict[int, Account] = store_svc.phone_accounts(residents)

    def residents_in(self, unit_ids: set[int]) -> list[Resident]:
        """Residents whose household's village or grid is one of `unit_ids`."""
        return [
            r
            for r in self.residents
            if {self.accounts[r.household_id].village_id, self.accounts[r.household_id].grid_id}
            & unit_ids
        ]

    def resident(self, public_id: str, among: list[Resident]) -> Resident | None:
        return next((r for r in among if str(r.public_id) == public_id), None)


def _phone(request: HttpRequest) -> Phone | None:
    residents = phone_login.session_residents(request)
    return Phone(residents) if residents else None


class ChooseResidentForm(forms.Form):
    """Which resident acts, when several live behind one phone."""

    resident = forms.ChoiceField(label="兑换人")

    def __init__(self, *args: Any, residents: list[Resident], **kw: Any) -> None:
        super().__init__(*args, **kw)
        cast(forms.ChoiceField, self.fields["resident"]).choices = [
            (str(r.public_id), r.name) for r in residents
        ]
        if len(residents) == 1:
            self.fields["resident"].initial = str(residents[0].public_id)
            self.fields["resident"].widget = forms.HiddenInput()


class PhoneRedeemForm(ChooseResidentForm):
    quantity = forms.IntegerField(
        label="数量",
        min_value=1,
        max_value=store_svc.MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ClaimForm(ChooseResidentForm):
    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["resident"].label = "认领人"


def _refused(failed: tuple[StoreItem | MicroTask, forms.Form] | None, shown: set[int]) -> str:
    """The refusal of an item or task no longer on the page (withdrawn, closed, past its
    deadline): said at the top, since there is no form to show it next to."""
    if failed is None or failed[0].pk in shown:
        return ""
    errors = [str(e) for field in failed[1] for e in field.errors]
    errors += [str(e) for e in failed[1].non_field_errors()]
    return f"“{failed[0]}”：{'；'.join(errors)}"


# --- the store -------------------------------------------------------------------------------


def _store_page(
    request: HttpRequest,
    phone: Phone,
    *,
    failed: tuple[StoreItem, PhoneRedeemForm] | None = None,
) -> HttpResponse:
    accounts = list(phone.accounts.values())
    stores = store_svc.phone_stores(accounts)
    items = (
        StoreItem.objects.filter(store__in=stores, is_active=True)
        .order_by("sort_order", "id")
        .only("public_id", "store_id", "name", "description", "price", "stock")
    )
    by_store: dict[int, list[dict[str, Any]]] = {s.pk: [] for s in stores}
    shown: set[int] = set()
    eligible = {s.pk: phone.residents_in({s.unit_id}) for s in stores}
    for item in items:
        if failed is not None and failed[0].pk == item.pk:
            form = failed[1]
        else:
            form = PhoneRedeemForm(residents=eligible[item.store_id], prefix=str(item.public_id))
        by_store[item.store_id].append({"item": item, "form": form})
        shown.add(item.pk)
    blocks = [
        {
            "store": s,
            "goods": by_store[s.pk],
            "accounts": [a for a in accounts if a.village_id == s.unit_id],
        }
        for s in stores
    ]
    return _private(
        render(
            request,
            "points/store/phone_store.html",
            {"blocks": blocks, "accounts": accounts, "refused": _refused(failed, shown)},
            status=400 if failed else 200,
        )
    )


@require_GET
def store(request: HttpRequest) -> HttpResponse:
    """积分超市 on the phone: the goods of the household's village and its balance."""
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    return _store_page(request, phone)


@require_POST
def store_redeem(request: HttpRequest, public_id: Any) -> HttpResponse:
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    item = (
        StoreItem.objects.select_related("store__unit")
        .filter(public_id=public_id, store__is_active=True)
        .first()
    )
    if item is None:
        raise Http404("没有找到该商品")
    eligible = phone.residents_in({item.store.unit_id})
    if not eligible:
        raise Http404("没有找到该商品")
    form = PhoneRedeemForm(request.POST, residents=eligible, prefix=str(item.public_id))
    if form.is_valid():
        resident = phone.resident(form.cleaned_data["resident"], eligible)
        assert resident is not None  # the form's choices are `eligible`
        try:
            order = store_svc.redeem(
                account=phone.accounts[resident.household_id],
                item=item,
                quantity=form.cleaned_data["quantity"],
                resident=resident,
                channel=Redemption.Channel.PHONE,
                actor=None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _private(redirect("points_public:order", public_id=order.public_id))
    return _store_page(request, phone, failed=(item, form))


@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    """The household's orders, newest first."""
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    page = page_of(
        request,
        store_svc.phone_redemptions(list(phone.accounts.values())),
        per_page=ORDERS_PER_PAGE,
    )
    return _private(
        render(
            request,
            "points/store/phone_orders.html",
            {"page": page, "querystring_without_page": querystring_without_page(request)},
        )
    )


@require_GET
def order(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One order with its pickup code, large, to show at the counter."""
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    found = store_svc.phone_redemption(list(phone.accounts.values()), public_id)
    return _private(render(request, "points/store/phone_order.html", {"order": found}))


@require_POST
def order_cancel(request: HttpRequest, public_id: Any) -> HttpResponse:
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    found = store_svc.phone_redemption(list(phone.accounts.values()), public_id)
    resident = next(r for r in phone.residents if r.household_id == found.account.household_id)
    try:
        store_svc.redemption_cancel(redemption=found, reason="", resident=resident)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已取消，{found.points} 分已退回")
    return _private(redirect("points_public:order", public_id=found.public_id))


# --- micro-tasks -----------------------------------------------------------------------------


def _tasks_page(
    request: HttpRequest,
    phone: Phone,
    *,
    failed: tuple[MicroTask, ClaimForm] | None = None,
) -> HttpResponse:
    accounts = list(phone.accounts.values())
    claims = task_svc.phone_claims(phone.residents)
    live = {
        (c.task_id, c.resident_id)
        for c in claims
        if c.status in (TaskClaim.Status.CLAIMED, TaskClaim.Status.COMPLETED)
    }
    cards: list[dict[str, Any]] = []
    shown: set[int] = set()
    for task in task_svc.phone_tasks(accounts):
        eligible = [r for r in phone.residents_in({task.unit_id}) if (task.pk, r.pk) not in live]
        if failed is not None and failed[0].pk == task.pk:
            form = failed[1]
        else:
            form = ClaimForm(residents=eligible, prefix=str(task.public_id))
        cards.append({"task": task, "form": form if eligible else None})
        shown.add(task.pk)
    refused = _refused(failed, shown)
    return _private(
        render(
            request,
            "points/tasks/phone_tasks.html",
            {"cards": cards, "claims": claims, "refused": refused},
            status=400 if failed else 200,
        )
    )


@require_GET
def tasks(request: HttpRequest) -> HttpResponse:
    """微任务 on the phone: open tasks of the village and grid, and my claims."""
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    return _tasks_page(request, phone)


@require_POST
def task_claim(request: HttpRequest, public_id: Any) -> HttpResponse:
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    task = MicroTask.objects.select_related("unit").filter(public_id=public_id).first()
    if task is None:
        raise Http404("没有找到该任务")
    eligible = phone.residents_in({task.unit_id})
    if not eligible:
        raise Http404("没有找到该任务")
    form = ClaimForm(request.POST, residents=eligible, prefix=str(task.public_id))
    if form.is_valid():
        resident = phone.resident(form.cleaned_data["resident"], eligible)
        assert resident is not None  # the form's choices are `eligible`
        try:
            task_svc.task_claim(task=task, resident=resident, channel=TaskClaim.Channel.PHONE)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"认领成功：{task.title}。完成后请告知网格员确认。")
            return _private(redirect("points_public:tasks"))
    return _tasks_page(request, phone, failed=(task, form))


@require_POST
def claim_withdraw(request: HttpRequest, public_id: Any) -> HttpResponse:
    phone = _phone(request)
    if phone is None:
        return _login_redirect(request)
    try:
        claim = (
            TaskClaim.objects.select_related("task", "resident")
            .filter(resident__in=phone.residents)
            .get(public_id=public_id)
        )
    except (TaskClaim.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("没有找到该认领") from exc
    try:
        task_svc.claim_withdraw(claim=claim, resident=claim.resident)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已放弃：{claim.task.title}")
    return _private(redirect("points_public:tasks"))


# To be added to points_public (public_urls.py: `+ phone.urlpatterns`).
urlpatterns: list[URLPattern] = [
    path("store/", store, name="store"),
    path("store/items/<uuid:public_id>/redeem/", store_redeem, name="store_redeem"),
    path("orders/", orders, name="orders"),
    path("orders/<uuid:public_id>/", order, name="order"),
    path("orders/<uuid:public_id>/cancel/", order_cancel, name="order_cancel"),
    path("tasks/", tasks, name="tasks"),
    path("tasks/<uuid:public_id>/claim/", task_claim, name="task_claim"),
    path("tasks/claims/<uuid:public_id>/withdraw/", claim_withdraw, name="claim_withdraw"),
]
