"""The rhythm pages (周通报、月调度; see docs/worklists-projects.md), under /worklists/:

- `bulletin` (/worklists/bulletin/?week=YYYY-Www&unit=<code>): the week's figures;
- `schedule` (/worklists/schedule/?month=YYYY-MM&unit=<code>): the month's lists, plan
  milestones and quotas.

Both default to the actor's first unit (a county or township post reads its own unit) and
the current period; both print (a print stylesheet hides the controls), and `bulletin_pdf` /
`schedule_pdf` give the same report as an A4 PDF to send upward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from lianxin.core import pdf
from lianxin.core.http import ActorRequest
from lianxin.core.paging import require_any
from lianxin.worklists import workflow as wf
from lianxin.worklists.selectors import rhythm as sel


@login_required
@require_GET
def bulletin(request: ActorRequest) -> HttpResponse:
    """周通报: what moved in the week, per township (or village) and in total."""
    actor = require_any(request, wf.VIEW)
    units = sel.rhythm_units(actor)
    unit = sel.rhythm_unit(units, request.GET.get("unit"))
    period = sel.week_of(request.GET.get("week"))
    return render(
        request,
        "worklists/rhythm/bulletin.html",
        {"units": units, "report": sel.bulletin(actor, unit, period)},
    )


@login_required
@require_GET
def schedule(request: ActorRequest) -> HttpResponse:
    """月调度: the month's key-work lists, plan milestones and measures, quota progress."""
    actor = require_any(request, wf.VIEW)
    units = sel.rhythm_units(actor)
    unit = sel.rhythm_unit(units, request.GET.get("unit"))
    period = sel.month_of(request.GET.get("month"))
    return render(
        request,
        "worklists/rhythm/schedule.html",
        {"units": units, "report": sel.schedule(actor, unit, period)},
    )


# --- PDFs ------------------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, numeric_from: int = 1) -> Any:
    """A report table in the CJK font: header row shaded, numbers right-aligned."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Table, TableStyle

    st = pdf.styles()
    cells = [
        [c if isinstance(c, int) else Paragraph(escape(str(c)), st.cell) for c in row]
        for row in rows
    ]
    width = 186 * mm
    table = Table(cells, colWidths=[w * width for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf.cjk_font()),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _lines(title: str, items: Sequence[str], empty: str) -> list[Any]:
    from reportlab.platypus import Paragraph

    st = pdf.styles()
    out: list[Any] = [Paragraph(escape(title), st.heading)]
    out += [Paragraph(escape(f"· {i}"), st.body) for i in items] or [
        Paragraph(escape(empty), st.small)
    ]
    return out


def bulletin_story(report: sel.Bulletin) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    st = pdf.styles()
    b = report.buckets
    labels = [label for _key, label in report.columns]
    rows: list[list[Any]] = [["单位", *labels]]
    rows += [[r.name, *r.cells(report.columns)] for r in [*b.rows, b.total]]
    first = 0.12
    story: list[Any] = [
        Paragraph(escape(f"{report.unit.display_name}“五星”支部创建周通报"), st.title),
        Paragraph(
            escape(f"{report.period.label} · 数据截至 {pdf.print_date(report.as_of)}"), st.small
        ),
        Spacer(1, 3 * mm),
        _table(rows, [first, *[(1 - first) / len(labels)] * len(labels)]),
    ]
    if report.progress_awarded:
        story.append(Paragraph(escape(f"另授进步星 {report.progress_awarded} 个。"), st.small))
    story += _lines(
        "星级申报流转", [f"{label}：{n} 次" for label, n in report.moves], "本周没有申报流转。"
    )
    story += _lines(
        "创建公示",
        [
            f"{n.township.display_name}：{n.title}（{n.starts_on:%m-%d}至{n.ends_on:%m-%d}）"
            for n in report.notices
        ],
        "本周没有发布公示。",
    )
    story += _lines(
        "大比武",
        [f"{c.held_on:%m-%d} {c.host.display_name}：{c.title}" for c in report.contests],
        "本周没有举行大比武。",
    )
    story += _lines(
        "逾期未销号的整改",
        [
            f"{r.inspection.unit.display_name} {r.number}，期限 {r.deadline:%m-%d}，"
            f"逾期 {r.days_overdue} 天"  # type: ignore[attr-defined]
            for r in report.overdue
        ],
        "没有逾期的整改。",
    )
    return story


def schedule_story(report: sel.Schedule) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    st = pdf.styles()
    story: list[Any] = [
        Paragraph(escape(f"{report.unit.display_name}“五星”支部创建月调度"), st.title),
        Paragraph(
            escape(f"{report.period.label} · 生成于 {pdf.print_date(report.today)}"), st.small
        ),
        Spacer(1, 2 * mm),
        Paragraph("重点工作推进清单", st.heading),
    ]
    for wl in report.lists:
        story.append(
            Paragraph(
                escape(f"{wl.name}（{wl.kind}，{len(wl.items)} 项，已完成 {wl.done} 项）"), st.body
            )
        )
        rows: list[list[Any]] = [["事项", "责任人", "完成时限", "状态"]]
        for i in wl.items:
            state = i.get_status_display()
            if i.status == "done" and i.done_on:
                state += f"（{i.done_on:%m-%d}）"
            elif getattr(i, "overdue", False):
                state += "（已逾期）"
            rows.append([i.title, i.responsible, f"{i.due_on:%m-%d}", state])
        story += [_table(rows, [0.5, 0.15, 0.15, 0.2], numeric_from=9), Spacer(1, 2 * mm)]
    if not report.lists:
        story.append(Paragraph("本月还没有重点工作清单。", st.small))
    if report.village_lists:
        rows = [["乡镇（街道）", "清单", "事项", "已完成", "逾期"]]
        rows += [
            [v["township"], v["lists"], v["total"], v["done"], v["overdue"]]
            for v in report.village_lists
        ]
        story += [
            Paragraph("村（社区）清单汇总", st.body),
            _table(rows, [0.4, 0.15, 0.15, 0.15, 0.15]),
        ]
    story.append(Paragraph("创建规划本月节点与举措", st.heading))
    if report.plan_rows:
        rows = [["乡镇（街道）", "村（社区）", "类型", "内容", "时限", "完成"]]
        for r in report.plan_rows:
            done = (
                f"{r['done_on']:%m-%d}" if r["done_on"] else ("逾期" if r["overdue"] else "未完成")
            )
            rows.append(
                [r["township"], r["village"], r["kind"], r["title"], f"{r['due']:%m-%d}", done]
            )
        story.append(_table(rows, [0.15, 0.15, 0.08, 0.42, 0.1, 0.1], numeric_from=9))
    else:
        story.append(Paragraph("本月没有到期的规划节点和举措。", st.small))
    story.append(Paragraph(f"{report.period.start.year}年创建名额完成情况", st.heading))
    if report.quotas:
        rows = [["乡镇（街道）", "星级", "名额", "规划达到", "已达到", "情况"]]
        rows += [
            [
                q.township.display_name,
                f"{q.level}星",
                q.count,
                q.planned,
                q.achieved,
                "已完成" if q.met else f"尚差 {q.short} 个",
            ]
            for q in report.quotas
        ]
        story.append(_table(rows, [0.3, 0.1, 0.12, 0.15, 0.15, 0.18], numeric_from=2))
    else:
        story.append(Paragraph("本年度还没有下达创建名额。", st.small))
    story.append(Paragraph(escape(f"实施中的项目清单项目：{report.open_projects} 个。"), st.body))
    return story


def _pdf(story: Any, title: str, filename: str) -> HttpResponse:
    try:
        content = pdf.render_pdf(story(), title=title)
    except pdf.PdfFontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = str(content_disposition_header(False, filename))
    return response


@login_required
@require_GET
def bulletin_pdf(request: ActorRequest) -> HttpResponse:
    """周通报 as an A4 PDF."""
    actor = require_any(request, wf.VIEW)
    unit = sel.rhythm_unit(sel.rhythm_units(actor), request.GET.get("unit"))
    report = sel.bulletin(actor, unit, sel.week_of(request.GET.get("week")))
    title = f"{unit.display_name}周通报 {report.period.key}"
    return _pdf(lambda: bulletin_story(report), title, f"{title}.pdf")


@login_required
@require_GET
def schedule_pdf(request: ActorRequest) -> HttpResponse:
    """月调度 as an A4 PDF."""
    actor = require_any(request, wf.VIEW)
    unit = sel.rhythm_unit(sel.rhythm_units(actor), request.GET.get("unit"))
    report = sel.schedule(actor, unit, sel.month_of(request.GET.get("month")))
    title = f"{unit.display_name}月调度 {report.period.key}"
    return _pdf(lambda: schedule_story(report), title, f"{title}.pdf")
