"""Figures a `figure` standard can read (the platform's own numbers, never typed in).

Each indicator has a key (stored in `Standard.figure_key`), a label, the source the page names
next to the value, a unit of measure, and how it is computed for a village and a year (from
1 January to 31 December, or to today during the year). The values come from the other apps'
figure functions, which read without scoping: the caller checked its actor at the unit.

`evaluate(unit, year, keys)` computes only the families the keys need (each family is one
call of cases / points / consultation figures, or one query for the collective income).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lianxin.core import clock
from lianxin.territory.models import Unit

SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    source: str
    measure: str  # "rate" (0–1, shown as %), "count", "yuan", "score"
    family: str
    read: Callable[[dict[str, Any]], Decimal | None]


@dataclass(frozen=True)
class IndicatorValue:
    key: str
    label: str
    source: str
    measure: str
    value: Decimal | None
    date_from: dt.date
    date_to: dt.date

    @property
    def display(self) -> str:
        """The value as a page shows it (rates in percent)."""
        if self.value is None:
            return "暂无数据"
        if self.measure == "rate":
            return f"{(self.value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
        if self.measure == "yuan":
            return f"{self.value:,.2f} 元"
        if self.measure == "count":
            return f"{int(self.value)}"
        return f"{self.value.normalize():f}"


def _dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _path(data: dict[str, Any], *keys: str) -> Decimal | None:
    for k in keys:
        if not isinstance(data, dict) or k not in data:
            return None
        data = data[k]
    return _dec(data)


CASES = "诉求办理统计（cases）"
POINTS = "党群积分统计（points）"
CONSULTATION = "协商议事统计（consultation）"
ECONOMY = "集体经济收入台账（stars）"

INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        Indicator(
            "cases.mediation_success_rate",
            "矛盾纠纷调解成功率",
            CASES,
            "rate",
            "cases",
            lambda d: _path(d, "rates", "mediation_success_rate"),
        ),
        Indicator(
            "cases.whistles_unresolved",
            "吹哨未解决的重大矛盾（件）",
            CASES,
            "count",
            "cases",
            lambda d: _path(d, "counts", "whistles_unresolved"),
        ),
        Indicator(
            "cases.satisfaction_rate",
            "诉求回访满意率",
            CASES,
            "rate",
            "cases",
            lambda d: _path(d, "rates", "satisfaction_rate"),
        ),
        Indicator(
            "cases.resolution_rate",
            "诉求解决率",
            CASES,
            "rate",
            "cases",
            lambda d: _path(d, "rates", "resolution_rate"),
        ),
        Indicator(
            "cases.received",
            "受理居民诉求（件）",
            CASES,
            "count",
            "cases",
            lambda d: _path(d, "counts", "received"),
        ),
        Indicator(
            "points.member_own_average",
            "党员平均积分",
            POINTS,
            "score",
            "points",
            lambda d: _path(d, "members", "own_average"),
        ),
        Indicator(
            "points.members_below_threshold",
            "低于提醒线的党员（人）",
            POINTS,
            "count",
            "points",
            lambda d: _path(d, "members", "below_threshold"),
        ),
        Indicator(
            "points.household_entry_share",
            "参与积分的农户占比",
            POINTS,
            "rate",
            "points",
            lambda d: _path(d, "households", "entry_share"),
        ),
        Indicator(
            "consultation.meetings_held",
            "召开议事会议（次）",
            CONSULTATION,
            "count",
            "consultation",
            lambda d: _path(d, "meetings", "held"),
        ),
        Indicator(
            "consultation.quorum_share",
            "会议达到法定人数比例",
            CONSULTATION,
            "rate",
            "consultation",
            lambda d: _path(d, "meetings", "quorum_share"),
        ),
        Indicator(
            "consultation.decisions_on_time_share",
            "议定事项按期办结率",
            CONSULTATION,
            "rate",
            "consultation",
            lambda d: _path(d, "decisions", "on_time_share"),
        ),
        Indicator(
            "consultation.pledge_items_done_share",
            "书记承诺兑现率",
            CONSULTATION,
            "rate",
            "consultation",
            lambda d: _path(d, "pledges", "items_done_share"),
        ),
        Indicator(
            "stars.collective_income",
            "村集体经济经营性收入（元）",
            ECONOMY,
            "yuan",
            "economy",
            lambda d: _dec(d.get("income")),
        ),
        Indicator(
            "stars.collective_income_growth",
            "集体经济收入较上年增幅",
            ECONOMY,
            "rate",
            "economy",
            lambda d: _dec(d.get("growth")),
        ),
    ]
}


def period_of(year: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """1 January to 31 December of `year`, cut at today during the year."""
    today = today or clock.today()
    last = dt.date(year, 12, 31)
    return dt.date(year, 1, 1), min(last, today) if today.year == year else last


def _economy(unit: Unit, year: int) -> dict[str, Any]:
    from lianxin.stars.models import IncomeStatement

    current: dict[int, Decimal] = {}
    for y, total in (
        IncomeStatement.objects.filter(unit=unit, year__in=[year - 1, year])
        .order_by("year", "revision")
        .values_list("year", "total")
    ):
        current[y] = total  # the highest revision comes last
    income, previous = current.get(year), current.get(year - 1)
    growth = None
    if income is not None and previous:
        growth = ((income - previous) / previous).quantize(SHARE, rounding=ROUND_HALF_UP)
    return {"income": income, "previous": previous, "growth": growth}


def _family(family: str, unit: Unit, year: int, date_from: dt.date, date_to: dt.date) -> Any:
    if family == "cases":
        from lianxin.cases.figures import unit_figures as cases_figures

        return cases_figures(unit=unit, date_from=date_from, date_to=date_to).as_dict()
    if family == "points":
        from lianxin.points.figures import unit_figures as points_figures

        return points_figures(unit, date_from, date_to)
    if family == "consultation":
        from lianxin.consultation.figures import unit_figures as consultation_figures

        return consultation_figures(unit, date_from, date_to)
    if family == "economy":
        return _economy(unit, year)
    raise ValueError(f"unknown indicator family {family!r}")


def evaluate(
    unit: Unit, year: int, keys: Iterable[str], *, today: dt.date | None = None
) -> dict[str, IndicatorValue]:
    """Live values of the indicators `keys` for `unit` in `year` (unknown keys are skipped)."""
    wanted = [INDICATORS[k] for k in dict.fromkeys(keys) if k in INDICATORS]
    date_from, date_to = period_of(year, today)
    families: dict[str, Any] = {}
    out: dict[str, IndicatorValue] = {}
    for ind in wanted:
        if ind.family not in families:
            families[ind.family] = _family(ind.family, unit, year, date_from, date_to)
        out[ind.key] = IndicatorValue(
            key=ind.key,
            label=ind.label,
            source=ind.source,
            measure=ind.measure,
            value=ind.read(families[ind.family]),
            date_from=date_from,
            date_to=date_to,
        )
    return out


def choices() -> list[tuple[str, str]]:
    """(key, label) for the standard editor's figure select."""
    return [(i.key, f"{i.label}（{i.source}）") for i in INDICATORS.values()]
