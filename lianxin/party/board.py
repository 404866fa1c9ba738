"""The printable linkage board (联户公示牌) of a party member, as a one-page PDF.

The board hangs at linked doors and in the service centre, so it carries only masked personal
data: household heads as 张*, the contact phone as 138****5678. The one exception is the
member's own phone, printed in full when the member agreed (`board_phone_consent`): the board
exists so residents can call them. Every such rendering is audited (REVEAL). The QR code leads
to the member's public page (`party:member_public`, no login), which stays masked.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, Spacer, Table, TableStyle

from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import pdf
from lianxin.core.crypto import decrypt, mask_name
from lianxin.core.qr import qr_drawing
from lianxin.party.models import Duty, HouseholdLink, PartyMember

PAGE_SIZES = {"a5": landscape(A5), "a4": landscape(A4)}
PARTY_RED = colors.HexColor("#C8102E")
MARGIN = 8 * mm


def member_public_url(member: PartyMember) -> str:
    """The absolute URL the board's QR code points to: the member's public page.

    Residents scan it without an account, so it is the no-login page, not the staff page.
    """
    base = settings.LIANXIN_PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("party:member_public", kwargs={"public_id": member.public_id})


def household_board_label(link: HouseholdLink) -> str:
    """A household as printed on the board: building, door and the masked head, e.g. 1号楼 3单元501 张*."""
    household = link.household
    parts = [household.unit.display_name, household.address]
    if household.head_name:
        parts.append(mask_name(household.head_name))
    return " ".join(p for p in parts if p)


def board_phone(member: PartyMember) -> tuple[str, bool]:
    """The phone as printed on the board and whether it is the full number.

    Full only with the member's consent and a stored phone (their own contact phone, else the
    linked resident's); otherwise the mask.
    """
    cipher = member.contact_phone_cipher
    if member.board_phone_consent and cipher:
        return decrypt(cipher), True
    return member.contact_phone_masked, False


class PhotoPlaceholder(Flowable):
    """A dashed box where the member's photo is pasted after printing."""

    def __init__(self, width: float, height: float, font: str) -> None:
        super().__init__()
        self.width, self.height, self.font = width, height, font

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(colors.HexColor("#999999"))
        c.setDash(3, 2)
        c.rect(0, 0, self.width, self.height)
        c.setFillColor(colors.HexColor("#999999"))
        c.setFont(self.font, 11)
        c.drawCentredString(self.width / 2, self.height / 2 + 2, "照片")
        c.setFont(self.font, 7)
        c.drawCentredString(self.width / 2, self.height / 2 - 10, "（一寸免冠照）")
        c.restoreState()


def render_member_board(
    member: PartyMember, links: list[HouseholdLink], *, size: str = "a5"
) -> bytes:
    """The board as PDF bytes (A5 landscape by default, or A4 landscape).

    When the full phone is printed, a REVEAL audit event is written for the member.
    """
    pagesize = PAGE_SIZES.get(size, PAGE_SIZES["a5"])
    big = size == "a4"
    font = pdf.cjk_font()
    scale = 1.3 if big else 1.0

    def style(name: str, size_pt: float, **kw: Any) -> object:
        return pdf.paragraph_style(name, size=size_pt * scale, **kw)

    title_style = style("board-title", 20, alignment=TA_CENTER, textColor=colors.white)
    sub_style = style("board-sub", 9.5, alignment=TA_CENTER, textColor=colors.white)
    name_style = style("board-name", 18, leading=24 * scale, alignment=TA_CENTER)
    label_style = style("board-label", 9)
    head_style = style(
        "board-head", 11, textColor=PARTY_RED, spaceBefore=2 * mm, spaceAfter=1.5 * mm
    )
    cell_style = style("board-cell", 9)
    duty_style = style("board-duty", 9.5, alignment=TA_CENTER, textColor=PARTY_RED)
    small_style = style(
        "board-small", 7.5, alignment=TA_CENTER, textColor=colors.HexColor("#555555")
    )

    org = member.organisation
    phone, phone_in_full = board_phone(member)
    width, height = pagesize
    inner_w = width - 2 * MARGIN

    header = Table(
        [
            [Paragraph("党员联户公示牌", title_style)],
            [Paragraph(escape(f"{org.name} · {org.unit.display_name}"), sub_style)],
        ],
        colWidths=[inner_w],
    )
    header.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), PARTY_RED),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5 * mm * scale),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * mm),
            ]
        )
    )

    # Left column: photo, name and the member's facts.
    left_w = 46 * mm * scale
    qr_w = 36 * mm * scale
    mid_w = inner_w - left_w - qr_w
    facts = [
        ("党组织", org.name),
        ("类别", member.get_status_display()),
        ("党内职务", member.duty or "党员"),
        ("联系电话", phone or "—"),
    ]
    if member.is_central_household:
        facts.append(("身份", "党员中心户"))
    left = [
        PhotoPlaceholder(26 * mm * scale, 34 * mm * scale, font),
        Spacer(1, 2 * mm),
        Paragraph(escape(member.name), name_style),
    ]
    left += [Paragraph(f"{label}：{escape(value)}", label_style) for label, value in facts]

    # Middle column: the five duties, then the linked households in two columns.
    duties = Table(
        [[Paragraph(d.label, duty_style) for d in Duty]],
        colWidths=[mid_w / 5] * 5,
    )
    duties.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, PARTY_RED),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, PARTY_RED),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    labels = [household_board_label(link) for link in links]
    rows = []
    for i in range(0, len(labels), 2):
        pair = labels[i : i + 2] + [""] * (2 - len(labels[i : i + 2]))
        rows.append([Paragraph(escape(text), cell_style) for text in pair])
    if not rows:
        rows = [[Paragraph("暂未联系住户", cell_style), ""]]
    households = Table(rows, colWidths=[mid_w / 2] * 2)
    households.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#DDDDDD")),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2 * mm),
            ]
        )
    )
    middle = [
        Paragraph("履职职责", head_style),
        duties,
        Paragraph(f"联系户（{len(links)}户）", head_style),
        households,
    ]

    # Right column: QR code to the member's page.
    right = [
        qr_drawing(member_public_url(member), size=qr_w - 4 * mm),
        Paragraph("扫码联系党员", small_style),
        Paragraph("有事找党员，服务在身边", small_style),
    ]

    body = Table([[left, middle, right]], colWidths=[left_w, mid_w, qr_w])
    body.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 3 * mm),
                ("ALIGN", (0, 0), (0, 0), "CENTER"),
                ("ALIGN", (2, 0), (2, 0), "CENTER"),
            ]
        )
    )
    avail_h = height - 2 * MARGIN - 6 * mm
    # A member with many households still gets a one-page board: the content shrinks to fit.
    story = [KeepInFrame(inner_w, avail_h, [header, body], mode="shrink")]
    data = pdf.render_pdf(
        story,
        title=f"党员联户公示牌 {member.name}",
        pagesize=pagesize,
        margin=MARGIN,
        footer=f"{org.unit.display_name} · 公示日期 {pdf.print_date()}",
    )
    if phone_in_full:
        # After rendering, so a failed print (no font) leaves no trace of a reveal.
        audit_record(
            action=AuditEvent.Action.REVEAL,
            obj=member,
            changes={"phone": {"printed_on_board": True}},
        )
    return data
