"""The linkage board PDF and the PDF/QR helpers: valid, font embedded, Chinese extractable,
only masked personal data."""

from __future__ import annotations

import re
import shutil
import subprocess  # noqa: S404
import zlib
from pathlib import Path

import pytest
from django.urls import reverse
from reportlab.platypus import Paragraph

from lianxin.core import pdf, qr
from lianxin.party.board import member_public_url
from lianxin.party.tests.factories import make_linked_households, make_member, make_org

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text a reader extracts: pdftotext when installed (poppler-utils, as in CI)."""
    if PDFTOTEXT is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the Chinese text of PDFs")
    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    command = [PDFTOTEXT, "-enc", "UTF-8", str(source), "-"]
    out = subprocess.run(command, capture_output=True, check=True)  # noqa: S603
    return out.stdout.decode("utf-8")


def _embedded_font_files(data: bytes) -> int:
    return len(re.findall(rb"/FontFile2\b", data))


@pytest.fixture
def board_member(world):  # noqa: ANN001, ANN201
    org = make_org(world.grid, name="迎秀社区第一网格党支部")
    member = make_member(
        org, name="王秀英", phone="13812345678", is_central_household=True, duty="党小组长"
    )
    make_linked_households(member, world.building, 7, head_name="张建国")
    return member


def test_board_pdf_embeds_the_font_and_shows_masked_data_only(
    world, board_member, tmp_path: Path
) -> None:
    url = reverse("party:member_board_pdf", kwargs={"public_id": board_member.public_id})
    response = world.client("grid_worker").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # A real TrueType subset is embedded, not a CID font the reader must supply.
    assert _embedded_font_files(data) >= 1
    assert b"STSong" not in data

    text = _pdf_text(data, tmp_path)
    for expected in (
        "党员联户公示牌",
        "王秀英",
        "迎秀社区第一网格党支部",
        "党员中心户",
        "联系户（7户）",
    ):
        assert expected in text, expected
    for duty in ("联系走访", "政策宣传", "议事协商", "志愿服务", "矛盾调解"):
        assert duty in text
    assert "138****5678" in text and "13812345678" not in text
    assert "张**" in text and "张建国" not in text
    assert "迎秀小区1号楼" in text


def test_board_a4_and_unknown_size_fall_back(world, board_member) -> None:
    client = world.client("grid_worker")
    url = reverse("party:member_board_pdf", kwargs={"public_id": board_member.public_id})
    a4 = client.get(url, {"size": "a4"}).content
    a5 = client.get(url, {"size": "bogus"}).content
    assert re.search(rb"/MediaBox \[\s*0 0 841\.8", a4)  # A4 landscape width in points
    assert re.search(rb"/MediaBox \[\s*0 0 595\.2", a5)  # A5 landscape width in points


def test_board_with_many_households_stays_on_one_page(world, tmp_path: Path) -> None:
    member = make_member(make_org(world.grid), name="李明")
    make_linked_households(member, world.building, 40, head_name="欧阳娜娜")
    response = world.client("grid_worker").get(
        reverse("party:member_board_pdf", kwargs={"public_id": member.public_id})
    )
    assert len(re.findall(rb"/Type /Page\b(?!s)", response.content)) == 1
    assert "联系户（40户）" in _pdf_text(response.content, tmp_path)


def test_board_qr_points_to_the_member_page(settings, world, board_member) -> None:
    settings.LIANXIN_PUBLIC_BASE_URL = "https://lianxin.example.cn/"
    assert (
        member_public_url(board_member)
        == f"https://lianxin.example.cn/party/m/{board_member.public_id}/"
    )


def test_board_without_cjk_font_is_refused_with_instructions(
    settings, world, board_member, monkeypatch
) -> None:
    settings.LIANXIN_PDF_FONT = ""
    monkeypatch.setattr(pdf, "CANDIDATE_FONTS", ("/nonexistent/font.ttc",))
    response = world.client("grid_worker").get(
        reverse("party:member_board_pdf", kwargs={"public_id": board_member.public_id})
    )
    assert response.status_code == 503
    assert "fonts-wqy-microhei" in response.content.decode()


# --- helpers -----------------------------------------------------------------------------


def test_configured_font_must_exist(settings) -> None:
    settings.LIANXIN_PDF_FONT = "/nonexistent/my-font.ttf"
    with pytest.raises(pdf.PdfFontMissing, match="LIANXIN_PDF_FONT"):
        pdf.find_cjk_font()


def test_configured_font_is_used(settings) -> None:
    found = pdf.find_cjk_font(configured="")
    settings.LIANXIN_PDF_FONT = str(found)
    assert pdf.find_cjk_font() == found
    assert pdf.cjk_font().startswith(pdf.FONT_NAME)


def test_render_pdf_has_footer_and_extractable_chinese(tmp_path: Path) -> None:
    s = pdf.styles()
    data = pdf.render_pdf(
        [
            Paragraph("月度联户情况报告", s.title),
            Paragraph("本月走访二十三户，调解纠纷两起。", s.body),
        ],
        title="月度联户情况报告",
        footer="迎秀社区",
    )
    text = _pdf_text(data, tmp_path)
    assert (
        "月度联户情况报告" in text
        and "调解纠纷两起" in text
        and "迎秀社区" in text
        and "第 1 页" in text
    )
    assert _embedded_font_files(data) == 1
    # The embedded subset is small: only the glyphs used, not the 5 MB font.
    assert len(data) < 200_000


def test_qr_png_and_drawing() -> None:
    png = qr.qr_png("https://lianxin.example.cn/party/members/x/")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    drawing = qr.qr_drawing("https://lianxin.example.cn/", size=100)
    assert (drawing.width, drawing.height) == (100, 100)
    with pytest.raises(ValueError):
        qr.qr_png("")


def test_qr_png_is_a_square_image_of_whole_modules() -> None:
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(qr.qr_png("https://lianxin.example.cn/", box_size=4, border=2)))
    assert image.size[0] == image.size[1] and image.size[0] >= 4 * (21 + 4)
    assert zlib.crc32(qr.qr_png("a")) == zlib.crc32(qr.qr_png("a"))  # deterministic


# --- the full phone, with the member's consent ---------------------------------------------


def _board_text(world, member, tmp_path: Path) -> str:  # noqa: ANN001
    response = world.client("grid_worker").get(
        reverse("party:member_board_pdf", kwargs={"public_id": member.public_id})
    )
    assert response.status_code == 200
    return _pdf_text(response.content, tmp_path)


def _reveals(member) -> int:  # noqa: ANN001
    from lianxin.audit.models import AuditEvent

    return AuditEvent.objects.filter(
        action=AuditEvent.Action.REVEAL, object_id=str(member.public_id)
    ).count()


def test_board_prints_the_full_phone_only_with_consent_and_audits_each_print(
    world, board_member, tmp_path: Path
) -> None:
    text = _board_text(world, board_member, tmp_path)
    assert "138****5678" in text and "13812345678" not in text
    assert _reveals(board_member) == 0

    board_member.board_phone_consent = True
    board_member.save()
    text = _board_text(world, board_member, tmp_path)
    assert "13812345678" in text and "138****5678" not in text
    assert _reveals(board_member) == 1
    _board_text(world, board_member, tmp_path)
    assert _reveals(board_member) == 2

    from lianxin.audit.models import AuditEvent

    event = AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).latest("id")
    assert event.changes == {"phone": {"printed_on_board": True}}
    assert "13812345678" not in str(event.changes)


def test_board_with_consent_falls_back_to_the_resident_phone(world, tmp_path: Path) -> None:
    from lianxin.core.testing import make_household, make_resident

    resident = make_resident(make_household(world.building), name="刘芳", phone="13911112222")
    member = make_member(make_org(world.grid), resident=resident)
    member.board_phone_consent = True
    member.save()
    text = _board_text(world, member, tmp_path)
    assert "13911112222" in text
    assert _reveals(member) == 1


def test_board_with_consent_but_no_phone_prints_a_dash_and_audits_nothing(
    world, tmp_path: Path
) -> None:
    member = make_member(make_org(world.grid), name="周杰")
    member.board_phone_consent = True
    member.save()
    assert "联系电话：—" in _board_text(world, member, tmp_path)
    assert _reveals(member) == 0
