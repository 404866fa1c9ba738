"""The printable public notice (公示) of a township's proposed stars (A4, the embedded CJK
font of `lianxin.core.pdf`): title and number, what was reviewed, a table of villages ×
stars, the notice period, how to object and the phone that takes objections, the task force
as issuer. It names villages and stars only, never a person."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from lianxin.core import pdf
from lianxin.stars.models import PublicNotice
from lianxin.stars.selectors.declarations import notice_declarations, notice_table
from lianxin.stars.services.catalog import county_of
from lianxin.stars.services.notices import period_text

MARK = "★"


def issuer(notice: PublicNotice) -> str:
    return f"{county_of(notice.township).display_name}“五星”支部创建工作专班"


def objection_text(notice: PublicNotice) -> str:
    """How to object, as printed and as the public page shows it."""
    phone = f"受理电话：{notice.contact}。" if notice.contact else ""
    return (
        f"公示期间，对公示对象有异议的，可通过来电、来信、来访等方式向{issuer(notice)}反映。"
        f"{phone}反映问题应实事求是、具体客观，以个人名义反映的请提供真实姓名和联系方式，"
        "以单位名义反映的请加盖单位公章。"
    )


def notice_pdf(notice: PublicNotice) -> bytes:
    """The notice as posted on the boards of the township and its villages."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    st = pdf.styles()
    font = pdf.cjk_font()
    declarations = notice_declarations(notice)
    columns, rows = notice_table(declarations)
    story: list[Any] = [
        Paragraph(escape(notice.title), st.title),
        Paragraph(escape(notice.number), pdf.paragraph_style("lx-no", size=10, alignment=1)),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                f"根据{notice.year}年度“五星”支部创建工作安排，经村（社区）自评申报、"
                f"{notice.township.display_name}初审、创建工作专班审核，"
                f"拟认定以下村（社区）党组织{notice.year}年度创建星级，现予以公示。"
            ),
            st.body,
        ),
        Spacer(1, 3 * mm),
    ]
    head = ["序号", "村（社区）", *[c.name for c in columns], "拟认定星数"]
    table_rows: list[list[Any]] = [list(head)]
    for i, row in enumerate(rows, start=1):
        table_rows.append(
            [
                str(i),
                Paragraph(escape(row.unit.display_name), st.cell),
                *[MARK if m else "" for m in row.marks],
                str(row.count),
            ]
        )
    width = 186 * mm
    star_cols = max(len(columns), 1)
    star_width = (width - 12 * mm - 38 * mm - 24 * mm) / star_cols
    table = Table(
        table_rows,
        colWidths=[12 * mm, 38 * mm, *([star_width] * len(columns)), 24 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ALIGN", (2, 0), (-1, -1), "CENTER"),
                ("TEXTCOLOR", (2, 1), (-2, -1), colors.HexColor("#C8102E")),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 1.5 * mm),
        Paragraph(f"{MARK} 表示拟认定该星；星数不含进步星。", st.small),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"公示时间：{period_text(notice)}。"), st.body),
        Spacer(1, 2 * mm),
        Paragraph(escape(objection_text(notice)), st.body),
        Spacer(1, 10 * mm),
    ]
    right = pdf.paragraph_style("lx-sign", size=11, alignment=TA_RIGHT)
    story += [
        Paragraph(escape(issuer(notice)), right),
        Paragraph(escape(pdf.print_date(notice.starts_on)), right),
    ]
    return pdf.render_pdf(story, title=notice.title, footer=notice.number)


def notice_filename(notice: PublicNotice) -> str:
    return f"{notice.title}.pdf"
