"""Reads of rankings (积分排名): a unit's ranking for a scheme and period, party members'
own / linked / combined scores, and the public board of a village.

Households, buildings, grids and merchants are ranked from the `Standing` cache
(services.standings): a page is one index range over (period, scheme, unit key, rank).
Party members are few per village, so their three scores come live from `scores.py` and
are ranked here with the same RANK() rule (ties share a rank, the next one skips).

Every staff read goes through `visible_to(actor, points.view)`: a grid worker who opens the
village ranking sees the village ranks of their own grid's households, nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, F, Max, Q, QuerySet, Sum, Window
from django.db.models.functions import Rank
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core.scope import path_q
from lianxin.points import scores
from lianxin.points.models import (
    VIEW,
    Account,
    Scheme,
    Standing,
    StandingRun,
    SubjectKind,
    period_bounds,
)
from lianxin.territory.models import Unit, UnitKind

PER_PAGE = 50
# Unit choices offered on the page: never more than this many (deeper units are reached
# through the breakdown links).
MAX_OPTIONS = 400
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Level:
    """A ranking level: which unit kind partitions, and the Standing columns it reads."""

    code: str
    label: str
    key: str | None  # Standing column holding the unit id (None: county, by path)
    rank: str | None  # Standing column holding the rank (None: ranked on the fly)
    account_field: str | None  # Account FK to the unit of this level
    child: str | None  # the level whose units make up the breakdown


LEVELS: dict[str, Level] = {
    UnitKind.GRID: Level(UnitKind.GRID, "网格", "grid_key", "rank_grid", "grid", None),
    UnitKind.VILLAGE: Level(
        UnitKind.VILLAGE, "村/社区", "village_key", "rank_village", "village", UnitKind.GRID
    ),
    UnitKind.TOWNSHIP: Level(
        UnitKind.TOWNSHIP,
        "乡镇/街道",
        "township_key",
        "rank_township",
        "township",
        UnitKind.VILLAGE,
    ),
    UnitKind.COUNTY: Level(UnitKind.COUNTY, "县/区", None, None, None, UnitKind.TOWNSHIP),
}
# Levels whose ranks the standings keep: a unit of these kinds above the actor's scope can
# still be opened (its ranks are shown for the actor's own subjects).
STORED_LEVELS = (UnitKind.GRID, UnitKind.VILLAGE, UnitKind.TOWNSHIP)


def level_get(code: str) -> Level:
    try:
        return LEVELS[code]
    except KeyError:
        raise Http404("没有这个排名层级") from None


def _ancestor_paths(paths: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        parts = [p for p in path.split("/") if p]
        found.update("/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    return found


def ranking_units(actor: Actor, level: Level, perm: str = VIEW) -> QuerySet[Unit]:
    """Units of `level` the actor may open: those inside their `perm` scope and, for the
    levels the standings rank (grid, village, township), those above it."""
    paths = actor.scope_paths(perm)
    where = path_q("path", paths)
    if level.code in STORED_LEVELS:
        where |= Q(path__in=_ancestor_paths(paths))
    return Unit.objects.filter(where, kind=level.code, is_active=True).order_by("path")


def ranking_unit_get(actor: Actor, level: Level, code: str, perm: str = VIEW) -> Unit:
    """One unit of `ranking_units`, or 404 (the same answer whether it exists elsewhere)."""
    unit = ranking_units(actor, level, perm).filter(code=code).first()
    if unit is None:
        raise Http404("不存在或无权访问")
    return unit


def ranking_levels(actor: Actor) -> list[Level]:
    """The levels with at least one unit for the actor, top down; one query."""
    paths = actor.scope_paths(VIEW)
    kinds = set(
        Unit.objects.filter(
            (path_q("path", paths) & Q(kind__in=list(LEVELS)))
            | Q(path__in=_ancestor_paths(paths), kind__in=STORED_LEVELS),
            is_active=True,
        )
        .order_by()
        .values_list("kind", flat=True)
        .distinct()
    )
    return [lv for code, lv in reversed(LEVELS.items()) if code in kinds]


def ranking_default_unit(actor: Actor, level: Level) -> Unit | None:
    """The unit of `level` at or above the primary post, else the first one in scope."""
    units = ranking_units(actor, level)
    post = actor.primary_post
    if post is not None:
        mine = units.filter(path__in=_ancestor_paths([post.unit_path]) | {post.unit_path})
        unit = mine.first()
        if unit is not None:
            return unit
    return units.first()


def ranking_unit_options(actor: Actor, level: Level) -> list[Unit]:
    return list(ranking_units(actor, level)[:MAX_OPTIONS])


# --- Rankings ------------------------------------------------------------------------------


@dataclass
class RankingRow:
    rank: int | None
    account: Account
    score: int
    place: str = ""
    contributions: list[dict[str, object]] = field(default_factory=list)
    link: str = ""  # the household statement, set by the page when it exists


@dataclass
class MemberRow:
    rank: int | None
    account: Account
    own: int
    linked: scores.LinkedScore
    combined: Decimal
    place: str = ""


@dataclass
class BreakdownRow:
    unit: Unit | None  # None: subjects hanging on no unit of that level (e.g. 未划网格)
    subjects: int
    total: int
    average: Decimal
    best: int


@dataclass
class Ranking:
    """What the ranking page shows for one scheme, unit and period."""

    scheme: Scheme
    level: Level
    unit: Unit
    period: str
    page: Page
    subjects: int
    total: int | Decimal  # a sum of Σ/n or combined scores keeps its cents
    average: Decimal
    computed_at: dt.datetime | None
    breakdown: list[BreakdownRow]
    is_members: bool = False
    order: str = "score"


def _avg(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(TENTH, ROUND_HALF_UP)


def standings_in(actor: Actor, *, scheme: Scheme, level: Level, unit: Unit, period: str) -> Any:
    """The standings of `unit` visible to the actor (unordered)."""
    qs = Standing.objects.visible_to(actor).filter(period=period, scheme=scheme)
    if level.key is None:
        return qs.filter(account__unit__path__startswith=unit.path)
    return qs.filter(**{level.key: unit.pk})


def _place(account: Account, level: Level) -> str:
    """Where the subject sits inside the unit (its grid, else village, township)."""
    below: tuple[str, ...] = {
        UnitKind.GRID: (),
        UnitKind.VILLAGE: ("grid",),
        UnitKind.TOWNSHIP: ("village", "grid"),
        UnitKind.COUNTY: ("township", "village"),
    }[UnitKind(level.code)]
    names = [getattr(account, f).display_name for f in below if getattr(account, f) is not None]
    return " · ".join(names)


def _breakdown(rows: Any, level: Level) -> list[BreakdownRow]:
    """Subjects, total, average and best score per child unit (two queries)."""
    child = LEVELS[level.child] if level.child else None
    if child is None:
        return []
    key = child.key or "township_key"
    groups = list(
        rows.order_by()
        .values(key)
        .annotate(n=Count("id"), total=Sum("score"), avg=Avg("score"), best=Max("score"))
    )
    units = Unit.objects.in_bulk([g[key] for g in groups if g[key] is not None])
    result = [
        BreakdownRow(
            unit=units.get(g[key]) if g[key] is not None else None,
            subjects=g["n"],
            total=int(g["total"] or 0),
            average=_avg(g["avg"]),
            best=int(g["best"] or 0),
        )
        for g in groups
    ]
    return sorted(result, key=lambda b: (b.unit is None, b.unit.path if b.unit else ""))


def ranking(
    actor: Actor,
    *,
    scheme: Scheme,
    level: Level,
    unit: Unit,
    period: str,
    page: int | str | None = 1,
    order: str = "combined",
    per_page: int = PER_PAGE,
    contributions: bool = True,
) -> Ranking:
    """The ranking of `unit` at `level` for `scheme` and `period`, one page of it, with the
    unit's figures (subjects, total, average), its breakdown by child unit and when the
    standings were computed. Household rows carry their residents' contributions unless
    `contributions` is False (the export). Party members: see `member_ranking` (live)."""
    if scheme.subject_kind == SubjectKind.PARTY_MEMBER:
        return member_ranking(
            actor, level=level, unit=unit, period=period, page=page, order=order, scheme=scheme
        )
    rows = standings_in(actor, scheme=scheme, level=level, unit=unit, period=period)
    figures = rows.aggregate(n=Count("id"), total=Sum("score"), avg=Avg("score"))
    if level.rank is None:
        # A county: the standings keep no county rank; rank the county's rows on the fly
        # (offered only to actors whose scope holds the whole county, see ranking_units).
        ordered = rows.annotate(position=Window(Rank(), order_by=F("score").desc())).order_by(
            "-score", "account_id"
        )
    else:
        ordered = rows.annotate(position=F(level.rank)).order_by(level.rank, "account_id")
    ordered = ordered.select_related(
        "account", "account__grid", "account__village", "account__township"
    )
    paginated = Paginator(ordered, per_page, allow_empty_first_page=True).get_page(page)
    standings = list(paginated.object_list)
    by_account: dict[int, list[dict[str, object]]] = {}
    if contributions and scheme.subject_kind == SubjectKind.HOUSEHOLD and standings:
        date_from, date_to = period_bounds(period)
        by_account = scores.resident_contributions_many(
            [s.account_id for s in standings], date_from, date_to
        )
    paginated.object_list = [
        RankingRow(
            rank=s.position,
            account=s.account,
            score=s.score,
            place=_place(s.account, level),
            contributions=by_account.get(s.account_id, []),
        )
        for s in standings
    ]
    return Ranking(
        scheme=scheme,
        level=level,
        unit=unit,
        period=period,
        page=paginated,
        subjects=figures["n"],
        total=int(figures["total"] or 0),
        average=_avg(figures["avg"]),
        computed_at=checked_at(period=period, scheme=scheme, unit=unit),
        breakdown=_breakdown(rows, level),
    )


# --- Party members -------------------------------------------------------------------------

MEMBER_ORDERS: dict[str, str] = {
    "combined": "综合分",
    "own": "本人积分",
    "linked": "联户积分",
}


def _ranked(items: list[Any], value: Callable[[Any], Any]) -> list[tuple[int | None, Any]]:
    """RANK() over `items` by `value` descending; a None value is unranked and last."""
    ordered = sorted(items, key=lambda i: (value(i) is None, -(value(i) or 0)))
    result: list[tuple[int | None, Any]] = []
    previous: Any = object()
    rank = 0
    for position, item in enumerate(ordered, start=1):
        v = value(item)
        if v is None:
            result.append((None, item))
            continue
        if v != previous:
            rank, previous = position, v
        result.append((rank, item))
    return result


def member_rows(
    actor: Actor, *, scheme: Scheme, level: Level, unit: Unit, period: str, order: str
) -> list[MemberRow]:
    """Every party member of the unit visible to the actor with own, linked (Σ/n) and
    combined scores, ranked by `order` (combined, own or linked); five queries in all."""
    accounts = Account.objects.visible_to(actor).filter(scheme=scheme, is_active=True)
    if level.account_field is None:
        accounts = accounts.filter(unit__path__startswith=unit.path)
    else:
        accounts = accounts.filter(**{level.account_field: unit})
    listed = list(
        accounts.select_related("member", "grid", "village", "township").order_by("label", "id")
    )
    date_from, date_to = period_bounds(period)
    # Own scores of this scheme's accounts (member_scores would read the default member
    # scheme); linked scores by the seeds' Σ/n; combined by the configured weights.
    own = scores.account_scores([a.pk for a in listed], date_from, date_to)
    linked = scores.linked_scores([a.member_id for a in listed if a.member_id], date_from, date_to)
    rows = []
    for a in listed:
        member_score = scores.MemberScore(
            member_id=a.member_id or 0,
            own=own.get(a.pk, 0),
            linked=linked.get(a.member_id or 0, scores.LinkedScore(0, 0)),
        )
        rows.append(
            MemberRow(
                rank=None,
                account=a,
                own=member_score.own,
                linked=member_score.linked,
                combined=member_score.combined,
                place=_place(a, level),
            )
        )
    key: Callable[[MemberRow], Any] = {
        "own": lambda r: r.own,
        "linked": lambda r: r.linked.value,
    }.get(order, lambda r: r.combined)
    ranked = _ranked(rows, key)
    for rank, row in ranked:
        row.rank = rank
    return [row for _rank, row in ranked]


def member_ranking(
    actor: Actor,
    *,
    scheme: Scheme,
    level: Level,
    unit: Unit,
    period: str,
    page: int | str | None = 1,
    order: str = "combined",
    per_page: int = PER_PAGE,
) -> Ranking:
    """Party members of the unit ranked by combined, own or linked score (live, see
    `member_rows`); the figures and breakdown are those of the ranked score."""
    order = order if order in MEMBER_ORDERS else "combined"
    rows = member_rows(actor, scheme=scheme, level=level, unit=unit, period=period, order=order)
    values: list[Decimal]
    if order == "linked":
        values = [r.linked.value for r in rows if r.linked.value is not None]
    elif order == "own":
        values = [Decimal(r.own) for r in rows]
    else:
        values = [r.combined for r in rows]
    total = sum(values, Decimal(0))
    return Ranking(
        scheme=scheme,
        level=level,
        unit=unit,
        period=period,
        page=Paginator(rows, per_page, allow_empty_first_page=True).get_page(page),
        subjects=len(rows),
        total=int(total) if order == "own" else total.quantize(scores.CENT),
        average=_avg(total / len(values)) if values else Decimal(0),
        computed_at=None,  # live, not from the standings
        breakdown=[],
        is_members=True,
        order=order,
    )


# --- Public board --------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    rank: int | None
    label: str  # the account's masked public label, never the staff label
    score: int


@dataclass(frozen=True)
class PublicBoard:
    """A village's public ranking board: masked labels only. Iterates over its rows."""

    rows: list[BoardRow]
    computed_at: dt.datetime | None

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def public_board(village: Unit, scheme: Scheme, period: str, limit: int = 20) -> PublicBoard:
    """The top `limit` subjects of `scheme` in `village` for `period`, from the standings,
    with their public (masked) labels — for residents' pages, so no actor; one query."""
    values = list(
        Standing.objects.filter(
            period=period, scheme=scheme, village_key=village.pk, account__is_active=True
        )
        .order_by("rank_village", "account_id")
        .values_list("rank_village", "account__public_label", "score")[: max(limit, 0)]
    )
    return PublicBoard(
        rows=[BoardRow(rank=r, label=label, score=s) for r, label, s in values],
        # A village hangs under its township: its parent, no query to find it.
        computed_at=checked_at(
            period=period, scheme=scheme, unit=village, townships=[village.parent_id]
        )
        if values and village.parent_id
        else None,
    )


def checked_at(
    *, period: str, scheme: Scheme, unit: Unit, townships: Sequence[int] | None = None
) -> dt.datetime | None:
    """When the ranks shown for `unit` were last brought up to date: for each township that
    covers it, the latest recompute of the whole period or of that township; the oldest of
    those. None when one of them was never computed. (A recompute rewrites only changed
    rows, so the rows' own times say when they last changed, not when they were checked.)
    One query when the caller knows the townships, two otherwise."""
    from lianxin.points.services.standings import townships_of

    towns = list(townships) if townships is not None else townships_of(unit)
    latest = dict(
        StandingRun.objects.filter(period=period, scheme=scheme)
        .filter(Q(township_key__isnull=True) | Q(township_key__in=towns))
        .values("township_key")
        .annotate(at=Max("computed_at"))
        .values_list("township_key", "at")
    )
    full = latest.get(None)
    if not towns:
        return full
    times = [
        max((t for t in (full, latest.get(t_)) if t is not None), default=None) for t_ in towns
    ]
    if any(t is None for t in times):
        return None
    return min(t for t in times if t is not None)
