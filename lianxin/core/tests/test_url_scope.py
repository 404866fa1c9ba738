"""Walks every URL pattern: each one has a scope case (or is public/exempt with a reason)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import lianxin
from lianxin.core.scopecheck import EXEMPT_URLS, PUBLIC_URLS, ScopeCase


def _walk(patterns: list, prefix: str = "") -> list[str]:
    names: list[str] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names.extend(_walk(p.url_patterns, ns))
        elif isinstance(p, URLPattern) and p.name:
            names.append(prefix + p.name)
    return names


def all_url_names() -> list[str]:
    # Django admin is the configuration back office (staff only, no territory data there).
    return sorted({n for n in _walk(get_resolver().url_patterns) if not n.startswith("admin:")})


def all_cases() -> list[ScopeCase]:
    cases: list[ScopeCase] = []
    for mod in pkgutil.iter_modules(lianxin.__path__):
        try:
            module = importlib.import_module(f"lianxin.{mod.name}.tests.scope_cases")
        except ModuleNotFoundError:
            continue
        cases.extend(getattr(module, "SCOPE_CASES", []))
    return cases


CASES = all_cases()


def test_every_url_has_a_scope_case() -> None:
    covered = {c.url_name for c in CASES}
    missing = [
        n
        for n in all_url_names()
        if n not in covered and n not in PUBLIC_URLS and n not in EXEMPT_URLS
    ]
    assert not missing, f"URL patterns without a scope case: {missing}"


def test_scope_cases_name_real_urls() -> None:
    names = set(all_url_names())
    assert not [c.url_name for c in CASES if c.url_name not in names]


def _client_for(world, persona: str, api: bool) -> tuple[Client, dict[str, str]]:  # noqa: ANN001
    if not api:
        return world.client(persona), {}
    from lianxin.accounts.services import api_token_issue

    raw = api_token_issue(user=world.users[persona], name="scope test", created_by=None)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _call(world, case: ScopeCase, persona: str, setup):  # noqa: ANN001, ANN202
    client, headers = _client_for(world, persona, case.api)
    url = reverse(case.url_name, kwargs=setup.kwargs)
    if case.method == "get":
        return client.get(url, setup.query, **headers)
    if case.api and case.method in {"post", "put", "patch"}:
        import json

        return getattr(client, case.method)(
            url, json.dumps(setup.data), content_type="application/json", **headers
        )
    return getattr(client, case.method)(url, setup.data, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.url_name}[{c.method}{'-api' if c.api else ''}]"
)
def test_scope_case(world, case: ScopeCase) -> None:  # noqa: ANN001
    setup = case.setup(world)
    outside = _call(world, case, case.outsider, setup)
    if setup.kwargs:
        assert outside.status_code == 404, (
            f"{case.outsider} got {outside.status_code} for {case.url_name}"
        )
    else:
        assert outside.status_code == 200
        if setup.marker:
            assert setup.marker not in outside.content.decode(), (
                f"{case.outsider} sees {setup.marker!r}"
            )
    inside = _call(world, case, case.insider, setup)
    assert inside.status_code in case.expect_inside, (
        f"{case.insider} got {inside.status_code} for {case.url_name}: {inside.content[:300]!r}"
    )
    if setup.marker and inside.status_code == 200:
        assert setup.marker in inside.content.decode(), (
            f"{case.insider} does not see {setup.marker!r}"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.url_name}[{c.method}{'-api' if c.api else ''}]"
)
def test_anonymous_is_turned_away(world, case: ScopeCase) -> None:  # noqa: ANN001
    """Without a session or token every non-public URL sends to login (pages) or 401 (API)."""
    setup = case.setup(world)
    url = reverse(case.url_name, kwargs=setup.kwargs)
    response = getattr(Client(), case.method)(
        url, setup.query if case.method == "get" else setup.data
    )
    if case.api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
