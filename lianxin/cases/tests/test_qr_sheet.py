"""The printable QR code sheet (码上办) of a community and the staff QR pages."""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.cases.qrsheet import public_qr_url, sheet_places
from lianxin.core.testing import make_unit

pytestmark = pytest.mark.django_db

BASE = "https://lianxin.example.gov.cn"
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
ZBARIMG = shutil.which("zbarimg")  # zbar-tools: optional, the QR decoder


@pytest.fixture
def sheet(world, settings, tmp_path: Path) -> Path:  # noqa: ANN001
    settings.LIANXIN_PUBLIC_BASE_URL = BASE + "/"
    retired = make_unit("building", "B-OLD", "已拆除楼", world.grid)
    retired.is_active = False
    retired.save()
    response = world.client("village_staff").get(
        reverse("cases:qr_sheet", args=[world.village.public_id])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" not in response["Content-Disposition"]
    out = tmp_path / "sheet.pdf"
    out.write_bytes(response.content)
    return out


def _text(path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the Chinese text of PDFs")
    command = [PDFTOTEXT, "-enc", "UTF-8", "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603


def test_sheet_labels_every_place_in_chinese(world, sheet: Path) -> None:
    text = _text(sheet)
    for name in (
        "迎秀社区（全社区）",
        "迎秀社区第一网格",
        "迎秀社区第二网格",
        "迎秀小区1号楼",
        "迎秀小区9号楼",
    ):
        assert name in text, name
    assert text.count("扫码反映问题 · 码上办") == 5
    assert "已拆除楼" not in text and "西关" not in text


def test_sheet_places_hold_the_public_url(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_PUBLIC_BASE_URL = BASE + "/"
    places = sheet_places(world.village)
    assert [p.unit for p in places] == [
        world.village,
        world.grid,
        world.building,
        world.sibling_grid,
        world.sibling_building,
    ]
    assert places[2].url == f"{BASE}/r/q/{world.building.code}/"
    assert places[2].label == "迎秀社区 · 迎秀小区1号楼"
    assert public_qr_url(world.village) == f"{BASE}/r/q/{world.village.code}/"
    # The URL in the code leads to the resident's page of that place.
    page = Client().get(places[2].url.removeprefix(BASE))
    assert "迎秀社区 · 迎秀小区1号楼" in page.content.decode()


@pytest.mark.skipif(
    ZBARIMG is None or PDFTOPPM is None,
    reason="no QR decoder (zbar-tools) installed; the URLs are checked by the test above",
)
def test_sheet_codes_decode_to_the_places_urls(world, sheet: Path, tmp_path: Path) -> None:
    command = [str(PDFTOPPM), "-r", "150", "-png", str(sheet), str(tmp_path / "page")]
    subprocess.run(command, check=True)  # noqa: S603
    pages = sorted(tmp_path.glob("page*.png"))
    command = [str(ZBARIMG), "--quiet", "--raw", *map(str, pages)]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    decoded = set(result.stdout.split())
    assert decoded == {p.url for p in sheet_places(world.village)}


def test_qr_page_lists_places_and_links_the_pdf(world) -> None:
    html = (
        world.client("village_staff")
        .get(reverse("cases:qr_page", args=[world.village.public_id]))
        .content.decode()
    )
    assert "迎秀社区 · 迎秀小区1号楼" in html and "迎秀社区 · 迎秀社区第二网格" in html
    assert reverse("cases:qr_sheet", args=[world.village.public_id]) in html
    assert reverse("resident:qr", args=[world.building.code]) in html


def test_qr_pages_are_scoped_to_the_village(world) -> None:
    sheet_url = reverse("cases:qr_sheet", args=[world.village.public_id])
    assert world.client("other_village_staff").get(sheet_url).status_code == 404
    assert world.client("grid_worker").get(sheet_url).status_code == 404
    assert world.client("street_staff").get(sheet_url).status_code == 200
    # Only villages: a grid's public_id is not a sheet.
    grid_url = reverse("cases:qr_sheet", args=[world.grid.public_id])
    assert world.client("village_staff").get(grid_url).status_code == 404
    index = world.client("street_staff").get(reverse("cases:qr_index")).content.decode()
    assert "迎秀社区" in index and "西关社区" not in index
    assert Client().get(sheet_url).status_code == 302  # to login
