"""The audit search page: filters, scope by territory path, pagination, query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse_lazy
from django.utils import timezone

from lianxin.audit.context import AuditContext, acting
from lianxin.audit.guard import audit_maintenance
from lianxin.audit.models import AuditEvent
from lianxin.audit.selectors import EventFilter, event_search
from lianxin.audit.services import audit_record
from lianxin.core.testing import make_household

URL = str(reverse_lazy("audit:event_list"))


def _reprs(response) -> list[str]:  # noqa: ANN001
    return [e.object_repr for e in response.context["page"].object_list]


@pytest.fixture
def events(world):  # noqa: ANN001, ANN201
    """Events in the grid, the sibling grid, the other street and without a unit."""
    grid_worker = world.users["grid_worker"]
    with acting(
        AuditContext(user_id=grid_worker.pk, post_label="网格员@迎秀社区第一网格", ip="10.0.0.8")
    ):
        audit_record(
            action="reveal",
            object_type="people.resident",
            object_id="r-1",
            object_repr="一网格居民",
            changes={"id_number": {"revealed": True}},
            scope_path=world.grid.path,
        )
    audit_record(
        action="update",
        object_type="people.household",
        object_id="h-2",
        object_repr="二网格户",
        changes={"address": {"old": "1室", "new": "2室"}},
        scope_path=world.sibling_grid.path,
    )
    audit_record(
        action="create",
        object_type="people.household",
        object_id="h-3",
        object_repr="会昌户",
        scope_path=world.other_street.path,
    )
    audit_record(action="login_failed", object_type="accounts.user", object_repr="ghost")
    return world


def test_auditors_see_only_their_scope(events) -> None:  # noqa: ANN001
    world = events
    village = _reprs(world.client("village_secretary").get(URL))
    assert {"一网格居民", "二网格户"} <= set(village)
    assert "会昌户" not in village and "ghost" not in village
    other = _reprs(world.client("other_street_staff").get(URL))
    assert "会昌户" in other and "一网格居民" not in other


def test_system_events_are_for_city_level_auditors(events) -> None:  # noqa: ANN001
    assert "ghost" in _reprs(events.client("sysadmin").get(URL))
    assert "ghost" not in _reprs(events.client("street_staff").get(URL))


def test_filters(events) -> None:  # noqa: ANN001
    client = events.client("village_secretary")
    assert _reprs(client.get(URL, {"username": "GRID_WORKER"})) == ["一网格居民"]
    assert _reprs(client.get(URL, {"object_type": "people.household"})) == ["二网格户"]
    assert _reprs(client.get(URL, {"object_id": "r-1"})) == ["一网格居民"]
    assert _reprs(client.get(URL, {"action": "reveal"})) == ["一网格居民"]
    today = timezone.localdate()
    assert (
        len(_reprs(client.get(URL, {"since": today.isoformat(), "until": today.isoformat()}))) >= 2
    )
    assert _reprs(client.get(URL, {"until": (today - dt.timedelta(days=1)).isoformat()})) == []
    assert _reprs(client.get(URL, {"since": (today + dt.timedelta(days=1)).isoformat()})) == []


def test_date_range_uses_local_days(events) -> None:  # noqa: ANN001
    world = events
    event = AuditEvent.objects.get(object_repr="一网格居民")
    # 23:30 local time yesterday belongs to yesterday, not today.
    late = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(23, 30))
    )
    with audit_maintenance():
        AuditEvent.objects.filter(pk=event.pk).update(at=late)
    actor = world.actor("village_secretary")
    yesterday = late.date()
    assert event.pk in {
        e.pk for e in event_search(actor, EventFilter(since=yesterday, until=yesterday))
    }
    assert event.pk not in {
        e.pk for e in event_search(actor, EventFilter(since=yesterday + dt.timedelta(days=1)))
    }


def test_bad_filter_input_is_reported_and_kept(events) -> None:  # noqa: ANN001
    response = events.client("village_secretary").get(
        URL, {"since": "2026-05-02", "until": "2026-05-01"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "截止日期不能早于起始日期" in body and 'value="2026-05-02"' in body


def test_changes_are_shown_but_secrets_never(world) -> None:  # noqa: ANN001
    from lianxin.accounts.services import user_password_reset

    user_password_reset(actor=world.actor("village_secretary"), user=world.users["grid_worker"])
    body = world.client("village_secretary").get(URL, {"action": "password"}).content.decode()
    assert "受保护字段，不记录内容" in body
    household = make_household(world.building, address="3单元301室")
    household.address = "3单元302室"
    household.save()
    body = (
        world.client("village_secretary")
        .get(URL, {"object_id": str(household.public_id)})
        .content.decode()
    )
    assert "3单元301室" in body and "3单元302室" in body


def test_without_the_permission_the_page_is_forbidden(world) -> None:  # noqa: ANN001
    assert world.client("grid_worker").get(URL).status_code == 403
    assert world.client("department_staff").get(URL).status_code == 403


def test_pagination_and_constant_query_count(world) -> None:  # noqa: ANN001
    client = world.client("village_secretary")
    client.get(URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx)

    for i in range(3):
        audit_record(action="other", object_repr=f"记录{i}", scope_path=world.grid.path)
    small = count()
    with acting(AuditContext(user_id=world.users["grid_worker"].pk)):
        for i in range(60):
            audit_record(action="other", object_repr=f"更多{i}", scope_path=world.grid.path)
    assert count() == small
    response = client.get(URL, {"page": 2})
    assert response.context["page"].number == 2
    assert "第 2 /" in response.content.decode()


def test_changes_read_in_words(world) -> None:  # noqa: ANN001
    from lianxin.accounts.models import Post
    from lianxin.audit.selectors import describe_changes

    post = Post.objects.create(user=world.users["nobody"], role="grid_worker", unit=world.grid)
    event = AuditEvent.objects.get(action="create", object_id=str(post.public_id))
    rows = {r["field"]: r for r in describe_changes(event)}
    assert rows["role"]["label"] == "角色" and rows["role"]["new"] == "网格员"
    assert rows["unit_id"]["new"] == world.grid.display_name
    assert rows["is_active"]["new"] == "是"
