"""The shipped division data, its import and the shortening of official names."""

from __future__ import annotations

import lzma
import time

import pytest

from lianxin.audit.models import AuditEvent
from lianxin.territory.divisions import (
    DivisionError,
    ImportResult,
    import_prefix,
    shipped_files,
    shorten_name,
)
from lianxin.territory.models import Unit, UnitChange


@pytest.mark.parametrize(
    ("official", "kind", "short"),
    [
        # the forms named in the issue and REFERENCE.md
        ("迎秀居民委员会", "village", "迎秀社区"),
        ("东张王庄村民委员会", "village", "东张王庄村"),
        ("大定街道办事处", "township", "大定街道"),
        # no doubled 村 when the village's own name ends with 村
        ("东关村村民委员会", "village", "东关村"),
        ("南范村村民委员会", "village", "南范村"),
        ("东风路白庙村村民委员会", "village", "东风路白庙村"),
        ("何村村村民委员会", "village", "何村村"),
        # community committees in their several spellings
        ("多福巷社区居委会", "village", "多福巷社区"),
        ("大北家园社区居民委员会", "village", "大北家园社区"),
        ("六铺炕南小街居委会", "village", "六铺炕南小街社区"),
        ("福华南街社区委员会", "village", "福华南街社区"),
        ("亚星社区居民管理委员会", "village", "亚星社区"),
        ("新建社区居委", "village", "新建社区"),
        ("体育社区居民居委会", "village", "体育社区"),
        ("岳寨社区居民委委会", "village", "岳寨社区"),
        ("兰营社区居民委会", "village", "兰营社区"),
        # village committees with the typos found in the published data
        ("小岗刘村委会", "village", "小岗刘村"),
        ("前谢村村民委会", "village", "前谢村"),
        ("二郎村村民员委会", "village", "二郎村"),
        ("邰庄村民员委会", "village", "邰庄村"),
        ("张桥村员委员会", "village", "张桥村"),
        ("闫庄村民委员会会", "village", "闫庄村"),
        ("岚峪村村民委员", "village", "岚峪村"),
        ("东崔庄村民委员会委会", "village", "东崔庄村"),
        ("茂力格尔嘎查委会", "village", "茂力格尔嘎查"),
        # remarks in brackets stay after the short name
        ("新月村委会（新月工业小区）（省级）", "village", "新月村（新月工业小区）（省级）"),
        ("东青社区居委会（含东青村村委）", "village", "东青社区（含东青村村委）"),
        # already short, or not a committee: unchanged
        ("柴村", "village", "柴村"),
        ("机场工作区社区", "village", "机场工作区社区"),
        ("虚拟生活区", "village", "虚拟生活区"),
        ("外国语职业学院社区家委会", "village", "外国语职业学院社区家委会"),
        ("居委会", "village", "居委会"),
        ("龙泉街道", "township", "龙泉街道"),
        ("化工镇", "township", "化工镇"),
        ("城关镇人民政府", "township", "城关镇"),
        ("槐树乡政府", "township", "槐树乡"),
        ("城关办事处", "township", "城关街道"),
        ("孟州市", "county", "孟州市"),
        ("孟州市人民政府", "county", "孟州市"),
        ("焦作市", "city", "焦作市"),
        # whitespace is normalised; local kinds are left as typed
        ("  迎秀居民委员会 ", "village", "迎秀社区"),
        ("迎秀社区第一网格", "grid", "迎秀社区第一网格"),
        ("迎秀小区村委会楼", "building", "迎秀小区村委会楼"),
        ("", "village", ""),
    ],
)
def test_shorten_name(official: str, kind: str, short: str) -> None:
    assert shorten_name(official, kind) == short


def test_shipped_file_covers_henan() -> None:
    files = shipped_files()
    assert "41" in files
    raw = files["41"].read_bytes()
    assert len(raw) < 400_000  # compact: about 0.28 MB for the whole province
    text = lzma.decompress(raw).decode("utf-8")
    assert text.startswith("code,level,name\n41,1,河南省\n")
    assert "410883001002,5,迎秀居民委员会\n" in text


@pytest.mark.django_db
def test_import_jiaozuo_counts_and_named_places() -> None:
    started = time.monotonic()
    result = import_prefix("4108")
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"import of 4108 took {elapsed:.1f}s"

    assert result.created == {
        "province": 1,
        "city": 1,
        "county": 11,
        "township": 112,
        "village": 2024,
    }
    assert result.total() == Unit.objects.count() == 2149
    mengzhou = Unit.objects.get(code="410883")
    assert mengzhou.stat_code == "410883000000"
    assert mengzhou.path == "/41/4108/410883/"
    assert mengzhou.depth == 2
    assert Unit.objects.filter(path__startswith=mengzhou.path, kind="village").count() == 289

    counties = set(Unit.objects.filter(kind="county").values_list("code", flat=True))
    assert counties == {
        f"4108{n}" for n in ("02", "03", "04", "11", "21", "22", "23", "25", "71", "82", "83")
    }
    expected = {
        "410883001002": ("迎秀居民委员会", "迎秀社区", "/41/4108/410883/410883001/410883001002/"),
        "410883001004": ("平山园居民委员会", "平山园社区", None),
        "410823003": ("龙泉街道", "龙泉街道", None),
        "410825004224": ("东张王庄村民委员会", "东张王庄村", None),
        "410882100205": ("南范村村民委员会", "南范村", None),
        "410811001": ("东方红街道", "东方红街道", "/41/4108/410811/410811001/"),
    }
    for code, (name, display, path) in expected.items():
        unit = Unit.objects.select_related("parent").get(code=code)
        assert (unit.name, unit.display_name) == (name, display)
        assert unit.stat_code == code.ljust(12, "0")
        assert unit.path == unit.parent.path + code + "/"
        assert unit.depth == unit.parent.depth + 1
        if path:
            assert unit.path == path
    yingxiu = Unit.objects.get(code="410883001002")
    assert yingxiu.kind == "village"
    assert yingxiu.parent.code == "410883001"
    assert yingxiu.parent.kind == "township"


@pytest.mark.django_db
def test_import_is_idempotent_and_records_one_history_row_and_audit_event() -> None:
    first = import_prefix("4108")
    ids = dict(Unit.objects.values_list("code", "id"))
    second = import_prefix("4108")
    assert second.created_total == 0 and second.updated_total == 0
    assert second.total() == first.total() == 2149
    assert dict(Unit.objects.values_list("code", "id")) == ids

    city = Unit.objects.get(code="4108")
    changes = UnitChange.objects.filter(kind=UnitChange.Kind.IMPORTED)
    assert changes.count() == 2 and {c.unit_id for c in changes} == {city.pk}
    assert changes.first().after["created"] == {}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, object_id="4108")
    assert events.count() == 2
    assert events.first().scope_path == "/41/4108/"
    # No per-row audit for the bulk import.
    assert AuditEvent.objects.filter(object_type="territory.unit", action="create").count() == 0


@pytest.mark.django_db
def test_reimport_updates_names_and_keeps_local_choices() -> None:
    import_prefix("410883")
    Unit.objects.filter(code="410883001002").update(
        name="迎秀旧名居民委员会", display_name="迎秀旧名社区"
    )
    Unit.objects.filter(code="410883001004").update(display_name="平山园（自定）")
    moved = Unit.objects.get(code="410883001003")
    Unit.objects.filter(pk=moved.pk).update(is_active=False)

    result = import_prefix("410883")
    assert result.updated == {"village": 1}
    assert Unit.objects.get(code="410883001002").display_name == "迎秀社区"
    assert Unit.objects.get(code="410883001004").display_name == "平山园（自定）"
    assert Unit.objects.get(code="410883001003").is_active is False
    assert Unit.objects.filter(code="410883001002").count() == 1


@pytest.mark.django_db
def test_import_over_the_world_keeps_its_units(world) -> None:  # noqa: ANN001
    before = Unit.objects.count()
    result = import_prefix("410883001")
    assert result.total("village") == 23
    assert Unit.objects.filter(code="410883001").count() == 1
    street = Unit.objects.get(code="410883001")
    assert street.pk == world.street.pk
    assert street.display_name == "大定街道" and street.stat_code == "410883001000"
    # The world's grids still hang where they were; new villages sit beside 迎秀.
    assert Unit.objects.get(pk=world.grid.pk).path == world.grid.path
    assert Unit.objects.count() == before + 22


@pytest.mark.django_db
def test_import_of_a_partial_prefix_brings_ancestors() -> None:
    result = import_prefix("4108830")
    assert result.root_name == "孟州市"
    assert set(Unit.objects.filter(depth__lt=3).values_list("code", flat=True)) == {
        "41",
        "4108",
        "410883",
    }
    assert Unit.objects.filter(kind="township").count() == 4  # 410883001–004
    assert "区划导入 4108830（孟州市）" in result.summary()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("11", ["11", "不在随包数据范围内", "41（河南省）"]),
        ("4199", ["4199", "没有以 4199 开头", "41（河南省）"]),
        ("abc", ["“abc”无效", "2 至 12 位数字"]),
        ("4", ["“4”无效"]),
        ("", ["无效"]),
        ("4108830019999", ["无效"]),
    ],
)
def test_bad_prefix_is_a_clear_error(prefix: str, words: list[str]) -> None:
    with pytest.raises(DivisionError) as info:
        import_prefix(prefix)
    for word in words:
        assert word in str(info.value)
    assert Unit.objects.count() == 0


@pytest.mark.django_db
def test_data_folder_is_discovered(tmp_path) -> None:  # noqa: ANN001
    rows = "code,level,name\n11,1,北京市\n1101,2,市辖区\n110101,3,东城区\n110101001,4,东华门街道\n"
    rows += "110101001001,5,多福巷社区居委会\n"
    (tmp_path / "divisions-11.csv.xz").write_bytes(lzma.compress(rows.encode()))
    result = import_prefix("11", data_dir=tmp_path)
    assert result.total() == 5
    assert Unit.objects.get(code="110101001001").display_name == "多福巷社区"
    with pytest.raises(DivisionError, match="11（北京市）"):
        import_prefix("41", data_dir=tmp_path)


@pytest.mark.django_db
def test_broken_data_file_is_reported(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "divisions-11.csv.xz").write_bytes(lzma.compress(b"code,name\n11,x\n"))
    with pytest.raises(DivisionError, match="表头"):
        import_prefix("11", data_dir=tmp_path)
    (tmp_path / "divisions-11.csv.xz").write_bytes(b"not xz")
    with pytest.raises(DivisionError, match="无法读取"):
        import_prefix("11", data_dir=tmp_path)


def test_summary_is_one_chinese_line() -> None:
    result = ImportResult(
        prefix="4108", root_name="焦作市", created={"county": 2, "village": 3}, seconds=1.25
    )
    line = result.summary()
    assert "\n" not in line
    assert line.startswith("区划导入 4108（焦作市）：共 5 个单元")
    assert "县/区 2" in line and "村/社区 3" in line and "新增 5" in line
