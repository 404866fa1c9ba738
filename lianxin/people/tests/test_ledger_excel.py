"""The livelihood-ledger importer and exporter (kind ``ledger``) in the Excel registry."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.core.testing import make_household
from lianxin.party.models import OrgKind, PartyMember, PartyOrganisation
from lianxin.people.imports import get_importer, importers, run_import_job
from lianxin.people.models import ImportJob, LedgerEntry
from lianxin.people.services import import_job_create
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident

HEADERS = ["身份证号", "姓名", "类别", "帮扶人", "走访周期（天）", "登记日期", "情况说明"]


def _run(world, rows, *, mode="valid_only", persona="village_staff", unit=None):  # noqa: ANN001, ANN202
    job = import_job_create(
        actor=world.actor(persona),
        kind="ledger",
        unit=unit or world.village,
        mode=mode,
        filename="台账.xlsx",
        content=factories.xlsx(HEADERS, rows),
        enqueue=False,
    )
    return run_import_job(job.pk)


def _errors(job) -> set[tuple[int, str, str]]:  # noqa: ANN001
    return {(e["row"], e["column"], e["reason"]) for e in job.errors}


def _id(resident) -> str:  # noqa: ANN001
    return crypto.decrypt(resident.id_number_cipher)


def _member(world, name: str = "党员甲"):  # noqa: ANN001, ANN202
    resident = make_resident(make_household(world.building), name=name)
    org = PartyOrganisation.objects.create(name="一支部", kind=OrgKind.BRANCH, unit=world.grid)
    PartyMember.objects.create(organisation=org, resident=resident, name=name)
    return resident


def test_registry_lists_the_ledger_kind() -> None:
    assert "ledger" in importers()
    assert get_importer("ledger").label == "民生台账"


@pytest.mark.django_db
def test_template_download_has_the_ledger_columns(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    assert "民生台账" in client.get(reverse("people:import_create")).content.decode()
    response = client.get(reverse("people:import_template", kwargs={"kind": "ledger"}))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in wb["数据"][1]] == HEADERS


@pytest.mark.django_db
def test_good_file_imports_entries_with_helpers(world) -> None:  # noqa: ANN001
    old = make_resident(make_household(world.building), name="王秀英")
    child = make_resident(make_household(world.sibling_building), name="李小明")
    member = _member(world)
    rows = [
        [_id(old), "王秀英", "独居老人", "grid_worker", None, "2024-03-01", "独居，腿脚不便"],
        [_id(child), "", "留守儿童", _id(member), 20, None, None],
        [_id(old), None, "elderly_70", None, None, None, None],  # a tag code, no helper
    ]
    job = _run(world, rows, mode="all_or_nothing")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.rows_written == 3 and "新增台账 3 条" in job.message
    alone = LedgerEntry.objects.get(resident=old, tag__name="独居老人")
    assert alone.helper_user == world.users["grid_worker"] and alone.helper_resident is None
    assert alone.visit_interval_days == 7  # the tag's default
    assert alone.started_on == dt.date(2024, 3, 1)
    assert alone.next_visit_due == dt.date(2024, 3, 8)
    assert alone.note == "独居，腿脚不便"
    left = LedgerEntry.objects.get(resident=child)
    assert left.helper_resident == member and left.visit_interval_days == 20
    assert left.started_on == timezone.localdate()
    assert left.next_visit_due == timezone.localdate() + dt.timedelta(days=20)
    short_name = LedgerEntry.objects.get(resident=old, tag__code="elderly_70")
    assert short_name.helper_label == "" and short_name.visit_interval_days == 30
    events = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT)
    assert events.count() == 1 and events.get().changes["ledger_entries_created"] == 3
    # Bulk-written: no per-entry create events next to the summary.
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="people.ledgerentry"
    ).exists()


@pytest.mark.django_db
def test_each_error_type_is_reported_with_row_and_column(world) -> None:  # noqa: ANN001
    here = make_resident(make_household(world.building), name="王秀英")
    other = make_resident(make_household(world.building), name="赵四")
    elsewhere = make_resident(make_household(world.other_village), name="外村人")
    registered = make_resident(make_household(world.building), name="钱五")
    factories.ledger_entry(world, resident=registered, code="elderly_alone")
    plain = make_resident(make_household(world.building), name="非党员")
    rows = [
        [None, "", "独居老人", None, None, None, None],  # 2: missing ID
        [_id(elsewhere), "", "独居老人", None, None, None, None],  # 3: not in this unit
        [_id(here), "王秀", "独居老人", None, None, None, None],  # 4: name mismatch
        [_id(here), "", "不存在的类别", None, None, None, None],  # 5: unknown tag
        [_id(here), "", "", None, None, None, None],  # 6: missing tag
        [_id(other), "", "低保户", "no_such_user", None, None, None],  # 7: unknown helper
        [_id(other), "", "残疾人", "other_village_staff", None, None, None],  # 8: out of scope
        [_id(other), "", "重病患者", _id(plain), None, None, None],  # 9: not a party member
        [_id(other), "", "监测户", None, 0, None, None],  # 10: interval out of range
        [_id(other), "", "特困人员", None, "两周", None, None],  # 11: interval not a number
        [_id(other), "", "退役军人", None, None, "2999-01-01", None],  # 12: future date
        [_id(other), "", "优抚对象", None, None, "明天", None],  # 13: unreadable date
        [_id(other), "", "困境儿童", None, None, None, "长" * 301],  # 14: note too long
        [_id(registered), "", "独居老人", None, None, None, None],  # 15: already active
        [_id(other), "", "高龄老人", None, None, None, None],  # 16: fine
        [_id(other), "", "elderly_70", None, None, None, None],  # 17: same as row 16
    ]
    job = _run(world, rows)
    tags = "高龄老人（70岁以上）、独居老人"
    errors = _errors(job)
    assert (2, "身份证号", "必填项为空") in errors
    assert (3, "身份证号", "该身份证号的居民未在本单元登记") in errors
    assert (4, "姓名", "姓名与登记信息不一致") in errors
    [(_, _, unknown)] = [e for e in errors if e[0] == 5]
    assert unknown.startswith("没有这个类别，应为：") and tags in unknown
    assert (6, "类别", "必填项为空") in errors
    assert (7, "帮扶人", "找不到该帮扶人：请填写本辖区工作人员的账号，或在册党员的身份证号") in (
        errors
    )
    assert (8, "帮扶人", "帮扶人须为本辖区在岗的工作人员") in errors
    assert (9, "帮扶人", "居民帮扶人须为在册党员") in errors
    assert (10, "走访周期（天）", "走访周期应在1到366天之间") in errors
    assert (11, "走访周期（天）", "走访周期应为整数天数") in errors
    assert (12, "登记日期", "登记日期不能晚于今天") in errors
    assert (13, "登记日期", "日期格式应为 2001-07-01") in errors
    assert (14, "情况说明", "情况说明不能超过300个字") in errors
    assert (15, "类别", "该居民已在“独居老人”类别中登记") in errors
    assert (17, "类别", "与第16行居民与类别重复") in errors
    assert {e[0] for e in errors} == set(range(2, 16)) | {17}
    # Valid rows only: exactly row 16 was written.
    assert job.status == ImportJob.Status.DONE and job.rows_written == 1
    assert list(LedgerEntry.objects.filter(resident=other).values_list("tag__name", flat=True)) == [
        "高龄老人（70岁以上）"
    ]
    # Reasons never quote a cell's value (ID numbers).
    assert not [e for e in job.errors if _id(here) in e["reason"] or _id(other) in e["reason"]]


@pytest.mark.django_db
def test_all_or_nothing_writes_nothing(world) -> None:  # noqa: ANN001
    good = make_resident(make_household(world.building), name="王秀英")
    bad = make_resident(make_household(world.building), name="赵四")
    rows = [
        [_id(good), "", "独居老人", "grid_worker", None, None, None],
        [_id(bad), "", "没有的类别", None, None, None, None],
    ]
    job = _run(world, rows, mode="all_or_nothing")
    assert job.status == ImportJob.Status.REJECTED and job.rows_written == 0
    assert job.rows_invalid == 1 and {e["row"] for e in job.errors} == {3}
    assert not LedgerEntry.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count() == 1


@pytest.mark.django_db
def test_grid_import_only_finds_residents_of_that_grid(world) -> None:  # noqa: ANN001
    sibling = make_resident(make_household(world.sibling_building), name="邻格居民")
    job = _run(world, [[_id(sibling), "", "独居老人", None, None, None, None]], unit=world.grid)
    assert _errors(job) == {(2, "身份证号", "该身份证号的居民未在本单元登记")}


@pytest.mark.django_db
def test_ledger_import_needs_ledger_manage(world) -> None:  # noqa: ANN001
    from lianxin.core.errors import PermissionDenied

    # Street staff may import residents but do not keep the ledger.
    with pytest.raises(PermissionDenied):
        _run(world, [["x", "", "独居老人"]], persona="street_staff")


def _export_rows(client, **params):  # noqa: ANN001, ANN003, ANN202
    response = client.get(reverse("people:export", kwargs={"kind": "ledger"}), params)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    return list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )


@pytest.mark.django_db
def test_export_is_masked_scoped_and_audited(world) -> None:  # noqa: ANN001
    old = make_resident(make_household(world.building, address="1单元101"), name="王秀英")
    entry = factories.ledger_entry(world, resident=old, note="独居", started_on=dt.date(2024, 1, 1))
    sibling = make_resident(make_household(world.sibling_building), name="邻格居民")
    factories.ledger_entry(world, resident=sibling, code="left_behind_child")
    outsider = make_resident(make_household(world.other_village), name="外村居民")
    from lianxin.people.services import ledger_entry_create

    ledger_entry_create(
        actor=world.actor("other_village_staff"),
        resident=outsider,
        tag=factories.tag(),
        helper_user=world.users["other_village_staff"],
    )

    rows = _export_rows(world.client("village_staff"))
    assert rows[0][:6] == ("姓名", "身份证号", "楼栋", "门牌", "类别", "帮扶人")
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"王秀英", "邻格居民"}
    mine = by_name["王秀英"]
    assert mine[1] == old.id_number_masked and "*" in mine[1]
    assert mine[2:6] == ("迎秀小区1号楼", "1单元101", "独居老人", "grid_worker")
    assert mine[6] == 7 and mine[7].date() == dt.date(2024, 1, 1)
    assert mine[8] is None and mine[9].date() == entry.next_visit_due
    assert mine[10] == "是" and mine[11] == "独居"  # due 2024-01-08: overdue
    flat = " ".join(str(c) for r in rows for c in r if c)
    assert _id(old) not in flat and _id(sibling) not in flat

    other = _export_rows(world.client("other_village_staff"))
    assert [r[0] for r in other[1:]] == ["外村居民"]
    # The grid filter of the ledger page narrows the export to that grid.
    grid_rows = _export_rows(world.client("village_staff"), unit=str(world.grid.public_id))
    assert [r[0] for r in grid_rows[1:]] == ["王秀英"]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="export.ledger")
    assert events.count() == 3


@pytest.mark.django_db
def test_frontline_roles_cannot_export_the_ledger(world) -> None:  # noqa: ANN001
    url = reverse("people:export", kwargs={"kind": "ledger"})
    assert world.client("grid_worker").get(url).status_code == 404
    assert world.client("building_leader").get(url).status_code == 404


def test_ledger_page_link_keeps_the_grid_filter() -> None:
    html = render_to_string(
        "people/ledger_list.html",
        {
            "can_export": True,
            "grid": "3f1c2f0e-0000-4000-8000-000000000000",
            "summary": {"by_grid": [], "by_helper": []},
            "page": {"object_list": []},
        },
    )
    assert "/export/ledger/?unit=3f1c2f0e-0000-4000-8000-000000000000" in html
    hidden = render_to_string(
        "people/ledger_list.html",
        {"can_export": False, "summary": {"by_grid": [], "by_helper": []}, "page": {}},
    )
    assert "/export/ledger/" not in hidden


def test_ledger_page_offers_export_to_those_who_may_export(world) -> None:  # noqa: ANN001
    url = reverse("people:ledger_list")
    assert "导出 Excel" in world.client("village_staff").get(url).content.decode()
    assert "导出 Excel" not in world.client("grid_worker").get(url).content.decode()
