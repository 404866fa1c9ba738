"""Staff lists as Excel files (DESIGN.md: every list a staff member works from can be
exported), each export an audited action: one helper for every app's export view."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_export(
    request: HttpRequest,
    *,
    sheet: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    object_type: str,
    scope_path: str,
    filename: str = "",
) -> FileResponse:
    """Stream `rows` into a write-only workbook, record the export (what, how many rows,
    with which filters) and answer the file, never cached. `filename` defaults to the sheet
    name with a time stamp."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(headers))
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        object_type=object_type,
        object_repr=f"导出{sheet} {count} 条"[:200],
        changes={"filters": {"query": request.GET.urlencode()[:500], "rows": count}},
        scope_path=scope_path,
    )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    response = FileResponse(
        buf, as_attachment=True, filename=filename or f"{sheet}-{stamp}.xlsx", content_type=XLSX
    )
    add_never_cache_headers(response)
    return response
