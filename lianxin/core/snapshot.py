"""Per-process snapshots of small configuration tables (calendar days, request categories,
settings), so hot paths such as a resident's submission do not reload them every time.

Several processes (web workers, the Huey worker) each hold a copy, so an edit made in one
must reach the others: a snapshot remembers a cheap freshness stamp of its table (row count
and latest ``updated_at``) and compares it with the database at most every
``LIANXIN_CONFIG_RECHECK_SECONDS`` (default 30). Edits in the same process invalidate it at
once (model signals). Rows must therefore be written through ``save()`` / ``delete()``
(which keep ``updated_at`` true), never with ``QuerySet.update``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
DEFAULT_RECHECK_SECONDS = 30.0

Stamp = tuple[int, "dt.datetime | None"]


@dataclass(frozen=True)
class _Held(Generic[T]):
    stamp: Stamp
    value: T
    checked: float


_ALL: list[TableSnapshot[Any]] = []


def invalidate_all() -> None:
    """Forget every snapshot of this process (tests call it between tests)."""
    for snap in _ALL:
        snap.invalidate()


class TableSnapshot(Generic[T]):
    """`get()` returns `loader()`'s value, reloaded when the table behind it changed.

    The value is shared by every caller in the process: treat it as read-only."""

    def __init__(
        self,
        model_label: str,
        loader: Callable[[], T],
        *,
        recheck_setting: str = "LIANXIN_CONFIG_RECHECK_SECONDS",
    ) -> None:
        self.model_label = model_label
        self.loader = loader
        self.recheck_setting = recheck_setting
        self._held: _Held[T] | None = None
        self._lock = threading.Lock()
        uid = f"lianxin_snapshot_{model_label}_{id(self)}"
        post_save.connect(self.invalidate, sender=model_label, dispatch_uid=uid + "_save")
        post_delete.connect(self.invalidate, sender=model_label, dispatch_uid=uid + "_del")
        _ALL.append(self)

    def _recheck_seconds(self) -> float:
        return float(getattr(settings, self.recheck_setting, DEFAULT_RECHECK_SECONDS))

    def _stamp(self) -> Stamp:
        from django.apps import apps
        from django.db.models import Count, Max

        model = apps.get_model(self.model_label)
        row = model.objects.aggregate(n=Count("id"), last=Max("updated_at"))
        return (row["n"], row["last"])

    def get(self) -> T:
        held = self._held
        now = time.monotonic()
        if held is not None and now - held.checked < self._recheck_seconds():
            return held.value
        with self._lock:
            # The stamp is read before the rows: a write in between makes the next check reload.
            stamp = self._stamp()
            if held is not None and stamp == held.stamp:
                self._held = _Held(held.stamp, held.value, now)
                return held.value
            value = self.loader()
            self._held = _Held(stamp, value, now)
            return value

    def invalidate(self, **_: Any) -> None:
        """Forget this process's copy (other processes see edits through the stamp)."""
        self._held = None
