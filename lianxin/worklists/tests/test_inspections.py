"""Inspections and rectification through the services: inspection → notice → report →
reopen → report → verify; numbering; one inspection per village and quarter; refusals out of
order and out of scope; evidence files; overdue notices; the printable notice."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.worklists.models import Inspection, Rectification, RectificationEvent
from lianxin.worklists.rectification_pdf import rectification_pdf
from lianxin.worklists.selectors import inspections as sel
from lianxin.worklists.services import inspections as svc
from lianxin.worklists.tests import scope_inspections as f

pytestmark = pytest.mark.django_db
DAY = timezone.make_aware(dt.datetime(2026, 3, 20, 10, 0))
LATER = timezone.make_aware(dt.datetime(2026, 4, 25, 10, 0))
PDFTOTEXT = shutil.which("pdftotext")


def _notice(world, **kw) -> Rectification:  # noqa: ANN001
    with clock.travel(DAY):
        return f.notice(world, **kw)


def test_the_whole_round(world) -> None:  # noqa: ANN001
    street, village = world.actor("street_staff"), world.actor("village_staff")
    rect = _notice(world)
    inspection = rect.inspection
    assert (inspection.quarter, inspection.inspected_on) == ("2026Q1", dt.date(2026, 3, 20))
    assert inspection.problems.count() == 2 and not inspection.manual_complete
    assert rect.number == "大定整改〔2026〕1号"
    assert (rect.status, rect.deadline) == ("issued", dt.date(2026, 4, 19))
    with clock.travel(DAY + dt.timedelta(days=5)):
        rect = svc.rectification_report(
            actor=village, rectification=rect, note="补齐了会议记录", evidence=f.photo()
        )
        assert rect.status == "reported"
        rect = svc.rectification_reopen(
            actor=street,
            rectification=rect,
            reason="联户走访记录仍缺3户",
            deadline=dt.date(2026, 4, 30),
        )
        assert (rect.status, rect.deadline) == ("reopened", dt.date(2026, 4, 30))
        rect = svc.rectification_report(
            actor=village, rectification=rect, note="补走访3户", evidence=f.pdf_file()
        )
        rect = svc.rectification_verify(actor=street, rectification=rect)
    rect.refresh_from_db()
    assert (rect.status, rect.verified_on, rect.version) == ("verified", dt.date(2026, 3, 25), 5)
    events = list(RectificationEvent.objects.filter(rectification=rect).order_by("id"))
    assert [e.action for e in events] == ["issued", "reported", "reopened", "reported", "verified"]
    assert events[1].evidence.name.endswith(".jpg") and events[3].evidence.name.endswith(".pdf")
    assert "整改期限延至 2026-04-30" in events[2].note
    assert events[4].note == "核验通过，予以销号"
    # Numbers count up per issuing unit and year.
    with clock.travel(DAY):
        second = f.notice(world, quarter="2025Q4")
        county = f.notice(world, unit=world.other_village, persona="org_department")
    assert second.number == "大定整改〔2026〕2号"
    assert county.number == "孟州整改〔2026〕1号"


def test_one_inspection_per_village_and_quarter(world) -> None:  # noqa: ANN001
    _notice(world)
    with clock.travel(DAY), pytest.raises(DomainError) as again:
        f.inspection(world, persona="org_department")
    assert again.value.field == "quarter"
    assert "迎秀社区2026年第1季度的手册检查已经登记" in again.value.message
    assert Inspection.objects.count() == 1


def test_inspection_input_is_checked(world) -> None:  # noqa: ANN001
    with clock.travel(DAY):
        for kw, field in (
            ({"quarter": "2026Q3"}, "quarter"),
            ({"quarter": "2025Q3"}, "quarter"),
            ({"quarter": "2026-1"}, "quarter"),
            ({"on": dt.date(2026, 3, 21)}, "inspected_on"),
            ({"unit": world.street}, "unit"),
            ({"problems": (("weather", "下雨"),)}, "problems"),
            ({"problems": (("manual", " "),)}, "problems"),
        ):
            with pytest.raises(DomainError) as refused:
                f.inspection(world, **kw)
            assert refused.value.field == field, kw
        with pytest.raises(DomainError) as summary:
            svc.inspection_record(
                actor=world.actor("street_staff"),
                unit=world.village,
                quarter="2026Q1",
                inspected_on=dt.date(2026, 3, 20),
                manual_complete=True,
                summary="",
            )
        assert summary.value.field == "summary"
        with pytest.raises(DomainError) as past:
            f.inspection(world, deadline=dt.date(2026, 3, 20))
        assert past.value.field == "deadline"
        with pytest.raises(DomainError) as nothing:
            f.inspection(world, problems=())
        assert nothing.value.field == "requirements"
    # A refused notice takes the inspection with it: nothing half-recorded.
    assert not Inspection.objects.exists()


def test_notice_later_once_and_only_with_problems(world) -> None:  # noqa: ANN001
    street = world.actor("street_staff")
    with clock.travel(DAY):
        clean = f.inspection(world, problems=(), notice=False)
        with pytest.raises(DomainError, match="未发现问题"):
            svc.rectification_issue(
                actor=street, inspection=clean, requirements="x", deadline=dt.date(2026, 4, 1)
            )
        found = f.inspection(
            world, unit=world.other_village, persona="org_department", notice=False
        )
        with pytest.raises(PermissionDenied):
            svc.rectification_issue(
                actor=street, inspection=found, requirements="x", deadline=dt.date(2026, 4, 1)
            )
        rect = svc.rectification_issue(
            actor=world.actor("org_department"),
            inspection=found,
            requirements="补齐",
            deadline=dt.date(2026, 4, 1),
        )
        assert rect.number == "孟州整改〔2026〕1号"
        with pytest.raises(DomainError, match="已经下发"):
            svc.rectification_issue(
                actor=world.actor("org_department"),
                inspection=found,
                requirements="再发",
                deadline=dt.date(2026, 4, 1),
            )


def test_refusals_out_of_order_and_out_of_scope(world) -> None:  # noqa: ANN001
    street, village = world.actor("street_staff"), world.actor("village_staff")
    rect = _notice(world)
    with clock.travel(DAY):
        with pytest.raises(DomainError, match="待整改"):
            svc.rectification_verify(actor=street, rectification=rect)
        with pytest.raises(DomainError, match="待整改"):
            svc.rectification_reopen(actor=street, rectification=rect, reason="x")
        # Only the village itself reports; the township does not report in its name.
        with pytest.raises(PermissionDenied):
            svc.rectification_report(actor=street, rectification=rect, note="代报")
        with pytest.raises(PermissionDenied):
            svc.rectification_report(
                actor=world.actor("other_village_staff"), rectification=rect, note="x"
            )
        with pytest.raises(PermissionDenied):
            f.inspection(world, unit=world.other_village)
        with pytest.raises(PermissionDenied):
            f.inspection(world, persona="village_staff")
        with pytest.raises(DomainError) as empty:
            svc.rectification_report(actor=village, rectification=rect, note=" ")
        assert empty.value.field == "note"
        stale = Rectification.objects.get(pk=rect.pk)
        svc.rectification_report(actor=village, rectification=rect, note="已整改")
        with pytest.raises(Conflict):
            svc.rectification_report(actor=village, rectification=stale, note="又报")
        with pytest.raises(DomainError, match="待核验"):
            svc.rectification_report(actor=village, rectification=rect, note="再报")
        with pytest.raises(PermissionDenied):
            svc.rectification_verify(actor=village, rectification=rect)
        with pytest.raises(PermissionDenied):
            svc.rectification_verify(actor=world.actor("other_street_staff"), rectification=rect)
        with pytest.raises(DomainError) as no_reason:
            svc.rectification_reopen(actor=street, rectification=rect, reason="")
        assert no_reason.value.field == "note"
        with pytest.raises(DomainError) as old:
            svc.rectification_reopen(
                actor=street, rectification=rect, reason="x", deadline=dt.date(2026, 3, 1)
            )
        assert old.value.field == "deadline"
        svc.rectification_verify(actor=street, rectification=rect)
        with pytest.raises(DomainError, match="已销号"):
            svc.rectification_reopen(actor=street, rectification=rect, reason="再看看")
    assert Rectification.objects.get().status == "verified"


def test_evidence_must_be_a_photo_or_a_pdf(world) -> None:  # noqa: ANN001
    village = world.actor("village_staff")
    rect = _notice(world)
    with clock.travel(DAY):
        with pytest.raises(DomainError) as bad:
            svc.rectification_report(
                actor=village,
                rectification=rect,
                note="见附件",
                evidence=SimpleUploadedFile("a.docx", b"PK\x03\x04 not a photo"),
            )
        assert bad.value.field == "evidence" and "不是有效的图片或PDF" in bad.value.message
        big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
        with pytest.raises(DomainError, match="超过10MB"):
            svc.rectification_report(actor=village, rectification=rect, note="x", evidence=big)
    assert Rectification.objects.get().status == "issued"
    assert RectificationEvent.objects.count() == 1


def test_overdue_notices(world) -> None:  # noqa: ANN001
    street = world.actor("street_staff")
    late = _notice(world)  # deadline 2026-04-19
    with clock.travel(DAY):
        waiting = f.notice(world, quarter="2025Q4", deadline=dt.date(2026, 4, 10))
        svc.rectification_report(
            actor=world.actor("village_staff"), rectification=waiting, note="x"
        )
        done = f.notice(
            world, quarter="2025Q3", on=dt.date(2025, 10, 8), deadline=dt.date(2026, 4, 1)
        )
        svc.rectification_report(actor=world.actor("village_staff"), rectification=done, note="y")
        svc.rectification_verify(actor=street, rectification=done)
        future = f.notice(
            world, unit=world.other_village, persona="org_department", deadline=dt.date(2026, 6, 1)
        )
    filters = sel.RectificationFilters(overdue=True)
    with clock.travel(LATER):
        county = sel.rectifications_for(world.actor("org_department"), filters)
        assert [r.pk for r in county] == [waiting.pk, late.pk]
        assert svc.is_overdue(late) and not svc.is_overdue(future)
        summary = {
            s.name: (s.issued, s.open, s.overdue)
            for s in sel.summary_by_township(world.actor("org_department"))
        }
        assert summary == {"大定街道": (3, 2, 2), "会昌街道": (1, 1, 0)}
        assert not sel.rectifications_for(world.actor("other_street_staff"), filters).exists()
    with clock.travel(DAY):
        assert not sel.rectifications_for(world.actor("org_department"), filters).exists()


def test_events_are_append_only(world) -> None:  # noqa: ANN001
    _notice(world)
    event = RectificationEvent.objects.get()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011 - the DB trigger
        RectificationEvent.objects.filter(pk=event.pk).update(note="改写")


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) not installed")
def test_the_printable_notice(world, tmp_path: Path) -> None:  # noqa: ANN001
    rect = _notice(world)
    data = rectification_pdf(rect)
    assert data.startswith(b"%PDF-")
    source = tmp_path / "notice.pdf"
    source.write_bytes(data)
    text = subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        [PDFTOTEXT, "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True
    ).stdout.decode()
    for expected in (
        "整改通知单",
        "大定整改〔2026〕1号",
        "迎秀社区党组织",
        "2026年第1季度",
        "党员联户走访记录不全",
        "2026年4月19日",
        "大定街道",
    ):
        assert expected in text, expected
