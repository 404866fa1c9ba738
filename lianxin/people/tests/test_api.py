"""People API: scoped by the token's account, masked, paginated."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.services import api_token_issue
from lianxin.core import crypto
from lianxin.core.testing import make_household
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident


def _api(world, persona: str = "grid_worker"):  # noqa: ANN001, ANN202
    raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
    client = Client()

    def get(name: str, params: dict | None = None, **kwargs):  # noqa: ANN202
        return client.get(
            reverse(f"api:{name}", kwargs=kwargs or None),
            params or {},
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    return get


@pytest.mark.django_db
def test_household_list_filters_and_paginates(world) -> None:  # noqa: ANN001
    for i in range(3):
        make_household(world.building, address=f"A-{i}")
    make_household(world.sibling_building, address="B-1")
    get = _api(world, "village_staff")
    body = get("people_household_list").json()
    assert body["count"] == 4
    body = get("people_household_list", {"unit": str(world.grid.public_id)}).json()
    assert sorted(h["address"] for h in body["items"]) == ["A-0", "A-1", "A-2"]
    assert body["items"][0]["unit_code"] == world.building.code
    assert (
        get("people_household_list", {"unit": str(world.other_village.public_id)}).status_code
        == 404
    )
    assert get("people_household_list", {"page": 2}).json()["items"] == []
    assert _api(world, "sibling_grid_worker")("people_household_list").json()["count"] == 1


@pytest.mark.django_db
def test_resident_endpoints_are_masked(world) -> None:  # noqa: ANN001
    h = make_household(world.building, address="C-1")
    r = make_resident(h, name="Masked", phone="13311112222")
    factories.ledger_entry(world, resident=r, code="disabled")
    get = _api(world)
    raw = get("people_resident_list").content.decode()
    assert crypto.decrypt(r.id_number_cipher) not in raw and "13311112222" not in raw
    (item,) = get("people_resident_list").json()["items"]
    assert item["id_number_masked"] == r.id_number_masked and item["phone_masked"] == "133****2222"
    assert item["tags"] == ["disabled"] and item["household_public_id"] == str(h.public_id)
    assert "id_number_cipher" not in item and "id_number_digest" not in item
    detail = get("people_resident_detail", public_id=r.public_id).json()
    assert detail["name"] == "Masked"
    hh = get("people_household_detail", public_id=h.public_id).json()
    assert [x["name"] for x in hh["residents"]] == ["Masked"] and hh["resident_count"] == 1
    outsider = _api(world, "sibling_grid_worker")
    assert outsider("people_resident_detail", public_id=r.public_id).status_code == 404
    assert outsider("people_household_detail", public_id=h.public_id).status_code == 404
    by_id = get("people_resident_list", {"q": crypto.decrypt(r.id_number_cipher)}).json()
    assert by_id["count"] == 1


@pytest.mark.django_db
def test_api_needs_a_token(world) -> None:  # noqa: ANN001
    assert Client().get(reverse("api:people_resident_list")).status_code == 401


@pytest.mark.django_db
def test_resident_list_query_count_is_constant(world) -> None:  # noqa: ANN001
    get = _api(world)
    get("people_resident_list")  # first use of the token records last_used_at once
    for _ in range(2):
        factories.ledger_entry(world)
    with CaptureQueriesContext(connection) as small:
        assert get("people_resident_list").status_code == 200
    for _ in range(6):
        factories.ledger_entry(world)
    with CaptureQueriesContext(connection) as large:
        assert get("people_resident_list").json()["count"] == 8
    assert len(small) == len(large)
