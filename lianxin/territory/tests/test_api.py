"""The territory JSON API: units, children, look-up by code; scoped by the token's posts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lianxin.accounts.services import api_token_issue
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db


def _client(world, persona: str) -> tuple[Client, dict[str, str]]:  # noqa: ANN001
    raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_unit_detail(world) -> None:  # noqa: ANN001
    client, headers = _client(world, "grid_worker")
    response = client.get(f"/api/territory/units/{world.grid.public_id}", **headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "G410883001002-01"
    assert body["kind"] == "grid" and body["kind_label"] == "网格"
    assert body["name"] == body["display_name"] == "迎秀社区第一网格"
    assert body["parent_code"] == world.village.code
    assert body["parent_public_id"] == str(world.village.public_id)
    assert body["is_active"] is True and body["merged_into_code"] is None
    assert "id" not in body  # sequential keys never leave the server


def test_unit_detail_outside_scope_is_404(world) -> None:  # noqa: ANN001
    client, headers = _client(world, "sibling_grid_worker")
    assert client.get(f"/api/territory/units/{world.grid.public_id}", **headers).status_code == 404
    assert client.get(f"/api/territory/units/{world.grid.public_id}").status_code == 401


def test_children_paginated_and_constant_queries(world) -> None:  # noqa: ANN001
    client, headers = _client(world, "village_staff")
    url = f"/api/territory/units/{world.village.public_id}/children"

    def fetch() -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, **headers)
        assert response.status_code == 200
        return response.json(), len(ctx.captured_queries)

    body, few = fetch()
    assert body["count"] == 2
    assert [u["code"] for u in body["items"]] == ["G410883001002-01", "G410883001002-02"]
    for i in range(60):
        make_unit("grid", f"G410883001002-{i + 10}", f"加测网格{i}", world.village)
    body, many = fetch()
    assert body["count"] == 62 and len(body["items"]) == 50
    assert many == few
    page2 = client.get(url + "?page=2", **headers).json()
    assert len(page2["items"]) == 12


def test_lookup_by_code_and_stat_code_within_scope(world) -> None:  # noqa: ANN001
    from lianxin.territory.models import Unit

    Unit.objects.filter(pk=world.village.pk).update(stat_code="410883001002")
    Unit.objects.filter(pk=world.street.pk).update(stat_code="410883001000")
    client, headers = _client(world, "street_staff")
    body = client.get("/api/territory/units", {"code": "410883001000"}, **headers).json()
    assert [u["code"] for u in body["items"]] == ["410883001"]
    body = client.get("/api/territory/units", {"code": "410883001002"}, **headers).json()
    assert [u["display_name"] for u in body["items"]] == ["迎秀社区"]
    body = client.get("/api/territory/units", {"kind": "grid"}, **headers).json()
    assert body["count"] == 2
    body = client.get("/api/territory/units", {"q": "第二"}, **headers).json()
    assert [u["code"] for u in body["items"]] == ["G410883001002-02"]
    # Another street's unit is simply absent.
    body = client.get("/api/territory/units", {"code": world.other_village.code}, **headers).json()
    assert body == {"items": [], "count": 0}


def test_retired_children_on_request(world) -> None:  # noqa: ANN001
    from lianxin.territory.models import Unit

    Unit.objects.filter(pk=world.sibling_grid.pk).update(is_active=False)
    client, headers = _client(world, "village_staff")
    url = f"/api/territory/units/{world.village.public_id}/children"
    assert client.get(url, **headers).json()["count"] == 1
    body = client.get(url, {"include_retired": "true"}, **headers).json()
    assert body["count"] == 2 and {u["is_active"] for u in body["items"]} == {True, False}
    body = client.get("/api/territory/units", {"active": "false"}, **headers).json()
    assert [u["code"] for u in body["items"]] == [world.sibling_grid.code]
