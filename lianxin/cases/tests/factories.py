"""Factories for requests: real service calls, so every test case is a reachable state."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.cases.models import Case, Category
from lianxin.cases.services import intake, lifecycle

DEFAULT_TEXT = "3号楼2单元楼道灯不亮好几天了，晚上上下楼很危险"


def category(code: str = "lighting") -> Category:
    return Category.objects.get(code=code)


def photo(
    name: str = "photo.jpg", *, color: str = "red", size: tuple[int, int] = (40, 30)
) -> SimpleUploadedFile:
    """A real small JPEG upload."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def submit(
    unit: Any,
    *,
    text: str = DEFAULT_TEXT,
    phone: str = "",
    code: str | None = "lighting",
    **kw: Any,
) -> intake.Submitted:
    """A resident's QR submission at `unit`."""
    return intake.case_submit_public(
        unit=unit,
        description=text,
        category=category(code) if code else None,
        phone=phone,
        **kw,
    )


def make_case(unit: Any, **kw: Any) -> Case:
    return submit(unit, **kw).case


def assigned_case(world: Any, **kw: Any) -> Case:
    """A request at the world's building dispatched to the grid worker."""
    case = make_case(world.building, **kw)
    lifecycle.case_assign(
        case=case,
        actor=world.actor("village_staff"),
        handler_unit=world.grid,
        assignee_id=world.users["grid_worker"].pk,
    )
    return case


def resolved_case(world: Any, **kw: Any) -> Case:
    case = assigned_case(world, **kw)
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="已更换楼道灯泡，恢复照明")
    return case
