"""The village's side of a declaration: creating several at once, filling the standards
(self score within the maximum, evidence photo or PDF), the refusals at submission (missing
evidence names the standard), figures frozen at submission, cancelling, the progress star."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.stars import workflow as wf
from lianxin.stars.models import Declaration, DeclarationEntry, ReviewStep
from lianxin.stars.services import declarations as decl
from lianxin.stars.services import reviews
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def _entry(d: Declaration, code: str) -> DeclarationEntry:
    return DeclarationEntry.objects.select_related("standard").get(
        declaration=d, round=d.round, standard__code=code
    )


def test_several_stars_at_once_each_with_its_standards(world) -> None:  # noqa: ANN001
    made = sd.declare(world, ("branch", "sharing", "civility"))
    assert [d.star.code for d in made] == ["branch", "sharing", "civility"]
    assert all(d.status == Status.DRAFT and d.round == 1 for d in made)
    branch = made[0]
    codes = set(
        DeclarationEntry.objects.filter(declaration=branch).values_list("standard__code", flat=True)
    )
    assert codes == {"team", "records", "meetings", "members"}


def test_create_refusals(world) -> None:  # noqa: ANN001
    sd.declare(world, ("branch",))
    with pytest.raises(DomainError, match="已申报：支部过硬星") as dup:
        sd.declare(world, ("branch", "ecology"))
    assert dup.value.field == "stars"
    assert not Declaration.objects.filter(star__code="ecology").exists()  # nothing half-made
    with pytest.raises(DomainError, match="星级目录中没有：industry"):
        sd.declare(world, ("industry",))  # 迎秀 is a community: no 产业兴旺星
    with pytest.raises(DomainError, match="请勾选"):
        sd.declare(world, ())
    with pytest.raises(PermissionDenied):
        sd.declare(world, ("ecology",), by="other_village_staff")
    with pytest.raises(PermissionDenied):
        sd.declare(world, ("ecology",), by="street_staff")
    with pytest.raises(DomainError, match="村（社区）申报") as unit:
        sd.declare(world, ("ecology",), unit=world.street)
    assert unit.value.field == "unit"
    with pytest.raises(DomainError, match="申报年度") as year:
        decl.declarations_create(
            actor=world.actor("village_staff"),
            unit=world.village,
            year=2000,
            star_codes=["ecology"],
        )
    assert year.value.field == "year"
    sd.declare(world, (), progress=True)
    with pytest.raises(DomainError, match="已申报进步星"):
        sd.declare(world, (), progress=True)


def test_cancelled_star_can_be_declared_again(world) -> None:  # noqa: ANN001
    d = sd.declare(world, ("ecology",))[0]
    decl.declaration_cancel(actor=world.actor("village_staff"), declaration=d, reason="条件不成熟")
    d.refresh_from_db()
    assert d.status == Status.CANCELLED
    assert ReviewStep.objects.get(declaration=d).action == "cancelled"
    again = sd.declare(world, ("ecology",))[0]
    assert again.pk != d.pk


def test_self_score_above_the_maximum_is_refused_naming_the_standard(world) -> None:  # noqa: ANN001
    d = sd.declare(world)[0]
    team = _entry(d, "team")
    records = _entry(d, "records")
    with pytest.raises(DomainError) as exc:
        decl.declaration_fill(
            actor=world.actor("village_staff"),
            declaration=d,
            entries=[
                decl.EntryInput(records.standard_id, claim="记录完整"),
                decl.EntryInput(team.standard_id, self_score="31"),
            ],
        )
    assert exc.value.message == "“班子建设与组织生活”的自评分不能超过满分30分"
    assert exc.value.field == f"e{team.standard_id}-self_score"
    assert _entry(d, "records").claim == ""  # nothing saved
    with pytest.raises(DomainError, match="不能为负数"):
        decl.declaration_fill(
            actor=world.actor("village_staff"),
            declaration=d,
            entries=[decl.EntryInput(team.standard_id, self_score="-1")],
        )
    decl.declaration_fill(
        actor=world.actor("village_staff"),
        declaration=d,
        entries=[decl.EntryInput(team.standard_id, self_score="30")],
    )
    assert _entry(d, "team").self_score == Decimal("30.00")


def test_evidence_photo_is_reencoded_pdf_kept_other_files_refused(world) -> None:  # noqa: ANN001
    from PIL import Image

    d = sd.declare(world)[0]
    records = _entry(d, "records")
    team = _entry(d, "team")
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (10, 10)).save(buf, format="JPEG", exif=exif)
    photo = SimpleUploadedFile("现场照片.jpg", buf.getvalue(), content_type="image/jpeg")
    decl.declaration_fill(
        actor=world.actor("village_staff"),
        declaration=d,
        entries=[
            decl.EntryInput(records.standard_id, evidence=photo),
            decl.EntryInput(team.standard_id, evidence=sd.pdf_upload("班子.pdf")),
        ],
    )
    records, team = _entry(d, "records"), _entry(d, "team")
    assert records.evidence_name == "现场照片.jpg"
    assert "现场照片" not in records.evidence.name and records.evidence.name.endswith(".jpg")
    with records.evidence.open("rb") as fh, Image.open(fh) as img:
        assert not img.getexif()
    assert team.evidence.name.endswith(".pdf")
    with team.evidence.open("rb") as fh:
        assert fh.read() == sd.PDF_BYTES
    bad = SimpleUploadedFile("a.docx", b"PK\x03\x04 not a photo", content_type="application/msword")
    with pytest.raises(DomainError) as exc:
        decl.declaration_fill(
            actor=world.actor("village_staff"),
            declaration=d,
            entries=[decl.EntryInput(records.standard_id, evidence=bad)],
        )
    assert "“三会一课”与主题党日记录完整" in exc.value.message and "PDF" in exc.value.message
    assert exc.value.field == f"e{records.standard_id}-evidence"


def test_missing_evidence_blocks_submission_naming_the_standard(world) -> None:  # noqa: ANN001
    d = sd.declare(world)[0]
    sd.fill(world, d, evidence=False)
    d.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)
    assert exc.value.message == "缺少佐证材料：“三会一课”与主题党日记录完整"
    assert exc.value.field == f"e{_entry(d, 'records').standard_id}-evidence"
    d.refresh_from_db()
    assert d.status == Status.DRAFT and not ReviewStep.objects.filter(declaration=d).exists()


def test_manual_standard_needs_a_self_score(world) -> None:  # noqa: ANN001
    d = sd.declare(world, ("ecology",))[0]
    photos = _entry(d, "photos")
    decl.declaration_fill(
        actor=world.actor("village_staff"),
        declaration=d,
        entries=[decl.EntryInput(photos.standard_id, evidence=sd.pdf_upload())],
    )
    with pytest.raises(DomainError, match="请填写自评分：人居环境整治成效"):
        decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)


def test_submission_freezes_the_figures_and_closes_the_round(world) -> None:  # noqa: ANN001
    d = sd.submitted(world, sd.declare(world)[0])
    assert d.status == Status.SUBMITTED and d.submitted_at is not None
    meetings = _entry(d, "meetings")
    members = _entry(d, "members")
    assert meetings.figure_value == Decimal(0)  # consultation.meetings_held, no meeting yet
    assert members.figure_value == Decimal(0)
    step = ReviewStep.objects.get(declaration=d)
    assert (step.action, step.stage, step.from_status, step.to_status) == (
        "submitted",
        wf.STAGE_VILLAGE,
        Status.DRAFT,
        Status.SUBMITTED,
    )
    assert "village_staff" in step.actor_label
    with pytest.raises(DomainError, match="已报送，待乡镇（街道）初审"):
        sd.fill(world, d)
    with pytest.raises(DomainError, match="不能报送"):
        decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)
    with pytest.raises(PermissionDenied):
        decl.declaration_submit(actor=world.actor("other_village_staff"), declaration=d)


def test_cancel_before_review_only(world) -> None:  # noqa: ANN001
    a, b = sd.declare(world, ("branch", "ecology"))
    sd.submitted(world, a)
    a.refresh_from_db()
    decl.declaration_cancel(actor=world.actor("village_staff"), declaration=a)
    a.refresh_from_db()
    assert a.status == Status.CANCELLED
    b = sd.township_passed(world, sd.submitted(world, b))
    with pytest.raises(DomainError, match="不能撤回申报"):
        decl.declaration_cancel(actor=world.actor("village_staff"), declaration=b)


def test_progress_star_statement_and_evidence(world) -> None:  # noqa: ANN001
    d = sd.declare(world, (), progress=True)[0]
    assert d.kind == "progress" and d.star is None
    entry = DeclarationEntry.objects.get(declaration=d)
    assert entry.standard is None
    with pytest.raises(DomainError, match="请填写进步情况说明"):
        decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)
    decl.declaration_fill(
        actor=world.actor("village_staff"),
        declaration=d,
        entries=[decl.EntryInput(None, claim="集体收入较上年增长三成")],
    )
    with pytest.raises(DomainError, match="缺少佐证材料：进步情况"):
        decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)
    sd.fill(world, d)
    d.refresh_from_db()
    d = decl.declaration_submit(actor=world.actor("village_staff"), declaration=d)
    # No standards to judge: the township passes on the statement and the evidence.
    d = reviews.township_review(
        actor=world.actor("street_staff"), declaration=d, decision=reviews.PASS, reason="进步明显"
    )
    assert d.status == Status.TOWNSHIP_PASSED
