"""Standings: the recomputable cache of period scores and ranks (积分排名).

`standings_recompute` rebuilds the `Standing` rows of one period ('2026' or '2026-11') for
one or more schemes in ONE ``INSERT ... SELECT`` with SQL window functions (SQLite ≥ 3.25 and
PostgreSQL alike), after deleting the period's old rows for those schemes in the same
transaction:

- score = Σ amount of the account's EARN, DEDUCT and REVERSAL entries whose deed date
  (`occurred_on`) lies in the period; an active account without entries scores 0 and is
  ranked too (households, party members, buildings, grids and merchants are all accounts, so
  one statement ranks them all);
- ranks within the account's grid, village and township with RANK(): equal scores share a
  rank and the next rank skips (100, 90, 90, 80 → 1, 2, 2, 4); an account hanging on no grid
  (a building directly under a village, a branch's member) has no grid rank.

All three partitions lie inside one township, so recomputing some townships (`townships=`)
gives exactly the ranks a full recompute gives for their accounts: staff refresh their own
street in well under a second while the nightly task recomputes everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.points.models import SCORE_KINDS, Scheme, period_bounds
from lianxin.points.services.config import schemes as active_schemes

PERIOD_RE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?$")

# The aggregate: plain over the period's entries when every township is recomputed (one
# scan, like a hand-written SUM ... GROUP BY; entries of schemes not asked for are dropped
# by the join), restricted through the accounts otherwise, so that the planner can walk
# points_entry_account_day for a street's accounts instead of scanning the whole period.
_TOTALS_ALL = """
    SELECT e.account_id AS account_id, SUM(e.amount) AS score
    FROM points_pointentry e
    WHERE e.occurred_on BETWEEN %s AND %s AND e.kind IN ({kinds})
    GROUP BY e.account_id
"""
_TOTALS_SOME = """
    SELECT e.account_id AS account_id, SUM(e.amount) AS score
    FROM points_pointentry e JOIN points_account sa ON sa.id = e.account_id
    WHERE e.occurred_on BETWEEN %s AND %s AND e.kind IN ({kinds})
      AND sa.scheme_id IN ({schemes}) AND sa.township_id IN ({townships})
    GROUP BY e.account_id
"""

# Partitions include the scheme: one statement ranks several schemes side by side. A NULL
# key (no grid above the subject) gives no rank rather than one shared "no grid" ranking.
_INSERT = """
INSERT INTO points_standing (
    period, scheme_id, account_id, grid_key, village_key, township_key, score,
    rank_grid, rank_village, rank_township, computed_at
)
SELECT
    %s, a.scheme_id, a.id, a.grid_id, a.village_id, a.township_id, COALESCE(t.score, 0),
    CASE WHEN a.grid_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY a.scheme_id, a.grid_id ORDER BY COALESCE(t.score, 0) DESC) END,
    CASE WHEN a.village_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY a.scheme_id, a.village_id ORDER BY COALESCE(t.score, 0) DESC) END,
    CASE WHEN a.township_id IS NULL THEN NULL ELSE RANK() OVER (
        PARTITION BY a.scheme_id, a.township_id ORDER BY COALESCE(t.score, 0) DESC) END,
    %s
FROM points_account a
LEFT JOIN ({totals}) t ON t.account_id = a.id
WHERE a.is_active AND a.scheme_id IN ({schemes}){where_townships}
"""


def period_check(period: str) -> str:
    """The period if well-formed ('2026' or '2026-11'), else a DomainError on `period`."""
    period = (period or "").strip()
    if not PERIOD_RE.match(period):
        raise DomainError("期间格式应为年份（如 2026）或年月（如 2026-11）", field="period")
    return period


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


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
    date_from, date_to = period_bounds(period)
    scheme_ids = sorted({s.pk for s in (active_schemes() if schemes is None else schemes)})
    town_ids = None if townships is None else sorted(set(townships))
    if not scheme_ids or town_ids == []:
        return 0
    # Lock in id order: concurrent recomputes of overlapping schemes cannot deadlock.
    list(Scheme.objects.select_for_update().filter(pk__in=scheme_ids).order_by("pk"))

    kinds = [str(k) for k in SCORE_KINDS]
    ops = connection.ops
    computed_at = ops.adapt_datetimefield_value(clock.now())
    dates = [ops.adapt_datefield_value(date_from), ops.adapt_datefield_value(date_to)]
    with connection.cursor() as cursor:
        if town_ids is None:
            cursor.execute(
                f"DELETE FROM points_standing WHERE period = %s "  # noqa: S608 (placeholders only)
                f"AND scheme_id IN ({_placeholders(scheme_ids)})",
                [period, *scheme_ids],
            )
            totals = _TOTALS_ALL.format(kinds=_placeholders(kinds))
            params = [period, computed_at, *dates, *kinds, *scheme_ids]
            where_townships = ""
        else:
            # By township key (rows computed there before) and by account (accounts that
            # moved into these townships since): the unique (period, account) stays free.
            cursor.execute(
                f"DELETE FROM points_standing WHERE period = %s "  # noqa: S608
                f"AND scheme_id IN ({_placeholders(scheme_ids)}) AND ("
                f"township_key IN ({_placeholders(town_ids)}) OR account_id IN ("
                f"SELECT id FROM points_account WHERE scheme_id IN ({_placeholders(scheme_ids)})"
                f" AND township_id IN ({_placeholders(town_ids)})))",
                [period, *scheme_ids, *town_ids, *scheme_ids, *town_ids],
            )
            totals = _TOTALS_SOME.format(
                kinds=_placeholders(kinds),
                schemes=_placeholders(scheme_ids),
                townships=_placeholders(town_ids),
            )
            params = [period, computed_at, *dates, *kinds, *scheme_ids, *town_ids]
            params += [*scheme_ids, *town_ids]
            where_townships = f" AND a.township_id IN ({_placeholders(town_ids)})"
        cursor.execute(
            _INSERT.format(
                totals=totals, schemes=_placeholders(scheme_ids), where_townships=where_townships
            ),
            params,
        )
        return max(cursor.rowcount, 0)
