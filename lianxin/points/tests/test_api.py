"""The JSON API of points (/api/points): scope, filters, statements, proposing with evidence,
approving, errors with the field, and query counts on lists."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.accounts.services import api_token_issue
from lianxin.core.testing import make_household, make_resident
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points.models import Proposal
from lianxin.points.services import ledger
from lianxin.points.services.accounts import account_for_household
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


class Api:
    """A token client for one persona."""

    def __init__(self, world: Any, persona: str) -> None:
        raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, name: str, query: dict | None = None, **kwargs: Any) -> Any:
        return self.client.get(reverse(f"api:{name}", kwargs=kwargs), query or {}, **self.headers)

    def post(self, name: str, data: dict, **kwargs: Any) -> Any:
        return self.client.post(
            reverse(f"api:{name}", kwargs=kwargs),
            json.dumps(data, default=str),
            content_type="application/json",
            **self.headers,
        )


def photo_b64() -> str:
    return base64.b64encode(f.photo().read()).decode()


def test_account_list_is_scoped_filtered_and_cheap(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    mine = [f.household_account(world.building, head_name=f"张{i}{i}") for i in range(3)]
    f.household_account(world.sibling_building, head_name="李四")
    for a in mine:
        f.credit(a, 4)
    api = Api(world, "grid_worker")
    with django_assert_max_num_queries(8):
        body = api.get("points_account_list", {"limit": 2}).json()
    assert body["count"] == 3 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["scheme"] == "household" and item["balance"] == 4
    assert item["label"].startswith("张*") and "号" not in item["label"].split("·")[0]
    assert item["household_id"] and item["unit_code"] == world.building.code
    # More rows, the same number of queries.
    for i in range(10):
        f.household_account(world.building, head_name=f"王{i}")
    with django_assert_max_num_queries(8):
        assert api.get("points_account_list", {"limit": 200}).json()["count"] == 13
    assert Api(world, "village_staff").get("points_account_list").json()["count"] == 14
    assert api.get("points_account_list", {"scheme": "party_member"}).json()["count"] == 0
    street = Api(world, "street_staff")
    assert street.get("points_account_list", {"unit": world.sibling_grid.code}).json()["count"] == 1
    assert street.get("points_account_list", {"unit": "nope"}).json()["count"] == 0
    assert Api(world, "other_street_staff").get("points_account_list").json()["count"] == 0


def test_household_detail_has_score_and_masked_contributions(world) -> None:  # noqa: ANN001
    household = make_household(world.building, head_name="赵大海")
    resident = make_resident(household, name="赵大海")
    account = account_for_household(household)
    ledger.entry_append(
        account=account,
        kind="earn",
        amount=5,
        occurred_on=f.today(),
        reason="庭院整洁",
        source_key="test:a",
        resident_id=resident.pk,
    )
    f.credit(account, 2)
    api = Api(world, "grid_worker")
    body = api.get("points_account_detail", public_id=account.public_id).json()
    assert body["balance"] == 7 and body["score"] == 7
    assert body["period"] == str(f.today().year)
    assert {(c["name"], c["total"]) for c in body["contributions"]} == {("赵**", 5), ("全户", 2)}
    assert body["linked"] is None and body["combined"] is None
    last_year = api.get(
        "points_account_detail", {"period": str(f.today().year - 1)}, public_id=account.public_id
    ).json()
    assert last_year["score"] == 0
    bad = api.get("points_account_detail", {"period": "2026-13"}, public_id=account.public_id)
    assert bad.status_code == 400 and bad.json()["field"] == "period"
    other = Api(world, "sibling_grid_worker")
    assert other.get("points_account_detail", public_id=account.public_id).status_code == 404


def test_member_detail_has_linked_score_sigma_over_n(world) -> None:  # noqa: ANN001
    from lianxin.core import snapshot
    from lianxin.points.services.config import points_settings

    # Work around services.config creating the settings row with float weights in memory
    # (reported to the lead): load it once from the database.
    points_settings()
    snapshot.invalidate_all()
    member = make_member(make_org(world.village), name="王建军")
    households = [f.household_account(world.building, head_name=f"户{i}") for i in range(3)]
    for a, points in zip(households, (5, 4, 0), strict=True):
        make_link(member, a.household)
        if points:
            f.credit(a, points)
    own = f.member_account(member)
    f.credit(own, 10)
    body = Api(world, "village_staff").get("points_account_detail", public_id=own.public_id).json()
    assert body["kind"] == "party_member" and body["label"] == "王建军"
    assert body["score"] == 10
    assert body["linked"] == {"total": 9, "households": 3, "value": "3.00"}
    cfg = points_settings()
    expected = 10 * cfg.member_own_weight + 3 * cfg.member_linked_weight
    assert body["combined"] == f"{expected:.2f}"


def test_statement_newest_first_with_reversal(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    first = f.credit(account, 5)
    for _ in range(4):
        f.credit(account, 1)
    ledger.entry_reverse(entry=first, reason="重复登记", booked_by_id=None)
    api = Api(world, "grid_worker")
    with django_assert_max_num_queries(8):
        body = api.get("points_account_entries", {"limit": 3}, public_id=account.public_id).json()
    assert body["count"] == 6
    top = body["items"][0]
    assert top["seq"] == 6 and top["kind"] == "reversal" and top["amount"] == -5
    assert top["reverses_seq"] == 1 and top["balance_after"] == 4 and len(top["hash"]) == 64
    assert [i["seq"] for i in body["items"]] == [6, 5, 4]
    outsider = Api(world, "sibling_grid_worker")
    assert outsider.get("points_account_entries", public_id=account.public_id).status_code == 404


def test_proposal_list_filters(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    a = f.household_account(world.building)
    b = f.household_account(world.sibling_building)
    f.propose(world, a)
    f.approved(world, a, code="hazard_report")
    f.propose(world, b, by="sibling_grid_worker")
    api = Api(world, "village_staff")
    with django_assert_max_num_queries(8):
        body = api.get("points_proposal_list").json()
    assert body["count"] == 3
    assert api.get("points_proposal_list", {"status": "in_notice"}).json()["count"] == 1
    assert api.get("points_proposal_list", {"status": "pending,in_notice"}).json()["count"] == 3
    assert api.get("points_proposal_list", {"indicator": "hazard_report"}).json()["count"] == 1
    assert api.get("points_proposal_list", {"unit": world.grid.code}).json()["count"] == 2
    item = api.get("points_proposal_list", {"status": "pending"}).json()["items"][0]
    assert item["points"] == 5 and item["indicator_revision"] == 1 and item["status_label"]
    assert Api(world, "grid_worker").get("points_proposal_list").json()["count"] == 2


def test_propose_with_photo_then_approve(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    gw = Api(world, "grid_worker")
    data = {
        "account": str(account.public_id),
        "indicator": "courtyard_clean",
        "occurred_on": f.today().isoformat(),
        "description": "庭院打扫干净",
        "photos": [photo_b64()],
    }
    created = gw.post("points_proposal_list", data)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["points"] == 5 and body["actions"] == []
    proposal = Proposal.objects.get(public_id=body["public_id"])
    assert proposal.photos.count() == 1 and proposal.proposed_by == world.users["grid_worker"]
    secretary = Api(world, "village_secretary")
    detail = secretary.get("points_proposal_detail", public_id=proposal.public_id).json()
    assert detail["actions"] == ["approve", "reject"]
    stale = secretary.post("points_proposal_approve", {"version": 99}, public_id=proposal.public_id)
    assert stale.status_code == 409
    approved = secretary.post(
        "points_proposal_approve", {"version": body["version"], "note": "属实"},
        public_id=proposal.public_id,
    )  # fmt: skip
    assert approved.status_code == 200
    assert approved.json()["status"] == "in_notice" and approved.json()["notice_until"]
    again = secretary.post(
        "points_proposal_approve", {"version": approved.json()["version"]},
        public_id=proposal.public_id,
    )  # fmt: skip
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"photos": []}, "photos"),
        ({"photos": ["不是base64!"]}, "photos"),
        ({"photos": [base64.b64encode(b"not an image").decode()]}, "photos"),
        ({"indicator": "nope"}, "indicator"),
        ({"occurred_on": "2099-01-01"}, "indicator"),
        ({"resident": "6e1c1e4e-1111-4111-8111-111111111111"}, "resident"),
        ({"case": "LX-NOPE"}, "case"),
    ],
)
def test_bad_proposals_name_the_field(world, change, field) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    data = {
        "account": str(account.public_id),
        "indicator": "courtyard_clean",
        "occurred_on": f.today().isoformat(),
        "photos": [photo_b64()],
    } | change
    answer = Api(world, "grid_worker").post("points_proposal_list", data)
    assert answer.status_code == 400, answer.content
    assert answer.json()["field"] == field
    assert not Proposal.objects.exists()


def test_propose_refusals_scope_cap_and_permission(world) -> None:  # noqa: ANN001
    outside = f.household_account(world.sibling_building)
    inside = f.household_account(world.building)

    def data(account: Any) -> dict:
        return {
            "account": str(account.public_id),
            "indicator": "courtyard_clean",
            "occurred_on": f.today().isoformat(),
            "photos": [photo_b64()],
        }

    gw = Api(world, "grid_worker")
    answer = gw.post("points_proposal_list", data(outside))
    assert answer.status_code == 400 and answer.json()["field"] == "account"
    assert gw.post("points_proposal_list", data(inside)).status_code == 201
    capped = gw.post("points_proposal_list", data(inside))
    assert capped.status_code == 400 and capped.json()["field"] == "indicator"
    assert "上限" in capped.json()["detail"]
    # Street staff see the household but do not propose.
    denied = Api(world, "street_staff").post("points_proposal_list", data(inside))
    assert denied.status_code == 403
    assert Proposal.objects.count() == 1


def test_decisions_refused_for_proposer_and_without_permission(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    own = f.propose(world, account, by="village_secretary")
    secretary = Api(world, "village_secretary")
    answer = secretary.post(
        "points_proposal_approve", {"version": own.version}, public_id=own.public_id
    )
    assert answer.status_code == 403 and "自己" in answer.json()["detail"]
    other = f.propose(world, account, code="hazard_report")
    gw = Api(world, "grid_worker")
    assert gw.post(
        "points_proposal_approve", {"version": other.version}, public_id=other.public_id
    ).status_code == 403  # fmt: skip
    no_note = secretary.post(
        "points_proposal_reject", {"version": other.version}, public_id=other.public_id
    )
    assert no_note.status_code == 400 and no_note.json()["field"] == "note"
    rejected = secretary.post(
        "points_proposal_reject", {"version": other.version, "note": "佐证不足"},
        public_id=other.public_id,
    )  # fmt: skip
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_standings(world) -> None:  # noqa: ANN001
    from lianxin.points.services.standings import standings_recompute

    top = f.household_account(world.building, head_name="冠军")
    f.credit(top, 9)
    f.credit(f.household_account(world.building, head_name="亚军"), 4)
    year = str(f.today().year)
    standings_recompute(period=year)
    body = Api(world, "grid_worker").get("points_standing_list", {"period": year}).json()
    assert [(i["label"][:2], i["score"], i["rank_grid"]) for i in body["items"]] == [
        ("冠*", 9, 1),
        ("亚*", 4, 2),
    ]
    assert (
        Api(world, "grid_worker").get("points_standing_list", {"period": "x"}).json()["count"] == 0
    )
