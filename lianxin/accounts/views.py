from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lianxin.accounts.services import LoginRefused, user_login_attempt
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    username = request.POST.get("username", "").strip()
    if request.method == "POST":
        try:
            user = user_login_attempt(request=request, username=username, password=request.POST.get("password", ""))
        except LoginRefused as exc:
            error = exc.message
        else:
            login(request, user)
            audit_record(action=AuditEvent.Action.LOGIN, obj=user)
            return redirect(request.GET.get("next") or "accounts:home")
    idle = request.session.pop("lianxin_idle_logout", False)
    return render(request, "accounts/login.html", {"error": error, "username": username, "idle": idle})


def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action=AuditEvent.Action.LOGOUT, obj=request.user)
    logout(request)
    return redirect("accounts:login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {})
