"""The printable rectification notice (整改通知单, A4, embedded CJK font of `lianxin.core.pdf`):
its number, the village addressed, what the inspection saw, the problems found (问题反馈表),
the requirements, the deadline and the issuing township or county with the date of issue.
It names the inspection, not the inspector: it is sent to the branch and filed."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from lianxin.core import pdf
from lianxin.worklists.models import InspectionProblem, Rectification
from lianxin.worklists.services.inspections import issuer_from_number, quarter_label


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def rectification_pdf(rect: Rectification) -> bytes:
    """The notice of `rect` (its inspection and unit loaded or not: a few queries)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    inspection = rect.inspection
    unit = inspection.unit
    issuer = issuer_from_number(rect)
    issuer_name = issuer.display_name if issuer is not None else ""
    issued_on = timezone.localdate(rect.created_at)
    problems = list(InspectionProblem.objects.filter(inspection=inspection).order_by("id"))

    st = pdf.styles()
    font = pdf.cjk_font()
    centre = pdf.paragraph_style("wl-number", size=11, alignment=TA_CENTER)
    right = pdf.paragraph_style("wl-sign", size=11, alignment=TA_RIGHT)
    manual = "记录完整" if inspection.manual_complete else "记录不完整"
    story: list[Any] = [
        Paragraph("整改通知单", st.title),
        Paragraph(escape(rect.number), centre),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"{unit.display_name}党组织："), st.body),
        Spacer(1, 1 * mm),
        Paragraph(
            _text(
                f"{pdf.print_date(inspection.inspected_on)}，"
                f"{issuer_name or '上级党组织'}对你单位{quarter_label(inspection.quarter)}"
                f"党建工作手册进行了查阅（工作手册{manual}）。检查情况：{inspection.summary}"
            ),
            st.body,
        ),
        Spacer(1, 3 * mm),
        Paragraph("发现问题（问题反馈表）", st.heading),
    ]
    rows: list[list[Any]] = [["序号", "类别", "问题"]]
    for n, p in enumerate(problems, start=1):
        rows.append([str(n), p.get_category_display(), Paragraph(_text(p.description), st.cell)])
    width = 186 * mm
    table = Table(rows, colWidths=[0.08 * width, 0.18 * width, 0.74 * width], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 3 * mm),
        Paragraph("整改要求", st.heading),
        Paragraph(_text(rect.requirements), st.body),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                f"请于{pdf.print_date(rect.deadline)}前完成整改，并将整改情况及佐证材料"
                f"报{issuer_name or '检查单位'}核验销号。"
            ),
            st.body,
        ),
        Spacer(1, 10 * mm),
    ]
    if issuer_name:
        story.append(Paragraph(escape(issuer_name), right))
    story.append(Paragraph(escape(pdf.print_date(issued_on)), right))
    return pdf.render_pdf(
        story,
        title=f"整改通知单 {rect.number}",
        footer=f"{rect.number} · {unit.display_name}",
    )


def rectification_filename(rect: Rectification) -> str:
    return f"整改通知单-{rect.inspection.unit.display_name}-{rect.number}.pdf"
