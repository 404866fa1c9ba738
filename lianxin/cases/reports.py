"""Workbooks and printable PDFs of request figures, and the generated reports (每周汇总、每月通报).

- `figures_workbook(data)` / `figures_pdf(data)` turn `Figures.as_dict()` into an xlsx or a
  PDF. They take the JSON form, so a stored report can always be rendered again from its
  `CaseReport.figures`.
- `generate_reports(period=..., date_from=...)` writes one `CaseReport` per grid (weekly) or
  per village/community (monthly), with the figures JSON and both files. Work is batched per
  parent unit: `figures.children_figures` computes all children of one village (or street) in
  a constant number of queries, and the rows are inserted in one statement. Re-running is
  idempotent: a report that exists for (unit, period, date_from) is kept unless `force`.
- The Huey periodic tasks are declared here (at the end): Monday 01:00 for the previous week,
  the 1st at 02:00 for the previous month, in the deployment's time zone (Asia/Shanghai).
  `lianxin/cases/tasks.py` imports this module so the worker registers them.
- `run_report_cli` is `lianxin report cases ...`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.figures import (
    BREAKDOWN_COUNTS,
    BREAKDOWN_RATES,
    COUNT_LABELS,
    RATE_LABELS,
    SECTIONS,
    children_figures,
    format_rate,
    unit_figures,
)
from lianxin.cases.models import CaseReport
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.territory.models import Unit

logger = logging.getLogger(__name__)

WEEK, MONTH = "week", "month"
PERIOD_LABELS = {WEEK: "每周汇总", MONTH: "每月通报"}
# Weekly summaries per grid, monthly reports per village/community: (report unit kind,
# the parent kind a batch runs over).
PERIOD_UNITS = {WEEK: ("grid", "village"), MONTH: ("village", "township")}

RATE_NOTES = [
    "有效回访：统计期内受理、已记录满意度（满意/基本满意/不满意）的诉求。",
    "响应率 = 按时联系反映人（已受理且未超过响应时限）的有效回访 ÷ 有效回访。",
    "解决率 = 目前仍为已办结的有效回访 ÷ 有效回访。",
    "满意率 =（满意 + 基本满意 × {basic_satisfied}）÷ 有效回访。",
    "综合得分 = 响应率 × {response} + 解决率 × {resolution} + 满意率 × {satisfaction}。",
]


# --- titles and periods ------------------------------------------------------------------


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(date_from: dt.date, date_to: dt.date) -> str:
    return f"{_cn_date(date_from)}至{_cn_date(date_to)}"


def figures_title(data: Mapping[str, Any], period: str | None = None) -> str:
    """「迎秀社区诉求办理每月通报（2026年3月）」 or 「迎秀社区诉求办理统计」 for a free period."""
    name = data["unit"]["name"]
    date_from = dt.date.fromisoformat(data["date_from"])
    date_to = dt.date.fromisoformat(data["date_to"])
    if period == MONTH:
        return f"{name}诉求办理每月通报（{date_from.year}年{date_from.month}月）"
    if period == WEEK:
        return f"{name}诉求办理每周汇总（{period_text(date_from, date_to)}）"
    return f"{name}诉求办理统计（{period_text(date_from, date_to)}）"


def previous_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week before the one holding `today`."""
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return monday, monday + dt.timedelta(days=6)


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def period_end(period: str, date_from: dt.date) -> dt.date:
    if period == WEEK:
        return date_from + dt.timedelta(days=6)
    nxt = (date_from.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


# --- workbook ----------------------------------------------------------------------------


def _rate_cell(value: str | None) -> Decimal | str:
    return Decimal(value) if value is not None else "—"


def figures_workbook(data: Mapping[str, Any], *, title: str | None = None) -> bytes:
    """The figures as an xlsx: 汇总 (every count and rate), 来源与分类, 下级单位."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    title = title or figures_title(data)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="EEF1F5")
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["单位", f"{data['unit']['name']}（{data['unit']['code']}）"])
    ws.append(
        [
            "统计期间",
            period_text(
                dt.date.fromisoformat(data["date_from"]), dt.date.fromisoformat(data["date_to"])
            ),
        ]
    )
    ws.append([])
    counts, rates = data["counts"], data["rates"]
    for section, keys in SECTIONS:
        ws.append([section])
        ws.cell(ws.max_row, 1).font = bold
        ws.cell(ws.max_row, 1).fill = head_fill
        for key in keys:
            ws.append([COUNT_LABELS[key], counts[key]])
    ws.append(["比率"])
    ws.cell(ws.max_row, 1).font = bold
    ws.cell(ws.max_row, 1).fill = head_fill
    for key, label in RATE_LABELS.items():
        ws.append([label, _rate_cell(rates[key])])
        if rates[key] is not None:
            ws.cell(ws.max_row, 2).number_format = "0.00%"
    ws.append([])
    for note in rate_notes(data):
        ws.append([note])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40

    shares = wb.create_sheet("来源与分类")
    for heading, key in (
        ("来源渠道", "by_channel"),
        ("三事分流", "by_level"),
        ("类别", "by_category"),
    ):
        shares.append([heading, "件数"])
        for cell in shares[shares.max_row]:
            cell.font = bold
            cell.fill = head_fill
        for share in data[key]:
            shares.append([share["name"], share["count"]])
        shares.append([])
    shares.column_dimensions["A"].width = 22

    kids = wb.create_sheet("下级单位")
    header = ["单位", "编码"] + list(COUNT_LABELS.values()) + list(RATE_LABELS.values())
    kids.append(header)
    for cell in kids[1]:
        cell.font = bold
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for child in data["children"]:
        row: list[Any] = [child["name"], child["code"]]
        row += [child["counts"][k] for k in COUNT_LABELS]
        row += [_rate_cell(child["rates"][k]) for k in RATE_LABELS]
        kids.append(row)
        for i in range(len(RATE_LABELS)):
            cell = kids.cell(kids.max_row, 3 + len(COUNT_LABELS) + i)
            if not isinstance(cell.value, str):
                cell.number_format = "0.00%"
    kids.column_dimensions["A"].width = 22
    kids.column_dimensions["B"].width = 18
    for i in range(3, len(header) + 1):
        kids.column_dimensions[get_column_letter(i)].width = 10
    kids.freeze_panes = "C2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rate_notes(data: Mapping[str, Any]) -> list[str]:
    w = data["weights"]
    return [note.format(**w) for note in RATE_NOTES]


# --- PDF ---------------------------------------------------------------------------------


def figures_pdf(data: Mapping[str, Any], *, title: str | None = None) -> bytes:
    """A printable A4 report of the figures (embedded CJK font, see core.pdf)."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    from lianxin.core import pdf

    title = title or figures_title(data)
    st = pdf.styles()
    font = pdf.cjk_font()
    grid_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )

    def styled(table: Table, value_columns: list[int]) -> Table:
        table.setStyle(grid_style)
        table.setStyle(TableStyle([("ALIGN", (c, 1), (c, -1), "RIGHT") for c in value_columns]))
        return table

    width = 186 * mm
    counts, rates = data["counts"], data["rates"]
    story: list[Any] = [
        Paragraph(escape(title), st.title),
        Paragraph(
            escape(
                f"单位：{data['unit']['name']}（{data['unit']['code']}）　统计期间："
                + period_text(
                    dt.date.fromisoformat(data["date_from"]),
                    dt.date.fromisoformat(data["date_to"]),
                )
            ),
            st.body,
        ),
        Spacer(1, 3 * mm),
    ]
    headline = [
        ("受理诉求", str(counts["received"])),
        ("已办结", str(counts["resolved"])),
        ("超期", str(counts["overdue"])),
        ("吹哨", str(counts["whistles"])),
        ("响应率", format_rate(rates["response_rate"])),
        ("解决率", format_rate(rates["resolution_rate"])),
        ("满意率", format_rate(rates["satisfaction_rate"])),
        ("综合得分", format_rate(rates["composite_score"])),
    ]
    head_table = Table(
        [[h[0] for h in headline[:4]], [h[1] for h in headline[:4]]]
        + [[h[0] for h in headline[4:]], [h[1] for h in headline[4:]]],
        colWidths=[width / 4] * 4,
    )
    head_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("FONTSIZE", (0, 1), (-1, 1), 16),
                ("FONTSIZE", (0, 3), (-1, 3), 16),
                ("LEADING", (0, 1), (-1, 1), 20),
                ("LEADING", (0, 3), (-1, 3), 20),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.HexColor("#555555")),
                ("TEXTCOLOR", (0, 2), (-1, 2), colors.HexColor("#555555")),
            ]
        )
    )
    story += [head_table, Spacer(1, 4 * mm)]

    # Every count, two label/value pairs per row.
    pairs: list[tuple[str, str]] = []
    for _section, keys in SECTIONS:
        pairs += [(COUNT_LABELS[k], str(counts[k])) for k in keys]
    pairs += [(label, format_rate(rates[k])) for k, label in RATE_LABELS.items()]
    half = (len(pairs) + 1) // 2
    left, right = pairs[:half], pairs[half:] + [("", "")] * (half - len(pairs[half:]))
    rows = [["指标", "数值", "指标", "数值"]] + [
        [a[0], a[1], b[0], b[1]] for a, b in zip(left, right, strict=True)
    ]
    table = styled(Table(rows, colWidths=[width * 0.32, width * 0.18] * 2, repeatRows=1), [1, 3])
    story += [Paragraph("各项指标", st.heading), table]

    # Channels, levels and categories side by side in one table.
    blocks = [
        ("来源渠道", data["by_channel"]),
        ("三事分流", data["by_level"]),
        ("类别", data["by_category"]),
    ]
    depth = max(len(b[1]) for b in blocks)
    share_rows: list[list[str]] = [[]]
    for heading, _items in blocks:
        share_rows[0] += [heading, "件数"]
    for i in range(depth):
        row: list[str] = []
        for _heading, items in blocks:
            row += [items[i]["name"], str(items[i]["count"])] if i < len(items) else ["", ""]
        share_rows.append(row)
    shares = styled(
        Table(share_rows, colWidths=[width * 0.22, width * 0.113] * 3, repeatRows=1), [1, 3, 5]
    )
    story += [Paragraph("来源与分类", st.heading), shares]

    if data["children"]:
        head = ["单位"] + [COUNT_LABELS[k] for k in BREAKDOWN_COUNTS]
        head += [RATE_LABELS[k] for k in BREAKDOWN_RATES]
        kid_rows: list[list[Any]] = [[Paragraph(escape(h), st.cell) for h in head]]
        for child in data["children"]:
            kid_rows.append(
                [Paragraph(escape(child["name"]), st.cell)]
                + [str(child["counts"][k]) for k in BREAKDOWN_COUNTS]
                + [format_rate(child["rates"][k]) for k in BREAKDOWN_RATES]
            )
        first = width * 0.2
        rest = (width - first) / (len(head) - 1)
        kids = styled(
            Table(kid_rows, colWidths=[first] + [rest] * (len(head) - 1), repeatRows=1),
            list(range(1, len(head))),
        )
        # Eleven columns on A4: smaller type and padding so "100.00%" fits.
        kids.setStyle(
            TableStyle(
                [
                    ("FONTSIZE", (0, 1), (-1, -1), 8),
                    ("LEFTPADDING", (1, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (1, 0), (-1, -1), 2),
                ]
            )
        )
        story += [Paragraph("下级单位", st.heading), kids]

    story += [Spacer(1, 4 * mm), Paragraph("统计口径", st.heading)]
    story += [Paragraph(escape(note), st.small) for note in rate_notes(data)]
    story.append(
        Paragraph(
            "诉求类指标按统计期内受理的诉求（地点在本单位及下级范围内）计算，反映生成报表时的办理状态；"
            "吹哨按统计期内发起的吹哨计算。",
            st.small,
        )
    )
    return pdf.render_pdf(story, title=title, footer=f"{data['unit']['name']} · {title}")


# --- generated reports -------------------------------------------------------------------


def reports_for(actor: Actor) -> QuerySet[CaseReport]:
    """Reports of units in the actor's report scope, newest first."""
    return (
        CaseReport.objects.visible_to(actor, wf.REPORT)
        .select_related("unit")
        .order_by("-date_from", "period", "unit__path")
    )


def report_get(actor: Actor, public_id: object) -> CaseReport:
    """One report in the actor's report scope, or 404."""
    report: CaseReport = CaseReport.objects.get_visible(actor, wf.REPORT, public_id=public_id)
    return report


def report_title(report: CaseReport) -> str:
    return figures_title(report.figures, report.period)


def report_file(report: CaseReport, fmt: str) -> bytes:
    """The stored file, or (missing or unreadable) the file rendered again from the JSON."""
    stored = report.xlsx if fmt == "xlsx" else report.pdf
    if stored:
        try:
            with stored.open("rb") as fh:
                return bytes(fh.read())
        except OSError:
            logger.warning("report file %s missing, rendering again", stored.name)
    title = report_title(report)
    if fmt == "xlsx":
        return figures_workbook(report.figures, title=title)
    return figures_pdf(report.figures, title=title)


def _file_name(unit: Unit, period: str, date_from: dt.date, ext: str) -> str:
    return f"{unit.code}-{period}-{date_from:%Y%m%d}.{ext}"


def _render_files(data: dict[str, Any], title: str) -> tuple[bytes, bytes | None]:
    from lianxin.core.pdf import PdfFontMissing

    xlsx = figures_workbook(data, title=title)
    try:
        pdf_bytes: bytes | None = figures_pdf(data, title=title)
    except PdfFontMissing as exc:
        # The download renders it again once a font is installed.
        logger.warning("report PDF not generated: %s", exc)
        pdf_bytes = None
    return xlsx, pdf_bytes


def has_activity(counts: Mapping[str, int]) -> bool:
    """A unit gets a report for a period when something happened there: a request received or
    a whistle raised. (Thousands of imported villages that do not use the system yet would
    otherwise get a page of zeros every month; the figures page still shows their zeros.)"""
    return bool(counts["received"] or counts["whistles"])


def generate_for_parent(
    *, period: str, parent: Unit, date_from: dt.date, force: bool = False
) -> int:
    """Write the reports of the children (of the period's kind) of `parent` that had activity
    in the period; returns how many were written. Constant queries whatever the number of
    children."""
    if period not in PERIOD_UNITS:
        raise DomainError("未知的报表周期", field="period")
    kind, _parent_kind = PERIOD_UNITS[period]
    date_to = period_end(period, date_from)
    existing = {
        r.unit_id: r
        for r in CaseReport.objects.filter(unit__parent=parent, period=period, date_from=date_from)
    }
    if not force and existing:
        wanted = Unit.objects.filter(parent=parent, kind=kind, is_active=True)
        if not wanted.exclude(pk__in=list(existing)).exists():
            return 0
    from django.core.files.storage import default_storage

    figures = children_figures(parent=parent, date_from=date_from, date_to=date_to, kinds=[kind])
    children = {u.code: u for u in Unit.objects.filter(parent=parent, kind=kind, is_active=True)}
    new: list[CaseReport] = []
    changed: list[CaseReport] = []
    for fig in figures:
        unit = children[fig.unit.code]
        report = existing.get(unit.pk)
        if (report is not None and not force) or not has_activity(fig.counts):
            continue
        data = fig.as_dict()
        title = figures_title(data, period)
        xlsx, pdf_bytes = _render_files(data, title)
        if report is not None:
            for old in (report.xlsx, report.pdf):
                if old:
                    old.storage.delete(old.name)
        year = f"case-reports/{date_from:%Y}/"
        xlsx_name = default_storage.save(
            year + _file_name(unit, period, date_from, "xlsx"), ContentFile(xlsx)
        )
        pdf_name = (
            default_storage.save(
                year + _file_name(unit, period, date_from, "pdf"), ContentFile(pdf_bytes)
            )
            if pdf_bytes is not None
            else ""
        )
        if report is None:
            new.append(
                CaseReport(
                    unit=unit,
                    period=period,
                    date_from=date_from,
                    date_to=date_to,
                    figures=data,
                    xlsx=xlsx_name,
                    pdf=pdf_name,
                )
            )
        else:
            report.date_to, report.figures = date_to, data
            report.xlsx.name, report.pdf.name = xlsx_name, pdf_name
            report.updated_at = timezone.now()
            changed.append(report)
    with transaction.atomic():
        # A concurrent run may have written some rows since the check: keep theirs.
        CaseReport.objects.bulk_create(new, ignore_conflicts=True)
        if changed:
            CaseReport.objects.bulk_update(
                changed, ["date_to", "figures", "xlsx", "pdf", "updated_at"]
            )
    return len(new) + len(changed)


def report_parents(period: str) -> QuerySet[Unit]:
    """The parent units a period's batch runs over: villages with grids (weekly), streets
    with villages (monthly)."""
    kind, parent_kind = PERIOD_UNITS[period]
    return (
        Unit.objects.filter(
            kind=parent_kind,
            is_active=True,
            children__kind=kind,
            children__is_active=True,
        )
        .distinct()
        .order_by("path")
    )


def generate_reports(
    *, period: str, date_from: dt.date, force: bool = False, parents: Iterable[Unit] | None = None
) -> int:
    """All reports of one period (every grid's week, or every village's month)."""
    total = 0
    for parent in parents if parents is not None else report_parents(period):
        total += generate_for_parent(period=period, parent=parent, date_from=date_from, force=force)
    return total


# --- periodic tasks ----------------------------------------------------------------------


def local_crontab(**fields: str) -> Callable[[dt.datetime], bool]:
    """A Huey crontab read in the deployment's time zone (Huey itself compares in UTC)."""
    check = crontab(**fields)
    tz = ZoneInfo(settings.TIME_ZONE)

    def validate(timestamp: dt.datetime) -> bool:
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=dt.UTC) if HUEY.utc else timestamp.astimezone()
        return bool(check(timestamp.astimezone(tz).replace(tzinfo=None)))

    return validate


def _today() -> dt.date:
    return timezone.localdate(clock.now())


@db_task()
def report_batch_task(period: str, parent_id: int, date_from: str, force: bool = False) -> int:
    """One parent unit's reports (a village's grids, or a street's villages)."""
    parent = Unit.objects.get(pk=parent_id)
    return generate_for_parent(
        period=period, parent=parent, date_from=dt.date.fromisoformat(date_from), force=force
    )


def enqueue_period(period: str, date_from: dt.date) -> int:
    """Queue one batch per parent unit; returns how many batches were queued."""
    ids = list(report_parents(period).values_list("pk", flat=True))
    for parent_id in ids:
        report_batch_task(period, parent_id, date_from.isoformat())
    return len(ids)


@db_periodic_task(local_crontab(minute="0", hour="1", day_of_week="1"))
def weekly_reports_task() -> int:
    """Monday 01:00: every grid's summary of the previous week (每周汇总)."""
    return enqueue_period(WEEK, previous_week(_today())[0])


@db_periodic_task(local_crontab(minute="0", hour="2", day="1"))
def monthly_reports_task() -> int:
    """The 1st at 02:00: every village/community's report of the previous month (每月通报)."""
    return enqueue_period(MONTH, previous_month(_today())[0])


# --- command line ------------------------------------------------------------------------


def _parse_day(value: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{label}“{value}”不是有效日期，格式应为 YYYY-MM-DD") from None


def run_report_cli(
    *, unit_code: str, date_from: str, date_to: str, fmt: str, output: str | None
) -> int:
    """`lianxin report cases`: print the figures as JSON or write them as xlsx (or JSON) to
    `output`. Bad input: a message on stderr and exit code 2."""
    try:
        start = _parse_day(date_from, "开始日期 --from")
        end = _parse_day(date_to, "结束日期 --to")
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise DomainError(f"找不到编码为 {unit_code} 的单位")
        if fmt == "xlsx" and not output:
            raise DomainError("xlsx 格式需要用 --output 指定文件")
        data = unit_figures(unit=unit, date_from=start, date_to=end).as_dict()
    except DomainError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    if fmt == "xlsx":
        assert output is not None
        Path(output).write_bytes(figures_workbook(data))
        print(f"已写入 {output}", file=sys.stderr)
        return 0
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
        print(f"已写入 {output}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0
