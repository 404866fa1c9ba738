"""Excel imports: every kind of bad row is reported, nothing is half-applied, files are kept."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.core.idnumber import make_id_number
from lianxin.core.testing import make_household, make_unit
from lianxin.people.imports import get_importer, importers, open_sealed, run_import_job
from lianxin.people.models import Household, ImportJob, Resident
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident

HEADERS = ["楼栋", "门牌", "姓名", "身份证号", "手机号", "与户主关系", "备注"]


def _id(birth: dt.date = dt.date(1980, 5, 17), seq: int = 11) -> str:
    return make_id_number("410883", birth, seq)


def _bad_check(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def _run(world, rows, *, kind="residents", headers=HEADERS, mode="all_or_nothing", unit=None):  # noqa: ANN001, ANN202
    from lianxin.people.services import import_job_create

    job = import_job_create(
        actor=world.actor("village_staff"),
        kind=kind,
        unit=unit or world.village,
        mode=mode,
        filename="导入.xlsx",
        content=factories.xlsx(headers, rows),
        enqueue=False,
    )
    return run_import_job(job.pk)


def _errors(job) -> set[tuple[int, str, str]]:  # noqa: ANN001
    return {(e["row"], e["column"], e["reason"]) for e in job.errors}


def test_registry_discovers_every_kind() -> None:
    assert list(importers()) == ["households", "residents", "members", "ledger"]


@pytest.mark.django_db
def test_every_error_type_is_reported_with_row_and_column(world) -> None:  # noqa: ANN001
    existing = make_resident(make_household(world.building))
    existing_id = crypto.decrypt(existing.id_number_cipher)
    good = _id(seq=21)
    impossible = "410883" + "19800230" + "123"
    impossible += "0"  # the check character does not matter: the date is checked first
    rows = [
        ["迎秀小区1号楼", "1单元101", "张三", good, "13800001111", "户主", ""],  # row 2: fine
        ["迎秀小区1号楼", "1单元101", "张四", _bad_check(_id(seq=23)), "", "", ""],  # 3: check char
        ["迎秀小区1号楼", "1单元102", "张五", impossible, "", "", ""],  # 4: impossible date
        ["不存在的楼", "1单元103", "张六", _id(seq=25), "", "", ""],  # 5: unknown building
        ["迎秀小区1号楼", "1单元104", "张七", good, "", "", ""],  # 6: duplicate of row 2
        ["迎秀小区1号楼", "1单元105", "张八", existing_id, "", "", ""],  # 7: already in database
        ["迎秀小区1号楼", "", "", _id(seq=27), "", "", ""],  # 8: two required fields missing
        ["迎秀小区1号楼", "1单元106", "张九", _id(seq=29), "12345", "", ""],  # 9: bad phone
        ["迎秀小区1号楼", "1单元107", "张十", None, "", "", ""],  # 10: missing ID
    ]
    job = _run(world, rows)
    assert job.status == ImportJob.Status.REJECTED
    assert _errors(job) == {
        (3, "身份证号", "身份证号校验位错误"),
        (4, "身份证号", "身份证号中的出生日期不存在"),
        (5, "楼栋", "“迎秀社区”下没有楼栋“不存在的楼”"),
        (6, "身份证号", "与第2行身份证号重复"),
        (7, "身份证号", "该身份证号已在系统中登记"),
        (8, "门牌", "必填项为空"),
        (8, "姓名", "必填项为空"),
        (9, "手机号", "手机号应为11位数字（以1开头），座机请带区号"),
        (10, "身份证号", "必填项为空"),
    }
    assert (job.rows_total, job.rows_valid, job.rows_invalid, job.rows_written) == (9, 1, 8, 0)
    # All-or-nothing: not even the good row was written.
    assert not Resident.objects.filter(name="张三").exists()
    assert not Household.objects.filter(address="1单元101").exists()
    # The report never quotes the cell values.
    assert good not in str(job.errors) and existing_id not in str(job.errors)


@pytest.mark.django_db
def test_valid_only_writes_exactly_the_valid_rows_and_groups_households(world) -> None:  # noqa: ANN001
    rows = [
        [
            "迎秀小区1号楼",
            "2单元201",
            "李父",
            _id(dt.date(1950, 1, 2), 31),
            "13900000001",
            "户主",
            "",
        ],
        ["迎秀小区1号楼", "2单元201", "李子", _id(dt.date(1980, 1, 2), 32), "", "子女", ""],
        ["迎秀小区1号楼", "2单元202", "坏行", _bad_check(_id(seq=33)), "", "户主", ""],
        [world.building.code, "2单元203", "王某", _id(dt.date(1975, 3, 4), 35), "", "", ""],
        ["", "村委大院", "村里人", _id(dt.date(1966, 6, 6), 37), "", "户主", ""],
    ]
    job = _run(world, rows, mode="valid_only")
    assert job.status == ImportJob.Status.DONE
    assert (job.rows_valid, job.rows_invalid, job.rows_written) == (4, 1, 4)
    assert job.summary == {"households_created": 3, "residents_created": 4}
    assert set(Resident.objects.values_list("name", flat=True)) == {
        "李父",
        "李子",
        "王某",
        "村里人",
    }
    family = Household.objects.get(address="2单元201")
    assert family.unit == world.building and family.head_name == "李父"
    assert family.residents.count() == 2
    # An empty 楼栋 hangs the household on the target unit itself.
    assert Household.objects.get(address="村委大院").unit == world.village
    li = Resident.objects.get(name="李父")
    assert li.birth_date == dt.date(1950, 1, 2) and li.sex in {"M", "F"}
    assert li.phone_masked == "139****0001" and li.id_number_masked.startswith("410")
    assert li.id_number_digest == crypto.id_number_digest(_id(dt.date(1950, 1, 2), 31))


@pytest.mark.django_db
def test_residents_join_an_existing_household_at_the_same_door(world) -> None:  # noqa: ANN001
    household = make_household(world.building, address="3单元301")
    job = _run(world, [["迎秀小区1号楼", "3单元301", "新成员", _id(seq=41), "", "子女", ""]])
    assert job.status == ImportJob.Status.DONE
    assert job.summary == {"households_created": 0, "residents_created": 1}
    assert Resident.objects.get(name="新成员").household == household


@pytest.mark.django_db
def test_ambiguous_building_name_asks_for_the_code(world) -> None:  # noqa: ANN001
    make_unit("building", "B-dup", "迎秀小区1号楼", world.sibling_grid)
    job = _run(world, [["迎秀小区1号楼", "1单元101", "某人", _id(seq=43), "", "", ""]])
    assert _errors(job) == {
        (2, "楼栋", "“迎秀社区”下有多个名为“迎秀小区1号楼”的楼栋，请填写楼栋编码")
    }


@pytest.mark.django_db
def test_building_outside_the_target_unit_is_unknown(world) -> None:  # noqa: ANN001
    # The sibling grid's building exists, but not under the target grid.
    job = _run(
        world, [["迎秀小区9号楼", "1单元101", "某人", _id(seq=45), "", "", ""]], unit=world.grid
    )
    assert _errors(job) == {(2, "楼栋", "“迎秀社区第一网格”下没有楼栋“迎秀小区9号楼”")}


@pytest.mark.django_db
def test_missing_required_column_rejects_the_file(world) -> None:  # noqa: ANN001
    job = _run(world, [["1单元101", "某人"]], headers=["门牌", "姓名"])
    assert job.status == ImportJob.Status.REJECTED
    assert _errors(job) == {(1, "身份证号", "缺少必填列")}


@pytest.mark.django_db
def test_id_number_stored_as_excel_number_is_explained(world) -> None:  # noqa: ANN001
    job = _run(world, [["", "1号", "某人", 410883198001010011, "", "", ""]])
    (error,) = job.errors
    assert error["row"] == 2 and error["column"] == "身份证号" and "文本" in error["reason"]


@pytest.mark.django_db
def test_headers_may_be_reordered_and_marked_required(world) -> None:  # noqa: ANN001
    headers = ["姓名*", "身份证号（必填）", "门牌"]
    job = _run(world, [["甲", _id(seq=47), "9号"]], headers=headers)
    assert job.status == ImportJob.Status.DONE and job.rows_written == 1


@pytest.mark.django_db
def test_not_an_xlsx_is_refused_at_upload(world) -> None:  # noqa: ANN001
    from lianxin.core.errors import DomainError
    from lianxin.people.services import import_job_create

    with pytest.raises(DomainError) as exc:
        import_job_create(
            actor=world.actor("village_staff"),
            kind="residents",
            unit=world.village,
            mode="all_or_nothing",
            filename="a.csv",
            content=b"a,b",
            enqueue=False,
        )
    assert exc.value.field == "file"


@pytest.mark.django_db
def test_outsider_cannot_import_into_another_village(world) -> None:  # noqa: ANN001
    from lianxin.core.errors import PermissionDenied
    from lianxin.people.services import import_job_create

    with pytest.raises(PermissionDenied):
        import_job_create(
            actor=world.actor("other_village_staff"),
            kind="residents",
            unit=world.village,
            mode="all_or_nothing",
            filename="a.xlsx",
            content=factories.xlsx(HEADERS, []),
            enqueue=False,
        )


@pytest.mark.django_db
def test_households_import_reports_duplicate_doors(world) -> None:  # noqa: ANN001
    make_household(world.building, address="已有门牌")
    headers = ["楼栋", "门牌", "户主姓名", "户号", "居住类型", "备注"]
    rows = [
        ["迎秀小区1号楼", "5单元501", "甲", "H1", "自有住房", ""],
        ["迎秀小区1号楼", "5单元501", "乙", "H2", "", ""],
        ["迎秀小区1号楼", "已有门牌", "丙", "", "", ""],
        ["迎秀小区1号楼", "5单元502", "丁", "", "别墅", ""],
        ["迎秀小区1号楼", "5单元503", "戊", "", "租住", ""],
    ]
    job = _run(world, rows, kind="households", headers=headers, mode="valid_only")
    assert _errors(job) == {
        (3, "门牌", "与第2行门牌重复"),
        (4, "门牌", "该门牌已登记在册"),
        (5, "居住类型", "居住类型只能是自有住房、租住或其他"),
    }
    assert job.rows_written == 2
    assert Household.objects.get(address="5单元503").residence_type == "tenant"
    assert Household.objects.get(address="5单元501").head_name == "甲"


@pytest.mark.django_db
def test_one_audit_summary_per_import(world) -> None:  # noqa: ANN001
    before = AuditEvent.objects.count()
    rows = [["迎秀小区1号楼", f"{i}号", f"人{i}", _id(seq=50 + i), "", "", ""] for i in range(30)]
    job = _run(world, rows)
    events = list(AuditEvent.objects.all()[: AuditEvent.objects.count() - before])
    assert [e.action for e in events] == [AuditEvent.Action.IMPORT]
    (event,) = events
    assert event.changes["rows_written"] == 30 and event.changes["residents_created"] == 30
    assert event.object_id == str(job.public_id) and event.scope_path == world.village.path
    assert event.actor_id == world.users["village_staff"].pk and event.channel == "task"


@pytest.mark.django_db
def test_the_uploaded_file_is_kept_encrypted_under_media_imports(world, settings) -> None:  # noqa: ANN001
    number = _id(seq=61)
    content = factories.xlsx(HEADERS, [["", "1号", "某人", number, "", "", ""]])
    from lianxin.people.services import import_job_create

    job = import_job_create(
        actor=world.actor("village_staff"),
        kind="residents",
        unit=world.village,
        mode="all_or_nothing",
        filename="我的居民.xlsx",
        content=content,
        enqueue=False,
    )
    path = Path(job.file.path)
    assert path.is_relative_to(Path(settings.MEDIA_ROOT) / "imports")
    stored = path.read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(stored)) and content not in stored
    assert open_sealed(stored) == content
    run_import_job(job.pk)
    assert path.exists()  # still kept after the run


@pytest.mark.django_db
def test_upload_page_runs_the_background_task(world, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    content = factories.xlsx(
        HEADERS, [["迎秀小区1号楼", "8单元801", "页面导入", _id(seq=63), "", "户主", ""]]
    )
    upload = io.BytesIO(content)
    upload.name = "页面.xlsx"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("people:import_create"),
            {
                "kind": "residents",
                "unit": str(world.village.public_id),
                "mode": "valid_only",
                "file": upload,
            },
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    job = ImportJob.objects.get()
    assert response["Location"] == reverse(
        "people:import_detail", kwargs={"public_id": job.public_id}
    )
    assert job.status == ImportJob.Status.DONE and job.original_name == "页面.xlsx"
    assert Resident.objects.filter(name="页面导入").exists()
    page = client.get(response["Location"]).content.decode()
    assert "已完成" in page and "新增居民 1 人" in page


@pytest.mark.django_db
def test_progress_fragment_polls_until_finished(world) -> None:  # noqa: ANN001
    job = factories.import_job(world)
    client = world.client("village_staff")
    url = reverse("people:import_detail", kwargs={"public_id": job.public_id})
    pending = client.get(url, {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in pending.content.decode()
    assert "HX-Refresh" not in pending
    run_import_job(job.pk)
    done = client.get(url, {"poll": "1"}, HTTP_HX_REQUEST="true")
    assert "every 2s" not in done.content.decode()
    assert done["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_error_report_download_lists_every_bad_row(world) -> None:  # noqa: ANN001
    rows = [
        ["迎秀小区1号楼", "1号", "", _id(seq=65), "", "", ""],
        ["无此楼", "2号", "乙", _bad_check(_id(seq=66)), "", "", ""],
    ]
    job = _run(world, rows)
    response = world.client("village_staff").get(
        reverse("people:import_errors", kwargs={"public_id": job.public_id})
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    lines = [tuple(r) for r in wb["错误明细"].iter_rows(values_only=True)]
    assert lines[0] == ("行号", "列名", "原因")
    assert set(lines[1:]) == {
        (2, "姓名", "必填项为空"),
        (3, "楼栋", "“迎秀社区”下没有楼栋“无此楼”"),
        (3, "身份证号", "身份证号校验位错误"),
    }


@pytest.mark.django_db
def test_original_file_download_needs_reveal_permission(world) -> None:  # noqa: ANN001

    job = factories.import_job(world)
    url = reverse("people:import_file", kwargs={"public_id": job.public_id})
    ok = world.client("village_staff").get(url)
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content).startswith(b"PK")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, object_id=str(job.public_id)
    ).exists()
    # Street staff may import but not see plaintext: refused with a message, file not sent.
    refused = world.client("street_staff").get(url)
    assert refused.status_code == 200 and "没有查看明文的权限" in refused.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["households", "residents", "members"])
def test_template_has_header_notes_and_example(world, kind) -> None:  # noqa: ANN001
    importer = get_importer(kind)
    response = world.client("village_staff").get(
        reverse("people:import_template", kwargs={"kind": kind})
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["数据", "说明"]
    headers = [c.value for c in wb["数据"][1]]
    assert headers == [c.header for c in importer.columns]
    notes = [
        tuple(v for v in row if v is not None) for row in wb["说明"].iter_rows(values_only=True)
    ]
    for col in importer.columns:
        assert any(
            line[:2] == (col.header, "必填" if col.required else "选填") for line in notes
        ), col.header
    assert tuple(c.example for c in importer.columns if c.example) in notes  # the example row


@pytest.mark.django_db
def test_template_round_trip_imports_its_example(world) -> None:  # noqa: ANN001
    """The example row of the residents template is itself valid for the shared world."""
    importer = get_importer("residents")
    row = [c.example for c in importer.columns]
    job = _run(world, [row], headers=[c.header for c in importer.columns])
    assert job.status == ImportJob.Status.DONE, job.errors


@pytest.mark.django_db
def test_cli_prints_every_bad_row_and_returns_1_in_all_or_nothing(world, tmp_path, capsys) -> None:  # noqa: ANN001
    from lianxin.people.imports import run_import_cli

    bad = _bad_check(_id(seq=71))
    path = tmp_path / "居民.xlsx"
    path.write_bytes(
        factories.xlsx(
            HEADERS,
            [["", "1号", "甲", _id(seq=70), "", "", ""], ["", "2号", "乙", bad, "", "", ""]],
        )
    )
    code = run_import_cli(
        kind="residents",
        path=path,
        unit_code=world.village.code,
        mode="all_or_nothing",
        username="village_staff",
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "第3行 [身份证号] 身份证号校验位错误" in out and "未写入任何数据" in out
    assert bad not in out
    assert not Resident.objects.exists()
    code = run_import_cli(
        kind="residents",
        path=path,
        unit_code=world.village.code,
        mode="valid_only",
        username="village_staff",
    )
    out = capsys.readouterr().out
    assert code == 0 and "已导入 1 行" in out
    assert Resident.objects.get().name == "甲"
    assert ImportJob.objects.filter(status=ImportJob.Status.DONE).count() == 1


@pytest.mark.django_db
def test_cli_refuses_unknown_unit_or_user(world, tmp_path) -> None:  # noqa: ANN001
    from lianxin.people.imports import run_import_cli

    path = tmp_path / "x.xlsx"
    path.write_bytes(factories.xlsx(HEADERS, []))
    assert (
        run_import_cli(
            kind="residents",
            path=path,
            unit_code="nope",
            mode="valid_only",
            username="village_staff",
        )
        == 2
    )
    assert (
        run_import_cli(
            kind="residents",
            path=path,
            unit_code=world.village.code,
            mode="valid_only",
            username="ghost",
        )
        == 2
    )
    # A user without the permission at that unit.
    assert (
        run_import_cli(
            kind="residents",
            path=path,
            unit_code=world.village.code,
            mode="valid_only",
            username="other_village_staff",
        )
        == 2
    )


@pytest.mark.django_db
def test_a_failure_while_writing_leaves_nothing(world, monkeypatch) -> None:  # noqa: ANN001
    from lianxin.people import imports

    def explode(self, ctx, records):  # noqa: ANN001, ANN202
        Household.objects.create(unit=world.building, address="半路写入")
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports.ResidentImporter, "write", explode)
    job = _run(world, [["", "1号", "甲", _id(seq=80), "", "", ""]])
    assert job.status == ImportJob.Status.FAILED
    assert not Household.objects.filter(address="半路写入").exists()
    assert "disk full" not in job.message
