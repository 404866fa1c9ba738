"""Scope cases: every URL pattern declares how its scope is tested (DESIGN.md invariant 1).

Each app lists `SCOPE_CASES` in `lianxin/<app>/tests/scope_cases.py`; each case names a URL,
builds data in the shared persona world and says who is inside and who is outside.
`lianxin/core/tests/test_url_scope.py` runs every case and fails when a URL pattern has none
(or is not listed in `PUBLIC_URLS` / `EXEMPT_URLS` with a reason).

- A detail/action URL (``setup`` returns ``kwargs``): the insider gets `expect_inside`
  (200 by default) and the outsider gets 404.
- A list URL (no kwargs): both get 200; the ``marker`` text shows for the insider and not for
  the outsider.
- ``api=True``: called with a bearer token of the persona's account instead of a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# URL names reachable without login, by design.
PUBLIC_URLS: dict[str, str] = {
    "healthz": "health probe for load balancers; reveals no data",
    "accounts:login": "login page",
    "accounts:logout": "logout",
    "api:api-root": "Ninja's index of the API; lists no data",
    "api:openapi-json": "OpenAPI schema of the API (DESIGN.md: /api/openapi.json); no data",
    "api:openapi-view": "interactive API documentation page; no data",
    "party:member_public": "linkage board QR page: less than the posted board shows",
}

# URL names with no governed data behind them; the reason is the documentation.
EXEMPT_URLS: dict[str, str] = {}


@dataclass
class ScopeSetup:
    kwargs: dict[str, Any] = field(default_factory=dict)
    marker: str = ""
    query: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScopeCase:
    url_name: str
    setup: Callable[[Any], ScopeSetup]
    insider: str = "grid_worker"
    outsider: str = "sibling_grid_worker"
    method: str = "get"
    expect_inside: tuple[int, ...] = (200,)
    api: bool = False
    note: str = ""


def register_exempt(url_name: str, reason: str) -> None:
    EXEMPT_URLS[url_name] = reason


def register_public(url_name: str, reason: str) -> None:
    """Declare a URL public by design (called from an app's scope_cases module)."""
    PUBLIC_URLS[url_name] = reason
