"""JSON API for requests (Ninja router mounted at /api/cases)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["诉求"])
