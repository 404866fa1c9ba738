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


# --- residents' side (public pages) --------------------------------------------------------


def gps_photo(
    name: str = "gps.jpg",
    *,
    lat: tuple[float, float, float] = (34.0, 54.0, 36.0),
    lon: tuple[float, float, float] = (112.0, 47.0, 24.0),
) -> SimpleUploadedFile:
    """A real JPEG carrying EXIF GPS tags (N lat, E lon, degrees/minutes/seconds)."""
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: lat, 3: "E", 4: lon})
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def fake_photo(name: str = "notes.jpg") -> SimpleUploadedFile:
    """A text file renamed .jpg: must be refused as "not a valid image"."""
    return SimpleUploadedFile(name, "这不是图片".encode(), content_type="image/jpeg")


# --- mediation, errands, patrol (kinds) -----------------------------------------------------


def mediation_team(unit: Any, *, name: str = "迎秀社区矛盾调解工作室", kind: str = "room") -> Any:
    from lianxin.cases.models import MediationTeam

    return MediationTeam.objects.create(unit=unit, name=name, kind=kind, members="王调解、李调解")


def open_mediation(
    world: Any,
    *,
    persona: str = "village_staff",
    text: str = "1号楼3单元楼上漏水到楼下，两户多次争吵",
    applicant: str = "张建国",
    respondent: str = "李秀兰",
    phone: str = "13812345678",
    team: Any = None,
    unit: Any = None,
) -> Any:
    """A dispute registered at the world's building with two parties (via the service)."""
    from lianxin.cases.services import mediation

    return mediation.mediation_open(
        actor=world.actor(persona),
        unit=unit or world.building,
        dispute_kind="邻里纠纷",
        category=category("neighbour_dispute"),
        description=text,
        team=team,
        parties=[
            mediation.PartyInput(name=applicant, phone=phone, role="applicant"),
            mediation.PartyInput(name=respondent, phone="13987654321", role="respondent"),
        ],
    )


def errand(world: Any, *, persona: str = "grid_worker", done: bool = True, **kw: Any) -> Any:
    """An errand recorded at the world's building (via the service)."""
    from lianxin.cases.services import errands

    kw.setdefault("service", "养老金资格认证")
    kw.setdefault("mode", "home")
    if "beneficiary_id" not in kw:
        kw.setdefault("beneficiary_name", "王秀英")
        kw.setdefault("unit", world.building)
    return errands.errand_record(actor=world.actor(persona), done=done, **kw)


def patrol(world: Any, *, persona: str = "grid_worker", route: str = "1号楼—3号楼—北门") -> Any:
    from lianxin.cases.services import patrol as patrols

    unit = world.grid if persona != "building_leader" else world.building
    return patrols.patrol_start(actor=world.actor(persona), unit=unit, route=route)
