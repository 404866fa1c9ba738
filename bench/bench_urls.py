"""URLconf for bench/cases_submit.py only: every lianxin URL plus `bench/insert/`, a minimal
view that inserts one row (same server, same middleware: sessions, CSRF, auth, audit)."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from lianxin.urls import urlpatterns as lianxin_urlpatterns

TABLE_SQL = {
    "postgresql": "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, "
    "description text NOT NULL, phone varchar(20) NOT NULL, created_at timestamptz NOT NULL)",
    "sqlite": "CREATE TABLE IF NOT EXISTS bench_insert (id integer PRIMARY KEY AUTOINCREMENT, "
    "description text NOT NULL, phone varchar(20) NOT NULL, created_at datetime NOT NULL)",
}


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL[connection.vendor])


def bare_insert(request: HttpRequest) -> HttpResponse:
    """POST description/phone: one INSERT in a transaction, then a redirect (like the QR page)."""
    if request.method != "POST":
        return HttpResponse("POST description, phone")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_insert (description, phone, created_at) VALUES (%s, %s, %s)",
            [request.POST.get("description", ""), request.POST.get("phone", ""), timezone.now()],
        )
    return HttpResponseRedirect("/bench/insert/")


urlpatterns = [path("bench/insert/", bare_insert, name="bench_insert"), *lianxin_urlpatterns]
