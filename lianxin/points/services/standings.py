"""Standings: the recomputable cache of period scores and ranks (积分排名).

`standings_recompute` recomputes the `Standing` rows of one period ('2026' or '2026-11') for
one or more schemes with ONE ``SELECT`` using SQL window functions (SQLite ≥ 3.25 and
PostgreSQL alike) into a temporary table, then rewrites only the rows that changed, in one
transaction, and records a `StandingRun` (when the ranks were last checked):

- score = Σ amount of the account's EARN, DEDUCT and REVERSAL entries whose deed date
  (`occurred_on`) lies in the period; an active account without entries scores 0 and is
  ranked too (households, party members, buildings, grids and merchants are all accounts, so
  one statement ranks them all);
- ranks within the account's grid, village and township with RANK(): equal scores share a
  rank and the next rank skips (100, 90, 90, 80 → 1, 2, 2, 4); an account hanging on no grid
  (a building directly under a village, a branch's member) has no grid rank.

All three partitions lie inside one township, so recomputing some townships (`townships=`)
gives exactly the ranks a full recompute gives for their accounts: staff refresh their own
street (the 重新计算 button) in a tenth of the time of the whole county, which the nightly
task recomputes. docs/points-rankings.md has the benchmark figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.points.models import SCORE_KINDS, Scheme, StandingRun, period_bounds
from lianxin.points.services.config import schemes as active_schemes
from lianxin.points.workflow import REPORT
from lianxin.territory.models import Unit, UnitKind

PERIOD_RE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?$")

# Where the scores come from. Every township (the nightly run): one hash aggregate over the
# period's entries, like a hand-written SUM ... GROUP BY, LEFT JOINed to the accounts
# (entries of schemes not asked for are dropped by the join). Some townships (the 重新计算
# button): a correlated sum per account, which walks points_entry_account_day for a street's
# accounts instead of scanning the whole period (10× faster for one street in 1.2 million
# households). Both run on SQLite and PostgreSQL.
_SOURCE_ALL = """
    SELECT a.id AS id, a.scheme_id AS scheme_id, a.grid_id AS grid_id,
           a.village_id AS village_id, a.township_id AS township_id,
           COALESCE(t.score, 0) AS score
    FROM points_account a
    LEFT JOIN (
        SELECT e.account_id AS account_id, SUM(e.amount) AS score
        FROM points_pointentry e
        WHERE e.occurred_on BETWEEN %s AND %s AND e.kind IN ({kinds})
        GROUP BY e.account_id
    ) t ON t.account_id = a.id
    WHERE a.is_active AND a.scheme_id IN ({schemes})
"""
_SOURCE_SOME = """
    SELECT a.id AS id, a.scheme_id AS scheme_id, a.grid_id AS grid_id,
           a.village_id AS village_id, a.township_id AS township_id,
           COALESCE((
               SELECT SUM(e.amount) FROM points_pointentry e
               WHERE e.account_id = a.id AND e.occurred_on BETWEEN %s AND %s
                 AND e.kind IN ({kinds})
           ), 0) AS score
    FROM points_account a
    WHERE a.is_active AND a.scheme_id IN ({schemes}) AND a.township_id IN ({townships})
"""

# Partitions include the scheme: one statement ranks several schemes side by side. A NULL
# key (no grid above the subject) gives no rank rather than one shared "no grid" ranking.
_SELECT = """
SELECT
    %s AS period, s.scheme_id AS scheme_id, s.id AS account_id, s.grid_id AS grid_key,
    s.village_id AS village_key, s.township_id AS township_key, s.score AS score,
    CASE WHEN s.grid_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY s.scheme_id, s.grid_id ORDER BY s.score DESC) END AS rank_grid,
    CASE WHEN s.village_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY s.scheme_id, s.village_id ORDER BY s.score DESC) END AS rank_village,
    CASE WHEN s.township_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY s.scheme_id, s.township_id ORDER BY s.score DESC) END AS rank_township,
    %s AS computed_at
FROM ({source}) s
"""
_COLUMNS = (
    "period, scheme_id, account_id, grid_key, village_key, township_key, score, "
    "rank_grid, rank_village, rank_township, computed_at"
)


def period_check(period: str) -> str:
    """The period if well-formed ('2026' or '2026-11'), else a DomainError on `period`."""
    period = (period or "").strip()
    if not PERIOD_RE.match(period):
        raise DomainError("期间格式应为年份（如 2026）或年月（如 2026-11）", field="period")
    return period


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


def standings_select(
    *, period: str, scheme_ids: Sequence[int], town_ids: Sequence[int] | None
) -> tuple[str, list[Any]]:
    """The SELECT that computes the standings rows of `period` (columns as in
    points_standing) and its parameters; `standings_recompute` inserts it, the benchmark
    also times it alone."""
    date_from, date_to = period_bounds(period)
    ops = connection.ops
    kinds = [str(k) for k in SCORE_KINDS]
    dates = [ops.adapt_datefield_value(date_from), ops.adapt_datefield_value(date_to)]
    if town_ids is None:
        source = _SOURCE_ALL.format(kinds=_placeholders(kinds), schemes=_placeholders(scheme_ids))
        source_params = [*dates, *kinds, *scheme_ids]
    else:
        source = _SOURCE_SOME.format(
            kinds=_placeholders(kinds),
            schemes=_placeholders(scheme_ids),
            townships=_placeholders(town_ids),
        )
        source_params = [*dates, *kinds, *scheme_ids, *town_ids]
    # Placeholders in text order: period, computed_at (the outer SELECT), then the source's.
    computed_at = ops.adapt_datetimefield_value(clock.now())
    return _SELECT.format(source=source), [period, computed_at, *source_params]


@transaction.atomic
def standings_recompute(
    *,
    period: str,
    schemes: Iterable[Scheme] | None = None,
    townships: Iterable[int] | None = None,
) -> int:
    """Recompute the standings of `period` for `schemes` (default: every active scheme);
    returns the number of rows written.

    `townships` (unit ids) limits the recompute to the accounts of those townships (the
    ranks of other townships are left as they are); None recomputes every account. Runs
    under a row lock on the schemes, so two recomputes of a scheme queue instead of racing
    on the unique (period, account) rows.
    """
    period = period_check(period)
    scheme_ids = sorted({s.pk for s in (active_schemes() if schemes is None else schemes)})
    town_ids = None if townships is None else sorted(set(townships))
    if not scheme_ids or town_ids == []:
        return 0
    # Lock in id order: concurrent recomputes of overlapping schemes cannot deadlock.
    list(Scheme.objects.select_for_update().filter(pk__in=scheme_ids).order_by("pk"))
    select, params = standings_select(period=period, scheme_ids=scheme_ids, town_ids=town_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # For this transaction only: the period aggregate and the three rank sorts of a
            # county's accounts (≈ 130 bytes an account each) stay in memory instead of
            # spilling to disk at the default 4 MB (2× faster at 300,000 accounts), and
            # JIT-compiling the window expressions costs more than it saves on one run.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("SET LOCAL jit = off")
        schemes_in = _placeholders(scheme_ids)
        scope = f"period = %s AND scheme_id IN ({schemes_in})"
        scope_params: list[Any] = [period, *scheme_ids]
        if town_ids is not None:
            # By township key (rows computed there before) and by account (accounts that
            # moved into these townships since): the unique (period, account) stays free.
            towns_in = _placeholders(town_ids)
            scope += (
                f" AND (township_key IN ({towns_in}) OR account_id IN (SELECT id FROM "  # noqa: S608
                f"points_account WHERE scheme_id IN ({schemes_in}) AND township_id IN ({towns_in})))"
            )
            scope_params += [*town_ids, *scheme_ids, *town_ids]
        written = _write_changed(cursor, select, params, scope, scope_params)
    now = clock.now()
    StandingRun.objects.bulk_create(
        StandingRun(
            period=period, scheme_id=sid, township_key=town, computed_at=now, rows_written=written
        )
        for sid in scheme_ids
        for town in (list[int | None](town_ids) if town_ids is not None else [None])
    )
    return written


# Null-safe equality of every column but computed_at: an unchanged row is left as it is.
_SAME = (
    "n.account_id = points_standing.account_id AND n.scheme_id = points_standing.scheme_id "
    "AND n.score = points_standing.score"
    + "".join(
        f" AND n.{c} {{same}} points_standing.{c}"
        for c in (
            "grid_key",
            "village_key",
            "township_key",
            "rank_grid",
            "rank_village",
            "rank_township",
        )
    )
)


def _write_changed(
    cursor: Any, select: str, params: list[Any], scope: str, scope_params: list[Any]
) -> int:
    """Compute the new rows into a temporary table, delete the rows in scope that changed
    or are gone, insert the new and changed ones. Rewriting only what changed is what keeps
    a nightly recompute near the cost of the bare aggregate (most scores of a period do not
    move from one night to the next); returns the rows inserted."""
    pg = connection.vendor == "postgresql"
    temp = "points_standing_new" if pg else "temp.points_standing_new"
    cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    cursor.execute(f"CREATE TEMP TABLE points_standing_new AS {select}", params)  # noqa: S608
    cursor.execute(
        "CREATE UNIQUE INDEX points_standing_new_account ON points_standing_new (account_id)"
    )
    if pg:
        cursor.execute("ANALYZE points_standing_new")
    same = _SAME.format(same="IS NOT DISTINCT FROM" if pg else "IS")
    cursor.execute(
        f"DELETE FROM points_standing WHERE {scope} AND NOT EXISTS ("  # noqa: S608 (placeholders only)
        f"SELECT 1 FROM points_standing_new n WHERE {same})",
        scope_params,
    )
    # Keep in the temporary table only the rows to write: those no longer in the standings
    # after the delete. (An INSERT whose NOT EXISTS looks into the table it fills would scan
    # the rows it has just added again for every row: quadratic on a first computation.)
    cursor.execute(
        "DELETE FROM points_standing_new WHERE EXISTS (SELECT 1 FROM points_standing s "
        "WHERE s.period = points_standing_new.period "
        "AND s.account_id = points_standing_new.account_id)"
    )
    columns = ", ".join(f"n.{c.strip()}" for c in _COLUMNS.split(","))
    if pg:
        columns = columns.replace("n.computed_at", "n.computed_at::timestamptz")
    cursor.execute(
        f"INSERT INTO points_standing ({_COLUMNS}) SELECT {columns} FROM points_standing_new n"  # noqa: S608
    )
    written = max(cursor.rowcount, 0)
    cursor.execute(f"DROP TABLE {temp}")
    return written


def townships_of(unit: Unit) -> list[int]:
    """The townships whose ranks cover `unit`: its own township, or those under it."""
    if unit.kind in (UnitKind.GRID, UnitKind.VILLAGE, UnitKind.BUILDING, UnitKind.TOWNSHIP):
        parts = [p for p in unit.path.split("/") if p]
        prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        found = Unit.objects.filter(path__in=prefixes, kind=UnitKind.TOWNSHIP)
    else:
        found = Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.TOWNSHIP)
    return list(found.values_list("pk", flat=True))


@transaction.atomic
def standings_refresh(*, actor: Actor, unit: Unit, period: str) -> int:
    """Recompute `period` for every active scheme in the township(s) of `unit` (the 重新计算
    button); returns rows written.

    A grid's or village's ranks are part of its township's, so the whole township is
    recomputed. Allowed to `points.report` holders whose scope lies inside, or holds, the
    unit's township — a village's staff may refresh their street's cache, nothing more."""
    if not actor.can(REPORT):
        raise PermissionDenied("没有重新计算积分排名的权限")
    scope = actor.scope_paths(REPORT)
    townships = [
        pk
        for pk, path in Unit.objects.filter(pk__in=townships_of(unit)).values_list("pk", "path")
        if any(path.startswith(s) or s.startswith(path) for s in scope)
    ]
    if not townships:
        raise PermissionDenied("只能重新计算本人管辖范围的积分排名")
    return standings_recompute(period=period, townships=townships)
