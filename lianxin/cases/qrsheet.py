"""QR code sheets (码上办): one labelled code per building, grid and the village itself.

Staff print the sheet for a whole community on A4, cut along the dashed lines and post each
code in its building (grids' and the village's codes serve places without buildings).
Each code holds the absolute public URL of the place's intake page,
``LIANXIN_PUBLIC_BASE_URL`` + ``resident:qr``, so it keeps working whatever host staff
printed it from.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from lianxin.core import pdf
from lianxin.core.qr import qr_drawing
from lianxin.territory.models import Unit

SLOGAN = "扫码反映问题 · 码上办"
COLUMNS = 2
ROWS_PER_PAGE = 3
MARGIN = 10 * mm
QR_SIZE = 56 * mm
BRAND_RED = colors.HexColor("#C8102E")


@dataclass(frozen=True)
class Place:
    unit: Unit
    label: str
    url: str


def public_qr_url(unit: Unit) -> str:
    """The absolute URL a place's QR code holds (the resident's intake page)."""
    base = settings.LIANXIN_PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("resident:qr", kwargs={"code": unit.code})


def place_label(unit: Unit, village: Unit | None) -> str:
    """How a place is named to residents: "迎秀社区 · 迎秀小区1号楼" (the village alone for
    the village's own code)."""
    if village is None or unit.pk == village.pk:
        return unit.display_name
    return f"{village.display_name} · {unit.display_name}"


def sheet_places(village: Unit) -> list[Place]:
    """The village, then its active grids and buildings in tree order (one query)."""
    units = [village] + list(
        Unit.objects.filter(
            path__startswith=village.path, kind__in=["grid", "building"], is_active=True
        ).order_by("path")
    )
    return [Place(unit=u, label=place_label(u, village), url=public_qr_url(u)) for u in units]


def _cell(place: Place, village: Unit) -> list[Flowable]:
    name = place.unit.display_name
    if place.unit.pk == village.pk:  # the code for places without a building of their own
        name += "（全村）" if name.endswith("村") else "（全社区）"
    village_style = pdf.paragraph_style("qr-village", size=10, alignment=TA_CENTER)
    name_style = pdf.paragraph_style("qr-name", size=15, leading=19, alignment=TA_CENTER)
    slogan_style = pdf.paragraph_style(
        "qr-slogan", size=11, alignment=TA_CENTER, textColor=BRAND_RED
    )
    drawing = qr_drawing(place.url, size=QR_SIZE)
    drawing.hAlign = "CENTER"
    return [
        Paragraph(escape(village.display_name), village_style),
        Paragraph(escape(name), name_style),
        drawing,
        Paragraph(SLOGAN, slogan_style),
    ]


def render_qr_sheet(village: Unit, places: list[Place]) -> bytes:
    """A4 pages of codes, six to a page, framed by dashed cut lines."""
    width, height = A4
    inner_w = width - 2 * MARGIN
    title = pdf.paragraph_style("qr-title", size=13, alignment=TA_CENTER, spaceAfter=2 * mm)
    cells = [_cell(p, village) for p in places]
    rows = [cells[i : i + COLUMNS] for i in range(0, len(cells), COLUMNS)]
    rows[-1] += [[]] * (COLUMNS - len(rows[-1]))
    avail_h = height - 2 * MARGIN - 4 * mm - 12 * mm  # footer and title line
    table = Table(
        rows,
        colWidths=[inner_w / COLUMNS] * COLUMNS,
        rowHeights=[avail_h / ROWS_PER_PAGE - 1] * len(rows),
    )
    table.setStyle(
        TableStyle(
            [
                # Dashed cut lines around every code.
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999"), None, (3, 3)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    story: list[Flowable] = [
        Paragraph(escape(f"{village.display_name} 码上办二维码（共{len(places)}张）"), title),
        table,
    ]
    return pdf.render_pdf(
        story,
        title=f"码上办二维码 {village.display_name}",
        margin=MARGIN,
        footer=f"{village.display_name} · 沿虚线剪下，张贴在对应楼栋/网格 · {pdf.print_date()}",
    )
