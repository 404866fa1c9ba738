"""Reads of the declarations part: declarations, their rounds and review history, the review
queues, public notices and objections.

Staff selectors take the actor and scope by the territory path (`visible_to` / `get_visible`:
404 outside the scope). A notice hangs on its township: village staff also see the notices
that hold one of their own declarations. The public notice (`public_notice`) is public by
design — it is the document posted for everyone to read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars import workflow as wf
from lianxin.stars.indicators import INDICATORS, IndicatorValue, evaluate, period_of
from lianxin.stars.models import (
    Declaration,
    DeclarationEntry,
    Objection,
    PublicNotice,
    ReviewStep,
    StandardScore,
    StarAward,
)
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.territory.models import Unit, UnitKind

Status = Declaration.Status
PROGRESS = "progress"
QUEUE_LIMIT = 20
MAX_UNIT_OPTIONS = 500


@dataclass(frozen=True)
class DeclarationFilters:
    year: int | None = None
    township: str = ""
    status: str = ""
    star: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> DeclarationFilters:
        raw_year = (query.get("year") or "").strip()
        year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else None
        status = (query.get("status") or "").strip()
        return cls(
            year=year,
            township=(query.get("township") or "").strip()[:40],
            status=status if status in Status.values else "",
            star=(query.get("star") or "").strip()[:30],
        )

    @property
    def active(self) -> bool:
        return bool(self.year or self.township or self.status or self.star)


def declarations_for(
    actor: Actor, filters: DeclarationFilters | None = None
) -> QuerySet[Declaration]:
    """Declarations in the actor's scope with their village, township and star (one query per
    page), newest year first, then by village and star."""
    filters = filters or DeclarationFilters()
    qs = Declaration.objects.visible_to(actor, wf.VIEW).select_related(
        "unit", "unit__parent", "star"
    )
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.township:
        path = (
            Unit.objects.filter(code=filters.township, kind=UnitKind.TOWNSHIP)
            .values_list("path", flat=True)
            .first()
        )
        qs = qs.filter(unit__path__startswith=path) if path else qs.none()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.star == PROGRESS:
        qs = qs.filter(kind=DeclarationKind.PROGRESS)
    elif filters.star:
        qs = qs.filter(star__code=filters.star)
    return qs.order_by("-year", "unit__path", "kind", "star__sort_order", "id")


@dataclass
class Queues:
    """What waits for the actor: the township's first reviews, the task force's reviews, the
    townships ready for a notice, the village's drafts and returned declarations."""

    township: list[Declaration] = field(default_factory=list)
    county: list[Declaration] = field(default_factory=list)
    publish: list[dict[str, Any]] = field(default_factory=list)
    village: list[Declaration] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.township or self.county or self.publish or self.village)

    def _count(self, rows: list[Declaration]) -> str:
        # A queue reads one row more than it shows, so a full queue says "20+" without a
        # count query; the filtered list shows them all.
        return f"{QUEUE_LIMIT}+" if len(rows) > QUEUE_LIMIT else str(len(rows))

    @property
    def township_count(self) -> str:
        return self._count(self.township)

    @property
    def county_count(self) -> str:
        return self._count(self.county)

    @property
    def village_count(self) -> str:
        return self._count(self.village)


def _queue(actor: Actor, perm: str, statuses: list[str]) -> list[Declaration]:
    if not actor.can(perm):
        return []
    return list(
        Declaration.objects.visible_to(actor, perm)
        .filter(status__in=statuses)
        .select_related("unit", "unit__parent", "star")
        .order_by("submitted_at", "id")[: QUEUE_LIMIT + 1]
    )


def review_queues(actor: Actor) -> Queues:
    """The actor's work lists, first on the declarations page (one query each)."""
    return Queues(
        township=_queue(actor, wf.REVIEW_TOWNSHIP, [Status.SUBMITTED]),
        county=_queue(actor, wf.REVIEW_COUNTY, [Status.TOWNSHIP_PASSED]),
        publish=publishable(actor),
        village=_queue(actor, wf.DECLARE, [Status.DRAFT, Status.RETURNED]),
    )


def publishable(actor: Actor) -> list[dict[str, Any]]:
    """Townships and years with approved declarations waiting for a notice, for the task
    force: [{"township": Unit, "year": 2026, "count": 3}]."""
    if not actor.can(wf.REVIEW_COUNTY):
        return []
    rows = (
        Declaration.objects.visible_to(actor, wf.REVIEW_COUNTY)
        .filter(status=Status.APPROVED)
        .values("unit__parent_id", "year")
        .annotate(n=Count("id"))
        .order_by("-year", "unit__parent_id")
    )
    rows = list(rows)
    townships = Unit.objects.in_bulk([r["unit__parent_id"] for r in rows])
    return [
        {"township": townships[r["unit__parent_id"]], "year": r["year"], "count": r["n"]}
        for r in rows
        if r["unit__parent_id"] in townships
    ]


def declaration_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Declaration:
    """One declaration in the actor's scope for `perm` (404 otherwise)."""
    declaration: Declaration = Declaration.objects.select_related(
        "unit", "unit__parent", "star", "notice"
    ).get_visible(actor, perm, public_id=public_id)
    return declaration


def declaration_units(actor: Actor) -> list[Unit]:
    """Villages and communities the actor declares for (the create form)."""
    return list(
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.DECLARE)))
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def townships_for(actor: Actor) -> list[Unit]:
    """Townships the list can be filtered by: those in the actor's scope (none for a
    village's staff, who see one village)."""
    return list(
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .filter(kind=UnitKind.TOWNSHIP)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def star_choices(actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the stars declared in the actor's scope, and the progress star."""
    rows = (
        Declaration.objects.visible_to(actor, wf.VIEW)
        .filter(kind=DeclarationKind.STAR)
        .order_by()
        .values_list("star__code", "star__name", "star__sort_order")
        .distinct()
    )
    seen: dict[str, tuple[str, int]] = {}
    for code, name, order in rows:
        seen.setdefault(code, (name, order))
    out = [(c, n) for c, (n, _o) in sorted(seen.items(), key=lambda kv: (kv[1][1], kv[0]))]
    return [*out, (PROGRESS, "进步星")]


# --- one declaration ---------------------------------------------------------------------


@dataclass
class Round:
    number: int
    entries: list[DeclarationEntry]
    is_open: bool


def rounds_of(declaration: Declaration) -> list[Round]:
    """Every round's entries, newest round first (one query). The newest round is open while
    the declaration is a draft or returned."""
    by_round: dict[int, list[DeclarationEntry]] = {}
    for entry in (
        DeclarationEntry.objects.filter(declaration=declaration)
        .select_related("standard")
        .order_by("-round", "standard__sort_order", "standard_id", "id")
    ):
        if (
            entry.standard is not None
            and not entry.standard.is_active
            and (
                entry.round == declaration.round
                and declaration.status in wf.DECLARATION_MOVES["edit"]
            )
        ):
            continue
        by_round.setdefault(entry.round, []).append(entry)
    editable = declaration.status in wf.DECLARATION_MOVES["edit"]
    return [
        Round(n, entries, is_open=editable and n == declaration.round)
        for n, entries in by_round.items()
    ]


def steps_of(declaration: Declaration) -> list[ReviewStep]:
    """The declaration's history, oldest first, each step with its standard scores (two
    queries)."""
    return list(
        ReviewStep.objects.filter(declaration=declaration)
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=StandardScore.objects.select_related("standard").order_by(
                    "standard__sort_order", "id"
                ),
            )
        )
        .order_by("at", "id")
    )


def live_figures(
    declaration: Declaration, entries: list[DeclarationEntry]
) -> dict[str, IndicatorValue]:
    """Today's values of the figure standards among `entries` (keyed by figure key)."""
    keys = [
        e.standard.figure_key
        for e in entries
        if e.standard is not None and e.standard.kind == wf.FIGURE and e.standard.figure_key
    ]
    return evaluate(declaration.unit, declaration.year, keys) if keys else {}


@dataclass
class EntryRow:
    """One entry as the pages show it: the standard's requirement, the figure frozen at
    submission and today's, each with whether it meets the threshold."""

    entry: DeclarationEntry
    requirement: str
    live: IndicatorValue | None = None
    live_ok: bool | None = None
    frozen: str = ""
    frozen_ok: bool | None = None

    @property
    def standard(self) -> Any:
        return self.entry.standard


def _figure(key: str, value: Any, year: int) -> IndicatorValue | None:
    ind = INDICATORS.get(key)
    if ind is None:
        return None
    date_from, date_to = period_of(year)
    return IndicatorValue(key, ind.label, ind.source, ind.measure, value, date_from, date_to)


def requirement_of(standard: Any, year: int) -> str:
    """What a standard asks, in words: 满分30分，24分达标 / 不低于 90.0% / 上传…"""
    if standard is None:
        return "说明较上年的进步情况，并上传佐证材料"
    if standard.kind == wf.MANUAL:
        text = f"满分{_num(standard.max_score)}分"
        if standard.pass_score is not None:
            text += f"，{_num(standard.pass_score)}分达标"
        return text
    if standard.kind == wf.EVIDENCE:
        return standard.evidence_hint or "须附佐证材料"
    threshold = _figure(standard.figure_key, standard.threshold, year)
    shown = threshold.display if threshold is not None else _num(standard.threshold)
    return f"{wf.COMPARATORS.get(standard.comparator, standard.comparator)} {shown}"


def _num(value: Any) -> str:
    return "—" if value is None else f"{value.normalize():f}"


def _meets(standard: Any, value: Any) -> bool | None:
    if not standard.comparator or standard.threshold is None:
        return None
    return wf.figure_passes(value, standard.comparator, standard.threshold)


def entry_rows(
    declaration: Declaration, entries: list[DeclarationEntry], *, live: bool = True
) -> list[EntryRow]:
    """The rows of a round with today's figures (`live`) next to the frozen ones (one
    evaluation of the indicators)."""
    figures = live_figures(declaration, entries) if live else {}
    rows = []
    for e in entries:
        std = e.standard
        row = EntryRow(e, requirement_of(std, declaration.year))
        if std is not None and std.kind == wf.FIGURE:
            today = figures.get(std.figure_key)
            if today is not None:
                row.live, row.live_ok = today, _meets(std, today.value)
            submitted = (
                e.round < declaration.round
                or declaration.status not in wf.DECLARATION_MOVES["edit"]
            )
            if submitted:
                frozen = _figure(std.figure_key, e.figure_value, declaration.year)
                row.frozen = frozen.display if frozen is not None else _num(e.figure_value)
                row.frozen_ok = _meets(std, e.figure_value)
        rows.append(row)
    return rows


def award_of(declaration: Declaration) -> StarAward | None:
    return StarAward.objects.filter(declaration=declaration).first()


def objections_of(declaration: Declaration) -> list[Objection]:
    return list(Objection.objects.filter(declaration=declaration).order_by("received_on", "id"))


def evidence_entry(actor: Actor, public_id: Any, entry_id: Any) -> DeclarationEntry:
    """An entry with an evidence file, of a declaration in the actor's scope (404 otherwise)."""
    entry: DeclarationEntry = DeclarationEntry.objects.get_visible(
        actor, wf.VIEW, public_id=entry_id, declaration__public_id=public_id
    )
    if not entry.evidence:
        raise Http404("没有佐证材料")
    return entry


# --- notices -----------------------------------------------------------------------------


def _notice_scope(actor: Actor) -> Q:
    """Notices of townships in scope, and notices holding a declaration in scope."""
    own = Declaration.objects.visible_to(actor, wf.VIEW).filter(notice__isnull=False)
    return path_q("township__path", actor.scope_paths(wf.VIEW)) | Q(pk__in=own.values("notice_id"))


def notices_for(actor: Actor, year: int | None = None) -> QuerySet[PublicNotice]:
    """Notices the actor sees, newest first, with their township and counts of declarations,
    objections and objections still unanswered."""
    if not actor.can(wf.VIEW):
        return PublicNotice.objects.none()
    qs = (
        PublicNotice.objects.filter(_notice_scope(actor))
        .select_related("township")
        .annotate(
            declaration_count=Count("declarations", distinct=True),
            objection_count=Count("objections", distinct=True),
            open_objection_count=Count(
                "objections", filter=Q(objections__upheld__isnull=True), distinct=True
            ),
        )
    )
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-starts_on", "-id")


def notice_get(actor: Actor, public_id: Any) -> PublicNotice:
    """One notice the actor sees (404 otherwise, or for a malformed id)."""
    if not actor.can(wf.VIEW):
        raise Http404("不存在或无权访问")
    try:
        notice = (
            PublicNotice.objects.filter(_notice_scope(actor))
            .select_related("township")
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError):
        notice = None
    if notice is None:
        raise Http404("不存在或无权访问")
    return notice


def notice_declarations(notice: PublicNotice) -> list[Declaration]:
    """The notice's declarations with their objections (two queries)."""
    return list(
        Declaration.objects.filter(notice=notice)
        .select_related("unit", "star")
        .prefetch_related(
            Prefetch("objections", queryset=Objection.objects.order_by("received_on", "id"))
        )
        .order_by("unit__path", "kind", "star__sort_order", "id")
    )


def public_notice(public_id: Any) -> PublicNotice:
    """A notice for anyone (it is the document posted publicly); 404 for a malformed id."""
    try:
        notice = PublicNotice.objects.select_related("township").filter(public_id=public_id).first()
    except (ValueError, TypeError):
        notice = None
    if notice is None:
        raise Http404("不存在")
    return notice


@dataclass(frozen=True)
class NoticeColumn:
    code: str
    name: str
    short: str


@dataclass
class NoticeRow:
    unit: Unit
    marks: list[bool]
    count: int
    cells: list[tuple[NoticeColumn, bool]] = field(default_factory=list)


def notice_table(declarations: list[Declaration]) -> tuple[list[NoticeColumn], list[NoticeRow]]:
    """Units × stars of a notice: one column per star declared (by the catalog's order, the
    progress star last), one row per village or community, a mark where a star is proposed."""
    columns: dict[str, tuple[int, NoticeColumn]] = {}
    for d in declarations:
        if d.star is not None:
            columns.setdefault(
                d.star.code,
                (d.star.sort_order, NoticeColumn(d.star.code, d.star.name, d.star.short_name)),
            )
    ordered = [c for _o, c in sorted(columns.values(), key=lambda oc: (oc[0], oc[1].code))]
    if any(d.kind == DeclarationKind.PROGRESS for d in declarations):
        ordered.append(NoticeColumn(PROGRESS, "进步星", "进步星"))
    rows: dict[int, tuple[Unit, set[str]]] = {}
    for d in declarations:
        unit, codes = rows.setdefault(d.unit_id, (d.unit, set()))
        codes.add(d.star.code if d.star is not None else PROGRESS)
    out = []
    for unit, codes in sorted(rows.values(), key=lambda uc: uc[0].path):
        marks = [c.code in codes for c in ordered]
        count = sum(1 for c in codes if c != PROGRESS)
        out.append(NoticeRow(unit, marks, count, list(zip(ordered, marks, strict=True))))
    return ordered, out


def notice_is_running(notice: PublicNotice, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return notice.status == PublicNotice.Status.OPEN and notice.starts_on <= today <= notice.ends_on
