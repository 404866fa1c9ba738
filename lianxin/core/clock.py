"""The services' clock. `now()` is `timezone.now()` unless code runs inside `travel(at)`,
which the demo builder uses to replay months of history through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils import timezone

_fixed: ContextVar[dt.datetime | None] = ContextVar("lianxin_clock", default=None)


def now() -> dt.datetime:
    return _fixed.get() or timezone.now()


def today() -> dt.date:
    """The local date of `now()` (Asia/Shanghai in the deployment)."""
    return timezone.localdate(now())


@contextmanager
def travel(at: dt.datetime) -> Iterator[None]:
    """Run the block as if it were `at` (services read `clock.now()`)."""
    token = _fixed.set(at)
    try:
        yield
    finally:
        _fixed.reset(token)


def local_naive(value: Any) -> Any:
    """A stored time as local wall-clock time without a zone (Excel cells), None as None."""
    from django.utils import timezone

    return timezone.localtime(value).replace(tzinfo=None) if value else None
