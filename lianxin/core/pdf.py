"""Chinese-capable PDFs with ReportLab (boards, printable reports).

ReportLab's built-in CID fonts (``STSong-Light``) are not embedded, so a reader without a CJK
font shows empty boxes (REFERENCE.md, "Chinese in PDFs"). We register a real TrueType font
instead; ReportLab embeds the glyphs actually used as a subset, so the PDF renders anywhere and
its text stays extractable. When no such font exists we refuse loudly rather than print boxes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

FONT_NAME = "LianxinCJK"

# Looked for in this order when LIANXIN_PDF_FONT is not set (Debian package paths).
CANDIDATE_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
)

MISSING_FONT_HELP = (
    "找不到可嵌入 PDF 的中文字体。请安装 Debian 软件包 fonts-wqy-microhei"
    "（apt-get install fonts-wqy-microhei），或设置环境变量 LIANXIN_PDF_FONT "
    "指向一个 TrueType 中文字体文件（.ttf/.ttc）。"
)


class PdfFontMissing(ImproperlyConfigured):
    """No TrueType CJK font is available: PDFs would show empty boxes, so we refuse."""


def find_cjk_font(configured: str | None = None) -> Path:
    """The font file to embed: the configured one (must exist) or the first system candidate."""
    configured = settings.LIANXIN_PDF_FONT if configured is None else configured
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise PdfFontMissing(
                f"LIANXIN_PDF_FONT={configured} 不存在或不是文件。" + MISSING_FONT_HELP
            )
        return path
    for candidate in CANDIDATE_FONTS:
        path = Path(candidate)
        if path.is_file():
            return path
    raise PdfFontMissing(MISSING_FONT_HELP)


@lru_cache(maxsize=8)
def _register(path: str) -> str:
    # One registered name per font file, so a changed setting (tests) never reuses a stale face.
    name = FONT_NAME + "-" + re.sub(r"[^A-Za-z0-9]+", "-", Path(path).stem)
    try:
        font = TTFont(name, path, subfontIndex=0)
    except Exception as exc:  # a corrupt or non-TrueType file (e.g. a CFF-only OTF)
        raise PdfFontMissing(
            f"字体文件 {path} 无法作为 TrueType 字体嵌入：{exc}。" + MISSING_FONT_HELP
        ) from exc
    pdfmetrics.registerFont(font)
    return name


def cjk_font() -> str:
    """Register the CJK font once per process and return its ReportLab name."""
    return _register(str(find_cjk_font()))


@dataclass(frozen=True)
class Styles:
    """Paragraph styles in the CJK font; `wordWrap="CJK"` breaks lines between characters."""

    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle


def paragraph_style(
    name: str, *, size: float = 10.5, leading: float | None = None, **kw: Any
) -> ParagraphStyle:
    """A ParagraphStyle using the embedded CJK font."""
    return ParagraphStyle(
        name,
        fontName=cjk_font(),
        fontSize=size,
        leading=leading or size * 1.4,
        wordWrap="CJK",
        **kw,
    )


def styles() -> Styles:
    """The standard set used by lianxin's printable documents."""
    return Styles(
        title=paragraph_style("lx-title", size=18, alignment=TA_CENTER, spaceAfter=4 * mm),
        heading=paragraph_style("lx-heading", size=13, spaceBefore=2 * mm, spaceAfter=2 * mm),
        body=paragraph_style("lx-body", size=10.5),
        small=paragraph_style("lx-small", size=8.5, textColor=colors.HexColor("#555555")),
        cell=paragraph_style("lx-cell", size=9.5),
    )


def _footer_painter(title: str, footer: str) -> Callable[[Canvas, Any], None]:
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def paint(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        width, _ = doc.pagesize
        y = doc.bottomMargin / 2
        canvas.drawString(doc.leftMargin, y, footer or title)
        canvas.drawRightString(width - doc.rightMargin, y, f"第 {doc.page} 页 · 打印于 {printed}")
        canvas.restoreState()

    return paint


def render_pdf(
    story: Sequence[Flowable],
    *,
    title: str,
    pagesize: tuple[float, float] = A4,
    footer: str = "",
    margin: float = 12 * mm,
    author: str = "连心",
) -> bytes:
    """Lay `story` out on pages with a footer (title or `footer`, page number, print time)."""
    cjk_font()  # fail before building anything when the font is missing
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=title,
        author=author,
        creator="lianxin",
    )
    paint = _footer_painter(title, footer)
    doc.build(list(story), onFirstPage=paint, onLaterPages=paint)
    return buffer.getvalue()


def print_date(day: dt.date | None = None) -> str:
    """A date as printed on Chinese documents: 2026年11月22日."""
    day = day or timezone.localdate()
    return f"{day.year}年{day.month}月{day.day}日"
