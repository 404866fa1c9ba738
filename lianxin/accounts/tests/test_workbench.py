"""Each role lands on its own workbench with figures for its current post, computed in scope
and in a constant number of queries; users with several posts switch between them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.accounts.context_processors import NAV_ITEMS
from lianxin.accounts.models import Post
from lianxin.accounts.permissions import ROLE_WORKBENCH, Role
from lianxin.accounts.workbench import build_workbench
from lianxin.core.testing import make_household, make_resident, make_unit


def _tag():  # noqa: ANN202
    from lianxin.people.models import VulnerabilityTag

    return VulnerabilityTag.objects.first() or VulnerabilityTag.objects.create(
        code="elderly", name="高龄老人"
    )


def _ledger(resident, *, overdue_days: int = 0, helper=None):  # noqa: ANN001, ANN202
    from lianxin.people.models import LedgerEntry

    today = timezone.localdate()
    due = today - dt.timedelta(days=overdue_days) if overdue_days else today + dt.timedelta(days=20)
    return LedgerEntry.objects.create(
        resident=resident,
        tag=_tag(),
        started_on=today - dt.timedelta(days=60),
        next_visit_due=due,
        helper_user=helper,
    )


def _member_linking(world, household, name: str = "党员甲"):  # noqa: ANN001, ANN202
    from lianxin.party.models import HouseholdLink, PartyMember, PartyOrganisation

    org = PartyOrganisation.objects.filter(
        unit=world.village
    ).first() or PartyOrganisation.objects.create(
        name="迎秀社区党委", kind="committee", unit=world.village
    )
    member = PartyMember.objects.create(organisation=org, name=name)
    HouseholdLink.objects.create(
        member=member, household=household, started_on=timezone.localdate()
    )
    return member


@pytest.fixture
def register(world):  # noqa: ANN001, ANN201
    """Households in both grids: 3 in the grid worker's building, 1 in the sibling building."""
    homes = [make_household(world.building, address=f"1单元{i}01室") for i in range(3)]
    sibling_home = make_household(world.sibling_building, address="2单元101室")
    residents = [make_resident(h, name=f"居民{i}") for i, h in enumerate(homes)]
    sibling_resident = make_resident(sibling_home, name="邻格居民")
    _ledger(residents[0], overdue_days=5, helper=world.users["grid_worker"])
    _ledger(residents[1], overdue_days=2)
    _ledger(residents[2])
    _ledger(sibling_resident, overdue_days=9)
    _member_linking(world, homes[0])
    return {"homes": homes, "residents": residents}


def _figures(bench) -> dict[str, object]:  # noqa: ANN001
    return {f.label: f.value for f in bench.figures}


@pytest.mark.parametrize(
    "persona",
    [
        "building_leader",
        "grid_worker",
        "village_staff",
        "village_secretary",
        "street_staff",
        "department_staff",
        "org_department",
        "sysadmin",
    ],
)
def test_each_role_lands_on_its_workbench(world, persona: str) -> None:  # noqa: ANN001
    response = world.client(persona).get(reverse("accounts:home"))
    assert response.status_code == 200
    role = world.users[persona].posts.get().role
    assert response.context["bench"].kind == ROLE_WORKBENCH[role]
    assert f"bench-{ROLE_WORKBENCH[role]}" in response.content.decode()


def test_frontline_figures_cover_the_grid_only(world, register) -> None:  # noqa: ANN001
    figures = _figures(build_workbench(world.actor("grid_worker")))
    assert figures["在册户数"] == 3
    assert figures["在册居民"] == 3
    assert figures["民生台账"] == 3
    assert figures["逾期未走访"] == 2
    assert figures["我负责的逾期走访"] == 1
    assert figures["党员联户覆盖"] == "33%"
    sibling = _figures(build_workbench(world.actor("sibling_grid_worker")))
    assert sibling["在册户数"] == 1 and sibling["逾期未走访"] == 1


def test_frontline_lists_overdue_visits_mine_first(world, register) -> None:  # noqa: ANN001
    response = world.client("grid_worker").get(reverse("accounts:home"))
    entries = response.context["bench"].overdue_entries
    assert [e.resident.name for e in entries] == ["居民0", "居民1"]
    assert entries[0].is_mine and entries[0].days_overdue == 5
    assert entries[0].visit_href == reverse("people:visit_create", args=[entries[0].public_id])
    body = response.content.decode()
    assert "我负责" in body and "邻格居民" not in body


def test_village_workbench_breaks_down_by_grid(world, register) -> None:  # noqa: ANN001
    bench = build_workbench(world.actor("village_secretary"))
    figures = _figures(bench)
    assert figures["在册户数"] == 4 and figures["逾期未走访"] == 3 and figures["党员"] == 1
    rows = {row.unit.display_name: dict(row.cells) for row in bench.children}
    assert rows[world.grid.display_name] == {"户": 3, "居民": 3, "台账": 3, "逾期": 2, "党员": 0}
    assert bench.children[0].href == reverse("territory:unit_detail", args=[world.grid.public_id])
    assert rows[world.sibling_grid.display_name]["逾期"] == 1


def test_street_and_county_workbenches_aggregate_the_subtree(world, register) -> None:  # noqa: ANN001
    street = build_workbench(world.actor("street_staff"))
    assert _figures(street)["在册户数"] == 4
    assert [row.unit.display_name for row in street.children] == [world.village.display_name]
    other = build_workbench(world.actor("other_street_staff"))
    assert _figures(other)["在册户数"] == 0
    county = build_workbench(world.actor("org_department"))
    assert _figures(county)["在册户数"] == 4
    assert {row.unit.display_name for row in county.children} == {"大定街道", "会昌街道"}


def test_admin_workbench_shows_accounts_and_recent_events(world, register) -> None:  # noqa: ANN001
    bench = build_workbench(world.actor("sysadmin"))
    figures = _figures(bench)
    assert figures["账号"] == 11  # every persona with a post (nobody has none)
    assert figures["锁定中的账号"] == 0
    assert bench.recent_events


def test_department_workbench_names_the_department(world) -> None:  # noqa: ANN001
    body = world.client("department_staff").get(reverse("accounts:home")).content.decode()
    assert world.department.name in body


def test_user_without_post_gets_a_clear_message(world) -> None:  # noqa: ANN001
    body = world.client("nobody").get(reverse("accounts:home")).content.decode()
    assert "没有在岗岗位" in body


def test_workbench_query_count_is_constant(world, register) -> None:  # noqa: ANN001
    def count(persona: str) -> int:
        client = world.client(persona)
        client.get(reverse("accounts:home"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:home")).status_code == 200
        return len(ctx)

    personas = ["grid_worker", "village_secretary", "street_staff", "sysadmin"]
    before = {p: count(p) for p in personas}
    # More rows everywhere and more child units: the number of queries stays the same.
    extra_grid = make_unit("grid", "G410883001002-03", "迎秀社区第三网格", world.village)
    for i in range(6):
        home = make_household(world.building if i % 2 else extra_grid, address=f"9单元{i}01室")
        _ledger(
            make_resident(home, name=f"新居民{i}"),
            overdue_days=i,
            helper=world.users["grid_worker"],
        )
        _member_linking(world, home, name=f"党员{i}")
    after = {p: count(p) for p in personas}
    assert after == before


def test_switching_posts_changes_the_workbench(world) -> None:  # noqa: ANN001
    user = world.users["grid_worker"]
    village_post = Post.objects.create(user=user, role=Role.VILLAGE_STAFF, unit=world.village)
    client = world.client("grid_worker")
    first = client.get(reverse("accounts:home"))
    assert first.context["bench"].kind == "frontline"
    assert "切换岗位" in first.content.decode()
    response = client.post(
        reverse("accounts:post_switch", kwargs={"public_id": village_post.public_id})
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).context["bench"].kind == "village"
    # The audit trail names the current post.
    from lianxin.audit.models import AuditEvent

    client.post(reverse("accounts:logout"))
    logout = AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).latest("id")
    assert logout.actor_post == f"村/社区工作人员@{world.village.display_name}"


def test_switching_to_someone_elses_post_is_404(world) -> None:  # noqa: ANN001
    other_post = world.users["sibling_grid_worker"].posts.get()
    response = world.client("grid_worker").post(
        reverse("accounts:post_switch", kwargs={"public_id": other_post.public_id})
    )
    assert response.status_code == 404


def test_an_ended_post_cannot_be_switched_to(world) -> None:  # noqa: ANN001
    post = Post.objects.create(
        user=world.users["grid_worker"],
        role=Role.VILLAGE_STAFF,
        unit=world.village,
        is_active=False,
    )
    response = world.client("grid_worker").post(
        reverse("accounts:post_switch", kwargs={"public_id": post.public_id})
    )
    assert response.status_code == 404


def test_navigation_names_pages_that_exist(world) -> None:  # noqa: ANN001
    # The navigation hides entries whose page is missing; in the finished product none is.
    from django.urls import NoReverseMatch
    from django.urls import reverse as rev

    missing = []
    for _, url_name, _ in NAV_ITEMS:
        try:
            rev(url_name)
        except NoReverseMatch:
            missing.append(url_name)
    assert not missing


def test_navigation_follows_permissions(world) -> None:  # noqa: ANN001
    grid = world.client("grid_worker").get(reverse("accounts:home")).context["nav_items"]
    admin = world.client("sysadmin").get(reverse("accounts:home")).context["nav_items"]
    assert "accounts:user_list" not in {i["url_name"] for i in grid}
    assert {"accounts:user_list", "accounts:token_list", "audit:event_list"} <= {
        i["url_name"] for i in admin
    }
