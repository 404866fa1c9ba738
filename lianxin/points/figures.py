"""Points figures per unit and period, for other apps (DESIGN.md: five-star standards read the
party members' points results; insights shows them on dashboards).

`unit_figures(unit, date_from, date_to)` answers a plain dict (ints, Decimals, dates; JSON-able
with Django's encoder) about everything under `unit` (its subtree) in the period, both ends
inclusive. Ledger figures count entries by the deed's date (`occurred_on`, like scores);
proposals, objections, redemptions and micro-task completions by when they happened. It reads
without scoping: the caller (another app's service, which already checked its actor at `unit`)
decides who may see the figures. A fixed number of queries, whatever the unit's size.

Keys (see docs/points-config.md for the full list):

- ``schemes``: per scheme code → ``name``, ``awarded`` (加分), ``deducted`` (扣分, positive),
  ``reversed`` (冲正, signed net), ``net`` (the score: awarded − deducted + reversed),
  ``spent`` (兑换, positive) and ``refunded`` (退还).
- ``households``: ``total`` (active households), ``with_points`` (net household score > 0 in
  the period), ``with_entry`` (at least one ledger entry in the period), ``entry_share``
  (with_entry ÷ total, 4 decimals; None without households).
- ``members``: ``total`` (active party members of organisations under the unit),
  ``own_average`` (mean own score, members without entries count 0), ``linked_average`` (mean
  of the members' linked-household scores Σ/n, over members who link households),
  ``linked_members``, ``below_threshold`` (own score < the reminder-talk threshold) and
  ``threshold``.
- ``proposals``: count per status of proposals made in the period, and ``total``.
- ``objections``: ``total``, ``open``, ``upheld``, ``dismissed`` (filed in the period).
- ``redemptions``: ``total`` (placed in the period), ``picked_up``, ``cancelled``, ``points``
  (spent by orders not cancelled).
- ``micro_tasks``: ``published`` (tasks created in the period), ``completed`` (claims
  confirmed done in the period), ``residents`` (distinct residents who completed one).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from lianxin.party.models import PartyMember
from lianxin.people.models import Household
from lianxin.points.models import (
    SCORE_KINDS,
    EntryKind,
    MicroTask,
    Objection,
    PointEntry,
    Proposal,
    Redemption,
    Scheme,
    SubjectKind,
    TaskClaim,
)
from lianxin.points.scores import linked_scores
from lianxin.points.services.config import points_settings, scheme_for
from lianxin.territory.models import Unit

CENT = Decimal("0.01")
SHARE = Decimal("0.0001")


def _moments(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of date_from, start of the day after date_to) in local time."""
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return start, end


def _ledger(path: str, date_from: dt.date, date_to: dt.date) -> dict[str, dict[str, Any]]:
    rows = (
        PointEntry.objects.filter(
            account__unit__path__startswith=path, occurred_on__range=(date_from, date_to)
        )
        .values("account__scheme_id", "kind")
        .annotate(total=Sum("amount"))
    )
    sums: dict[int, dict[str, int]] = {}
    for r in rows:
        sums.setdefault(r["account__scheme_id"], {})[r["kind"]] = int(r["total"] or 0)
    out: dict[str, dict[str, Any]] = {}
    for scheme in Scheme.objects.order_by("sort_order", "id"):
        s = sums.get(scheme.pk, {})
        earned, deducted = s.get(EntryKind.EARN, 0), -s.get(EntryKind.DEDUCT, 0)
        reversed_ = s.get(EntryKind.REVERSAL, 0)
        if scheme.pk not in sums and not scheme.is_active:
            continue
        out[scheme.code] = {
            "name": scheme.name,
            "awarded": earned,
            "deducted": deducted,
            "reversed": reversed_,
            "net": earned - deducted + reversed_,
            "spent": -s.get(EntryKind.SPEND, 0),
            "refunded": s.get(EntryKind.REFUND, 0),
        }
    return out


def _households(path: str, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    total = Household.objects.filter(unit__path__startswith=path, is_active=True).count()
    rows = (
        PointEntry.objects.filter(
            account__scheme=scheme_for(SubjectKind.HOUSEHOLD),
            account__unit__path__startswith=path,
            account__household__is_active=True,
            occurred_on__range=(date_from, date_to),
        )
        .values("account__household_id")
        .annotate(score=Sum("amount", filter=Q(kind__in=SCORE_KINDS)))
    )
    with_entry: set[int] = set()
    with_points: set[int] = set()
    for r in rows:
        with_entry.add(r["account__household_id"])
        if (r["score"] or 0) > 0:
            with_points.add(r["account__household_id"])
    share = (Decimal(len(with_entry)) / Decimal(total)).quantize(SHARE) if total else None
    return {
        "total": total,
        "with_points": len(with_points),
        "with_entry": len(with_entry),
        "entry_share": share,
    }


def _members(path: str, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    threshold = points_settings().low_score_threshold
    member_ids = list(
        PartyMember.objects.filter(
            organisation__unit__path__startswith=path, is_active=True
        ).values_list("pk", flat=True)
    )
    own_rows = (
        PointEntry.objects.filter(
            account__scheme=scheme_for(SubjectKind.PARTY_MEMBER),
            account__member__organisation__unit__path__startswith=path,
            account__member__is_active=True,
            occurred_on__range=(date_from, date_to),
            kind__in=SCORE_KINDS,
        )
        .values("account__member_id")
        .annotate(total=Sum("amount"))
    )
    own = {r["account__member_id"]: int(r["total"] or 0) for r in own_rows}
    linked = [s.value for s in linked_scores(member_ids, date_from, date_to).values()]
    linked_values = [v for v in linked if v is not None]
    n = len(member_ids)
    return {
        "total": n,
        "own_average": (
            (Decimal(sum(own.values())) / Decimal(n)).quantize(CENT, ROUND_HALF_UP) if n else None
        ),
        "linked_average": (
            (sum(linked_values, Decimal(0)) / Decimal(len(linked_values))).quantize(
                CENT, ROUND_HALF_UP
            )
            if linked_values
            else None
        ),
        "linked_members": len(linked_values),
        "below_threshold": sum(1 for m in member_ids if own.get(m, 0) < threshold),
        "threshold": threshold,
    }


def _proposals(path: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    rows = (
        Proposal.objects.filter(
            account__unit__path__startswith=path, created_at__gte=start, created_at__lt=end
        )
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = {s: 0 for s in Proposal.Status.values}
    for r in rows:
        counts[r["status"]] = r["n"]
    counts["total"] = sum(counts.values())
    return counts


def _objections(path: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    row = Objection.objects.filter(
        proposal__account__unit__path__startswith=path, created_at__gte=start, created_at__lt=end
    ).aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=Objection.Status.OPEN)),
        upheld=Count("id", filter=Q(status=Objection.Status.UPHELD)),
        dismissed=Count("id", filter=Q(status=Objection.Status.DISMISSED)),
    )
    return {k: int(v or 0) for k, v in row.items()}


def _redemptions(path: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    row = Redemption.objects.filter(
        store__unit__path__startswith=path, created_at__gte=start, created_at__lt=end
    ).aggregate(
        total=Count("id"),
        picked_up=Count("id", filter=Q(status=Redemption.Status.PICKED_UP)),
        cancelled=Count("id", filter=Q(status=Redemption.Status.CANCELLED)),
        points=Sum("points", filter=~Q(status=Redemption.Status.CANCELLED)),
    )
    return {k: int(v or 0) for k, v in row.items()}


def _micro_tasks(path: str, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    published = MicroTask.objects.filter(
        unit__path__startswith=path, created_at__gte=start, created_at__lt=end
    ).count()
    row = TaskClaim.objects.filter(
        task__unit__path__startswith=path,
        status=TaskClaim.Status.COMPLETED,
        confirmed_at__gte=start,
        confirmed_at__lt=end,
    ).aggregate(completed=Count("id"), residents=Count("resident_id", distinct=True))
    return {"published": published, **{k: int(v or 0) for k, v in row.items()}}


def unit_figures(unit: Unit, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Points figures for everything under `unit` in [date_from, date_to] (see module doc)."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    path = unit.path
    start, end = _moments(date_from, date_to)
    return {
        "unit": unit.code,
        "date_from": date_from,
        "date_to": date_to,
        "schemes": _ledger(path, date_from, date_to),
        "households": _households(path, date_from, date_to),
        "members": _members(path, date_from, date_to),
        "proposals": _proposals(path, start, end),
        "objections": _objections(path, start, end),
        "redemptions": _redemptions(path, start, end),
        "micro_tasks": _micro_tasks(path, start, end),
    }
