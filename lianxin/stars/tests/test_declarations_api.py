"""/api/stars/declarations: the scoped list with its filters, one declaration with its
entries and review history (token auth)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db


def _get(world: Any, persona: str, path: str, **params: Any) -> Any:
    from lianxin.accounts.services import api_token_issue

    # One token per persona (issuing one hashes it, which takes a moment).
    tokens = world.__dict__.setdefault("api_tokens", {})
    if persona not in tokens:
        tokens[persona] = api_token_issue(user=world.users[persona], name="test", created_by=None)
    return Client().get(f"/api/stars{path}", params, HTTP_AUTHORIZATION=f"Bearer {tokens[persona]}")


def test_list_is_scoped_and_filtered(world) -> None:  # noqa: ANN001
    branch, ecology = sd.declare(world, ("branch", "ecology"))
    sd.submitted(world, branch)
    sd.declare(world, ("branch",), unit=world.other_village, by="other_village_staff")
    response = _get(world, "street_staff", "/declarations")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2
    assert {i["star_code"] for i in data["items"]} == {"branch", "ecology"}
    assert {i["township_code"] for i in data["items"]} == {world.street.code}
    county = _get(world, "org_department", "/declarations", status="submitted").json()
    assert [(i["unit_name"], i["status_label"]) for i in county["items"]] == [
        ("迎秀社区", "待乡镇初审")
    ]
    other = _get(world, "org_department", "/declarations", township=world.other_street.code)
    assert [i["unit_code"] for i in other.json()["items"]] == [world.other_village.code]
    assert _get(world, "other_village_staff", "/declarations", star="ecology").json()["count"] == 0


def test_detail_has_entries_and_steps(world) -> None:  # noqa: ANN001
    d = sd.township_passed(world, sd.submitted(world, sd.declare(world)[0]))
    response = _get(world, "village_staff", f"/declarations/{d.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "township_passed" and body["round"] == 1
    entries = {e["standard_code"]: e for e in body["entries"]}
    assert entries["records"]["has_evidence"] is True
    assert entries["meetings"]["figure_value"] is not None
    assert [s["action"] for s in body["steps"]] == ["submitted", "passed"]
    passed = body["steps"][1]
    assert {s["standard_code"] for s in passed["scores"]} >= {"team", "records"}
    missing = _get(world, "other_village_staff", f"/declarations/{d.public_id}")
    assert missing.status_code == 404
