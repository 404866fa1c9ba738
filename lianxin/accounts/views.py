"""Login, the workbench, passwords, account and post management, API tokens.

Views parse input, call one selector or service and render. Objects come from selectors that
answer 404 outside the actor's scope; a page whose permission the actor holds nowhere is 403.
"""

from __future__ import annotations

import dataclasses
import time
from typing import cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts import selectors, services
from lianxin.accounts.actor import Actor
from lianxin.accounts.forms import (
    AccountStatusForm,
    PasswordChangeForm,
    PostCreateForm,
    TokenCreateForm,
    UserCreateForm,
    UserFilterForm,
)
from lianxin.accounts.middleware import (
    CURRENT_POST_KEY,
    IDLE_LOGOUT_KEY,
    LAST_SEEN_KEY,
    password_change_required,
)
from lianxin.accounts.models import User
from lianxin.accounts.permissions import ROLE_UNIT_KINDS, Perm, Role
from lianxin.accounts.workbench import build_workbench
from lianxin.audit.context import acting
from lianxin.audit.context import current as current_audit_context
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import querystring_without_page as _querystring_without_page

PAGE_SIZE = 50


def _require(request: ActorRequest, perm: str) -> None:
    if not request.actor.can(perm):
        raise PermissionDenied("您没有此项权限")


# --- login and session -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    username = request.POST.get("username", "").strip()
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        try:
            user = services.user_login_attempt(
                request=request, username=username, password=request.POST.get("password", "")
            )
        except DomainError as exc:
            error = exc.message
        else:
            login(request, user)
            request.session[LAST_SEEN_KEY] = time.time()
            # The request started anonymous; the login event names the user who logged in.
            who = Actor.for_user(user)
            with acting(
                dataclasses.replace(
                    current_audit_context(), user_id=user.pk, post_label=who.post_label
                )
            ):
                audit_record(action=AuditEvent.Action.LOGIN, obj=user)
            if password_change_required(user):
                messages.info(request, "请先修改密码再继续使用。")
                return redirect("accounts:password_change")
            return redirect(next_url or "accounts:home")
    idle = request.session.pop(IDLE_LOGOUT_KEY, False)
    return render(
        request,
        "accounts/login.html",
        {"error": error, "username": username, "idle": idle, "next": next_url},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action=AuditEvent.Action.LOGOUT, obj=request.user)
    logout(request)
    return redirect("accounts:login")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """The user's own password; also where a forced change (reset, expiry) lands."""
    user = cast(User, request.user)  # @login_required: never AnonymousUser here
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_password_change(
                user=user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            # Keep this session; other sessions of the user end with the old password hash.
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("accounts:home")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "forced": password_change_required(request.user)},
    )


# --- workbench ---------------------------------------------------------------------------------


@login_required
def home(request: ActorRequest) -> HttpResponse:
    """Each role's workbench, for the current post."""
    actor = request.actor
    return render(
        request, "accounts/home.html", {"bench": build_workbench(actor), "posts": actor.posts}
    )


@login_required
@require_POST
def post_switch(request: ActorRequest, public_id: UUID) -> HttpResponse:
    """Make one of the user's own posts the current one (workbench, audit label)."""
    post = selectors.own_post_get(request.actor, public_id)
    request.session[CURRENT_POST_KEY] = str(post.public_id)
    messages.success(request, f"已切换到岗位：{post}")
    return redirect("accounts:home")


# --- accounts and posts ------------------------------------------------------------------------


@login_required
def user_list(request: ActorRequest) -> HttpResponse:
    _require(request, Perm.ACCOUNTS_MANAGE)
    form = UserFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    users = selectors.user_list(
        request.actor, q=data.get("q", ""), role=data.get("role", ""), status=data.get("status", "")
    )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {
            "form": form,
            "page": page,
            "querystring_without_page": _querystring_without_page(request),
        },
    )


@login_required
def user_detail(request: ActorRequest, public_id: UUID) -> HttpResponse:
    user = selectors.user_get(request.actor, public_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": user,
            "posts_elsewhere": selectors.user_posts_elsewhere(request.actor, user),
            "can_tokens": request.actor.can(Perm.API_TOKENS),
        },
    )


def _post_form_context(request: ActorRequest, form: object, **extra: object) -> dict[str, object]:
    from lianxin.territory.models import UnitKind

    rules = [
        {"role": Role(r).label, "kinds": "、".join(UnitKind(k).label for k in kinds)}
        for r, kinds in ROLE_UNIT_KINDS.items()
    ]
    return {
        "form": form,
        "units": selectors.units_grantable(request.actor),
        "role_rules": rules,
        **extra,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: ActorRequest) -> HttpResponse:
    _require(request, Perm.ACCOUNTS_MANAGE)
    form = UserCreateForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user, generated = services.user_create(
                actor=request.actor,
                username=d["username"],
                full_name=d["full_name"],
                role=d["role"],
                unit=d["unit"],
                department=d.get("department"),
                title=d.get("title", ""),
                password=d.get("password", ""),
                is_integration=d.get("is_integration", False),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if generated:
                # The generated password is shown once, on this response only.
                return render(
                    request,
                    "accounts/password_shown.html",
                    {"account": user, "password": generated, "created": True},
                )
            messages.success(request, f"账号 {user.username} 已开设。")
            return redirect("accounts:user_detail", public_id=user.public_id)
    return render(request, "accounts/user_form.html", _post_form_context(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request: ActorRequest, public_id: UUID) -> HttpResponse:
    account = selectors.user_get(request.actor, public_id)
    form = PostCreateForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.post_create(
                actor=request.actor,
                user=account,
                role=d["role"],
                unit=d["unit"],
                department=d.get("department"),
                title=d.get("title", ""),
                started_on=d.get("started_on"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "岗位已添加。")
            return redirect("accounts:user_detail", public_id=account.public_id)
    return render(
        request, "accounts/post_form.html", _post_form_context(request, form, account=account)
    )


@login_required
@require_POST
def post_end(request: ActorRequest, public_id: UUID) -> HttpResponse:
    post = selectors.post_get(request.actor, public_id)
    try:
        services.post_end(actor=request.actor, post=post)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{post} 已离岗。")
    return redirect("accounts:user_detail", public_id=post.user.public_id)


@login_required
@require_POST
def user_unlock(request: ActorRequest, public_id: UUID) -> HttpResponse:
    account = selectors.user_get(request.actor, public_id)
    try:
        services.user_unlock(actor=request.actor, user=account)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"账号 {account.username} 已解锁。")
    return redirect("accounts:user_detail", public_id=account.public_id)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_password_reset(request: ActorRequest, public_id: UUID) -> HttpResponse:
    """GET asks for confirmation; POST sets a temporary password and shows it once."""
    account = selectors.user_get(request.actor, public_id)
    if request.method == "POST":
        try:
            temporary = services.user_password_reset(actor=request.actor, user=account)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("accounts:user_detail", public_id=account.public_id)
        return render(
            request, "accounts/password_shown.html", {"account": account, "password": temporary}
        )
    return render(request, "accounts/password_reset_confirm.html", {"account": account})


def _account_status_change(
    request: ActorRequest, public_id: UUID, *, deactivate: bool
) -> HttpResponse:
    """GET shows the confirmation form; POST with a reason stops or restores the account."""
    account = selectors.user_get(request.actor, public_id)
    form = AccountStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = services.user_deactivate if deactivate else services.user_reactivate
        try:
            service(actor=request.actor, user=account, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            done = "已停用，登录会话已结束" if deactivate else "已恢复启用"
            messages.success(request, f"账号 {account.username} {done}。")
            return redirect("accounts:user_detail", public_id=account.public_id)
    return render(
        request,
        "accounts/user_status_confirm.html",
        {"account": account, "form": form, "deactivate": deactivate},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request: ActorRequest, public_id: UUID) -> HttpResponse:
    return _account_status_change(request, public_id, deactivate=True)


@login_required
@require_http_methods(["GET", "POST"])
def user_reactivate(request: ActorRequest, public_id: UUID) -> HttpResponse:
    return _account_status_change(request, public_id, deactivate=False)


# --- API tokens --------------------------------------------------------------------------------


@login_required
def token_list(request: ActorRequest) -> HttpResponse:
    _require(request, Perm.API_TOKENS)
    page = Paginator(selectors.token_list(request.actor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "accounts/token_list.html", {"page": page, "querystring_without_page": ""}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_create(request: ActorRequest) -> HttpResponse:
    """Issue a token for an integration account; the raw token is shown on this response only."""
    _require(request, Perm.API_TOKENS)
    initial = {}
    if request.GET.get("user"):
        initial["user"] = request.GET["user"]
    form = TokenCreateForm(request.POST or None, actor=request.actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            raw = services.api_token_create(
                actor=request.actor, user=form.cleaned_data["user"], name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return render(
                request,
                "accounts/token_created.html",
                {"token": raw, "account": form.cleaned_data["user"]},
            )
    return render(request, "accounts/token_form.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: ActorRequest, public_id: UUID) -> HttpResponse:
    token = selectors.token_get(request.actor, public_id)
    try:
        services.api_token_revoke(actor=request.actor, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"令牌 {token.prefix}… 已吊销。")
    return redirect("accounts:token_list")
