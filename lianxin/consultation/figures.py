"""Consultation figures per unit and period, for the figures page, other apps (five-star
standards, insights dashboards) and reports (docs/consultation.md, "Figures").

`unit_figures(unit, date_from, date_to)` answers a plain dict (ints, Decimals, dates; JSON-able
with Django's encoder) about everything under `unit` (its subtree) in the period, both ends
inclusive, in the deployment's time zone. It reads without scoping: the caller (a view or
another app's service that already checked its actor at `unit`) decides who may see the
figures. A fixed number of queries, whatever the unit's size: every family is one query
grouped by the village (consultation rows hang on villages), folded in Python into the total
and, with ``by_child=True``, into one row per child unit of `unit` (one more query).

Keys:

- ``meetings``: ``held`` (meetings closed, by their start in the period), ``quorum_reached``
  (sign-ins ≥ the quorum the meeting type's rule gives for the frozen ``eligible_count``;
  the rule is the type's current one), ``quorum_share`` (4 places, None without meetings) and
  ``by_type``: type code → ``name``, ``held``, ``quorum_reached``.
- ``items``: agenda items decided in the period: ``decided``, ``passed``, ``rejected``,
  ``discussed`` (已议，不表决).
- ``votes``: ``held`` (votes closed in the period) and ``average_support_rate`` (mean of their
  support rates, 4 places, None without votes).
- ``decisions``: ``made`` (decided in the period), ``done`` (implemented in the period),
  ``done_on_time`` (of those, done by the due date), ``overdue_open`` (still in progress and
  past due at the end of the period, or today if earlier), ``on_time_share``.
- ``pledges``: the secretaries' pledges (三诺) of the period's calendar years (``years``):
  ``published`` (made public: 亮诺), ``reported`` (践诺 reported or later), ``evaluated``
  (评诺 done), ``items`` and ``items_done`` (pledge items of published pledges, 已兑现),
  ``items_done_share``, ``average_score`` (mean of evaluated pledges' average scores).
- ``proposals``: residents' proposals submitted in the period (the cohort) by what became of
  them: ``submitted``, ``open``, ``scheduled`` (reached an agenda: scheduled or decided),
  ``decided``, ``declined``, ``withdrawn``; and ``supports`` (supports given in the period,
  to any proposal).
- ``children`` (only with ``by_child=True``): per child unit ``code``, ``name``, ``is_self``
  and the same sections (without ``children``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    MeetingType,
    Pledge,
    PledgeItem,
    ProposalSupport,
    ResidentProposal,
)
from lianxin.core import clock
from lianxin.territory.models import Unit

SHARE = Decimal("0.0001")
CENT = Decimal("0.01")

ItemStatus = AgendaItem.Status
PStatus = ResidentProposal.Status
Stage = Pledge.Stage


def _moments(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start of date_from, start of the day after date_to) in local time."""
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return start, end


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(SHARE, ROUND_HALF_UP) if whole else None


Raw = dict[str, Counter[str]]


def _add(raw: Raw, rows: Any, path_key: str) -> None:
    for row in rows:
        bucket = raw.setdefault(row.pop(path_key), Counter())
        for key, value in row.items():
            if value:
                bucket[key] += value


# Each meeting's sign-ins counted on their own (an index-only count per meeting): joining
# and grouping every sign-in row of a county sorted ~300,000 rows (bench/consultation_figures.py
# measured 240 → 121 ms). COUNT(*) rather than COUNT(id), so the index alone answers.
_present = (
    Attendance.objects.filter(meeting=OuterRef("pk"))
    .order_by()
    .annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    .values("n")
)


def _meetings(raw: Raw, path: str, start: dt.datetime, end: dt.datetime) -> dict[int, Any]:
    """Closed meetings with their sign-ins (one query) and the types (one query)."""
    types = {t.pk: t for t in MeetingType.objects.all()}
    rows = (
        Meeting.objects.filter(
            unit__path__startswith=path,
            status=Meeting.Status.CLOSED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .values("pk", "unit__path", "meeting_type_id", "eligible_count")
        .annotate(present=Subquery(_present, output_field=IntegerField()))
        .order_by()
    )
    for row in rows:
        mtype = types[row["meeting_type_id"]]
        required = wf.quorum_required(
            mtype.quorum_rule,
            row["eligible_count"] or 0,
            share=mtype.quorum_share,
            minimum=mtype.quorum_minimum,
        )
        reached = int(row["present"] >= required)
        bucket = raw.setdefault(row["unit__path"], Counter())
        bucket["meetings_held"] += 1
        bucket["meetings_quorum"] += reached
        bucket[f"mt{mtype.pk}_held"] += 1
        bucket[f"mt{mtype.pk}_quorum"] += reached
    return types


def _items(raw: Raw, path: str, start: dt.datetime, end: dt.datetime) -> None:
    decided = Q(decided_at__gte=start, decided_at__lt=end)
    voted = Q(vote_closed_at__gte=start, vote_closed_at__lt=end, support_rate__isnull=False)
    rows = (
        AgendaItem.objects.filter(meeting__unit__path__startswith=path)
        .filter(decided | Q(vote_closed_at__gte=start, vote_closed_at__lt=end))
        .values("meeting__unit__path")
        .annotate(
            items_passed=Count("id", filter=decided & Q(status=ItemStatus.PASSED)),
            items_rejected=Count("id", filter=decided & Q(status=ItemStatus.REJECTED)),
            items_discussed=Count("id", filter=decided & Q(status=ItemStatus.DISCUSSED)),
            votes_held=Count("id", filter=Q(vote_closed_at__gte=start, vote_closed_at__lt=end)),
            rate_sum=Sum("support_rate", filter=voted),
            rate_n=Count("id", filter=voted),
        )
        .order_by()
    )
    _add(raw, rows, "meeting__unit__path")


def _decisions(raw: Raw, path: str, date_from: dt.date, date_to: dt.date) -> None:
    today = timezone.localdate(clock.now())
    # Overdue at the end of the period (or now, for a period that runs into the future).
    cutoff = min(date_to, today)
    done = Q(status=Decision.Status.DONE, done_on__range=(date_from, date_to))
    rows = (
        Decision.objects.filter(unit__path__startswith=path)
        .exclude(status=Decision.Status.CANCELLED)
        .values("unit__path")
        .annotate(
            decisions_made=Count("id", filter=Q(decided_on__range=(date_from, date_to))),
            decisions_done=Count("id", filter=done),
            decisions_on_time=Count("id", filter=done & Q(done_on__lte=F("due_on"))),
            decisions_overdue=Count(
                "id",
                filter=Q(
                    status=Decision.Status.IN_PROGRESS,
                    due_on__lt=cutoff,
                    decided_on__lte=date_to,
                ),
            ),
        )
        .order_by()
    )
    _add(raw, rows, "unit__path")


def _pledges(raw: Raw, path: str, years: range) -> None:
    published = ~Q(stage=Stage.DRAFT)
    reported = Q(stage__in=(Stage.REPORTED, Stage.EVALUATING, Stage.EVALUATED))
    evaluated = Q(stage=Stage.EVALUATED)
    rows = (
        Pledge.objects.filter(unit__path__startswith=path, year__in=list(years))
        .values("unit__path")
        .annotate(
            pledges_published=Count("id", filter=published),
            pledges_reported=Count("id", filter=reported),
            pledges_evaluated=Count("id", filter=evaluated),
            score_sum=Sum("average_score", filter=evaluated & Q(average_score__isnull=False)),
            score_n=Count("id", filter=evaluated & Q(average_score__isnull=False)),
        )
        .order_by()
    )
    _add(raw, rows, "unit__path")
    items = (
        PledgeItem.objects.filter(pledge__unit__path__startswith=path, pledge__year__in=list(years))
        .exclude(pledge__stage=Stage.DRAFT)
        .values("pledge__unit__path")
        .annotate(
            pledge_items=Count("id"),
            pledge_items_done=Count("id", filter=Q(fulfilment=PledgeItem.Fulfilment.DONE)),
        )
        .order_by()
    )
    _add(raw, items, "pledge__unit__path")


def _proposals(raw: Raw, path: str, start: dt.datetime, end: dt.datetime) -> None:
    aggs = {f"p_{s}": Count("id", filter=Q(status=s)) for s in PStatus.values}
    rows = (
        ResidentProposal.objects.filter(
            unit__path__startswith=path, created_at__gte=start, created_at__lt=end
        )
        .values("unit__path")
        .annotate(proposals_submitted=Count("id"), **aggs)
        .order_by()
    )
    _add(raw, rows, "unit__path")
    supports = (
        ProposalSupport.objects.filter(
            proposal__unit__path__startswith=path, at__gte=start, at__lt=end
        )
        .values("proposal__unit__path")
        .annotate(supports=Count("id"))
        .order_by()
    )
    _add(raw, supports, "proposal__unit__path")


def _shape(c: Counter[str], types: dict[int, MeetingType], years: range) -> dict[str, Any]:
    """The documented sections from one bucket of raw counts."""
    by_type: dict[str, dict[str, Any]] = {}
    for pk, mtype in sorted(types.items(), key=lambda kv: (kv[1].sort_order, kv[0])):
        held = int(c[f"mt{pk}_held"])
        if held or mtype.is_active:
            by_type[mtype.code] = {
                "name": mtype.name,
                "held": held,
                "quorum_reached": int(c[f"mt{pk}_quorum"]),
            }
    rate_n = int(c["rate_n"])
    score_n = int(c["score_n"])
    return {
        "meetings": {
            "held": int(c["meetings_held"]),
            "quorum_reached": int(c["meetings_quorum"]),
            "quorum_share": _share(int(c["meetings_quorum"]), int(c["meetings_held"])),
            "by_type": by_type,
        },
        "items": {
            "decided": int(c["items_passed"] + c["items_rejected"] + c["items_discussed"]),
            "passed": int(c["items_passed"]),
            "rejected": int(c["items_rejected"]),
            "discussed": int(c["items_discussed"]),
        },
        "votes": {
            "held": int(c["votes_held"]),
            "average_support_rate": (
                (Decimal(c["rate_sum"]) / rate_n).quantize(SHARE, ROUND_HALF_UP) if rate_n else None
            ),
        },
        "decisions": {
            "made": int(c["decisions_made"]),
            "done": int(c["decisions_done"]),
            "done_on_time": int(c["decisions_on_time"]),
            "overdue_open": int(c["decisions_overdue"]),
            "on_time_share": _share(int(c["decisions_on_time"]), int(c["decisions_done"])),
        },
        "pledges": {
            "years": list(years),
            "published": int(c["pledges_published"]),
            "reported": int(c["pledges_reported"]),
            "evaluated": int(c["pledges_evaluated"]),
            "items": int(c["pledge_items"]),
            "items_done": int(c["pledge_items_done"]),
            "items_done_share": _share(int(c["pledge_items_done"]), int(c["pledge_items"])),
            "average_score": (
                (Decimal(c["score_sum"]) / score_n).quantize(CENT, ROUND_HALF_UP)
                if score_n
                else None
            ),
        },
        "proposals": {
            "submitted": int(c["proposals_submitted"]),
            "open": int(c[f"p_{PStatus.OPEN}"]),
            "scheduled": int(c[f"p_{PStatus.SCHEDULED}"] + c[f"p_{PStatus.DECIDED}"]),
            "decided": int(c[f"p_{PStatus.DECIDED}"]),
            "declined": int(c[f"p_{PStatus.DECLINED}"]),
            "withdrawn": int(c[f"p_{PStatus.WITHDRAWN}"]),
            "supports": int(c["supports"]),
        },
    }


def _children(
    unit: Unit, raw: Raw, types: dict[int, MeetingType], years: range
) -> list[dict[str, Any]]:
    """One row per child unit (and one for rows at the unit itself), folding the village
    buckets by the path segment right below `unit`."""
    prefix = unit.path
    folded: dict[str, Counter[str]] = {}
    for path, bucket in raw.items():
        code = path[len(prefix) :].split("/", 1)[0]
        folded.setdefault(code, Counter()).update(bucket)
    children = Unit.objects.filter(parent=unit).order_by("sort_order", "path")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for child in children:
        code = child.path[len(prefix) : -1]
        seen.add(code)
        found = folded.get(code)
        if found is None and not child.is_active:
            continue
        out.append(
            {
                "code": child.code,
                "name": child.display_name,
                "is_self": False,
                **_shape(found or Counter(), types, years),
            }
        )
    for code in sorted(set(folded) - seen - {""}):
        out.append(
            {"code": code, "name": code, "is_self": False, **_shape(folded[code], types, years)}
        )
    if "" in folded:
        out.append(
            {
                "code": unit.code,
                "name": f"{unit.display_name}（本级）",
                "is_self": True,
                **_shape(folded[""], types, years),
            }
        )
    return out


def unit_figures(
    unit: Unit, date_from: dt.date, date_to: dt.date, *, by_child: bool = False
) -> dict[str, Any]:
    """Consultation figures for everything under `unit` in [date_from, date_to] (see the
    module doc). Eight queries (nine with `by_child`), whatever the unit's size."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    path = unit.path
    start, end = _moments(date_from, date_to)
    years = range(date_from.year, date_to.year + 1)
    raw: Raw = {}
    types = _meetings(raw, path, start, end)
    _items(raw, path, start, end)
    _decisions(raw, path, date_from, date_to)
    _pledges(raw, path, years)
    _proposals(raw, path, start, end)
    total: Counter[str] = Counter()
    for bucket in raw.values():
        total.update(bucket)
    out: dict[str, Any] = {
        "unit": unit.code,
        "date_from": date_from,
        "date_to": date_to,
        **_shape(total, types, years),
    }
    if by_child:
        out["children"] = _children(unit, raw, types, years)
    return out
