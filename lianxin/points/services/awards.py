"""Automatic awards (自动积分): points earned by something that happened elsewhere — a request
the household reported closed as resolved, an errand a party member did, a linkage visit, a
consultation meeting attended, a micro-task done on the fast path.

Each kind of event is a `source` with an `AwardRule` row (scheme, indicator code, on/off;
defaults in defaults.py, edited on the configuration page). `award_for` resolves the rule's
indicator in the catalog that applies to the subject in the deed's year, respects the
indicator's cap, and books straight to the ledger (no notice: the event itself is the
evidence) under the source key ``auto:<source>:<key>`` — so one event pays at most once, however
often its signal fires. It runs in the transaction of the event that earns the points
(receivers.py); callers that must not fail because of points wrap it with `award_safely`.

For apps that come later (consultation): send a signal, and add a receiver in receivers.py
that calls `award_resident(source="meeting_attended", ...)`; see docs/points-config.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Abs

from lianxin.core.snapshot import TableSnapshot
from lianxin.people.models import Resident
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    AwardRule,
    EntryKind,
    Indicator,
    PointEntry,
    Proposal,
)
from lianxin.points.services import ledger
from lianxin.points.services.config import catalog_for

logger = logging.getLogger(__name__)
# Entry kinds an award books; a reversed award no longer counts against the cap.
AWARD_KINDS = (EntryKind.EARN, EntryKind.DEDUCT)


def _load_rules() -> dict[str, AwardRule]:
    return {r.source: r for r in AwardRule.objects.select_related("scheme")}


# Looked at on every request event (receivers.py), so a per-process snapshot: no query for a
# source whose rule is off.
_rules = TableSnapshot("points.AwardRule", _load_rules)


def award_rule(source: str) -> AwardRule | None:
    """The active rule of `source` (None when there is none or it is switched off)."""
    rule = _rules.get().get(source)
    return rule if rule is not None and rule.is_active and rule.scheme.is_active else None


def award_key(source: str, key: str) -> str:
    """The ledger source key of an award: one event pays at most once."""
    return f"auto:{source}:{key}"


def _cap_window(indicator: Indicator, day: dt.date) -> tuple[dt.date, dt.date] | None:
    from lianxin.points.services.proposals import cap_window

    return cap_window(indicator.cap_period, day)


def direct_entries_used(
    *, account: Account, indicator: Indicator, window: tuple[dt.date, dt.date]
) -> int:
    """Points (absolute) booked for this indicator's code in the window WITHOUT a proposal
    (automatic awards, fast paths), not reversed."""
    row = PointEntry.objects.filter(
        account=account,
        kind__in=AWARD_KINDS,
        occurred_on__range=window,
        indicator_revision__indicator__code=indicator.code,
        indicator_revision__indicator__catalog__scheme_id=indicator.catalog.scheme_id,
        proposal__isnull=True,
        reversed_by__isnull=True,
    ).aggregate(total=Sum(Abs("amount")))
    return int(row["total"] or 0)


def cap_room(*, account: Account, indicator: Indicator, day: dt.date) -> int | None:
    """How many points the subject may still get for the indicator in the cap period of
    `day`: the cap minus live proposals and direct entries; None when uncapped."""
    if not indicator.cap_points or not indicator.cap_period:
        return None
    window = _cap_window(indicator, day)
    if window is None:
        return None
    proposed = Proposal.objects.filter(
        Q(account=account)
        & Q(indicator__code=indicator.code)
        & Q(indicator__catalog__scheme_id=indicator.catalog.scheme_id)
        & Q(occurred_on__range=window)
        & Q(status__in=wf.LIVE)
    ).aggregate(total=Sum(Abs("points")))
    used = int(proposed["total"] or 0) + direct_entries_used(
        account=account, indicator=indicator, window=window
    )
    return max(0, indicator.cap_points - used)


@transaction.atomic
def award_for(
    *,
    source: str,
    subject_account: Account,
    source_key: str,
    occurred_on: dt.date,
    resident: Resident | None = None,
    reason: str,
) -> PointEntry | None:
    """Book the points of `source`'s rule for the subject, once per `source_key` (the event's
    own id; the entry's key is ``auto:<source>:<source_key>``).

    Returns the new entry, or None — with a log line saying why — when the rule is off, the
    subject is in another scheme, no catalog or active indicator applies, the cap of the
    period is reached, or the source already paid."""
    key = award_key(source, source_key)
    rule = award_rule(source)
    if rule is None:
        return None
    account = subject_account
    if account.scheme_id != rule.scheme_id or not account.is_active:
        logger.warning("自动积分 %s：账户 %s 不在“%s”中或已停用", key, account.pk, rule.scheme)
        return None
    if PointEntry.objects.filter(source_key=key).exists():
        logger.info("自动积分 %s：已计过，不重复计分", key)
        return None
    catalog = catalog_for(scheme=rule.scheme, path=account.unit.path, year=occurred_on.year)
    indicator = (
        catalog.indicators.select_related("catalog").filter(code=rule.indicator_code).first()
        if catalog is not None
        else None
    )
    if indicator is None or not indicator.is_active:
        logger.warning(
            "自动积分 %s：%s 年适用的目录中没有启用的指标“%s”",
            key,
            occurred_on.year,
            rule.indicator_code,
        )
        return None
    revision = indicator.revisions.order_by("-number").first()
    if revision is None or revision.points == 0:
        logger.warning("自动积分 %s：指标“%s”没有有效版本", key, indicator.code)
        return None
    # Lock the account first: the cap check and the append are then one step for it.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    room = cap_room(account=account, indicator=indicator, day=occurred_on)
    if room is not None and abs(revision.points) > room:
        logger.info(
            "自动积分 %s：“%s”本期已达上限 %s 分，不再计分",
            key,
            indicator.name,
            indicator.cap_points,
        )
        return None
    try:
        with transaction.atomic():
            return ledger.entry_append(
                account=account,
                kind=EntryKind.EARN if revision.points > 0 else EntryKind.DEDUCT,
                amount=revision.points,
                occurred_on=occurred_on,
                reason=f"{revision.name}（{reason}）" if reason else revision.name,
                source_key=key,
                indicator_revision=revision,
                resident_id=resident.pk if resident is not None else None,
            )
    except ledger.DuplicateSource:
        logger.info("自动积分 %s：已计过，不重复计分", key)
        return None


def award_safely(label: str, award: Callable[[], PointEntry | None]) -> PointEntry | None:
    """Run an award inside a savepoint: a failure is logged and rolled back alone, so the
    event that earned the points (closing a request, recording a visit) still goes through."""
    try:
        with transaction.atomic():
            return award()
    except Exception:  # a points problem must never break the work that earned them
        logger.exception("自动积分失败：%s", label)
        return None


def award_resident(
    *, source: str, resident: Resident, key: str, occurred_on: dt.date, reason: str
) -> PointEntry | None:
    """Award a household-scheme source to the resident's household, naming the resident as
    the contributor (e.g. a consultation meeting attended)."""
    from lianxin.points.services.accounts import account_for_household

    rule = award_rule(source)
    if rule is None or not resident.household_id or not resident.household.is_active:
        return None
    account = account_for_household(resident.household, rule.scheme)
    return award_for(
        source=source,
        subject_account=account,
        source_key=key,
        occurred_on=occurred_on,
        resident=resident,
        reason=reason,
    )
