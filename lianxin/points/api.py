"""JSON API of points (docs/api.md): accounts, statements, proposals, rankings."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["党群积分"])
