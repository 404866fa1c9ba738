"""Reads of the daily assessment (日常考核). The county's task force sees every row of its
county; a township sees the rows of its own secretary and of its villages (read only);
villages do not see the assessment. Scope: the paths where the actor holds
`stars.review_county` or `stars.review_township` (outside: 404)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.http import Http404, QueryDict

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import collapse_paths, path_q
from lianxin.stars import workflow as wf
from lianxin.stars.models import Assessment, TaskForce
from lianxin.stars.models.assessments import SubjectKind
from lianxin.stars.services import assessments as svc
from lianxin.stars.services.contests import average, competition_ranks
from lianxin.territory.models import Unit, UnitKind

PERMS = (wf.REVIEW_COUNTY, wf.REVIEW_TOWNSHIP)


def scope_paths(actor: Actor) -> tuple[str, ...]:
    return collapse_paths(p for perm in PERMS for p in actor.scope_paths(perm))


def is_county_level(actor: Actor) -> bool:
    return actor.can(wf.REVIEW_COUNTY)


def assessments_for(actor: Actor) -> QuerySet[Assessment]:
    """Assessment rows in the actor's scope, newest period first."""
    return (
        Assessment.objects.filter(path_q("unit__path", scope_paths(actor)))
        .select_related("unit", "county")
        .order_by("-period", "subject_kind", "subject_name", "-id")
    )


@dataclass(frozen=True)
class Filters:
    year: int
    kind: str = ""
    period: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        try:
            year = int(query.get("year") or clock.today().year)
        except ValueError:
            year = clock.today().year
        kind = query.get("kind") or ""
        period = (query.get("period") or "").strip()
        return cls(
            year=year if 2000 <= year <= 2100 else clock.today().year,
            kind=kind if kind in SubjectKind.values else "",
            period=period if svc.PERIOD_RE.match(period) else "",
            q=(query.get("q") or "").strip()[:30],
        )


def assessment_list(actor: Actor, f: Filters) -> QuerySet[Assessment]:
    qs = assessments_for(actor).filter(year=f.year)
    if f.kind:
        qs = qs.filter(subject_kind=f.kind)
    if f.period:
        qs = qs.filter(period=f.period)
    if f.q:
        qs = qs.filter(subject_name__contains=f.q)
    return qs


def current_ids(rows: list[Assessment]) -> set[int]:
    """Of `rows`, the ones that count: the newest row of their subject and period (one query)."""
    if not rows:
        return set()
    keys = {r.subject_key for r in rows}
    periods = {r.period for r in rows}
    newest = (
        Assessment.objects.filter(subject_key__in=keys, period__in=periods)
        .values("county_id", "subject_kind", "subject_key", "period")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return set(newest)


def assessment_get(actor: Actor, public_id: Any) -> Assessment:
    try:
        row: Assessment = (
            assessments_for(actor).select_related("task_force").get(public_id=public_id)
        )
    except (Assessment.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc
    return row


def subject_history(row: Assessment) -> list[Assessment]:
    """The subject's rows of the row's year, newest period first, corrections first."""
    return list(
        Assessment.objects.filter(
            county_id=row.county_id,
            subject_kind=row.subject_kind,
            subject_key=row.subject_key,
            year=row.year,
        ).order_by("-period", "-id")
    )


def assessment_years(actor: Actor) -> list[int]:
    years = set(assessments_for(actor).order_by().values_list("year", flat=True).distinct())
    years.add(clock.today().year)
    return sorted(years, reverse=True)


# --- the year-end evaluation -----------------------------------------------------------------


@dataclass
class YearRow:
    county: Unit
    unit: Unit
    subject_kind: str
    subject_key: str
    subject_name: str
    periods: int
    average: Decimal
    rank: int = 0
    grade: str = ""
    latest: Assessment | None = None

    @property
    def kind_label(self) -> str:
        return str(SubjectKind(self.subject_kind).label)


def year_table(actor: Actor, year: int, kind: str) -> list[YearRow]:
    """Each subject of a kind in scope for the year: the average of its periods (the newest
    row of each period counts), its rank in its county within the actor's scope (ties share a
    rank) and its grade. One query."""
    rows = (
        assessments_for(actor)
        .filter(year=year, subject_kind=kind)
        .order_by("county_id", "subject_key", "period", "-id")
    )
    counted: dict[tuple[int, str], list[Assessment]] = defaultdict(list)
    seen: set[tuple[int, str, str]] = set()
    for r in rows:
        period_key = (r.county_id, r.subject_key, r.period)
        if period_key in seen:
            continue  # an older row of a corrected period
        seen.add(period_key)
        counted[(r.county_id, r.subject_key)].append(r)
    table: list[YearRow] = []
    for (_county, key), periods in counted.items():
        newest = max(periods, key=lambda a: (a.period, a.pk))
        avg = average(sum((a.total for a in periods), Decimal(0)), len(periods))
        assert avg is not None
        table.append(
            YearRow(
                county=newest.county,
                unit=newest.unit,
                subject_kind=kind,
                subject_key=key,
                subject_name=newest.subject_name,
                periods=len(periods),
                average=avg,
                grade=svc.grade_of(avg),
                latest=newest,
            )
        )
    by_county: dict[int, list[YearRow]] = defaultdict(list)
    for row in table:
        by_county[row.county.pk].append(row)
    for group in by_county.values():
        for row, rank in zip(group, competition_ranks([r.average for r in group]), strict=True):
            row.rank = rank
    table.sort(key=lambda r: (r.county.path, r.rank, r.unit.path, r.subject_name))
    return table


def grade_counts(table: list[YearRow]) -> list[tuple[str, int]]:
    labels = [label for _floor, label in svc.GRADES] + [svc.FAIL_GRADE]
    return [(label, sum(1 for r in table if r.grade == label)) for label in labels]


# --- pickers of the record form -------------------------------------------------------------


def counties_for(actor: Actor) -> list[Unit]:
    paths = actor.scope_paths(wf.REVIEW_COUNTY)
    if not paths:
        return []
    return list(
        Unit.objects.filter(path_q("path", paths), kind=UnitKind.COUNTY, is_active=True).order_by(
            "path"
        )
    )


def task_forces(county: Unit) -> list[TaskForce]:
    return list(TaskForce.objects.filter(county=county, is_active=True).order_by("id"))


def units_of(county: Unit, kind: str) -> list[Unit]:
    """The townships (or villages, with their township) a subject may belong to."""
    unit_kind = UnitKind.TOWNSHIP if kind == SubjectKind.TOWNSHIP_SECRETARY else UnitKind.VILLAGE
    return list(
        Unit.objects.filter(path__startswith=county.path, kind=unit_kind, is_active=True)
        .select_related("parent")
        .order_by("path")
    )
