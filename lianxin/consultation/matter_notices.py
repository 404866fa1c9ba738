"""The two printable notices of 四议两公开 (A4, embedded CJK font of `lianxin.core.pdf`):

- 决议公开: the matter, its four steps (meeting, date, present/eligible, votes, support rate),
  the resolution, the notice period and who publishes it;
- 实施结果公开: the matter, the resolution in short, what became of it.

They are posted on the village's notice board, so they carry no person's name: meetings,
dates and counts only. Each exists only once published (`NoticeNotPublished` otherwise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from lianxin.consultation.models import Matter
from lianxin.consultation.selectors.matters import Step, matter_chain
from lianxin.core import pdf
from lianxin.party.models import OrgKind, PartyOrganisation
from lianxin.territory.models import Unit

RESOLUTION = "resolution"
RESULT = "result"
KINDS = {RESOLUTION: "决议公开", RESULT: "实施结果公开"}
# The village's highest party organisation signs first.
ORG_ORDER = [OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH]


class NoticeNotPublished(LookupError):
    """The notice asked for has not been published."""


def issuers_of(unit: Unit) -> tuple[str, ...]:
    """Who publishes: the unit's party organisation (if registered) and its committee."""
    orgs = list(
        PartyOrganisation.objects.filter(unit=unit, is_active=True, kind__in=ORG_ORDER)
        .values_list("name", "kind")
        .order_by("id")
    )
    orgs.sort(key=lambda o: ORG_ORDER.index(o[1]))
    names = [orgs[0][0]] if orgs else []
    names.append(unit.name or unit.display_name)
    return tuple(dict.fromkeys(n for n in names if n))


def notice_period_text(matter: Matter) -> str:
    """自2026年5月2日至2026年5月6日（5天）: the period starts the day after publication."""
    if matter.resolution_published_at is None or matter.resolution_notice_until is None:
        return ""
    start = timezone.localdate(matter.resolution_published_at) + dt.timedelta(days=1)
    until = matter.resolution_notice_until
    days = (until - start).days + 1
    return f"自{pdf.print_date(start)}至{pdf.print_date(until)}（{days}天）"


@dataclass(frozen=True)
class StepRow:
    number: int
    name: str
    meeting: str
    day: str
    quorum: str
    votes: str
    rate: str
    outcome: str


def step_rows(steps: list[Step]) -> list[StepRow]:
    """One printed row per step: the attempt that passed it (no personal names)."""
    rows = []
    for step in steps:
        held = step.held
        if held is None:
            rows.append(StepRow(step.number, step.name, "—", "—", "—", "—", "—", step.state_label))
            continue
        item = held.item
        rows.append(
            StepRow(
                number=step.number,
                name=step.name,
                meeting=held.meeting.meeting_type.name,
                day=pdf.print_date(timezone.localdate(held.day)),
                quorum=f"{held.present or 0}/{held.eligible or 0}",
                votes=f"{item.yes_count}/{item.no_count}/{item.abstain_count}",
                rate=f"{held.rate_percent}%" if held.rate_percent is not None else "—",
                outcome=item.get_status_display(),
            )
        )
    return rows


def _signature(st: pdf.Styles, unit: Unit, day: dt.date) -> list[Any]:
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    right = pdf.paragraph_style("lx-sign", size=11, alignment=TA_RIGHT)
    story: list[Any] = [Spacer(1, 8 * mm)]
    story += [Paragraph(escape(name), right) for name in issuers_of(unit)]
    story.append(Paragraph(escape(pdf.print_date(day)), right))
    return story


def _head(st: pdf.Styles, matter: Matter, kind: str) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    amount = f"；涉及金额{matter.amount:,.2f}元" if matter.amount is not None else ""
    return [
        Paragraph(escape(f"{matter.unit.display_name}“四议两公开”{KINDS[kind]}"), st.title),
        Paragraph(escape(f"事项：{matter.title}{amount}"), st.heading),
        Spacer(1, 1 * mm),
    ]


def resolution_pdf(matter: Matter) -> bytes:
    """The 决议公开 notice of an announced (or completed) matter."""
    if matter.resolution_published_at is None:
        raise NoticeNotPublished(RESOLUTION)
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    st = pdf.styles()
    font = pdf.cjk_font()
    story = _head(st, matter, RESOLUTION)
    story.append(Paragraph(escape(matter.description).replace("\n", "<br/>"), st.body))
    story += [Spacer(1, 3 * mm), Paragraph("议定过程", st.heading)]
    head = ["步骤", "会议", "日期", "实到/应到", "同意/反对/弃权", "支持率", "结果"]
    rows: list[list[Any]] = [head]
    for r in step_rows(matter_chain(matter)):
        rows.append(
            [
                Paragraph(escape(f"{r.number}. {r.name}"), st.cell),
                Paragraph(escape(r.meeting), st.cell),
                Paragraph(escape(r.day), st.cell),
                r.quorum,
                r.votes,
                r.rate,
                r.outcome,
            ]
        )
    width = 186 * mm
    table = Table(
        rows,
        colWidths=[w * width for w in (0.25, 0.17, 0.16, 0.1, 0.14, 0.09, 0.09)],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (3, 1), (5, -1), "CENTER"),
            ]
        )
    )
    story += [
        table,
        Paragraph("实到/应到：到会人数/应到会人数；支持率按各会议的计票基数计算。", st.small),
        Spacer(1, 3 * mm),
        Paragraph("决议内容", st.heading),
        Paragraph(escape(matter.resolution_text).replace("\n", "<br/>"), st.body),
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                f"公示期：{notice_period_text(matter)}。公示期内如有异议，"
                "请向村（居）务监督委员会或村（社区）党组织反映。"
            ),
            st.body,
        ),
    ]
    story += _signature(st, matter.unit, timezone.localdate(matter.resolution_published_at))
    title = f"{matter.unit.display_name}决议公开：{matter.title}"
    return pdf.render_pdf(story, title=title, footer=f"{matter.unit.display_name} · 四议两公开")


def result_pdf(matter: Matter) -> bytes:
    """The 实施结果公开 notice of a completed matter."""
    if matter.result_published_at is None or matter.resolution_published_at is None:
        raise NoticeNotPublished(RESULT)
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    st = pdf.styles()
    published = timezone.localdate(matter.resolution_published_at)
    story = _head(st, matter, RESULT)
    story += [
        Paragraph(
            escape(f"本事项经“四议”程序形成决议，于{pdf.print_date(published)}公开，公示期满。"),
            st.body,
        ),
        Spacer(1, 2 * mm),
        Paragraph("决议内容", st.heading),
        Paragraph(escape(matter.resolution_text).replace("\n", "<br/>"), st.body),
        Spacer(1, 2 * mm),
        Paragraph("实施结果", st.heading),
        Paragraph(escape(matter.result_text).replace("\n", "<br/>"), st.body),
        Spacer(1, 3 * mm),
        Paragraph("对实施结果如有疑问，请向村（居）务监督委员会或村（社区）党组织反映。", st.body),
    ]
    story += _signature(st, matter.unit, timezone.localdate(matter.result_published_at))
    title = f"{matter.unit.display_name}实施结果公开：{matter.title}"
    return pdf.render_pdf(story, title=title, footer=f"{matter.unit.display_name} · 四议两公开")


def notice_pdf(matter: Matter, kind: str) -> bytes:
    if kind == RESOLUTION:
        return resolution_pdf(matter)
    if kind == RESULT:
        return result_pdf(matter)
    raise NoticeNotPublished(kind)


def notice_filename(matter: Matter, kind: str) -> str:
    return f"{matter.unit.display_name}{KINDS.get(kind, '')}-{matter.title}.pdf"
