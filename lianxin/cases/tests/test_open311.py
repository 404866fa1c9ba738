"""Open311 GeoReport v2 over HTTP (Django's test client): every resource in JSON and XML,
filing with an api_key, the filters, errors, and what a public reader never sees."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lianxin.accounts.models import ApiToken
from lianxin.accounts.services import api_token_issue
from lianxin.cases.models import Case, CaseEvent, Category
from lianxin.cases.services import lifecycle
from lianxin.cases.tests.factories import assigned_case, make_case, resolved_case
from lianxin.cases.workflow import Channel, Kind, Level, Status

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
TEXT = "楼道灯不亮好几天了，晚上上下楼很危险，请尽快处理"


def get(path: str, **params: Any) -> Any:
    return Client().get(BASE + path, params)


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def key(world: Any, persona: str = "grid_worker") -> str:
    return api_token_issue(user=world.users[persona], name="Open311 对接", created_by=None)


def post(fmt: str = "json", **data: Any) -> Any:
    # Open311 clients are not browsers: no CSRF token, and the view must not ask for one.
    return Client(enforce_csrf_checks=True).post(f"{BASE}requests.{fmt}", data)


def file(world: Any, fmt: str = "json", **data: Any) -> Any:
    data = {
        "api_key": key(world),
        "service_code": "lighting",
        "address_id": world.building.code,
        "description": TEXT,
        **data,
    }
    return post(fmt, **data)


def errors(response: Any, status: int) -> list[str]:
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        assert {e.findtext("code") for e in root.findall("error")} == {str(status)}
        return [e.findtext("description") or "" for e in root.findall("error")]
    items = body(response)
    assert isinstance(items, list) and {e["code"] for e in items} == {status}
    return [e["description"] for e in items]


# --- discovery and services ------------------------------------------------------------------


def test_discovery_in_both_formats(world) -> None:
    data = body(get("discovery.json"))
    [endpoint] = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert data["changeset"] and data["contact"] and "api_key" in data["key_service"]
    root = xml(get("discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_active_public_leaf_categories(world) -> None:
    Category.objects.filter(code="noise").update(is_active=False)
    Category.objects.filter(code="parking").update(is_public=False)
    services = body(get("services.json"))
    codes = [s["service_code"] for s in services]
    lighting = next(s for s in services if s["service_code"] == "lighting")
    assert lighting == {
        "service_code": "lighting",
        "service_name": Category.objects.get(code="lighting").name,
        "description": lighting["description"],
        "metadata": True,
        "type": "realtime",
        "keywords": lighting["keywords"],
        "group": "公共设施",
    }
    assert ", " in lighting["keywords"]
    assert "facilities" not in codes and "noise" not in codes and "parking" not in codes
    root = xml(get("services.xml"))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == codes
    assert root.find("service/metadata").text == "true"


def test_service_definition(world) -> None:
    data = body(get("services/lighting.json"))
    assert data["service_code"] == "lighting"
    publish = next(a for a in data["attributes"] if a["code"] == "publish")
    assert publish["datatype"] == "singlevaluelist" and publish["required"] is False
    assert [v["key"] for v in publish["values"]] == ["yes", "no"]
    assert sorted(a["order"] for a in data["attributes"]) == [1, 2]
    root = xml(get("services/lighting.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "lighting"
    assert root.findtext("attributes/attribute/values/value/key") == "yes"
    assert "nope" in errors(get("services/nope.json"), 404)[0]
    errors(get("services/facilities.xml"), 404)  # a heading, not a service


def test_unknown_format_method_and_jurisdiction(world) -> None:
    assert "csv" in errors(get("services.csv"), 404)[0]
    errors(Client().put(BASE + "services.json"), 405)
    errors(get("services.json", jurisdiction_id="example.org"), 404)
    errors(get("requests.xml", jurisdiction_id="nowhere"), 404)
    # Accepted: empty, the site's own host name, a county in the tree.
    for jurisdiction in ("", "testserver", world.county.code):
        assert get("services.json", jurisdiction_id=jurisdiction).status_code == 200
    response = file(world, jurisdiction_id="elsewhere.gov")
    errors(response, 404)
    assert not Case.objects.exists()


# --- filing ----------------------------------------------------------------------------------


def test_file_a_request_in_json_and_xml(world) -> None:
    response = file(
        world,
        media_url="https://img.example.org/stairwell.jpg",
        first_name="建国",
        last_name="张",
        phone="13812345678",
        email="zhang@example.org",
        device_id="device-1",
        account_id="acct-7",
        **{"attribute[location_detail]": "2单元3楼"},
    )
    assert response.status_code == 200, response.content
    [answer] = body(response)
    assert set(answer) == {"service_request_id", "token", "service_notice", "account_id"}
    assert answer["account_id"] == "acct-7" and answer["service_notice"].startswith("已登记")
    case = Case.objects.get(tracking_no=answer["service_request_id"])
    assert case.channel == Channel.OPEN311 and case.status == Status.RECEIVED
    assert case.unit == world.building and case.category.code == "lighting"
    assert case.reporter_name == "张建国" and case.reporter_phone_masked == "138****5678"
    assert "2单元3楼" in case.address_text and case.allow_publish is True
    assert case.description.endswith("https://img.example.org/stairwell.jpg")
    assert CaseEvent.objects.filter(case=case).count() == 1
    tokens = body(get(f"tokens/{answer['token']}.json"))
    assert tokens == [{"service_request_id": case.tracking_no, "token": answer["token"]}]

    root = xml(file(world, "xml", **{"attribute[publish]": "no"}))
    assert root.tag == "service_requests"
    request = root.find("request")
    tracking = request.findtext("service_request_id")
    assert request.findtext("token") and request.find("account_id").text is None
    assert Case.objects.get(tracking_no=tracking).allow_publish is False
    token_root = xml(get(f"tokens/{request.findtext('token')}.xml"))
    assert token_root.findtext("request/service_request_id") == tracking


def test_api_key_is_required_and_must_be_valid(world) -> None:
    data = {"service_code": "lighting", "address_id": world.building.code, "description": TEXT}
    assert "api_key" in errors(post(**data), 403)[0]
    errors(post("xml", api_key="lx_forged", **data), 403)
    raw = key(world)
    ApiToken.objects.update(revoked_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    errors(post(api_key=raw, **data), 403)
    assert not Case.objects.exists()


def test_the_key_files_only_where_its_account_may(world) -> None:
    errors(file(world, address_id=world.sibling_building.code), 403)
    errors(file(world, api_key=key(world, "department_staff")), 403)
    assert (
        file(world, api_key=key(world, "village_staff"), address_id=world.village.code).status_code
        == 200
    )


def test_bad_input_is_a_400_naming_the_parameter(world) -> None:
    assert "service_code" in errors(file(world, service_code=""), 400)[0]
    errors(file(world, service_code="no-such-service"), 404)
    assert "description" in errors(file(world, description=""), 400)[0]
    assert "description" in errors(file(world, description="灯"), 400)[0]
    assert "phone" in errors(file(world, phone="12345"), 400)[0]
    assert "media_url" in errors(file(world, media_url="ftp://x.org/a.jpg"), 400)[0]
    assert "attribute[color]" in errors(file(world, **{"attribute[color]": "red"}), 400)[0]
    errors(file(world, **{"attribute[publish]": "maybe"}), 400)
    assert "address_id" in errors(file(world, address_id="B-none"), 400)[0]
    assert Case.objects.count() == 0


def test_location_rules(world) -> None:
    no_place = file(world, address_id="")
    assert "address_id" in errors(no_place, 400)[0]
    assert "long" in errors(file(world, address_id="", lat="34.9"), 400)[0]
    # Units carry no coordinates: lat/long alone cannot place a request.
    only_coordinates = errors(file(world, address_id="", lat="34.9", long="112.8"), 400)
    assert "address_id" in only_coordinates[0]
    errors(file(world, lat="95", long="112.8"), 400)
    placed = body(file(world, lat="34.912345678", long="112.789123"))[0]
    case = Case.objects.get(tracking_no=placed["service_request_id"])
    assert str(case.latitude) == "34.912346" and case.unit == world.building


def test_address_string_matches_within_the_keys_scope(world) -> None:
    def place(text: str, persona: str = "grid_worker") -> Any:
        return file(world, address_id="", address_string=text, api_key=key(world, persona))

    exact = body(place("迎秀小区1号楼"))[0]
    assert Case.objects.get(tracking_no=exact["service_request_id"]).unit == world.building
    contained = body(place("迎秀小区1号楼3单元东侧"))[0]
    case = Case.objects.get(tracking_no=contained["service_request_id"])
    assert case.unit == world.building and case.address_text == "迎秀小区1号楼3单元东侧"
    by_part = body(place("1号楼"))[0]
    assert Case.objects.get(tracking_no=by_part["service_request_id"]).unit == world.building
    # The sibling grid's building is outside the grid worker's scope: not found there.
    assert "address_string" in errors(place("迎秀小区9号楼"), 400)[0]
    # Village staff see both buildings: "迎秀小区" names several places.
    assert "多个地点" in errors(place("迎秀小区", "village_staff"), 400)[0]
    assert body(place("迎秀社区西门", "village_staff"))[0]["service_request_id"]


def test_rate_limit_counts_per_device_not_per_integration(world, settings) -> None:
    raw = key(world)
    for _ in range(10):
        assert file(world, api_key=raw, device_id="phone-A").status_code == 200
    assert errors(file(world, api_key=raw, device_id="phone-A"), 400)
    assert file(world, api_key=raw, device_id="phone-B").status_code == 200


# --- reading ---------------------------------------------------------------------------------


def test_a_single_request_is_a_one_element_array(world) -> None:
    case = make_case(world.building, phone="13812345678", name="张建国")
    [item] = body(get(f"requests/{case.tracking_no.lower()}.json"))
    assert item["service_request_id"] == case.tracking_no and item["status"] == "open"
    assert item["address_id"] == world.building.code
    assert item["address"] == "迎秀小区1号楼, 迎秀社区, 大定街道, 孟州市"
    root = xml(get(f"requests/{case.tracking_no}.xml"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 1
    assert root.findtext("request/status") == "open"
    errors(get("requests/NOPE123.json"), 404)


def test_reads_show_no_personal_data(world) -> None:
    response = file(
        world,
        description="楼道灯坏了，我家电话13912345678，身份证410883199001011234，请联系",
        first_name="建国",
        last_name="张",
        phone="13812345678",
        email="zhang@example.org",
        lat="34.912345",
        long="112.789123",
        **{"attribute[location_detail]": "东单元九楼西户"},
    )
    tracking = body(response)[0]["service_request_id"]
    for fmt in ("json", "xml"):
        for text in (
            get(f"requests/{tracking}.{fmt}").content.decode(),
            get(f"requests.{fmt}").content.decode(),
        ):
            assert tracking in text
            for secret in ("张建国", "13812345678", "13912345678", "410883199001011234"):
                assert secret not in text
            assert "九楼西户" not in text and "zhang@" not in text and "34.912345" not in text
    [item] = body(get(f"requests/{tracking}.json"))
    assert "139****5678" in item["description"] and item["lat"] == 34.912


def test_only_published_requests_are_readable(world) -> None:
    shown = make_case(world.building)
    unpublished = make_case(world.building, allow_publish=False)
    hidden = resolved_case(world)
    lifecycle.case_board_visibility(
        case=hidden, actor=world.actor("village_staff"), hidden=True, reason="涉及个人隐私"
    )
    private = make_case(world.building)
    Case.objects.filter(pk=private.pk).update(level=Level.PRIVATE)
    mediation = make_case(world.building)
    Case.objects.filter(pk=mediation.pk).update(kind=Kind.MEDIATION)
    listed = {r["service_request_id"] for r in body(get("requests.json"))}
    assert listed == {shown.tracking_no}
    for case in (unpublished, hidden, private, mediation):
        errors(get(f"requests/{case.tracking_no}.json"), 404)
    # A token only answers for requests filed through Open311.
    errors(get(f"tokens/{shown.public_id}.json"), 404)
    errors(get("tokens/not-a-token.xml"), 404)


def test_status_and_status_notes(world) -> None:
    received = make_case(world.building)
    resolved = resolved_case(world)
    rejected = make_case(world.building)
    lifecycle.case_reject(
        case=rejected, actor=world.actor("village_staff"), reason="不属于本社区职责"
    )
    survivor, merged = make_case(world.building), make_case(world.building)
    lifecycle.case_merge(case=merged, into=survivor, actor=world.actor("village_staff"))
    items = {r["service_request_id"]: r for r in body(get("requests.json"))}
    assert items[received.tracking_no]["status"] == "open"
    assert items[received.tracking_no]["status_notes"] == "待受理"
    done = items[resolved.tracking_no]
    assert done["status"] == "closed" and done["status_notes"] == "已更换楼道灯泡，恢复照明"
    assert done["agency_responsible"] == world.grid.display_name
    assert done["expected_datetime"] and done["expected_datetime"].endswith("+08:00")
    assert items[rejected.tracking_no]["status_notes"] == "不予受理：不属于本社区职责"
    assert survivor.tracking_no in items[merged.tracking_no]["status_notes"]
    open_ids = {r["service_request_id"] for r in body(get("requests.json", status="open"))}
    assert open_ids == {received.tracking_no, survivor.tracking_no}
    closed_ids = {r["service_request_id"] for r in body(get("requests.json", status="closed"))}
    assert closed_ids == {resolved.tracking_no, rejected.tracking_no, merged.tracking_no}
    both = body(get("requests.json", status="open,closed"))
    assert len(both) == 5


def test_filters_and_the_90_day_window(world) -> None:
    recent = make_case(world.building, code="lighting")
    drains = make_case(world.building, code="drains")
    old = make_case(world.building)
    Case.objects.filter(pk=old.pk).update(received_at=dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC))

    def ids(fmt: str = "json", **params: str) -> set[str]:
        response = get(f"requests.{fmt}", **params)
        if fmt == "xml":
            return {r.findtext("service_request_id") for r in xml(response).findall("request")}
        return {r["service_request_id"] for r in body(response)}

    assert ids() == {recent.tracking_no, drains.tracking_no}  # default: the last 90 days
    assert ids("xml", service_code="drains") == {drains.tracking_no}
    assert ids(service_code="drains,lighting") == {recent.tracking_no, drains.tracking_no}
    window = {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-02-01T00:00:00+08:00"}
    assert ids(**window) == {old.tracking_no}
    assert ids(start_date="2025-01-10") == {old.tracking_no}
    # service_request_id overrides every other filter.
    assert ids(service_request_id=f"{old.tracking_no},{drains.tracking_no}", **window) == {
        old.tracking_no,
        drains.tracking_no,
    }
    assert (
        "90" in errors(get("requests.json", start_date="2025-01-01", end_date="2025-06-01"), 400)[0]
    )
    errors(get("requests.xml", start_date="2025-02-01", end_date="2025-01-01"), 400)
    assert "start_date" in errors(get("requests.json", start_date="yesterday"), 400)[0]
    assert "status" in errors(get("requests.json", status="pending"), 400)[0]


def test_request_list_issues_a_constant_number_of_queries(world) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = get("requests.xml")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        assigned_case(world)
    small = count()
    for _ in range(27):
        assigned_case(world)
        make_case(world.sibling_building)
    assert count() == small
