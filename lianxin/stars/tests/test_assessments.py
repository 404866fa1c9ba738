"""The daily assessment (日常考核): the weighted total, refusals naming the field,
corrections (append-only, the newest row of a period counts), the year-end evaluation with
rank and grade, scope, and the pages with their exports and query budgets."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_unit
from lianxin.stars.models import Assessment, TaskForce
from lianxin.stars.selectors import assessments as sel
from lianxin.stars.services import assessments as svc
from lianxin.stars.tests import scope_assessments as b

pytestmark = pytest.mark.django_db
D = Decimal


def test_total_is_weighted_with_a_capped_bonus() -> None:
    # 90×0.3 + 80×0.2 + 85×0.3 + 95×0.2 = 87.5
    assert svc.total_of(
        base_work=D(90), highlights=D(80), results=D(85), knowledge_test=D(95)
    ) == D("87.50")
    assert svc.total_of(
        base_work=D(90), highlights=D(80), results=D(85), knowledge_test=D(95), other_work=D(100)
    ) == D("92.50")
    assert svc.total_of(
        base_work=D(100), highlights=D(100), results=D(100), knowledge_test=D(100), other_work=D(60)
    ) == D(100)
    assert sum(svc.WEIGHTS.values()) == 1


def test_grades() -> None:
    assert [svc.grade_of(D(x)) for x in ("90", "89.99", "80", "60", "59.99")] == [
        "优秀",
        "良好",
        "良好",
        "合格",
        "不合格",
    ]


def test_each_kind_of_subject_is_recorded(world) -> None:  # noqa: ANN001
    tf = b.record(world, "task_force")
    township = b.record(world, "township_secretary")
    village = b.record(world, "village_secretary", name="王秀英")
    leader = b.record(world, "star_leader", name="赵领军")
    assert (tf.unit, tf.subject_name, tf.subject_key) == (
        world.county,
        "产业兴旺星专班",
        f"tf:{tf.task_force_id}",
    )
    assert (township.unit, township.subject_key) == (world.street, f"unit:{world.street.pk}")
    assert (village.unit, village.subject_name) == (world.village, "王秀英")
    assert leader.subject_key == f"leader:{world.village.pk}:赵领军"
    assert all(a.total == D("87.50") and a.year == b.YEAR for a in (tf, township, village, leader))
    assert township.assessor_label.startswith("org_department")


def test_refusals_name_the_field_and_keep_nothing(world) -> None:  # noqa: ANN001
    other_county = make_unit("county", "410882", "沁阳市", world.city)
    foreign = TaskForce.objects.create(county=other_county, name="沁阳专班")
    cases = [
        ({"p": b.parts(base=101)}, "base_work"),
        ({"p": b.parts(hl=-1)}, "highlights"),
        ({"p": b.parts(res="")}, "results"),
        ({"p": b.parts(test="abc")}, "knowledge_test"),
        ({"p": b.parts(other="100.001")}, "other_work"),
        ({"period": "2026-13"}, "period"),
        ({"period": "202601"}, "period"),
        ({"period": f"{b.YEAR + 1}-01"}, "period"),
        ({"name": ""}, "name"),
        ({"unit": world.village}, "unit"),  # a village is no township
        ({"unit": world.county}, "unit"),
    ]
    for kw, field in cases:
        with pytest.raises(DomainError) as exc:
            b.record(world, **kw)
        assert exc.value.field == field, kw
    with pytest.raises(DomainError) as exc:
        b.record(world, "task_force", tf=foreign)
    assert exc.value.field == "task_force"
    with pytest.raises(DomainError) as exc:
        b.record(world, "bogus")
    assert exc.value.field == "subject_kind"
    with pytest.raises(PermissionDenied):
        svc.assessment_record(
            actor=world.actor("street_staff"),
            county=world.county,
            kind="township_secretary",
            period=b.P1,
            parts=b.parts(),
            unit=world.street,
            name="李大定",
        )
    assert not Assessment.objects.exists()


def test_a_correction_is_a_new_row_and_the_newest_counts(world) -> None:  # noqa: ANN001
    first = b.record(world, p=b.parts(50, 50, 50, 50))
    with pytest.raises(DomainError) as exc:
        b.record(world, p=b.parts(90, 90, 90, 90))
    assert exc.value.field == "note"
    fixed = b.record(world, p=b.parts(90, 90, 90, 90), note="基础工作漏计台账")
    b.record(world, period=b.P2, p=b.parts(80, 80, 80, 80))
    first.refresh_from_db()
    assert first.total == D(50)  # the first row stays as it was
    with pytest.raises(RuntimeError):
        first.save()
    assert Assessment.objects.count() == 3
    table = sel.year_table(world.actor("org_department"), b.YEAR, "township_secretary")
    (row,) = table
    assert (row.periods, row.average, row.grade, row.rank) == (2, D("85.00"), "良好", 1)
    assert row.latest is not None and row.latest.period == b.P2
    assert sel.current_ids([first, fixed]) == {fixed.pk}


def test_year_end_ranks_with_ties_and_grades(world) -> None:  # noqa: ANN001
    extra = make_unit(
        "township", "410883003", "西虢镇人民政府", world.county, display_name="西虢镇"
    )
    b.record(world, unit=world.street, name="李大定", p=b.parts(90, 90, 90, 90))
    b.record(world, unit=world.other_street, name="周会昌", p=b.parts(90, 90, 90, 90))
    b.record(world, unit=extra, name="孙西虢", p=b.parts(50, 60, 60, 60))
    table = sel.year_table(world.actor("org_department"), b.YEAR, "township_secretary")
    assert [(r.subject_name, r.rank, r.grade) for r in table] == [
        ("李大定", 1, "优秀"),
        ("周会昌", 1, "优秀"),
        ("孙西虢", 3, "不合格"),
    ]
    assert dict(sel.grade_counts(table)) == {"优秀": 2, "良好": 0, "合格": 0, "不合格": 1}


def test_scope_county_all_township_its_own_village_none(world) -> None:  # noqa: ANN001
    b.record(world, "task_force")
    b.record(world, unit=world.street, name="李大定")
    b.record(world, unit=world.other_street, name="周会昌")
    b.record(world, "village_secretary", unit=world.village, name="王秀英")
    b.record(world, "star_leader", unit=world.other_village, name="赵西关")
    names = lambda persona: {a.subject_name for a in sel.assessments_for(world.actor(persona))}  # noqa: E731
    assert len(names("org_department")) == 5
    assert names("street_staff") == {"李大定", "王秀英"}
    assert names("other_street_staff") == {"周会昌", "赵西关"}
    assert names("village_staff") == set()
    table = sel.year_table(world.actor("street_staff"), b.YEAR, "township_secretary")
    assert [r.subject_name for r in table] == ["李大定"]


# --- pages -----------------------------------------------------------------------------------


def test_record_page_per_kind_with_refusals(world) -> None:  # noqa: ANN001
    tf = b.task_force(world)
    client = world.client("org_department")
    url = reverse("stars:assessment_create")
    page = client.get(url, {"kind": "task_force"}).content.decode()
    assert "产业兴旺星专班" in page and "基础工作" in page
    data = {
        "county": world.county.code,
        "period": b.P1,
        "task_force": str(tf.pk),
        "base_work": "101",
        "highlights": "80",
        "results": "85",
        "knowledge_test": "95",
        "other_work": "",
    }
    bad = client.post(f"{url}?kind=task_force", data)
    html = bad.content.decode()
    assert (
        bad.status_code == 400 and "基础工作得分应在0至100分之间" in html and 'value="95"' in html
    )
    data["base_work"] = "90"
    done = client.post(f"{url}?kind=task_force", data)
    row = Assessment.objects.get()
    assert done.status_code == 302 and row.total == D("87.50") and row.other_work == 0
    vs = client.get(url, {"kind": "village_secretary"}).content.decode()
    assert "大定街道" in vs and "迎秀社区" in vs and "党组织书记姓名" in vs
    done = client.post(
        f"{url}?kind=village_secretary",
        {
            "county": world.county.code,
            "period": b.P1,
            "unit": world.village.code,
            "name": "王秀英",
            "base_work": "80",
            "highlights": "80",
            "results": "80",
            "knowledge_test": "80",
            "other_work": "20",
        },
    )
    assert done.status_code == 302
    assert Assessment.objects.get(subject_kind="village_secretary").total == D(81)


def test_correction_from_a_row(world) -> None:  # noqa: ANN001
    row = b.record(world, p=b.parts(60, 60, 60, 60))
    client = world.client("org_department")
    url = reverse("stars:assessment_create")
    form = client.get(url, {"from": str(row.public_id)}).content.decode()
    assert "更正考核结果" in form and 'value="李大定"' in form and 'value="60.00"' in form
    data = {
        "county": world.county.code,
        "period": b.P1,
        "unit": world.street.code,
        "name": "李大定",
        "base_work": "70",
        "highlights": "60",
        "results": "60",
        "knowledge_test": "60",
    }
    refused = client.post(f"{url}?from={row.public_id}", data)
    assert refused.status_code == 400 and "更正须写明原因" in refused.content.decode()
    data["note"] = "台账补交"
    assert client.post(f"{url}?from={row.public_id}", data).status_code == 302
    detail = client.get(reverse("stars:assessment_detail", args=[row.public_id])).content.decode()
    assert "已更正" in detail and "台账补交" in detail
    # The township reads, never records.
    street = world.client("street_staff")
    assert (
        "更正本期结果"
        not in street.get(reverse("stars:assessment_detail", args=[row.public_id])).content.decode()
    )
    assert "基础工作" not in street.get(url).content.decode()


def test_list_and_year_pages_with_budgets(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    villages = [
        make_unit(
            "village",
            f"4108830010{i:02d}",
            f"测试{i}村民委员会",
            world.street,
            display_name=f"测试{i}村",
        )
        for i in range(10, 16)
    ]
    for i, v in enumerate(villages):
        b.record(world, "village_secretary", unit=v, name=f"书记{i}", p=b.parts(70 + i, 80, 80, 80))
        b.record(world, "village_secretary", unit=v, name=f"书记{i}", period=b.P2)
    b.record(world, "village_secretary", unit=villages[0], name="书记0", p=b.parts(), note="更正")
    client = world.client("org_department")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("stars:assessment_list"), {"year": b.YEAR})
    html = page.content.decode()
    assert page.status_code == 200 and html.count("已更正") == 1
    with django_assert_max_num_queries(12):
        year = client.get(
            reverse("stars:assessment_year"), {"year": b.YEAR, "kind": "village_secretary"}
        )
    yhtml = year.content.decode()
    assert "年终评优评先、干部提拔、奖金绩效" in yhtml and "书记5" in yhtml
    street = world.client("street_staff")
    url = reverse("stars:assessment_year")
    mine = street.get(url, {"year": b.YEAR, "kind": "village_secretary"}).content.decode()
    assert "范围内名次" in mine and "书记5" in mine
    # A township's default kind is its own secretary (task forces are the county's).
    default = street.get(url, {"year": b.YEAR}).content.decode()
    assert "还没有乡镇（街道）党（工）委书记的考核记录" in default


def test_exports(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    b.record(world, p=b.parts(50, 50, 50, 50))
    b.record(world, p=b.parts(90, 90, 90, 90), note="更正")
    b.record(world, unit=world.other_street, name="周会昌")
    client = world.client("street_staff")
    listed = client.get(reverse("stars:assessment_export"), {"year": b.YEAR})
    rows = list(load_workbook(io.BytesIO(b"".join(listed.streaming_content))).active.values)
    assert [(r[2], r[9], r[10]) for r in rows[1:]] == [
        ("李大定", 90, "有效"),
        ("李大定", 50, "已更正"),
    ]
    year = client.get(
        reverse("stars:assessment_year_export"), {"year": b.YEAR, "kind": "township_secretary"}
    )
    yrows = list(load_workbook(io.BytesIO(b"".join(year.streaming_content))).active.values)
    assert yrows[0][:7] == ("名次", "考核对象", "所属单位", "类别", "考核期数", "平均得分", "等次")
    assert yrows[1][:7] == (1, "李大定", "大定街道", "乡镇（街道）党（工）委书记", 1, 90, "优秀")
    assert yrows[1][7] == "年终评优评先、干部提拔、奖金绩效"
