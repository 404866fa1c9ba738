"""Batch creation of grids and buildings: the textarea expansion, the service and the page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.territory import services
from lianxin.territory.batch import BATCH_MAX, expand_names
from lianxin.territory.models import Unit, UnitChange
from lianxin.territory.services import unit_create_batch

# --- expansion (no database) -------------------------------------------------------------------


def test_plain_lines_are_names_blank_lines_skipped_spaces_collapsed() -> None:
    text = "  迎秀老院 \n\n\t\n迎秀  小区 东院\r\n迎秀新村"
    assert expand_names(text) == ["迎秀老院", "迎秀 小区 东院", "迎秀新村"]
    assert expand_names("") == [] and expand_names("\n \n") == []


def test_range_with_prefix_and_suffix() -> None:
    names = expand_names("迎秀小区1-12号楼")
    assert len(names) == 12
    assert names[0] == "迎秀小区1号楼" and names[9] == "迎秀小区10号楼"
    assert names[-1] == "迎秀小区12号楼"


@pytest.mark.parametrize("line", ["楼3~5", "楼3～5", "楼3－5", "楼3 - 5", "楼3 ～ 5"])
def test_every_separator_works(line: str) -> None:
    assert expand_names(line) == ["楼3", "楼4", "楼5"]


def test_range_alone_and_mixed_with_plain_lines_in_order() -> None:
    assert expand_names("1-3") == ["1", "2", "3"]
    assert expand_names("东院\n第1-2网格\n西院") == ["东院", "第1网格", "第2网格", "西院"]


def test_zero_padded_start_keeps_its_width() -> None:
    assert expand_names("A区08-11栋") == ["A区08栋", "A区09栋", "A区10栋", "A区11栋"]
    assert expand_names("9-11号")[0] == "9号"


def test_digits_before_the_range_stay_in_the_prefix() -> None:
    assert expand_names("3号楼1-3单元") == ["3号楼1单元", "3号楼2单元", "3号楼3单元"]


def test_hyphens_that_are_not_ranges_are_literal() -> None:
    assert expand_names("A-3栋\n3号楼-东\n东-西院") == ["A-3栋", "3号楼-东", "东-西院"]


@pytest.mark.parametrize(
    ("text", "line_no", "words"),
    [
        ("迎秀小区12-1号楼", 1, "从小到大"),
        ("东院\n\n楼5-5", 3, "从小到大"),
        ("楼1-201", 1, "最多 200"),
        ("1-2号楼3-4单元", 1, "一个范围"),
        ("东院\n1-2-3", 2, "一个范围"),
    ],
)
def test_invalid_ranges_name_the_line(text: str, line_no: int, words: str) -> None:
    with pytest.raises(DomainError) as exc:
        expand_names(text)
    bad_line = text.splitlines()[line_no - 1]
    assert f"第 {line_no} 行“{bad_line}”" in exc.value.message
    assert words in exc.value.message
    assert exc.value.field == "names"


def test_one_range_of_exactly_the_limit_is_fine() -> None:
    assert len(expand_names(f"楼1-{BATCH_MAX}")) == BATCH_MAX


def test_total_over_the_limit_is_refused() -> None:
    with pytest.raises(DomainError, match="一次最多新建 200 个"):
        expand_names("楼1-150\n院1-51")
    with pytest.raises(DomainError, match="一次最多新建 3 个"):
        expand_names("甲\n乙\n丙\n丁", limit=3)


# --- service -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creates_buildings_in_order_with_codes_history_and_audit(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    before = Unit.objects.count()
    units = unit_create_batch(
        actor=actor,
        parent=world.grid,
        kind="building",
        names=["迎秀小区2号楼", "  ", "迎秀小区3号楼", "迎秀小区4号楼"],
    )
    assert [u.display_name for u in units] == ["迎秀小区2号楼", "迎秀小区3号楼", "迎秀小区4号楼"]
    # world.building is B410883001002-01-01; the batch continues the numbering.
    assert [u.code for u in units] == [f"B410883001002-01-0{i}" for i in (2, 3, 4)]
    assert all(u.parent_id == world.grid.pk and u.path.startswith(world.grid.path) for u in units)
    assert Unit.objects.count() == before + 3
    assert UnitChange.objects.filter(unit__in=units, kind=UnitChange.Kind.CREATED).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_village_staff", "grid_worker", "street_staff"])
def test_permission_is_that_of_single_creation(world, persona: str) -> None:  # noqa: ANN001
    before = Unit.objects.count()
    if persona == "street_staff":  # above the village: allowed, like unit_create
        unit_create_batch(
            actor=world.actor(persona), parent=world.village, kind="grid", names=["网格甲"]
        )
        assert Unit.objects.count() == before + 1
        return
    with pytest.raises(PermissionDenied):
        unit_create_batch(
            actor=world.actor(persona), parent=world.village, kind="grid", names=["网格甲"]
        )
    assert Unit.objects.count() == before


@pytest.mark.django_db
def test_kind_rules_are_those_of_single_creation(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    with pytest.raises(DomainError, match="只能新建网格或楼栋") as exc:
        unit_create_batch(actor=actor, parent=world.street, kind="village", names=["新村"])
    assert exc.value.field == "kind"
    with pytest.raises(DomainError, match="网格只能设在"):
        unit_create_batch(actor=actor, parent=world.grid, kind="grid", names=["子网格"])


@pytest.mark.django_db
def test_duplicates_in_the_batch_are_named_and_nothing_is_created(world) -> None:  # noqa: ANN001
    before = Unit.objects.count()
    with pytest.raises(DomainError) as exc:
        unit_create_batch(
            actor=world.actor("village_staff"),
            parent=world.grid,
            kind="building",
            names=["甲楼", "乙楼", "甲楼", "丙楼", "乙 楼", "乙  楼"],
        )
    assert "“甲楼”、“乙 楼”" in exc.value.message and "丙楼" not in exc.value.message
    assert exc.value.field == "names"
    assert Unit.objects.count() == before


@pytest.mark.django_db
def test_names_taken_by_active_siblings_are_named(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    before = Unit.objects.count()
    with pytest.raises(DomainError) as exc:
        unit_create_batch(
            actor=actor,
            parent=world.grid,
            kind="building",
            names=["迎秀小区0号楼", "迎秀小区1号楼", "迎秀小区2号楼"],
        )
    assert "已有：“迎秀小区1号楼”。" in exc.value.message
    assert Unit.objects.count() == before
    # A retired sibling's name may be used again; a cousin's name under another grid too.
    Unit.objects.filter(pk=world.building.pk).update(is_active=False)  # it has a post
    created = unit_create_batch(
        actor=actor, parent=world.grid, kind="building", names=["迎秀小区1号楼", "迎秀小区9号楼"]
    )
    assert len(created) == 2


@pytest.mark.django_db
def test_limit_of_a_batch(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    before = Unit.objects.count()
    with pytest.raises(DomainError, match="一次最多新建 200 个（现有 201 个）"):
        unit_create_batch(
            actor=actor,
            parent=world.sibling_grid,
            kind="building",
            names=[f"楼{i}" for i in range(201)],
        )
    assert Unit.objects.count() == before
    with pytest.raises(DomainError, match="请至少填写一个名称"):
        unit_create_batch(actor=actor, parent=world.sibling_grid, kind="building", names=["", " "])
    with pytest.raises(DomainError, match="不能超过 100 个字"):
        unit_create_batch(
            actor=actor, parent=world.sibling_grid, kind="building", names=["楼" * 101]
        )
    created = unit_create_batch(
        actor=actor,
        parent=world.sibling_grid,
        kind="building",
        names=[f"楼{i}" for i in range(200)],
    )
    assert len(created) == 200 and len({u.code for u in created}) == 200
    assert Unit.objects.count() == before + 200


@pytest.mark.django_db
def test_a_failure_midway_rolls_the_whole_batch_back(world, monkeypatch) -> None:  # noqa: ANN001
    real = services.unit_create
    calls: list[str] = []

    def flaky(**kwargs):  # noqa: ANN003, ANN202
        calls.append(kwargs["name"])
        if len(calls) == 3:
            raise DomainError("模拟故障")
        return real(**kwargs)

    monkeypatch.setattr(services, "unit_create", flaky)
    before = (Unit.objects.count(), UnitChange.objects.count())
    with pytest.raises(DomainError, match="模拟故障"):
        unit_create_batch(
            actor=world.actor("village_staff"),
            parent=world.grid,
            kind="building",
            names=["甲楼", "乙楼", "丙楼", "丁楼"],
        )
    assert len(calls) == 3
    assert (Unit.objects.count(), UnitChange.objects.count()) == before


# --- page --------------------------------------------------------------------------------------


def _url(name: str, unit: Unit) -> str:
    return reverse(f"territory:{name}", kwargs={"public_id": unit.public_id})


@pytest.mark.django_db
def test_detail_links_to_batch_page_for_managers_only(world) -> None:  # noqa: ANN001
    link = _url("unit_batch_create", world.grid)
    assert (
        link in world.client("village_staff").get(_url("unit_detail", world.grid)).content.decode()
    )
    assert (
        link
        not in world.client("grid_worker").get(_url("unit_detail", world.grid)).content.decode()
    )


@pytest.mark.django_db
def test_batch_page_offers_allowed_kinds_only(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    page = client.get(_url("unit_batch_create", world.village)).content.decode()
    assert 'value="grid"' in page and 'value="building"' in page and "<textarea" in page
    page = client.get(_url("unit_batch_create", world.grid)).content.decode()
    assert 'value="building"' in page and 'value="grid"' not in page


@pytest.mark.django_db
def test_preview_lists_names_without_saving(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    before = Unit.objects.count()
    response = client.post(
        _url("unit_batch_create", world.grid),
        {"kind": "building", "names": "迎秀小区2-4号楼\n东院", "preview": "1"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "将新建 4 个" in page
    assert "<li>迎秀小区3号楼</li>" in page and "<li>东院</li>" in page
    assert Unit.objects.count() == before


@pytest.mark.django_db
def test_post_creates_and_redirects_to_parent_with_message(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    response = client.post(
        _url("unit_batch_create", world.grid), {"kind": "building", "names": "迎秀小区2-12号楼"}
    )
    assert response.status_code == 302 and response["Location"] == _url("unit_detail", world.grid)
    assert world.grid.children.filter(is_active=True).count() == 12
    page = client.get(response["Location"]).content.decode()
    assert "已新建 11 个楼栋/楼院。" in page and "迎秀小区12号楼" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("东院\n迎秀小区12-2号楼", "第 2 行“迎秀小区12-2号楼”：范围须从小到大"),
        ("迎秀小区0-3号楼", "已有：“迎秀小区1号楼”"),
        ("东院\n东院", "重复填写：“东院”"),
        ("\n  \n", "这个字段是必填项"),
    ],
)
def test_bad_input_keeps_text_and_shows_error_under_field(world, text: str, error: str) -> None:  # noqa: ANN001
    before = Unit.objects.count()
    response = world.client("village_staff").post(
        _url("unit_batch_create", world.grid), {"kind": "building", "names": text}
    )
    page = response.content.decode()
    assert response.status_code == 200
    field_errors = re.findall(r'<p class="field-error" role="alert">(.*?)</p>', page)
    assert any(error in e for e in field_errors), field_errors
    if text.strip():
        assert text.split("\n")[-1] in page.split("<textarea", 1)[1].split("</textarea>")[0]
    assert Unit.objects.count() == before
