"""Collective economy (村集体经济): a village records its yearly operating income by source.

Statements are append-only: the first record of a year is revision 1, a correction is a new
statement with the next revision (and a note saying why); the highest revision is the year's
figure. Only the village itself (`stars.declare` at the village) records; the township and the
county read. The cadre reward rule (seed 000, `workflow.reward_for`) reads the current
statements of two consecutive years with the county's settings of the year.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Max

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars import workflow as wf
from lianxin.stars.models import IncomeLine, IncomeSource, IncomeStatement
from lianxin.territory.models import Unit, UnitKind

FIRST_YEAR = 2000
AMOUNT_LIMIT = Decimal("999999999999.99")
CONFLICT = "该年度收入刚刚有人填报或更正，请查看最新数据后再提交"


def amount_field(source: str) -> str:
    """The form field (and error field) of a source's amount."""
    return f"amount_{source}"


def actor_label(actor: Actor) -> str:
    return f"{actor.display_name}（{actor.post_label}）"[:150] if actor.user_id else "系统"


def current_revision(unit: Unit, year: int) -> int:
    """The highest revision recorded for the village and year (0 when none)."""
    agg = IncomeStatement.objects.filter(unit=unit, year=year).aggregate(m=Max("revision"))
    return int(agg["m"] or 0)


def _amounts(amounts: Mapping[str, object]) -> dict[str, Decimal]:
    unknown = set(amounts) - set(IncomeSource.values)
    if unknown:
        raise DomainError(f"未知的收入来源：{'、'.join(sorted(unknown))}")
    cleaned: dict[str, Decimal] = {}
    for source in IncomeSource.values:
        raw = amounts.get(source)
        if raw is None or raw == "":
            continue
        label = IncomeSource(source).label
        field = amount_field(source)
        try:
            value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
        except (InvalidOperation, ValueError) as exc:
            raise DomainError(f"{label}金额应为数字", field=field) from exc
        if not value.is_finite():
            raise DomainError(f"{label}金额应为数字", field=field)
        if value < 0:
            raise DomainError(f"{label}金额不能为负数", field=field)
        if value > AMOUNT_LIMIT:
            raise DomainError(f"{label}金额过大", field=field)
        if value != value.quantize(wf.MONEY):
            raise DomainError(f"{label}金额最多保留两位小数（分）", field=field)
        cleaned[source] = value
    if not cleaned:
        raise DomainError(
            "请至少填写一项收入来源的金额（没有收入的填 0）",
            field=amount_field(IncomeSource.values[0]),
        )
    return cleaned


@transaction.atomic
def income_record(
    *,
    actor: Actor,
    unit: Unit,
    year: int,
    amounts: Mapping[str, object],
    note: str = "",
    expected_revision: int | None = None,
) -> IncomeStatement:
    """Record (or correct) a village's operating income of `year`, one amount per source.

    The total is computed. A correction is a new revision with a note; `expected_revision`
    is the revision the form showed (a compare-and-set: someone else's correction in between
    is refused, never overwritten)."""
    if not actor.can(wf.DECLARE, unit.path):
        raise PermissionDenied("集体经济收入由本村（社区）填报")
    if unit.kind != UnitKind.VILLAGE:
        raise DomainError("集体经济收入按村（社区）填报", field="unit")
    this_year = clock.today().year
    if not isinstance(year, int) or isinstance(year, bool):
        raise DomainError("年度应为整数", field="year")
    if year > this_year:
        raise DomainError(f"年度不能晚于今年（{this_year}年）", field="year")
    if year < FIRST_YEAR:
        raise DomainError(f"年度不能早于{FIRST_YEAR}年", field="year")
    cleaned = _amounts(amounts)
    note = clean_text(note, field="note", label="说明", max_length=300, required=False)
    current = current_revision(unit, year)
    if expected_revision is not None and expected_revision != current:
        raise Conflict(CONFLICT)
    if current:
        latest = IncomeStatement.objects.get(unit=unit, year=year, revision=current)
        before = {line.source: line.amount for line in IncomeLine.objects.filter(statement=latest)}
        if before == cleaned:
            raise DomainError(f"与第{current}版数据相同，无需更正", field="note")
        if not note:
            raise DomainError("更正已填报的收入，请说明更正原因", field="note")
    try:
        with transaction.atomic():
            statement = IncomeStatement.objects.create(
                unit=unit,
                year=year,
                revision=current + 1,
                total=sum(cleaned.values(), Decimal(0)),
                note=note,
                recorded_by_id=actor.user_id,
                recorded_by_label=actor_label(actor),
            )
    except IntegrityError as exc:
        # Two submissions of the same revision at once: the second one loses.
        raise Conflict(CONFLICT) from exc
    IncomeLine.objects.bulk_create(
        IncomeLine(statement=statement, source=source, amount=amount)
        for source, amount in cleaned.items()
    )
    return statement
