"""Figures of resident requests for a unit and a period (统计口径, docs/cases-figures.md).

`unit_figures(unit=..., date_from=..., date_to=...)` answers the figures page, the `lianxin
report cases` command and the generated reports with the same numbers: `Figures.as_dict()` is
what all three show.

What is counted:
- Request figures are about the *cohort* of requests whose place lies in the unit's subtree
  (`Case.place_path` starts with `unit.path`) and that were received in the period (dates in
  the deployment's time zone, Asia/Shanghai, both ends inclusive), in the state they are in
  when the figures are read. Whistles are the `Whistle` rows raised in the period.
- Each figure family (requests with their mediations, whistles) is ONE grouped query over an
  index range: rows are grouped by the code of the path segment right below the unit, so the same
  query gives the child breakdown, and the unit's own figures are the sum of its groups.
  The number of queries does not depend on the number of children or rows.

Scoping: the caller resolves the unit in the actor's scope first (`report_unit_get`, which
starts from `Unit.objects.visible_to(actor, cases.report)`); every row counted lies under that
unit, so the figures never reach outside it. The CLI and the report jobs act for the system.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Concat, StrIndex, Substr
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Category, Whistle
from lianxin.cases.workflow import Channel, Kind, Level, Outcome, Satisfaction
from lianxin.core.errors import DomainError
from lianxin.territory.models import Unit

RATE_PLACES = Decimal("0.0001")

# Request counts, in display order: key → label. The keys are the JSON keys of `counts`.
COUNT_LABELS: dict[str, str] = {
    "received": "受理诉求",
    "responded": "已响应",
    "responded_in_time": "按时响应",
    "resolved": "已办结",
    "resolved_in_time": "按时办结",
    "overdue": "超期",
    "returned": "被退单诉求",
    "returns": "退单次数",
    "reopened": "重新办理诉求",
    "reopens": "重新办理次数",
    "supervised": "督办",
    "guided": "引导办理（私事）",
    "rejected": "不予受理",
    "merged": "合并办理",
    "whistles": "吹哨",
    "whistles_closed": "吹哨·办结",
    "whistles_coordinated": "吹哨·协调处置",
    "whistles_unresolved": "吹哨·未解决",
    "whistles_open": "吹哨·办理中",
    "mediations": "矛盾调解",
    "mediations_concluded": "调解结束",
    "mediations_succeeded": "调解成功",
    "errands": "帮办代办",
    "patrol_findings": "巡查发现",
    "follow_ups": "有效回访",
    "contacted": "回访·按时联系",
    "solved": "回访·已解决",
    "satisfied": "满意",
    "basic_satisfied": "基本满意",
    "unsatisfied": "不满意",
}

RATE_LABELS: dict[str, str] = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
    "composite_score": "综合得分",
    "responded_in_time_rate": "按时响应率",
    "resolved_in_time_rate": "按时办结率",
    "mediation_success_rate": "调解成功率",
}

# How the page, the workbook and the PDF group the counts.
SECTIONS: list[tuple[str, list[str]]] = [
    (
        "受理与办理",
        [
            "received",
            "responded",
            "responded_in_time",
            "resolved",
            "resolved_in_time",
            "overdue",
            "returned",
            "returns",
            "reopened",
            "reopens",
            "supervised",
        ],
    ),
    ("三事分流结果", ["guided", "rejected", "merged"]),
    (
        "吹哨报到",
        [
            "whistles",
            "whistles_closed",
            "whistles_coordinated",
            "whistles_unresolved",
            "whistles_open",
        ],
    ),
    (
        "调解、帮办与巡查",
        [
            "mediations",
            "mediations_concluded",
            "mediations_succeeded",
            "errands",
            "patrol_findings",
        ],
    ),
    ("回访", ["follow_ups", "contacted", "solved", "satisfied", "basic_satisfied", "unsatisfied"]),
]

# Columns of the child-unit breakdown (page, workbook and PDF).
BREAKDOWN_COUNTS = [
    "received",
    "resolved",
    "resolved_in_time",
    "overdue",
    "returned",
    "whistles",
    "follow_ups",
]
BREAKDOWN_RATES = ["response_rate", "resolution_rate", "satisfaction_rate", "composite_score"]

LEVEL_UNSET = "unset"
CATEGORY_NONE = "none"

# --- conditions --------------------------------------------------------------------------

RESOLVED_Q = Q(resolved_at__isnull=False) | Q(outcome=Outcome.RESOLVED)
FOLLOW_UP_Q = ~Q(satisfaction="")
# Contacted: responded (受理), and not after the response limit.
CONTACTED_Q = FOLLOW_UP_Q & Q(accepted_at__isnull=False) & ~Q(responded_in_time=False)


def _n(condition: Q | None = None) -> Aggregate:
    # COUNT(1), not COUNT(id): no column to fetch and test for NULL, for each of the ~40
    # aggregates of every row (Django refuses COUNT(*) with a filter).
    return Count(Value(1), filter=condition)


def _case_aggregates(roots: Sequence[tuple[str, list[int]]]) -> dict[str, Aggregate]:
    """Every request figure as one conditional aggregate (one pass over the rows)."""
    aggs: dict[str, Aggregate] = {
        "received": _n(),
        "responded": _n(Q(accepted_at__isnull=False)),
        "responded_in_time": _n(Q(responded_in_time=True)),
        "resolved": _n(RESOLVED_Q),
        "resolved_in_time": _n(Q(resolved_in_time=True)),
        "overdue": _n(Q(sla_state="overdue") | Q(resolved_in_time=False)),
        "returned": _n(Q(return_count__gt=0)),
        "returns": Sum("return_count"),
        "reopened": _n(Q(reopen_count__gt=0)),
        "reopens": Sum("reopen_count"),
        "supervised": _n(Q(is_supervised=True)),
        "guided": _n(Q(outcome=Outcome.GUIDED)),
        "rejected": _n(Q(outcome=Outcome.REJECTED)),
        "merged": _n(Q(outcome=Outcome.MERGED)),
        "mediations": _n(Q(kind=Kind.MEDIATION)),
        # A LEFT JOIN on the one-to-one mediation row (a small hash table), so mediation
        # figures need no second pass over the requests.
        "mediations_concluded": _n(Q(mediation__agreement_reached__isnull=False)),
        "mediations_succeeded": _n(Q(mediation__agreement_reached=True)),
        "errands": _n(Q(kind=Kind.ERRAND)),
        "follow_ups": _n(FOLLOW_UP_Q),
        "contacted": _n(CONTACTED_Q),
        "solved": _n(FOLLOW_UP_Q & RESOLVED_Q),
        "satisfied": _n(Q(satisfaction=Satisfaction.SATISFIED)),
        "basic_satisfied": _n(Q(satisfaction=Satisfaction.BASIC)),
    }
    for value in Channel.values:
        aggs[f"ch_{value}"] = _n(Q(channel=value))
    for value in Level.values:
        aggs[f"lv_{value}"] = _n(Q(level=value))
    for i, (_code, ids) in enumerate(roots):
        aggs[f"cat{i}"] = _n(Q(category_id__in=ids))
    return aggs


def _complete(raw: Counter[str], roots: int) -> None:
    """The figures that are remainders of others, derived instead of counted: every FILTER
    aggregate is one more test per row (see docs/cases-figures.md, "How it is computed")."""
    raw["patrol_findings"] = raw[f"ch_{Channel.PATROL}"]
    raw["unsatisfied"] = raw["follow_ups"] - raw["satisfied"] - raw["basic_satisfied"]
    raw[f"lv_{LEVEL_UNSET}"] = raw["received"] - sum(raw[f"lv_{v}"] for v in Level.values)
    raw["cat_none"] = raw["received"] - sum(raw[f"cat{i}"] for i in range(roots))


WHISTLE_AGGREGATES: dict[str, Aggregate] = {
    "whistles": _n(),
    "whistles_closed": _n(Q(outcome=Whistle.Outcome.CLOSED)),
    "whistles_coordinated": _n(Q(outcome=Whistle.Outcome.COORDINATED)),
    "whistles_unresolved": _n(Q(outcome=Whistle.Outcome.UNRESOLVED)),
    "whistles_open": _n(Q(outcome="")),
}

# --- period and path segments ------------------------------------------------------------


def period_bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in aware datetimes: 00:00 of `date_from` to 00:00 after `date_to`, local."""
    if date_from > date_to:
        raise DomainError("开始日期不能晚于结束日期", field="date_to")
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _segment(path_field: str, prefix: str, level: int) -> Expression:
    """The code `level` steps below `prefix` in a materialised path ('' for the unit itself).

    PostgreSQL has `split_part`; elsewhere it is composed from SUBSTR and INSTR. Paths look
    like ``/41/4108/410883/`` so the n-th code is split part n + 1.
    """
    if connection.vendor == "postgresql":
        part = prefix.count("/") + level
        return Func(
            F(path_field),
            Value("/"),
            Value(part),
            function="split_part",
            output_field=CharField(),
        )
    rest: Any = Substr(F(path_field), len(prefix) + 1, output_field=CharField())
    for _ in range(level - 1):
        slash = StrIndex(Concat(rest, Value("/"), output_field=CharField()), Value("/"))
        rest = Substr(rest, slash + 1, output_field=CharField())
    slash = StrIndex(Concat(rest, Value("/"), output_field=CharField()), Value("/"))
    return Substr(rest, 1, slash - 1, output_field=CharField())


# Aggregate aliases carry a prefix: an alias equal to a field name ("resolved_in_time") would
# shadow the field inside the other aggregates' filters.
ALIAS = "x_"


def _grouped(
    qs: QuerySet[Any], path_field: str, prefix: str, levels: int, aggregates: Mapping[str, Any]
) -> QuerySet[Any]:
    keys = {f"g{i}": _segment(path_field, prefix, i) for i in range(1, levels + 1)}
    aliased = {ALIAS + name: agg for name, agg in aggregates.items()}
    return qs.annotate(**keys).values(*keys).annotate(**aliased).order_by()


def _case_rows(prefix: str, start: dt.datetime, end: dt.datetime) -> QuerySet[Case]:
    # The (place_path, received_at) index serves this: a prefix range, then the period.
    return Case.objects.filter(
        place_path__startswith=prefix, received_at__gte=start, received_at__lt=end
    )


def case_groups_queryset(*, unit: Unit, date_from: dt.date, date_to: dt.date) -> QuerySet[Any]:
    """The grouped request query behind `unit_figures` (bench/cases_figures.py EXPLAINs it)."""
    start, end = period_bounds(date_from, date_to)
    return _grouped(
        _case_rows(unit.path, start, end),
        "place_path",
        unit.path,
        1,
        _case_aggregates(_context().roots),
    )


GroupKey = tuple[str, ...]


def _collect(
    prefix: str,
    start: dt.datetime,
    end: dt.datetime,
    levels: int,
    roots: Sequence[tuple[str, list[int]]],
) -> dict[GroupKey, Counter[str]]:
    """Raw numbers per group of path codes below `prefix`: two grouped queries."""
    out: dict[GroupKey, Counter[str]] = {}

    def add(rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            key = tuple(row.pop(f"g{i}") or "" for i in range(1, levels + 1))
            bucket = out.setdefault(key, Counter())
            bucket.update({k.removeprefix(ALIAS): int(v or 0) for k, v in row.items()})

    whistles = Whistle.objects.filter(
        place_path__startswith=prefix, raised_at__gte=start, raised_at__lt=end
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Compiling ~40 FILTER expressions with LLVM costs about half a second, more than
            # it saves on a million rows (bench/cases_figures.py --jit); only for this query.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        add(
            _grouped(
                _case_rows(prefix, start, end),
                "place_path",
                prefix,
                levels,
                _case_aggregates(roots),
            )
        )
        add(_grouped(whistles, "place_path", prefix, levels, WHISTLE_AGGREGATES))
    for bucket in out.values():
        _complete(bucket, len(roots))
    return out


# --- the result --------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """三率 weights from `CaseSettings` (REFERENCE.md defaults 0.9 and 0.1 / 0.5 / 0.4)."""

    basic_satisfied: Decimal = Decimal("0.90")
    response: Decimal = Decimal("0.10")
    resolution: Decimal = Decimal("0.50")
    satisfaction: Decimal = Decimal("0.40")

    @classmethod
    def from_settings(cls) -> Weights:
        from lianxin.cases.services.config import case_settings

        s = case_settings()
        return cls(
            basic_satisfied=_dec(s.basic_satisfied_weight),
            response=_dec(s.weight_response),
            resolution=_dec(s.weight_resolution),
            satisfaction=_dec(s.weight_satisfaction),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "basic_satisfied": str(self.basic_satisfied),
            "response": str(self.response),
            "resolution": str(self.resolution),
            "satisfaction": str(self.satisfaction),
        }


def _dec(value: object) -> Decimal:
    # A freshly created settings row still holds the float default, not a Decimal.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _ratio(numerator: Decimal, denominator: int) -> Decimal | None:
    return None if denominator == 0 else numerator / Decimal(denominator)


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def compute_rates(counts: Mapping[str, int], weights: Weights) -> dict[str, Decimal | None]:
    """三率 and the other rates from the counts; None when the denominator is 0.

    The composite weighs the unrounded rates; every rate is rounded half-up to 4 places.
    """
    valid = counts["follow_ups"]
    response = _ratio(Decimal(counts["contacted"]), valid)
    resolution = _ratio(Decimal(counts["solved"]), valid)
    satisfaction = _ratio(
        Decimal(counts["satisfied"]) + weights.basic_satisfied * counts["basic_satisfied"], valid
    )
    composite = None
    if response is not None and resolution is not None and satisfaction is not None:
        composite = (
            weights.response * response
            + weights.resolution * resolution
            + weights.satisfaction * satisfaction
        )
    return {
        "response_rate": _q(response),
        "resolution_rate": _q(resolution),
        "satisfaction_rate": _q(satisfaction),
        "composite_score": _q(composite),
        "responded_in_time_rate": _q(
            _ratio(Decimal(counts["responded_in_time"]), counts["responded"])
        ),
        "resolved_in_time_rate": _q(
            _ratio(Decimal(counts["resolved_in_time"]), counts["resolved"])
        ),
        "mediation_success_rate": _q(
            _ratio(Decimal(counts["mediations_succeeded"]), counts["mediations_concluded"])
        ),
    }


def _rates_json(rates: Mapping[str, Decimal | None]) -> dict[str, str | None]:
    return {k: None if v is None else str(v) for k, v in rates.items()}


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    kind: str

    @classmethod
    def of(cls, unit: Unit) -> UnitRef:
        name = unit.display_name + ("" if unit.is_active else "（已撤销）")
        return cls(code=unit.code, name=name, kind=unit.kind)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "kind": self.kind}


@dataclass(frozen=True)
class Breakdown:
    """The figures of one child unit (or, with `is_self`, of requests placed at the unit)."""

    unit: UnitRef
    is_self: bool
    counts: dict[str, int]
    rates: dict[str, Decimal | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.unit.as_dict(),
            "is_self": self.is_self,
            "counts": dict(self.counts),
            "rates": _rates_json(self.rates),
        }


@dataclass(frozen=True)
class Share:
    code: str
    name: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "count": self.count}


@dataclass(frozen=True)
class Figures:
    unit: UnitRef
    date_from: dt.date
    date_to: dt.date
    weights: Weights
    counts: dict[str, int]
    rates: dict[str, Decimal | None]
    by_channel: list[Share]
    by_level: list[Share]
    by_category: list[Share]
    children: list[Breakdown] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures (keys documented in docs/cases-figures.md); rates are decimal
        strings with 4 places (``"0.9524"``) or null."""
        return {
            "unit": self.unit.as_dict(),
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "weights": self.weights.as_dict(),
            "counts": dict(self.counts),
            "rates": _rates_json(self.rates),
            "by_channel": [s.as_dict() for s in self.by_channel],
            "by_level": [s.as_dict() for s in self.by_level],
            "by_category": [s.as_dict() for s in self.by_category],
            "children": [c.as_dict() for c in self.children],
        }


# --- building Figures from raw groups ----------------------------------------------------


@dataclass(frozen=True)
class _Context:
    weights: Weights
    roots: list[tuple[str, list[int]]]
    root_names: dict[str, str]


def _context() -> _Context:
    """Settings and the top-level category of every category (two small queries)."""
    rows = list(Category.objects.values_list("pk", "parent_id", "code", "name", "sort_order"))
    parent = {pk: parent_id for pk, parent_id, _c, _n, _s in rows}
    by_pk = {pk: (code, name, order) for pk, _p, code, name, order in rows}

    def root_of(pk: int) -> int:
        seen = set()
        while parent.get(pk) is not None and pk not in seen:
            seen.add(pk)
            pk = parent[pk]  # type: ignore[assignment]
        return pk

    members: dict[int, list[int]] = {}
    for pk in by_pk:
        members.setdefault(root_of(pk), []).append(pk)
    ordered = sorted(members, key=lambda pk: (by_pk[pk][2], by_pk[pk][0]))
    return _Context(
        weights=Weights.from_settings(),
        roots=[(by_pk[pk][0], sorted(members[pk])) for pk in ordered],
        root_names={by_pk[pk][0]: by_pk[pk][1] for pk in ordered},
    )


def _counts(raw: Counter[str]) -> dict[str, int]:
    return {key: int(raw.get(key, 0)) for key in COUNT_LABELS}


def _shares(raw: Counter[str], ctx: _Context) -> tuple[list[Share], list[Share], list[Share]]:
    channels = [Share(v, str(label), raw.get(f"ch_{v}", 0)) for v, label in Channel.choices]
    levels = [Share(v, str(label), raw.get(f"lv_{v}", 0)) for v, label in Level.choices]
    levels.append(Share(LEVEL_UNSET, "未分流", raw.get(f"lv_{LEVEL_UNSET}", 0)))
    categories = [
        Share(code, ctx.root_names[code], raw.get(f"cat{i}", 0))
        for i, (code, _ids) in enumerate(ctx.roots)
    ]
    categories.append(Share(CATEGORY_NONE, "未分类", raw.get("cat_none", 0)))
    return channels, levels, categories


def _build(
    unit: Unit,
    date_from: dt.date,
    date_to: dt.date,
    groups: Mapping[str, Counter[str]],
    children: Sequence[Unit],
    ctx: _Context,
) -> Figures:
    """Figures of `unit` from its raw groups keyed by the child code ('' = the unit itself)."""
    total: Counter[str] = Counter()
    for raw in groups.values():
        total.update(raw)
    counts = _counts(total)
    by_channel, by_level, by_category = _shares(total, ctx)
    rows: list[Breakdown] = []
    by_code: dict[str, Unit] = {}
    for child in children:
        by_code[child.path[len(unit.path) : -1]] = child
    for code, child in by_code.items():
        raw = groups.get(code, Counter())
        if not child.is_active and not raw:
            continue
        c = _counts(raw)
        rows.append(Breakdown(UnitRef.of(child), False, c, compute_rates(c, ctx.weights)))
    # Rows under a path that is no longer a child (moved units): shown by their code.
    for code in sorted(set(groups) - set(by_code) - {""}):
        c = _counts(groups[code])
        rows.append(Breakdown(UnitRef(code, code, ""), False, c, compute_rates(c, ctx.weights)))
    own = groups.get("")
    if own:
        c = _counts(own)
        ref = UnitRef(code=unit.code, name=f"{unit.display_name}（本级）", kind=unit.kind)
        rows.append(Breakdown(ref, True, c, compute_rates(c, ctx.weights)))
    return Figures(
        unit=UnitRef.of(unit),
        date_from=date_from,
        date_to=date_to,
        weights=ctx.weights,
        counts=counts,
        rates=compute_rates(counts, ctx.weights),
        by_channel=by_channel,
        by_level=by_level,
        by_category=by_category,
        children=rows,
    )


def _children(unit: Unit, depth: int = 1) -> list[Unit]:
    return list(
        Unit.objects.filter(
            path__startswith=unit.path, depth__gt=unit.depth, depth__lte=unit.depth + depth
        ).order_by("depth", "sort_order", "path")
    )


def unit_figures(*, unit: Unit, date_from: dt.date, date_to: dt.date) -> Figures:
    """The figures of `unit` (its whole subtree) for requests received from `date_from` to
    `date_to` inclusive, with the breakdown by child unit. A constant number of queries whatever the size."""
    start, end = period_bounds(date_from, date_to)
    ctx = _context()
    raw = _collect(unit.path, start, end, 1, ctx.roots)
    groups = {key[0]: counter for key, counter in raw.items()}
    return _build(unit, date_from, date_to, groups, _children(unit), ctx)


def children_figures(
    *, parent: Unit, date_from: dt.date, date_to: dt.date, kinds: Iterable[str] | None = None
) -> list[Figures]:
    """Full figures (with their own breakdown) of every active child of `parent`, in the same
    constant number of queries as one `unit_figures` — the report jobs' batch."""
    start, end = period_bounds(date_from, date_to)
    ctx = _context()
    raw = _collect(parent.path, start, end, 2, ctx.roots)
    units = _children(parent, depth=2)
    wanted = set(kinds) if kinds is not None else None
    out: list[Figures] = []
    for child in units:
        if child.depth != parent.depth + 1 or not child.is_active:
            continue
        if wanted is not None and child.kind not in wanted:
            continue
        code = child.path[len(parent.path) : -1]
        groups = {key[1]: counter for key, counter in raw.items() if key[0] == code}
        grandchildren = [u for u in units if u.parent_id == child.pk]
        out.append(_build(child, date_from, date_to, groups, grandchildren, ctx))
    return out


# --- scope and display helpers -----------------------------------------------------------

REPORT_UNIT_KINDS = ("province", "city", "county", "township", "village", "grid", "building")


def report_units(actor: Actor) -> QuerySet[Unit]:
    """Units whose figures the actor may read (`cases.report` at or above them)."""
    return Unit.objects.visible_to(actor, wf.REPORT)


def report_unit_get(actor: Actor, code: str) -> Unit:
    """One unit in the actor's report scope by code, or 404."""
    unit = report_units(actor).filter(code=code).first()
    if unit is None:
        raise Http404("不存在或无权访问")
    return unit


def format_rate(value: str | Decimal | None) -> str:
    """``"0.9524"`` → ``"95.24%"``; None → ``"—"``."""
    if value is None or value == "":
        return "—"
    pct = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{pct}%"
