"""Signals later apps listen to (territory may not import them; DESIGN.md dependency order).

`unit_merged` is sent inside the merge transaction after households, posts and child units
have moved and before the source is retired: an app with its own rows on units (e.g. party
organisations) moves or closes them there. Receivers get ``source``, ``target`` and ``actor``.
"""

from __future__ import annotations

from django.dispatch import Signal

unit_merged = Signal()
