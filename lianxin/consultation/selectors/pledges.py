"""Reads of the secretaries' pledges (三诺). Staff reads start from
`Pledge.objects.visible_to(actor, consultation.view)` (outside the scope: 404); public reads
take published pledges of one village only, never a draft, never an evaluator's name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import Pledge, PledgeItem, PledgeReport, PledgeScore
from lianxin.consultation.services.pledges import EVALUATORS, is_secretary_of, today
from lianxin.core.scope import path_q
from lianxin.party.models import PartyMember
from lianxin.territory.models import Unit, UnitKind

Stage = Pledge.Stage
REPORTED_STAGES = (Stage.REPORTED, Stage.EVALUATING, Stage.EVALUATED)


def pledges_for(actor: Actor) -> QuerySet[Pledge]:
    """Pledges under the actor's `consultation.view` posts, newest year first."""
    return (
        Pledge.objects.visible_to(actor, wf.VIEW)
        .select_related("unit")
        .order_by("-year", "unit__path", "id")
    )


def villages_for(actor: Actor) -> QuerySet[Unit]:
    """The villages and communities the actor sees (the list's unit filter)."""
    return (
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


def secretary_units(actor: Actor) -> list[Unit]:
    """The villages where the actor is the secretary who makes pledges."""
    paths = [p.unit_path for p in actor.posts_with(wf.PLEDGES)]
    if not paths:
        return []
    units = Unit.objects.filter(path_q("path", paths), kind=UnitKind.VILLAGE, is_active=True)
    return [u for u in units.order_by("path") if is_secretary_of(actor, u)]


@dataclass(frozen=True)
class YearFigures:
    villages: int
    pledges: int
    published: int
    reported: int
    evaluated: int
    average: Decimal | None


def year_figures(actor: Actor, year: int, unit: Unit | None = None) -> YearFigures:
    """How far the year's 三诺 has come under the actor (or one unit): villages, pledges by
    stage reached, and the average score of the evaluated ones (two queries)."""
    villages = villages_for(actor)
    qs = pledges_for(actor).filter(year=year)
    if unit is not None:
        villages = villages.filter(path__startswith=unit.path)
        qs = qs.filter(unit__path__startswith=unit.path)
    agg = qs.aggregate(
        n=Count("id"),
        published=Count("id", filter=~Q(stage=Stage.DRAFT)),
        reported=Count("id", filter=Q(stage__in=REPORTED_STAGES)),
        evaluated=Count("id", filter=Q(stage=Stage.EVALUATED)),
        total=Sum("average_score", filter=Q(stage=Stage.EVALUATED)),
    )
    average = None
    if agg["evaluated"] and agg["total"] is not None:
        average = (Decimal(agg["total"]) / agg["evaluated"]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    return YearFigures(
        villages=villages.count(),
        pledges=agg["n"],
        published=agg["published"],
        reported=agg["reported"],
        evaluated=agg["evaluated"],
        average=average,
    )


def pledge_years(actor: Actor) -> list[int]:
    """The years with pledges under the actor, and this year."""
    years = set(pledges_for(actor).order_by().values_list("year", flat=True).distinct())
    years.add(today().year)
    return sorted(years, reverse=True)


def pledge_get(actor: Actor, public_id: Any) -> Pledge:
    """One pledge in the actor's scope (404 otherwise)."""
    pledge: Pledge = Pledge.objects.select_related("unit").get_visible(
        actor, wf.VIEW, public_id=public_id
    )
    return pledge


def _items(pledge: Pledge) -> list[PledgeItem]:
    reports = PledgeReport.objects.order_by("at", "id")
    return list(
        PledgeItem.objects.filter(pledge=pledge)
        .prefetch_related(Prefetch("reports", queryset=reports))
        .order_by("order", "id")
    )


def pledge_items(pledge: Pledge) -> list[PledgeItem]:
    """The pledge's items, each with its reports oldest first (two queries)."""
    return _items(pledge)


def item_get(pledge: Pledge, number: int) -> PledgeItem:
    item = PledgeItem.objects.filter(pledge=pledge, order=number).first()
    if item is None:
        raise Http404("没有该承诺事项")
    item.pledge = pledge
    return item


def evidence_get(actor: Actor, public_id: Any, name: str) -> PledgeReport:
    """An evidence photo of a pledge in the actor's scope, by its (random) file name."""
    pledge = pledge_get(actor, public_id)
    return _evidence(pledge, name)


def _evidence(pledge: Pledge, name: str) -> PledgeReport:
    if not name or "/" in name:
        raise Http404("照片不存在")
    report = (
        PledgeReport.objects.filter(item__pledge=pledge, evidence__endswith=f"/{name}")
        .order_by("id")
        .first()
    )
    if report is None or not report.evidence:
        raise Http404("照片不存在")
    return report


@dataclass
class SheetRow:
    key: str
    label: str
    kind: str
    score: PledgeScore | None = None


@dataclass
class ScoreSheet:
    rows: list[SheetRow] = field(default_factory=list)
    # Scores recorded for someone no longer on the lists (left office, moved away).
    others: list[PledgeScore] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return sum(1 for r in self.rows if r.score is not None) + len(self.others)


def _evaluators(pledge: Pledge, on: dt.date) -> Iterator[tuple[roll.Elector, str]]:
    labels = {"representatives": "村（居）民代表", "party_members": "党员"}
    seen: set[int] = set()
    for kind in EVALUATORS:
        for e in roll.electors(pledge.unit, kind, on=on):
            # A representative who is also a party member evaluates once.
            if e.resident_id is not None:
                if e.resident_id in seen:
                    continue
                seen.add(e.resident_id)
            yield e, labels[kind]


def _score_people(scores: dict[str, PledgeScore]) -> dict[int, PledgeScore]:
    """Scores by the resident behind them (a member's key points at a resident too)."""
    by_resident: dict[int, PledgeScore] = {}
    members: dict[int, PledgeScore] = {}
    for key, s in scores.items():
        prefix, _, raw = key.partition(":")
        if raw.isdigit() and prefix == "resident":
            by_resident[int(raw)] = s
        elif raw.isdigit() and prefix == "member":
            members[int(raw)] = s
    if members:
        rows = PartyMember.objects.filter(pk__in=members, resident_id__isnull=False)
        for pk, resident_id in rows.values_list("pk", "resident_id"):
            by_resident.setdefault(resident_id, members[pk])
    return by_resident


def score_sheet(pledge: Pledge) -> ScoreSheet:
    """Every evaluator of the village with the score recorded for them, if any (three or
    four queries: representatives, party members, scores, members behind scores)."""
    scores = {s.elector_key: s for s in PledgeScore.objects.filter(pledge=pledge)}
    by_resident = _score_people(scores)
    sheet = ScoreSheet()
    used: set[str] = set()
    for elector, kind in _evaluators(pledge, today()):
        score = scores.get(elector.key)
        if score is None and elector.resident_id is not None:
            score = by_resident.get(elector.resident_id)
        if score is not None:
            used.add(score.elector_key)
        sheet.rows.append(SheetRow(elector.key, elector.label, kind, score))
    sheet.others = [s for k, s in scores.items() if k not in used]
    return sheet


# --- residents' side -------------------------------------------------------------------------


def public_village(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, kind=UnitKind.VILLAGE, is_active=True).first()
    if unit is None:
        raise Http404("没有该村（社区）")
    return unit


def public_pledges(unit: Unit) -> QuerySet[Pledge]:
    """A village's published pledges, newest year first (drafts are never public)."""
    return Pledge.objects.filter(unit=unit).exclude(stage=Stage.DRAFT).order_by("-year")


def public_pledge(unit: Unit, year: int | None) -> Pledge | None:
    """The published pledges of `year` (default: the newest published year)."""
    qs = public_pledges(unit)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.first()


def public_evidence(unit: Unit, year: int, name: str) -> PledgeReport:
    pledge = public_pledge(unit, year)
    if pledge is None:
        raise Http404("照片不存在")
    return _evidence(pledge, name)
