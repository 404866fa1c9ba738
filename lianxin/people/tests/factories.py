"""Test data for the people app, built on the shared persona world (lianxin.core.testing)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from lianxin.core import testing
from lianxin.core.idnumber import make_id_number
from lianxin.core.testing import make_household, next_seq


def id_number(birth: dt.date | None = None, area: str = "410883") -> str:
    """A valid, unique-enough ID number."""
    seq = next_seq()
    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=seq * 53 % 20000)
    return make_id_number(area, birth, seq % 1000)


def make_resident(
    household: Any, *, name: str = "张建国", birth: dt.date | None = None, phone: str | None = None
) -> Any:
    """`core.testing.make_resident` with a birth date that stays in the past however many
    residents a test session creates."""
    birth = birth or dt.date(1940, 1, 1) + dt.timedelta(days=next_seq() * 37 % 25000)
    return testing.make_resident(household, name=name, birth=birth, phone=phone)


def tag(code: str = "elderly_alone") -> Any:
    from lianxin.people.models import VulnerabilityTag

    return VulnerabilityTag.objects.get(code=code)


def ledger_entry(
    world: Any, *, resident: Any = None, code: str = "elderly_alone", **kwargs: Any
) -> Any:
    from lianxin.people.services import ledger_entry_create

    if resident is None:
        resident = make_resident(make_household(world.building), name=kwargs.pop("name", "王秀英"))
    kwargs.setdefault("helper_user", world.users["grid_worker"])
    return ledger_entry_create(
        actor=world.actor("village_staff"), resident=resident, tag=tag(code), **kwargs
    )


def xlsx(headers: list[str], rows: list[list[Any]], sheet: str = "数据") -> bytes:
    """An xlsx file with a header row and data rows (cells as given, None = empty)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_job(
    world: Any, *, kind: str = "residents", rows: list[list[Any]] | None = None, **kwargs: Any
) -> Any:
    """A queued (not yet run) import job created by village_staff into the village."""
    from lianxin.people.services import import_job_create

    headers = ["楼栋", "门牌", "姓名", "身份证号", "手机号", "与户主关系"]
    content = xlsx(
        headers,
        rows
        if rows is not None
        else [["迎秀小区1号楼", "1单元101", "赵一", id_number(), "", "户主"]],
    )
    return import_job_create(
        actor=world.actor(kwargs.pop("persona", "village_staff")),
        kind=kind,
        unit=kwargs.pop("unit", world.village),
        mode=kwargs.pop("mode", "all_or_nothing"),
        filename=kwargs.pop("filename", "居民.xlsx"),
        content=content,
        enqueue=False,
    )


def png_bytes(
    size: tuple[int, int] = (40, 30), color: str = "red", exif_gps: bool = False
) -> bytes:
    from PIL import Image

    img = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "LeakyCam"  # Make
        exif[0x8825] = {1: "N", 2: (34.0, 52.0, 0.0)}  # GPS IFD
        img.save(out, format="JPEG", exif=exif)
    else:
        img.save(out, format="PNG")
    return out.getvalue()
