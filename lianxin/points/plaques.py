"""Printable door plaques of the 三类户 ratings (挂牌), one plaque per page.

The plaque goes on the household's door, so it names the household in full (head's name,
building and door): the household agreed to the rating being posted. Only published
ratings print. Drawn straight on the canvas (the layout is fixed, like a certificate), in
the embedded CJK font of `lianxin.core.pdf`, A5 landscape by default or A4 landscape.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from lianxin.core import pdf
from lianxin.party.models import OrgKind, PartyOrganisation
from lianxin.points.models import HouseholdRating
from lianxin.territory.models import Unit

PAGE_SIZES = {"a5": landscape(A5), "a4": landscape(A4)}
LEVEL_COLOURS: dict[str, colors.Color] = {
    HouseholdRating.Level.TOP: colors.HexColor("#C8102E"),
    HouseholdRating.Level.MID: colors.HexColor("#1F5FA8"),
    HouseholdRating.Level.LOW: colors.HexColor("#8A5A00"),
}
GOLD = colors.HexColor("#C9A227")
INK = colors.HexColor("#222222")
SOFT = colors.HexColor("#555555")
# Committees first: the issuer is the village's highest party organisation.
ORG_ORDER = [OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH]


@dataclass(frozen=True)
class Plaque:
    """What one plaque prints."""

    title: str  # 示范户
    level: str
    year: int
    village: str  # 迎秀社区
    household: str  # 张建国家
    place: str  # 迎秀小区1号楼 3单元201
    issuers: tuple[str, ...]  # 中共迎秀社区委员会, 迎秀居民委员会
    issued_on: dt.date


def issuers_of(village: Unit) -> tuple[str, ...]:
    """Who awards the plaque: the village's party organisation (if registered) and the
    village committee (the unit's official name)."""
    orgs = list(
        PartyOrganisation.objects.filter(
            unit=village, is_active=True, kind__in=ORG_ORDER
        ).values_list("name", "kind")
    )
    orgs.sort(key=lambda o: ORG_ORDER.index(o[1]))
    names = [orgs[0][0]] if orgs else []
    names.append(village.name or village.display_name)
    return tuple(dict.fromkeys(n for n in names if n))


def plaques_for(ratings: Sequence[HouseholdRating]) -> list[Plaque]:
    """Plaques for published ratings (with `account__household__unit` and `account__village`
    loaded); one issuer query per village."""
    issuers: dict[int, tuple[str, ...]] = {}
    plaques = []
    for rating in ratings:
        account = rating.account
        village = account.village
        household = account.household
        if village is None or household is None or rating.published_at is None:
            continue
        if village.pk not in issuers:
            issuers[village.pk] = issuers_of(village)
        plaques.append(
            Plaque(
                title=rating.label,
                level=rating.level,
                year=rating.year,
                village=village.display_name,
                household=f"{household.head_name or ''}家" if household.head_name else "",
                place=f"{household.unit.display_name} {household.address}".strip(),
                issuers=issuers[village.pk],
                issued_on=timezone.localdate(rating.published_at),
            )
        )
    return plaques


def _fit(font: str, text: str, size: float, width: float) -> float:
    """The largest size ≤ `size` at which `text` fits in `width`."""
    measured = stringWidth(text, font, size)
    return size if measured <= width else max(6.0, size * width / measured)


def _draw(c: Canvas, plaque: Plaque, font: str, width: float, height: float) -> None:
    k = width / landscape(A5)[0]  # 1.0 on A5, ~1.41 on A4
    colour = LEVEL_COLOURS.get(plaque.level, LEVEL_COLOURS[HouseholdRating.Level.TOP])
    inner = width - 2 * 16 * mm * k

    # Frame: a thick coloured border with a thin gold line inside (a certificate's look).
    c.setStrokeColor(colour)
    c.setLineWidth(4 * k)
    c.rect(7 * mm * k, 7 * mm * k, width - 14 * mm * k, height - 14 * mm * k)
    c.setStrokeColor(GOLD)
    c.setLineWidth(1 * k)
    c.rect(10 * mm * k, 10 * mm * k, width - 20 * mm * k, height - 20 * mm * k)

    cx = width / 2
    c.setFillColor(SOFT)
    c.setFont(font, 12 * k)
    c.drawCentredString(cx, height - 24 * mm * k, f"{plaque.village} · {plaque.year}年度")

    c.setFillColor(colour)
    size = _fit(font, plaque.title, 72 * k, inner)
    c.setFont(font, size)
    c.drawCentredString(cx, height - 24 * mm * k - size * 1.05, plaque.title)

    # A short gold rule between the title and the household.
    rule_y = height / 2 + 2 * mm * k
    c.setStrokeColor(GOLD)
    c.setLineWidth(1.2 * k)
    c.line(cx - 30 * mm * k, rule_y, cx + 30 * mm * k, rule_y)

    y = height / 2 - 12 * mm * k
    c.setFillColor(INK)
    size = _fit(font, plaque.household, 24 * k, inner)
    c.setFont(font, size)
    c.drawCentredString(cx, y, plaque.household)
    size = _fit(font, plaque.place, 15 * k, inner)
    c.setFont(font, size)
    c.drawCentredString(cx, y - 9 * mm * k, plaque.place)

    # Issuer and date, bottom right, like the seal block of a certificate.
    right = width - 18 * mm * k
    c.setFillColor(INK)
    c.setFont(font, 11 * k)
    lines = [*plaque.issuers, pdf.print_date(plaque.issued_on)]
    for i, line in enumerate(reversed(lines)):
        c.drawRightString(right, 17 * mm * k + i * 6 * mm * k, line)
    c.setFillColor(SOFT)
    c.setFont(font, 8 * k)
    c.drawString(18 * mm * k, 17 * mm * k, "党群积分 · 三类户评定")


def render_plaques(plaques: Iterable[Plaque], *, size: str = "a5") -> bytes:
    """The plaques as PDF bytes, one per page (A5 or A4 landscape)."""
    font = pdf.cjk_font()  # raises PdfFontMissing before anything is drawn
    width, height = PAGE_SIZES.get(size, PAGE_SIZES["a5"])
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(width, height))
    c.setTitle("三类户门牌")
    c.setAuthor("连心")
    c.setCreator("lianxin")
    for plaque in plaques:
        _draw(c, plaque, font, width, height)
        c.showPage()
    c.save()
    return buffer.getvalue()
