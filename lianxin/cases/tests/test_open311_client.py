"""A standard GeoReport v2 client talking to a real HTTP server.

The client is `georeport` from PyPI (the maintained Python 3 GeoReport v2 wrapper; it reads
services, definitions and requests in JSON and XML but does not file). Filing, tokens and
discovery go over raw HTTP with `requests`, form-encoded as the spec says. PyPI's older
wrappers (`open311` 1.1, `three` 0.8) are Python 2 only and do not import on Python 3.11.

The server is Django's WSGI handler on a real socket in a thread that shares the test's
database connection (and so its transaction): the test's rows are visible to the server, the
server's writes are visible to the test, and everything is rolled back afterwards — on SQLite
(in memory) and PostgreSQL alike, with no flush of the append-only audit table.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from lianxin.accounts.services import api_token_issue
from lianxin.cases.models import Case
from lianxin.cases.tests.factories import resolved_case
from lianxin.cases.workflow import Channel

georeport = pytest.importorskip("georeport", reason="dev dependency: pip install georeport")
requests = pytest.importorskip("requests")

pytestmark = pytest.mark.django_db


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def open311_server(world: Any) -> Iterator[str]:
    """The endpoint URL of a real HTTP server running this test's database."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connections

    shared = connections["default"]
    server: WSGIServer = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)

    def serve() -> None:
        connections["default"] = shared  # one connection, used by one thread at a time
        server.serve_forever(poll_interval=0.05)

    # Like Django's test client: a request must not close the connection holding the test's
    # transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    shared.inc_thread_sharing()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/open311/v2"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        shared.dec_thread_sharing()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_georeport_client_files_and_reads(world, open311_server, no_proxy, fmt) -> None:
    base = open311_server
    api_key = api_token_issue(user=world.users["grid_worker"], name="Open311", created_by=None)
    done = resolved_case(world)
    client = georeport.GeoReport(base, api_key=api_key, output_format=fmt)

    services = client.get_service_list()
    lighting = next(s for s in services if s["service_code"] == "lighting")
    assert lighting["type"] == "realtime" and lighting["group"] == "公共设施"
    definition = client.get_service_definition("lighting")
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: repeated elements are a list under the item element
        attributes = attributes["attribute"]
    assert {a["code"] for a in attributes} == {"publish", "location_detail"}

    # File a request: POST form-encoded with the api_key, as the spec says.
    posted = requests.post(
        f"{base}/requests.{fmt}",
        data={
            "api_key": api_key,
            "jurisdiction_id": world.county.code,
            "service_code": "lighting",
            "address_string": "迎秀小区1号楼2单元门口",
            "lat": "34.9070",
            "long": "112.7890",
            "description": "2单元门口路灯不亮，晚上老人出门不方便",
            "media_url": "https://img.example.org/lamp.jpg",
            "first_name": "建国",
            "last_name": "张",
            "phone": "13812345678",
            "device_id": f"device-{fmt}",
            "attribute[location_detail]": "2单元门口",
        },
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    if fmt == "json":
        assert posted.headers["Content-Type"] == "application/json; charset=utf-8"
        answer = posted.json()[0]
    else:
        assert posted.headers["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(posted.content)  # noqa: S314 - our own server's answer
        answer = {e.tag: e.text for e in root.find("request")}
    tracking, token = answer["service_request_id"], answer["token"]
    case = Case.objects.get(tracking_no=tracking)
    assert case.channel == Channel.OPEN311 and case.unit == world.building

    # Read it back, alone and in the list.
    one = client.get_service_request(tracking)
    assert one["service_request_id"] == tracking and one["status"] == "open"
    assert one["media_url"] == "https://img.example.org/lamp.jpg"
    assert one["address_id"] == world.building.code
    listed = client.get_service_requests(status="open,closed")
    if isinstance(listed, dict):  # xmltodict gives a dict for a single element
        listed = [listed]
    assert {r["service_request_id"] for r in listed} == {tracking, done.tracking_no}
    closed = client.get_service_requests(status="closed", service_code="lighting")
    closed = [closed] if isinstance(closed, dict) else closed
    assert [r["service_request_id"] for r in closed] == [done.tracking_no]
    text = requests.get(f"{base}/requests.{fmt}", timeout=10).text
    assert "13812345678" not in text and "张建国" not in text

    # The token issued with the POST leads to the same id; discovery names the endpoint.
    by_token = requests.get(f"{base}/tokens/{token}.{fmt}", timeout=10)
    assert by_token.status_code == 200 and tracking in by_token.text
    discovery = requests.get(f"{base}/discovery.{fmt}", timeout=10)
    assert base in discovery.text

    # Errors arrive as the spec's error list with the HTTP status.
    forbidden = requests.post(
        f"{base}/requests.{fmt}", data={"service_code": "lighting"}, timeout=10
    )
    assert forbidden.status_code == 403 and "api_key" in forbidden.text
    with pytest.raises(requests.HTTPError):
        client.get_service_request("NOSUCHID")
