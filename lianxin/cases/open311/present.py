"""What Open311 shows: services, their attributes, and requests without personal data.

A request is shown at building level at most (its unit and the units above it, never the
reporter's door or words about where they live), coordinates rounded to about 100 m, phone
and ID numbers in its text masked, and no reporter name, phone, email or account.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Category
from lianxin.core.crypto import mask_id_number, mask_phone
from lianxin.territory.models import Unit, UnitKind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# media_url is kept as the last line of the description (staff see the link on their pages;
# the server never fetches it). This marker finds it again for GET answers.
MEDIA_MARKER = "\n\n图片/视频链接："
PUBLISH = "publish"
LOCATION_DETAIL = "location_detail"
LOCATION_DETAIL_MAX = 100
# One set of attributes for every service, so `metadata` is true for all of them.
ATTRIBUTES: list[dict[str, Any]] = [
    {
        "variable": True,
        "code": PUBLISH,
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "yes 或 no，不填视为 yes",
        "order": 1,
        "description": "是否同意在社区“楼院有话”栏目和本接口公开这条诉求（不公开姓名、电话等个人信息）",
        "values": [{"key": "yes", "name": "同意公开"}, {"key": "no", "name": "不公开"}],
    },
    {
        "variable": True,
        "code": LOCATION_DETAIL,
        "datatype": "string",
        "required": False,
        "datatype_description": f"不超过{LOCATION_DETAIL_MAX}字",
        "order": 2,
        "description": "具体位置，如单元、楼层、门口（只给工作人员看，不公开）",
    },
]
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_ADDRESS_KINDS = (UnitKind.BUILDING, UnitKind.VILLAGE, UnitKind.TOWNSHIP, UnitKind.COUNTY)


def w3(moment: dt.datetime | None) -> str | None:
    """The spec's date format: ISO 8601 with the offset, e.g. 2026-01-05T10:00:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def mask_text(text: str) -> str:
    """Mask mobile and ID numbers a resident typed into public text."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def with_media(description: str, media_url: str) -> str:
    return f"{description.strip()}{MEDIA_MARKER}{media_url}" if media_url else description


def split_media(case: Case) -> tuple[str, str | None]:
    """The description without the media line, and the media URL (Open311 requests only)."""
    text = case.description
    if case.channel == wf.Channel.OPEN311 and MEDIA_MARKER in text:
        body, _, url = text.rpartition(MEDIA_MARKER)
        if url and not any(ch.isspace() for ch in url):
            return body, url
    return text, None


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.help_text or category.name,
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",
        "keywords": ", ".join(category.keywords.split()),
        "group": category.parent.name if category.parent is not None else None,
    }


def definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": ATTRIBUTES}


def _status_notes(case: Case) -> str:
    if case.status in wf.OPEN_STATUSES:
        return case.get_status_display()
    if case.status == wf.Status.MERGED and case.merged_into is not None:
        return f"与{case.merged_into.tracking_no}为同一问题，已合并办理"
    if case.status == wf.Status.REJECTED:
        return (
            "不予受理：" + mask_text(case.rejection_reason) if case.rejection_reason else "不予受理"
        )
    if case.outcome == wf.Outcome.GUIDED:
        return "已引导通过其他途径解决"
    return mask_text(case.result) or case.get_status_display()


def _agency(case: Case) -> str | None:
    names = [
        x.name if x is not None else None for x in (case.handler_department, case.handler_team)
    ]
    if case.handler_unit is not None:
        names.insert(0, case.handler_unit.display_name)
    return " · ".join(n for n in names if n) or None


def _address(case: Case, units: dict[str, Unit]) -> str:
    """Most specific first, building level at most: 迎秀小区1号楼, 迎秀社区, 大定街道, 孟州市."""
    codes = [c for c in case.place_path.split("/") if c]
    names = [
        units[c].display_name
        for c in reversed(codes)
        if c in units and units[c].kind in _ADDRESS_KINDS
    ]
    return ", ".join(names)


def _coordinate(value: Any) -> float | None:
    return round(float(value), 3) if value is not None else None


def request(case: Case, units: dict[str, Unit]) -> dict[str, Any]:
    """One request as GeoReport v2 shows it (no personal data)."""
    description, media_url = split_media(case)
    closed = case.status not in wf.OPEN_STATUSES
    updated = (case.closed_at or case.resolved_at or case.updated_at) if closed else case.updated_at
    return {
        "service_request_id": case.tracking_no,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(case),
        "service_name": case.category.name if case.category is not None else None,
        "service_code": case.category.code if case.category is not None else None,
        "description": mask_text(description),
        "agency_responsible": _agency(case),
        "service_notice": None,
        "requested_datetime": w3(case.received_at),
        "updated_datetime": w3(updated),
        "expected_datetime": w3(case.resolve_due_at),
        "address": _address(case, units),
        "address_id": case.unit.code,
        "zipcode": None,
        "lat": _coordinate(case.latitude),
        "long": _coordinate(case.longitude),
        "media_url": media_url,
    }


def notice(case: Case) -> str:
    due = w3(case.respond_due_at)
    when = timezone.localtime(case.respond_due_at).strftime("%Y-%m-%d %H:%M") if due else ""
    text = f"已登记，受理编号 {case.tracking_no}"
    return text + (f"，工作人员将在 {when} 前响应" if when else "")
