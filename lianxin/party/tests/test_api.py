"""The party API: scoped lists, masked household heads, pagination, query budget."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lianxin.accounts.services import api_token_issue
from lianxin.party.models import OrgKind
from lianxin.party.tests.factories import (
    make_activity,
    make_linked_households,
    make_member,
    make_org,
)

pytestmark = pytest.mark.django_db


def _api(world, persona: str):  # noqa: ANN001, ANN202
    raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
    client = Client()

    def get(path: str, **params: str):  # noqa: ANN202
        return client.get(f"/api/party{path}", params, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return get


def test_member_detail_masks_household_heads_and_phone(world) -> None:
    member = make_member(make_org(world.grid), name="王秀英", phone="13812345678")
    households = make_linked_households(member, world.building, 2, head_name="张建国")
    make_activity(member, duty="mediate")
    response = _api(world, "grid_worker")(f"/members/{member.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "王秀英" and body["link_count"] == 2
    assert body["contact_phone_masked"] == "138****5678"
    assert {h["household_id"] for h in body["households"]} == {str(h.public_id) for h in households}
    assert {h["head_name_masked"] for h in body["households"]} == {"张**"}
    assert body["duty_counts"]["mediate"] == 1 and body["duty_counts"]["visit"] == 0
    assert "张建国" not in response.content.decode("unicode_escape")
    assert "13812345678" not in response.content.decode()


def test_member_detail_outside_scope_is_404_and_no_token_is_401(world) -> None:
    member = make_member(make_org(world.grid))
    assert _api(world, "sibling_grid_worker")(f"/members/{member.public_id}").status_code == 404
    assert Client().get(f"/api/party/members/{member.public_id}").status_code == 401


def test_member_list_paginates_and_filters_by_organisation_subtree(world) -> None:
    committee = make_org(world.village, kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, parent=committee)
    other = make_org(world.sibling_grid, parent=committee)
    in_branch = {make_member(branch).public_id for _ in range(3)}
    make_member(other)
    get = _api(world, "village_staff")
    body = get("/members").json()
    assert body["count"] == 4
    body = get("/members", organisation=str(branch.public_id)).json()
    assert {m["public_id"] for m in body["items"]} == {str(p) for p in in_branch}
    assert all(m["organisation_id"] == str(branch.public_id) for m in body["items"])
    # An organisation outside scope is not found.
    foreign = make_org(world.other_village, kind=OrgKind.COMMITTEE)
    assert get("/members", organisation=str(foreign.public_id)).status_code == 404


def test_member_list_query_count_is_constant(world) -> None:
    org = make_org(world.grid)
    get = _api(world, "grid_worker")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert get("/members").status_code == 200
        return len(ctx.captured_queries)

    make_linked_households(make_member(org), world.building, 1)
    few = count()
    for _ in range(10):
        make_linked_households(make_member(org), world.building, 2)
    assert count() == few


def test_organisations_in_tree_order_with_parent_ids(world) -> None:
    committee = make_org(world.village, name="迎秀社区党委", kind=OrgKind.COMMITTEE)
    branch = make_org(world.grid, name="第一网格党支部", parent=committee)
    make_member(branch)
    body = _api(world, "village_staff")("/organisations").json()
    assert [o["public_id"] for o in body] == [str(committee.public_id), str(branch.public_id)]
    assert body[1]["parent_id"] == str(committee.public_id) and body[1]["member_count"] == 1
    # The grid worker sees only the grid branch; its parent is outside their scope.
    grid = _api(world, "grid_worker")("/organisations").json()
    assert [o["public_id"] for o in grid] == [str(branch.public_id)] and grid[0][
        "parent_id"
    ] is None
