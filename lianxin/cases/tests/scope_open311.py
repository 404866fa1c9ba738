"""Scope cases for the open311 URLs of the cases app.

GeoReport v2 reads need no key by design: they show only requests whose reporter agreed to
publish them, without personal data (lianxin/cases/open311/present.py). Filing (POST
requests.{fmt}) needs an api_key whose account may file at the place; tests in
test_open311.py check both.
"""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase, register_public

for _name, _reason in {
    "open311:discovery": "Open311 service discovery: endpoint URL and formats; no data",
    "open311:services": "Open311 service list: the public request categories; no data",
    "open311:service_definition": "Open311 attributes of one category; no data",
    "open311:requests": "Open311 reads: published requests only, no personal data; "
    "POST needs an api_key allowed to file at the place",
    "open311:request": "Open311 read of one published request, no personal data",
    "open311:token": "Open311 token → tracking number of a request filed through Open311",
}.items():
    register_public(_name, _reason)

SCOPE_CASES: list[ScopeCase] = []
