"""The daily patrol log (每日巡查): who may patrol, one open patrol per day, findings filed as
requests with channel patrol, and the phone page and log list through the client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.cases.models import Case, PatrolLog
from lianxin.cases.services import patrol as patrols
from lianxin.cases.tests.factories import category, patrol, photo
from lianxin.cases.workflow import Channel, Status
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied

pytestmark = pytest.mark.django_db

FINDING = "3号楼东侧井盖松动，有人踩空的危险"


def test_one_open_patrol_per_worker_per_day(world) -> None:
    first = patrol(world)
    assert first.unit == world.grid and first.place_path == world.grid.path
    assert first.patrol_date == timezone.localdate() and first.ended_at is None
    with pytest.raises(Conflict):
        patrol(world, route="第二条路线")
    patrols.patrol_finish(actor=world.actor("grid_worker"), patrol=first, note="未发现其他问题")
    second = patrol(world, route="下午：5号楼—南门")
    assert PatrolLog.objects.filter(worker=world.users["grid_worker"]).count() == 2
    # Another worker's open patrol does not block this one, nor does yesterday's.
    patrols.patrol_start(
        actor=world.actor("sibling_grid_worker"), unit=world.sibling_grid, route="9号楼"
    )
    tomorrow = clock.now() + dt.timedelta(days=1)
    with clock.travel(tomorrow):
        assert patrol(world, route="次日路线").patrol_date == timezone.localdate(tomorrow)
    assert second.ended_at is None


def test_only_frontline_workers_patrol_their_own_place(world) -> None:
    with pytest.raises(PermissionDenied) as denied:
        patrols.patrol_start(actor=world.actor("village_staff"), unit=world.grid, route="巡查")
    assert denied.value.field == "unit"
    with pytest.raises(PermissionDenied):
        patrols.patrol_start(
            actor=world.actor("sibling_grid_worker"), unit=world.grid, route="巡查"
        )
    with pytest.raises(PermissionDenied):
        patrols.patrol_start(actor=world.actor("building_leader"), unit=world.grid, route="巡查")
    log = patrol(world, persona="building_leader", route="1号楼各单元")
    assert log.unit == world.building
    with pytest.raises(DomainError) as err:
        patrols.patrol_start(actor=world.actor("grid_worker"), unit=world.village, route="巡查")
    assert err.value.field == "unit"
    with pytest.raises(DomainError) as err:
        patrols.patrol_start(actor=world.actor("grid_worker"), unit=world.grid, route="  ")
    assert err.value.field == "route"


def test_finding_becomes_a_patrol_request(world) -> None:
    log = patrol(world)
    gw = world.actor("grid_worker")
    case = patrols.patrol_finding(
        actor=gw,
        patrol=log,
        description=FINDING,
        category=category("lighting"),
        unit=world.building,
        photos=[photo()],
    )
    assert case.channel == Channel.PATROL and case.patrol == log
    assert case.status == Status.RECEIVED and case.unit == world.building
    assert case.filed_by_id == world.users["grid_worker"].pk
    assert case.photos.count() == 1
    on_grid = patrols.patrol_finding(actor=gw, patrol=log, description="网格内垃圾站满溢未清运")
    assert on_grid.unit == world.grid
    assert list(log.findings.order_by("id")) == [case, on_grid]
    with pytest.raises(DomainError) as err:
        patrols.patrol_finding(
            actor=gw, patrol=log, description=FINDING, unit=world.sibling_building
        )
    assert err.value.field == "unit"
    with pytest.raises(DomainError) as err:
        patrols.patrol_finding(actor=gw, patrol=log, description="坏")
    assert err.value.field == "description"
    with pytest.raises(PermissionDenied):
        patrols.patrol_finding(actor=world.actor("village_staff"), patrol=log, description=FINDING)
    patrols.patrol_finish(actor=gw, patrol=log)
    with pytest.raises(DomainError):
        patrols.patrol_finding(actor=gw, patrol=log, description=FINDING)
    with pytest.raises(DomainError):
        patrols.patrol_finish(actor=gw, patrol=log)


def test_patrol_page_start_find_finish(world) -> None:
    client = world.client("grid_worker")
    url = reverse("cases:patrol_today")
    page = client.get(url)
    assert page.status_code == 200 and "开始巡查" in page.content.decode()
    bad = client.post(url, {"op": "start", "unit": str(world.grid.public_id), "route": ""})
    assert bad.status_code == 200 and "route" in bad.context["start_form"].errors
    assert (
        client.post(
            url, {"op": "start", "unit": str(world.grid.public_id), "route": "1号楼—北门"}
        ).status_code
        == 302
    )
    log = PatrolLog.objects.get()
    html = client.get(url).content.decode()
    assert "登记发现的问题" in html and 'capture="environment"' in html
    response = client.post(
        url,
        {
            "op": "finding",
            "patrol": str(log.public_id),
            "description": FINDING,
            "unit": str(world.building.public_id),
            "category": "",
            "address_text": "东侧",
            "photos": [photo()],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.PATROL and case.patrol == log and case.photos.count() == 1
    html = client.get(url).content.decode()
    assert case.tracking_no in html
    response = client.post(url, {"op": "finish", "patrol": str(log.public_id), "note": "其余正常"})
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.ended_at is not None and log.note == "其余正常"
    assert "开始巡查" in client.get(url).content.decode()


def test_patrol_page_refuses_someone_elses_patrol(world) -> None:
    log = patrol(world)
    url = reverse("cases:patrol_today")
    other = world.client("sibling_grid_worker")
    response = other.post(url, {"op": "finish", "patrol": str(log.public_id)})
    assert response.status_code == 404
    # Staff above see the patrol in the log but cannot finish it for the worker.
    staff = world.client("village_staff")
    assert "网格员、楼栋长" in staff.get(url).content.decode()
    response = staff.post(url, {"op": "finish", "patrol": str(log.public_id), "note": ""})
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.ended_at is None


def test_patrol_list_by_grid_worker_and_day_with_constant_queries(world) -> None:
    base = clock.now()

    def make(n: int, offset: int = 0) -> None:
        for i in range(n):
            with clock.travel(base - dt.timedelta(days=offset + i)):
                log = patrol(world, route=f"路线{offset + i}")
                patrols.patrol_finding(
                    actor=world.actor("grid_worker"), patrol=log, description=FINDING
                )
                patrols.patrol_finish(actor=world.actor("grid_worker"), patrol=log)

    client = world.client("village_staff")
    url = reverse("cases:patrol_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    make(3)
    few = count()
    make(27, offset=3)
    assert count() == few
    day = timezone.localdate(base - dt.timedelta(days=4)).isoformat()
    rows = client.get(url, {"date": day}).context["page"].object_list
    assert [r.route for r in rows] == ["路线4"] and rows[0].findings_count == 1
    assert len(client.get(url, {"grid": str(world.sibling_grid.public_id)}).context["page"]) == 0
    assert len(client.get(url, {"grid": str(world.grid.public_id)}).context["page"]) == 30
    mine = world.client("grid_worker").get(url, {"worker": "me"}).context["page"]
    assert mine.paginator.count == 30
    assert (
        world.client("village_staff").get(url, {"worker": "me"}).context["page"].paginator.count
        == 0
    )


def test_patrol_detail_lists_findings(world) -> None:
    log = patrol(world)
    case = patrols.patrol_finding(actor=world.actor("grid_worker"), patrol=log, description=FINDING)
    url = reverse("cases:patrol_detail", kwargs={"public_id": log.public_id})
    html = world.client("village_staff").get(url).content.decode()
    assert case.tracking_no in html and log.route in html
