"""Party-member import (lianxin/party/imports.py) through the people import framework."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import crypto
from lianxin.core.idnumber import make_id_number
from lianxin.core.testing import make_household
from lianxin.party.models import OrgKind, PartyMember, PartyOrganisation
from lianxin.people.imports import run_import_job
from lianxin.people.models import Household, ImportJob, Resident
from lianxin.people.services import import_job_create
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident

HEADERS = ["姓名", "身份证号", "手机号", "所在党组织", "党员类别", "入党日期", "楼栋", "门牌"]


@pytest.fixture
def orgs(world):  # noqa: ANN001, ANN201
    committee = PartyOrganisation.objects.create(
        name="迎秀社区党委", kind=OrgKind.COMMITTEE, unit=world.village
    )
    branch = PartyOrganisation.objects.create(
        name="迎秀社区第一网格党支部", kind=OrgKind.BRANCH, unit=world.grid, parent=committee
    )
    other = PartyOrganisation.objects.create(
        name="西关社区党委", kind=OrgKind.COMMITTEE, unit=world.other_village
    )
    return committee, branch, other


def _run(world, rows, *, unit=None, mode="valid_only", persona="village_staff"):  # noqa: ANN001, ANN202
    job = import_job_create(
        actor=world.actor(persona),
        kind="members",
        unit=unit or world.village,
        mode=mode,
        filename="党员.xlsx",
        content=factories.xlsx(HEADERS, rows),
        enqueue=False,
    )
    return run_import_job(job.pk)


def _id(year: int, seq: int) -> str:
    return make_id_number("410883", dt.date(year, 4, 5), seq)


@pytest.mark.django_db
def test_members_link_existing_residents_or_create_them(world, orgs) -> None:  # noqa: ANN001
    committee, branch, _ = orgs
    existing = make_resident(
        make_household(world.building),
        name="老党员",
        phone="13800000001",
        birth=dt.date(1960, 2, 3),
    )
    existing_id = crypto.decrypt(existing.id_number_cipher)
    rows = [
        ["老党员", existing_id, "13800000001", "", "正式", "1990-07-01", "", ""],
        [
            "新党员",
            _id(1985, 11),
            "13900000002",
            "迎秀社区第一网格党支部",
            "预备",
            dt.date(2024, 7, 1),
            "迎秀小区1号楼",
            "6单元601",
        ],
        [
            "联系人",
            _id(1970, 13),
            "13700000003",
            "迎秀社区党委",
            "正式党员",
            "",
            "迎秀小区1号楼",
            "6单元601",
        ],
    ]
    job = _run(world, rows)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.summary == {
        "members_created": 3,
        "residents_created": 2,
        "residents_linked": 1,
        "households_created": 1,
    }
    old = PartyMember.objects.get(name="老党员")
    assert (
        old.resident == existing and old.organisation == committee
    )  # empty = the target unit's organisation
    assert old.joined_on == dt.date(1990, 7, 1) and old.status == PartyMember.Status.FULL
    assert old.phone_masked == ""  # same phone as the resident record: nothing duplicated
    new = PartyMember.objects.get(name="新党员")
    assert new.organisation == branch and new.status == PartyMember.Status.PROBATIONARY
    assert (
        new.resident.household.address == "6单元601"
        and new.resident.household.unit == world.building
    )
    assert new.resident.phone_masked == "139****0002"
    assert PartyMember.objects.get(name="联系人").resident.household == new.resident.household
    assert Household.objects.filter(address="6单元601").count() == 1


@pytest.mark.django_db
def test_members_import_reports_bad_rows(world, orgs) -> None:  # noqa: ANN001
    member = make_resident(make_household(world.building), name="已是党员")
    PartyMember.objects.create(organisation=orgs[0], resident=member, name="已是党员")
    elsewhere = make_resident(make_household(world.other_village), name="外村人")
    good = _id(1980, 21)
    rows = [
        ["甲", good, "", "", "", "", "", "1号"],  # 2: fine
        [
            "乙",
            crypto.decrypt(member.id_number_cipher),
            "",
            "",
            "",
            "",
            "",
            "",
        ],  # 3: already a member
        [
            "丙",
            crypto.decrypt(elsewhere.id_number_cipher),
            "",
            "",
            "",
            "",
            "",
            "",
        ],  # 4: other village
        [
            "丁",
            _id(1981, 23),
            "",
            "西关社区党委",
            "",
            "",
            "",
            "2号",
        ],  # 5: organisation not in reach
        ["戊", _id(1982, 25), "", "", "发展对象", "", "", "3号"],  # 6: bad status
        ["己", _id(2000, 27), "", "", "", "2010-01-01", "", "4号"],  # 7: joined before 18
        ["庚", _id(1983, 29), "", "", "", "2999-01-01", "", "5号"],  # 8: future date
        ["辛", _id(1984, 31), "", "", "", "", "", ""],  # 9: new resident without a door
        ["壬", good, "", "", "", "", "", "6号"],  # 10: duplicate of row 2
        ["", "", "123", "", "", "不是日期", "无此楼", ""],  # 11: many problems
    ]
    job = _run(world, rows)
    errors = {(e["row"], e["column"], e["reason"]) for e in job.errors}
    assert errors == {
        (3, "身份证号", "该居民已登记为党员"),
        (4, "身份证号", "该身份证号已登记在其他辖区的居民名下"),
        (5, "所在党组织", "导入单元及其上级没有党组织“西关社区党委”"),
        (6, "党员类别", "党员类别只能是正式或预备"),
        (7, "入党日期", "入党日期早于年满18岁"),
        (8, "入党日期", "入党日期不能晚于今天"),
        (9, "门牌", "系统中没有该居民，须填写门牌以便建档"),
        (10, "身份证号", "与第2行身份证号重复"),
        (11, "姓名", "必填项为空"),
        (11, "身份证号", "必填项为空"),
        (11, "手机号", "手机号应为11位数字（以1开头），座机请带区号"),
        (11, "入党日期", "日期格式应为 2001-07-01"),
        (11, "楼栋", "“迎秀社区”下没有楼栋“无此楼”"),
    }
    assert job.rows_written == 1
    assert list(
        PartyMember.objects.filter(resident__household__unit__path__startswith=world.village.path)
        .order_by("id")
        .values_list("name", flat=True)
    ) == ["已是党员", "甲"]


@pytest.mark.django_db
def test_members_all_or_nothing_writes_nothing(world, orgs) -> None:  # noqa: ANN001
    rows = [
        ["甲", _id(1980, 41), "", "", "", "", "", "1号"],
        ["乙", "123", "", "", "", "", "", "2号"],
    ]
    residents_before = Resident.objects.count()
    job = _run(world, rows, mode="all_or_nothing")
    assert job.status == ImportJob.Status.REJECTED
    assert not PartyMember.objects.exists() and Resident.objects.count() == residents_before


@pytest.mark.django_db
def test_members_without_an_organisation_at_the_target(world) -> None:  # noqa: ANN001
    job = _run(world, [["甲", _id(1980, 43), "", "", "", "", "", "1号"]])
    assert [(e["column"], e["reason"]) for e in job.errors] == [
        ("所在党组织", "“迎秀社区”没有党组织，请填写所在党组织")
    ]


@pytest.mark.django_db
def test_grid_import_defaults_to_the_grid_branch(world, orgs) -> None:  # noqa: ANN001
    job = _run(
        world, [["甲", _id(1980, 45), "", "", "", "", "迎秀小区1号楼", "1号"]], unit=world.grid
    )
    assert job.status == ImportJob.Status.DONE, job.errors
    assert PartyMember.objects.get(name="甲").organisation == orgs[1]


@pytest.mark.django_db
def test_member_export_is_masked(world, orgs) -> None:  # noqa: ANN001
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    resident = make_resident(make_household(world.building), name="导出党员", phone="13812345678")
    PartyMember.objects.create(organisation=orgs[1], resident=resident, name="导出党员")
    PartyMember.objects.create(organisation=orgs[2], name="外村党员")
    response = world.client("village_staff").get(
        reverse("people:export", kwargs={"kind": "members"})
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )
    assert rows[0][:3] == ("姓名", "身份证号", "手机号")
    assert [r[0] for r in rows[1:]] == ["导出党员"]
    assert rows[1][1] == resident.id_number_masked and rows[1][2] == "138****5678"
    plain = crypto.decrypt(resident.id_number_cipher)
    assert not [c for r in rows for c in r if c and (plain in str(c) or "13812345678" in str(c))]
