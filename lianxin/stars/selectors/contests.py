"""Reads of the contests (三次大比武). A contest is seen by whoever sees its host (the
township's staff their heat, the county everything) and by whoever sees one of its entries
(a village its own entry in its township's heat and in the final); entries, scores and
material are read within the same scope (outside it: 404)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Post
from lianxin.accounts.permissions import Role
from lianxin.core import clock
from lianxin.core.scope import path_q
from lianxin.stars import workflow as wf
from lianxin.stars.models import Contest, ContestEntry, ContestScore
from lianxin.stars.services import contests as svc
from lianxin.territory.models import Unit, UnitKind


def _entries_in_scope(actor: Actor) -> Q:
    return path_q("unit__path", actor.scope_paths(wf.VIEW))


def contests_for(actor: Actor) -> QuerySet[Contest]:
    """Contests whose host the actor sees, or with an entry the actor sees; each with the
    number of entries the actor sees (`entry_count`)."""
    paths = actor.scope_paths(wf.VIEW)
    visible_entries = ContestEntry.objects.filter(path_q("unit__path", paths)).values("contest_id")
    return (
        Contest.objects.filter(path_q("host__path", paths) | Q(pk__in=visible_entries))
        .select_related("host")
        .annotate(entry_count=Count("entries", filter=path_q("entries__unit__path", paths)))
        .order_by("-year", "round", "is_final", "host__sort_order", "host__path")
    )


def contest_years(actor: Actor) -> list[int]:
    years = set(contests_for(actor).order_by().values_list("year", flat=True).distinct())
    years.add(clock.today().year)
    return sorted(years, reverse=True)


def contest_get(actor: Actor, public_id: Any) -> Contest:
    """One contest the actor sees (404 otherwise)."""
    paths = actor.scope_paths(wf.VIEW)
    visible_entries = ContestEntry.objects.filter(path_q("unit__path", paths)).values("contest_id")
    try:
        contest: Contest = (
            Contest.objects.filter(path_q("host__path", paths) | Q(pk__in=visible_entries))
            .select_related("host")
            .get(public_id=public_id)
        )
    except (Contest.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc
    return contest


def sees_all_entries(actor: Actor, contest: Contest) -> bool:
    return actor.can(wf.VIEW, contest.host.path)


def contest_entries(actor: Actor, contest: Contest) -> list[ContestEntry]:
    """The contest's entries the actor sees, ranked first (rank, then village)."""
    qs = ContestEntry.objects.filter(contest=contest).select_related("unit", "heat_entry")
    if not sees_all_entries(actor, contest):
        qs = qs.filter(_entries_in_scope(actor))
    return list(qs.order_by(F("rank").asc(nulls_last=True), "unit__sort_order", "unit__path"))


def entry_get(actor: Actor, public_id: Any) -> ContestEntry:
    """One entry the actor sees: its village is in scope, or the contest's host is."""
    paths = actor.scope_paths(wf.VIEW)
    try:
        entry: ContestEntry = (
            ContestEntry.objects.filter(
                path_q("unit__path", paths) | path_q("contest__host__path", paths)
            )
            .select_related("unit", "contest", "contest__host", "heat_entry", "heat_entry__contest")
            .get(public_id=public_id)
        )
    except (ContestEntry.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc
    return entry


def entry_scores(entry: ContestEntry) -> list[ContestScore]:
    return list(ContestScore.objects.filter(entry=entry).order_by("at", "id"))


def judged_entry_ids(actor: Actor, contest: Contest) -> set[int]:
    """The entries of the contest the actor has already scored."""
    if actor.user_id is None:
        return set()
    return set(
        ContestScore.objects.filter(entry__contest=contest, judge_id=actor.user_id).values_list(
            "entry_id", flat=True
        )
    )


def final_of(contest: Contest) -> Contest | None:
    """The county final of a heat's round, if it exists."""
    if contest.is_final:
        return contest
    return (
        Contest.objects.filter(
            host__path__in=_ancestor_paths(contest.host),
            host__kind=UnitKind.COUNTY,
            year=contest.year,
            round=contest.round,
            is_final=True,
        )
        .select_related("host")
        .first()
    )


def _ancestor_paths(unit: Unit) -> list[str]:
    codes = unit.path_codes
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def heats_of(final: Contest) -> list[Contest]:
    """The heats of a final's round, each with its entry and advanced counts."""
    return list(
        Contest.objects.filter(
            host__path__startswith=final.host.path,
            year=final.year,
            round=final.round,
            is_final=False,
        )
        .select_related("host")
        .annotate(
            n_entries=Count("entries"),
            n_advanced=Count("entries", filter=Q(entries__advanced=True)),
        )
        .order_by("host__sort_order", "host__path")
    )


@dataclass
class Candidate:
    """A village of the host not yet entered, with its secretary's name (the presenter)."""

    unit: Unit
    secretary: str = ""


def candidates(contest: Contest) -> list[Candidate]:
    """The host township's villages not yet entered (two queries)."""
    taken = ContestEntry.objects.filter(contest=contest).values("unit_id")
    units = list(
        Unit.objects.filter(
            path__startswith=contest.host.path, kind=UnitKind.VILLAGE, is_active=True
        )
        .exclude(pk__in=taken)
        .order_by("sort_order", "path")
    )
    names: dict[int, str] = {}
    posts = (
        Post.objects.filter(
            unit__in=units, role=Role.VILLAGE_SECRETARY, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("id")
    )
    for post in posts:
        names.setdefault(post.unit_id, str(post.user.full_name or post.user.username))
    return [Candidate(u, names.get(u.pk, "")) for u in units]


@dataclass
class RankingGroup:
    contest: Contest
    entries: list[ContestEntry] = field(default_factory=list)


def rankings(actor: Actor, year: int, round_: str) -> list[RankingGroup]:
    """Each contest of the round the actor sees, heats by township then the final, with the
    entries it sees in rank order (two queries)."""
    contests = list(
        contests_for(actor)
        .filter(year=year, round=round_)
        .order_by("is_final", "host__sort_order", "host__path")
    )
    groups = {c.pk: RankingGroup(c) for c in contests}
    full = {c.pk for c in contests if sees_all_entries(actor, c)}
    qs = ContestEntry.objects.filter(contest__in=contests).select_related("unit")
    scope = _entries_in_scope(actor)
    qs = qs.filter(scope | Q(contest_id__in=full))
    for e in qs.order_by(F("rank").asc(nulls_last=True), "unit__sort_order", "unit__path"):
        groups[e.contest_id].entries.append(e)
    return list(groups.values())


def counties_for(actor: Actor, perm: str = wf.REVIEW_COUNTY) -> list[Unit]:
    """Counties where the actor holds `perm` (its own county, or the counties under a city)."""
    paths = actor.scope_paths(perm)
    if not paths:
        return []
    return list(
        Unit.objects.filter(path_q("path", paths), kind=UnitKind.COUNTY, is_active=True).order_by(
            "path"
        )
    )


def advance_places(contest: Contest) -> int:
    """How many of a heat advance (the county's setting for the year)."""
    return svc.settings_ensure(
        county=svc.county_of(contest.host), year=contest.year
    ).contest_advance
