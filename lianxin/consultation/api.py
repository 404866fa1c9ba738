"""JSON API of consultation under /api/consultation (token auth, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["协商议事"])
