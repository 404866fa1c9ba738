"""Services that change the tree: create, rename, move, merge, retire, restore."""

from __future__ import annotations

import pytest
from django.http import Http404

from lianxin.accounts.models import Post
from lianxin.audit.models import AuditEvent
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household, make_unit, make_user
from lianxin.people.models import Household
from lianxin.territory import selectors
from lianxin.territory.models import Unit, UnitChange
from lianxin.territory.services import (
    unit_create,
    unit_merge,
    unit_move,
    unit_rename,
    unit_restore,
    unit_retire,
)
from lianxin.territory.signals import unit_merged

pytestmark = pytest.mark.django_db


def _fresh(unit: Unit) -> Unit:
    return Unit.objects.get(pk=unit.pk)


def _second_village(world):  # noqa: ANN001, ANN202
    return make_unit(
        "village", "410883001004", "平山园居民委员会", world.street, display_name="平山园社区"
    )


# --- create ------------------------------------------------------------------------------------


def test_village_staff_creates_grid_with_next_code(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    grid = unit_create(actor=actor, parent=world.village, kind="grid", name="迎秀社区第三网格")
    assert grid.code == "G410883001002-03"
    assert grid.path == world.village.path + "G410883001002-03/"
    assert grid.depth == world.village.depth + 1
    assert grid.display_name == "迎秀社区第三网格"
    assert grid.stat_code == ""
    change = UnitChange.objects.get(unit=grid)
    assert change.kind == UnitChange.Kind.CREATED
    assert change.actor_id == world.users["village_staff"].pk
    assert change.after["parent"] == world.village.code
    assert AuditEvent.objects.filter(object_id=str(grid.public_id), action="create").exists()


def test_buildings_under_grid_and_under_village_get_distinct_codes(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    under_grid = unit_create(actor=actor, parent=world.grid, kind="building", name="迎秀小区2号楼")
    under_village = unit_create(actor=actor, parent=world.village, kind="building", name="迎秀老院")
    again = unit_create(
        actor=actor, parent=world.village, kind="building", name="迎秀新院", display_name="新院"
    )
    assert under_grid.code == "B410883001002-01-02"
    assert under_village.code == "B410883001002-01"
    assert again.code == "B410883001002-02"
    assert again.display_name == "新院"


def test_codes_are_never_reused_after_a_move(world) -> None:  # noqa: ANN001
    second = _second_village(world)
    street = world.actor("street_staff")
    grid3 = unit_create(actor=street, parent=world.village, kind="grid", name="三网格")
    unit_move(actor=street, unit=grid3, new_parent=second)
    grid4 = unit_create(actor=street, parent=world.village, kind="grid", name="四网格")
    assert grid3.code == "G410883001002-03"
    assert grid4.code == "G410883001002-04"
    other = unit_create(actor=street, parent=second, kind="grid", name="平山园一网格")
    assert other.code == "G410883001004-01"


@pytest.mark.parametrize(
    ("parent_attr", "kind", "message"),
    [
        ("grid", "grid", "网格只能设在村/社区下"),
        ("street", "grid", "网格只能设在村/社区下"),
        ("building", "building", "楼栋/楼院只能设在村/社区或网格下"),
        ("village", "village", "只能新建网格或楼栋"),
        ("street", "township", "只能新建网格或楼栋"),
    ],
)
def test_create_enforces_kind_order(world, parent_attr: str, kind: str, message: str) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as info:
        unit_create(
            actor=world.actor("street_staff"),
            parent=getattr(world, parent_attr),
            kind=kind,
            name="新单元",
        )
    assert message in info.value.message
    assert info.value.field == "kind"


@pytest.mark.parametrize(
    "persona", ["grid_worker", "other_village_staff", "department_staff", "nobody"]
)
def test_create_outside_manage_scope_is_refused(world, persona: str) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        unit_create(actor=world.actor(persona), parent=world.village, kind="grid", name="越权网格")
    assert not Unit.objects.filter(name="越权网格").exists()


def test_create_checks_names(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    with pytest.raises(DomainError) as info:
        unit_create(actor=actor, parent=world.village, kind="grid", name="  ")
    assert info.value.field == "name"
    with pytest.raises(DomainError) as info:
        unit_create(actor=actor, parent=world.village, kind="grid", name="迎秀社区第一网格")
    assert info.value.field == "display_name" and "已有名为" in info.value.message
    with pytest.raises(DomainError):
        unit_create(actor=actor, parent=world.village, kind="grid", name="长" * 101)


def test_cannot_create_under_retired_unit(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    grid = unit_create(actor=actor, parent=world.village, kind="grid", name="临时网格")
    unit_retire(actor=actor, unit=grid)
    with pytest.raises(DomainError, match="已撤销"):
        unit_create(actor=actor, parent=grid, kind="building", name="临时楼")


# --- rename ------------------------------------------------------------------------------------


def test_rename_local_unit(world) -> None:  # noqa: ANN001
    unit = unit_rename(
        actor=world.actor("village_staff"),
        unit=world.grid,
        name="迎秀社区东网格",
        display_name="东网格",
    )
    assert (_fresh(unit).name, _fresh(unit).display_name) == ("迎秀社区东网格", "东网格")
    change = UnitChange.objects.get(unit=unit, kind=UnitChange.Kind.RENAMED)
    assert change.before["display_name"] == "迎秀社区第一网格"
    assert change.after["display_name"] == "东网格"


def test_official_unit_only_changes_its_display_name(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    with pytest.raises(DomainError) as info:
        unit_rename(actor=actor, unit=world.village, name="迎秀新居民委员会", display_name="迎秀")
    assert info.value.field == "name" and "统计用区划代码" in info.value.message
    unit_rename(actor=actor, unit=world.village, display_name="迎秀")
    assert _fresh(world.village).display_name == "迎秀"
    assert _fresh(world.village).name == "迎秀居民委员会"
    # An empty display name falls back to the shortened official name.
    unit_rename(actor=actor, unit=world.village, display_name="")
    assert _fresh(world.village).display_name == "迎秀社区"
    assert UnitChange.objects.filter(unit=world.village, kind=UnitChange.Kind.RENAMED).count() == 2


def test_rename_without_change_writes_no_history(world) -> None:  # noqa: ANN001
    unit_rename(
        actor=world.actor("village_staff"), unit=world.grid, display_name=world.grid.display_name
    )
    assert not UnitChange.objects.filter(unit=world.grid).exists()


def test_rename_refused_for_view_only_and_duplicate(world) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied):
        unit_rename(actor=world.actor("grid_worker"), unit=world.grid, display_name="我的网格")
    with pytest.raises(DomainError, match="已有名为"):
        unit_rename(
            actor=world.actor("village_staff"), unit=world.grid, display_name="迎秀社区第二网格"
        )


# --- move --------------------------------------------------------------------------------------


def test_move_grid_rewrites_descendant_paths(world) -> None:  # noqa: ANN001
    second = _second_village(world)
    household = make_household(world.building)
    unit_move(actor=world.actor("street_staff"), unit=world.grid, new_parent=second)

    grid = _fresh(world.grid)
    building = _fresh(world.building)
    assert grid.parent_id == second.pk
    assert grid.path == f"{second.path}{grid.code}/"
    assert building.path == f"{grid.path}{building.code}/"
    assert building.depth == grid.depth + 1 == second.depth + 2
    # Untouched: the sibling grid and its building.
    assert _fresh(world.sibling_building).path == world.sibling_building.path
    # Households follow through the unit path: still visible to the grid worker, now in 平山园.
    assert Household.objects.visible_to(world.actor("grid_worker")).filter(pk=household.pk).exists()
    assert (
        not Household.objects.visible_to(world.actor("village_staff"))
        .filter(pk=household.pk)
        .exists()
    )
    change = UnitChange.objects.get(unit=grid, kind=UnitChange.Kind.MOVED)
    assert change.before["parent"] == world.village.code and change.after["parent"] == second.code
    assert change.after["descendants_moved"] == 1
    assert AuditEvent.objects.filter(object_id=str(grid.public_id), action="update").count() == 2


def test_move_building_between_grids_by_village_staff(world) -> None:  # noqa: ANN001
    unit_move(
        actor=world.actor("village_staff"), unit=world.building, new_parent=world.sibling_grid
    )
    assert _fresh(world.building).path == f"{world.sibling_grid.path}{world.building.code}/"
    # Its code does not change: codes are stable identifiers.
    assert _fresh(world.building).code == "B410883001002-01-01"


def test_move_rules(world) -> None:  # noqa: ANN001
    street = world.actor("street_staff")
    with pytest.raises(DomainError, match="网格只能设在村/社区下"):
        unit_move(actor=street, unit=world.grid, new_parent=world.street)
    with pytest.raises(DomainError, match="自己或它的下级"):
        unit_move(actor=street, unit=world.grid, new_parent=world.building)
    with pytest.raises(DomainError, match="已在"):
        unit_move(actor=street, unit=world.grid, new_parent=world.village)
    # The destination must be in the actor's scope too.
    with pytest.raises(PermissionDenied):
        unit_move(actor=street, unit=world.grid, new_parent=world.other_village)


def test_village_staff_cannot_move_official_units(world) -> None:  # noqa: ANN001
    second = make_unit("township", "410883003", "河雍街道", world.county)
    with pytest.raises(PermissionDenied) as info:
        unit_move(actor=world.actor("village_staff"), unit=world.village, new_parent=second)
    assert "统计用区划单元" in info.value.message and "只能修改它的简称" in info.value.message
    assert _fresh(world.village).parent_id == world.street.pk


def test_higher_post_moves_an_official_village(world) -> None:  # noqa: ANN001
    unit_move(actor=world.actor("sysadmin"), unit=world.village, new_parent=world.other_street)
    village = _fresh(world.village)
    assert village.path == f"{world.other_street.path}{village.code}/"
    assert _fresh(world.building).path.startswith(village.path)
    assert _fresh(world.building).depth == 6


# --- merge -------------------------------------------------------------------------------------


def test_merge_moves_households_children_and_posts(world) -> None:  # noqa: ANN001
    household = make_household(world.sibling_grid)
    building_household = make_household(world.sibling_building)
    received: list[tuple[str, str]] = []

    def listener(sender, source, target, actor, **kwargs) -> None:  # noqa: ANN001
        received.append((source.code, target.code))

    unit_merged.connect(listener)
    try:
        unit_merge(
            actor=world.actor("village_staff"),
            source=world.sibling_grid,
            target=world.grid,
            note="合并网格",
        )
    finally:
        unit_merged.disconnect(listener)

    source = _fresh(world.sibling_grid)
    assert not source.is_active and source.retired_at is not None
    assert source.merged_into_id == world.grid.pk
    assert Household.objects.get(pk=household.pk).unit_id == world.grid.pk
    moved_building = _fresh(world.sibling_building)
    assert moved_building.parent_id == world.grid.pk
    assert moved_building.path == f"{world.grid.path}{moved_building.code}/"
    assert Household.objects.get(pk=building_household.pk).unit_id == world.sibling_building.pk
    assert Post.objects.get(user=world.users["sibling_grid_worker"]).unit_id == world.grid.pk
    assert received == [(world.sibling_grid.code, world.grid.code)]

    source_change = UnitChange.objects.get(unit=source, kind=UnitChange.Kind.MERGED)
    assert source_change.after["households"] == 1 and source_change.after["children"] == 1
    assert source_change.after["posts"] == 1 and source_change.note == "合并网格"
    assert (
        UnitChange.objects.get(unit=world.grid, kind=UnitChange.Kind.MERGED).after["merged_from"]
        == source.code
    )
    # The merged unit stays reachable for history.
    assert selectors.unit_get(world.actor("village_staff"), source.public_id).pk == source.pk


def test_merge_rules(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with pytest.raises(DomainError, match="同类"):
        unit_merge(actor=staff, source=world.building, target=world.grid)
    with pytest.raises(DomainError, match="自己"):
        unit_merge(actor=staff, source=world.grid, target=world.grid)
    with pytest.raises(PermissionDenied, match="统计用区划单元"):
        unit_merge(actor=staff, source=world.village, target=world.other_village)
    with pytest.raises(PermissionDenied):
        unit_merge(
            actor=world.actor("other_village_staff"), source=world.grid, target=world.sibling_grid
        )


def test_street_merges_two_villages(world) -> None:  # noqa: ANN001
    second = _second_village(world)
    unit_merge(actor=world.actor("street_staff"), source=world.village, target=second)
    assert _fresh(world.grid).path == f"{second.path}{world.grid.code}/"
    assert _fresh(world.building).path == f"{second.path}{world.grid.code}/{world.building.code}/"
    assert Post.objects.get(user=world.users["village_staff"]).unit_id == second.pk


# --- retire and restore ----------------------------------------------------------------------


def test_retire_refuses_while_things_hang_on_the_unit(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with pytest.raises(DomainError) as info:
        unit_retire(actor=staff, unit=world.grid)
    assert "1 个在用的下级单元" in info.value.message and "1 个在岗岗位" in info.value.message
    make_household(world.building)
    Post.objects.filter(unit=world.building).update(is_active=False)
    with pytest.raises(DomainError, match="1 户在册家庭"):
        unit_retire(actor=staff, unit=world.building)
    assert _fresh(world.building).is_active


def test_retire_and_restore(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    grid = unit_create(actor=staff, parent=world.village, kind="grid", name="临时网格")
    building = unit_create(actor=staff, parent=grid, kind="building", name="临时楼")
    unit_retire(actor=staff, unit=building, note="拆迁")
    unit_retire(actor=staff, unit=grid)
    assert not _fresh(grid).is_active and _fresh(grid).retired_at is not None
    # Retired units stay reachable (history), but leave the default children list.
    assert selectors.unit_get(staff, grid.public_id).pk == grid.pk
    assert grid not in list(selectors.unit_children(staff, world.village))
    assert grid in list(selectors.unit_children(staff, world.village, include_retired=True))
    with pytest.raises(DomainError, match="已经撤销"):
        unit_retire(actor=staff, unit=grid)
    with pytest.raises(DomainError, match="请先恢复上级"):
        unit_restore(actor=staff, unit=building)

    unit_restore(actor=staff, unit=grid)
    unit_restore(actor=staff, unit=building)
    assert _fresh(grid).is_active and _fresh(grid).retired_at is None
    kinds = list(
        UnitChange.objects.filter(unit=building).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["created", "retired", "restored"]
    assert UnitChange.objects.get(unit=building, kind="retired").note == "拆迁"
    with pytest.raises(DomainError, match="无需恢复"):
        unit_restore(actor=staff, unit=grid)


def test_restore_after_merge_clears_merged_into(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    Post.objects.filter(unit=world.sibling_building).update(is_active=False)
    unit_merge(actor=staff, source=world.sibling_grid, target=world.grid)
    unit_restore(actor=staff, unit=world.sibling_grid)
    grid = _fresh(world.sibling_grid)
    assert grid.is_active and grid.merged_into_id is None
    assert (
        UnitChange.objects.get(unit=grid, kind="restored").before["merged_into"] == world.grid.code
    )


def test_village_staff_cannot_retire_their_village(world) -> None:  # noqa: ANN001
    with pytest.raises(PermissionDenied, match="撤销须由上级单位"):
        unit_retire(actor=world.actor("village_staff"), unit=world.village)


def test_scope_of_selectors(world) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        selectors.unit_get(world.actor("sibling_grid_worker"), world.grid.public_id)
    with pytest.raises(Http404):
        selectors.unit_get(world.actor("grid_worker"), "not-a-uuid")
    assert (
        selectors.unit_get_by_code(world.actor("grid_worker"), world.grid.code).pk == world.grid.pk
    )
    with pytest.raises(Http404):
        selectors.unit_get_by_code(world.actor("grid_worker"), world.village.code)
    roots = list(selectors.units_for_browse(world.actor("street_staff")))
    assert roots == [world.street]
    user = make_user("two_posts", "grid_worker", world.sibling_grid)
    Post.objects.create(user=user, role="grid_worker", unit=world.grid)
    from lianxin.accounts.actor import Actor

    assert list(selectors.units_for_browse(Actor.for_user(user))) == [
        world.grid,
        world.sibling_grid,
    ]
    ancestors = selectors.unit_ancestors(world.building)
    assert [u.code for u in ancestors] == world.building.path_codes[:-1]
