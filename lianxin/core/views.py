"""Operational endpoints."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse

from lianxin import __version__


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and every migration is applied; 503 otherwise."""
    body: dict[str, object] = {"version": __version__, "database": False, "migrations": False}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = True
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        body["migrations"] = not pending
        body["pending_migrations"] = len(pending)
    except Exception as exc:  # the probe reports, it does not crash
        body["error"] = type(exc).__name__
    status = 200 if body["database"] and body["migrations"] else 503
    body["status"] = "ok" if status == 200 else "error"
    return JsonResponse(body, status=status)
