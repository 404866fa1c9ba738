"""Reads of points, all scoped by the actor (DESIGN.md invariant 1).

Proposal selectors (积分申报): the list with its filters, one proposal with its history,
photos and objections, the review queue, and what the proposal form offers — the subjects a
proposer may choose (households, party members, buildings, grids, merchants under the posts
granting `points.propose`), the indicators of the catalog that applies, the cap already used
and the evidence records that can be linked. Other parts of points add their selectors in
their own modules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.party.models import LinkageActivity, PartyMember
from lianxin.people.models import Household, Resident, Visit
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    Aspect,
    Indicator,
    Objection,
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    Scheme,
    SubjectKind,
)
from lianxin.points.services.config import catalog_for, schemes
from lianxin.points.services.proposals import cap_window
from lianxin.territory.models import Unit, UnitKind

LIST_RELATED = ("account__scheme", "indicator_revision", "indicator__aspect", "proposed_by")
UNIT_FILTER_MAX = 300
SUBJECT_LIMIT = 20
# Evidence records offered on the form: the recent ones (older ones are linked as free text).
EVIDENCE_DAYS = 120
EVIDENCE_LIMIT = 30


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# --- proposals ----------------------------------------------------------------------------------


def proposals_for(actor: Actor, perm: str = wf.VIEW) -> QuerySet[Proposal]:
    """Proposals whose subject hangs under the actor's posts granting `perm`."""
    return Proposal.objects.visible_to(actor, perm)


def proposal_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> Proposal:
    """One proposal in scope with what its page shows, or 404."""
    return Proposal.objects.select_related(
        *LIST_RELATED,
        "account__unit",
        "account__household",
        "account__member",
        "indicator__catalog",
        "resident",
        "case",
        "visit",
        "activity",
        "decided_by",
        "entry",
    ).get_visible(actor, perm, public_id=public_id)


def month_bounds(month: str) -> tuple[dt.date, dt.date] | None:
    """'2026-05' → its first and last day; None when malformed."""
    try:
        year, mon = int(month[:4]), int(month[5:7])
        if len(month) != 7 or month[4] != "-":
            return None
        first = dt.date(year, mon, 1)
    except (ValueError, TypeError):
        return None
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


@dataclass
class ProposalFilters:
    """The list's filters as typed in the query string (unknown values are ignored)."""

    status: str = ""
    scheme: str = ""
    unit: str = ""
    month: str = ""
    proposer: str = ""
    mine: bool = False

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProposalFilters:
        status = query.get("status", "")
        month = query.get("month", "").strip()
        return cls(
            status=status if status in Proposal.Status.values else "",
            scheme=query.get("scheme", "").strip()[:40],
            unit=query.get("unit", "").strip()[:40],
            month=month if month_bounds(month) else "",
            proposer=query.get("proposer", "").strip()[:30],
            mine=query.get("mine", "") == "1",
        )

    @property
    def active(self) -> bool:
        return any((self.status, self.scheme, self.unit, self.month, self.proposer, self.mine))


def proposal_list(actor: Actor, filters: ProposalFilters) -> QuerySet[Proposal]:
    """Proposals in scope, newest first, filtered; rows carry what the list shows."""
    qs = proposals_for(actor).select_related(*LIST_RELATED)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.scheme:
        qs = qs.filter(account__scheme__code=filters.scheme)
    if filters.unit and (unit_id := _uuid(filters.unit)):
        unit = Unit.objects.visible_to(actor, wf.VIEW).filter(public_id=unit_id).first()
        # A unit outside the scope filters to nothing rather than being ignored.
        qs = qs.filter(account__unit__path__startswith=unit.path) if unit else qs.none()
    if filters.month and (bounds := month_bounds(filters.month)):
        qs = qs.filter(occurred_on__range=bounds)
    if filters.mine:
        qs = qs.filter(proposed_by_id=actor.user_id)
    if filters.proposer:
        name = filters.proposer
        qs = qs.filter(
            Q(proposed_by__full_name__icontains=name)
            | Q(proposed_by__username__icontains=name)
            | Q(proposer_label__icontains=name)
        )
    return qs.order_by("-created_at", "-id")


def filter_units(actor: Actor) -> list[Unit]:
    """Units offered in the list's unit filter: streets, villages and (if few) grids."""
    qs = Unit.objects.visible_to(actor, wf.VIEW).filter(
        is_active=True, kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE, UnitKind.GRID]
    )
    units = list(
        qs.order_by("path").only("public_id", "display_name", "kind", "depth")[
            : UNIT_FILTER_MAX + 1
        ]
    )
    if len(units) > UNIT_FILTER_MAX:
        units = [u for u in units if u.kind != UnitKind.GRID]
    return units


def review_pending(actor: Actor) -> QuerySet[Proposal]:
    """Proposals waiting for a decision where the actor approves, oldest first."""
    return (
        proposals_for(actor, wf.APPROVE)
        .filter(status=Proposal.Status.PENDING)
        .select_related(*LIST_RELATED)
        .prefetch_related("photos")
        .order_by("created_at", "id")
    )


def review_objections(actor: Actor) -> QuerySet[Objection]:
    """Open objections to proposals where the actor approves, oldest first."""
    return (
        Objection.objects.visible_to(actor, wf.APPROVE)
        .filter(status=Objection.Status.OPEN)
        .select_related(*(f"proposal__{r}" for r in LIST_RELATED))
        .order_by("created_at", "id")
    )


def proposal_events(proposal: Proposal) -> list[ProposalEvent]:
    return list(proposal.events.order_by("at", "id"))


def proposal_objections(proposal: Proposal) -> list[Objection]:
    return list(proposal.objections.select_related("resolved_by").order_by("created_at", "id"))


def proposal_photos(proposal: Proposal) -> list[ProposalPhoto]:
    """The evidence photos in upload order; their URL names the position (1, 2, ...)."""
    return list(proposal.photos.order_by("id"))


def proposal_photo_get(actor: Actor, *, public_id: Any, number: int) -> ProposalPhoto:
    """The `number`-th photo (1-based) of a proposal the actor can see, or 404."""
    proposal = Proposal.objects.get_visible(actor, wf.VIEW, public_id=public_id)
    photos = proposal_photos(proposal)
    if not 1 <= number <= len(photos):
        raise Http404("不存在或无权访问")
    return photos[number - 1]


def objection_get(actor: Actor, proposal: Proposal, public_id: Any) -> Objection:
    """An objection to this proposal (the proposal is already in scope), or 404."""
    try:
        return proposal.objections.get(public_id=public_id)
    except (Objection.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


# --- the proposal form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Who a proposal is for, before its account exists: a household, a party member, a
    building or grid, or an existing account (merchants, or a link from an account page).
    `token` is what the form posts back ("household:<uuid>", "member:<uuid>", ...)."""

    token: str
    kind: str
    label: str
    detail: str
    path: str
    household: Household | None = None
    member: PartyMember | None = None
    unit: Unit | None = None
    account: Account | None = None


def proposal_schemes() -> list[Scheme]:
    return schemes()


def scheme_by_code(code: str) -> Scheme | None:
    return next((s for s in proposal_schemes() if s.code == code), None)


def _household_subject(h: Household) -> Subject:
    unit_name = h.unit.display_name
    return Subject(
        token=f"household:{h.public_id}",
        kind=SubjectKind.HOUSEHOLD,
        label=f"{h.head_name or '户'}家",
        detail=f"{unit_name} {h.address}",
        path=h.unit.path,
        household=h,
    )


def _member_subject(m: PartyMember) -> Subject:
    return Subject(
        token=f"member:{m.public_id}",
        kind=SubjectKind.PARTY_MEMBER,
        label=m.name,
        detail=m.organisation.name,
        path=m.organisation.unit.path,
        member=m,
    )


def _unit_subject(u: Unit) -> Subject:
    return Subject(
        token=f"unit:{u.public_id}",
        kind=u.kind,
        label=u.display_name,
        detail=UnitKind(u.kind).label,
        path=u.path,
        unit=u,
    )


def subject_of_account(a: Account) -> Subject:
    if a.household_id and a.household is not None:
        return _household_subject(a.household)
    if a.member_id and a.member is not None:
        return _member_subject(a.member)
    return Subject(
        token=f"account:{a.public_id}",
        kind=a.kind,
        label=a.label,
        detail=a.unit.display_name,
        path=a.unit.path,
        account=a,
    )


def _households(actor: Actor) -> QuerySet[Household]:
    return (
        Household.objects.visible_to(actor, wf.PROPOSE)
        .filter(is_active=True)
        .select_related("unit")
    )


def _members(actor: Actor) -> QuerySet[PartyMember]:
    return (
        PartyMember.objects.visible_to(actor, wf.PROPOSE)
        .filter(is_active=True)
        .select_related("organisation__unit")
    )


def _units(actor: Actor, kind: str) -> QuerySet[Unit]:
    return Unit.objects.visible_to(actor, wf.PROPOSE).filter(kind=kind, is_active=True)


def _merchants(actor: Actor, scheme: Scheme) -> QuerySet[Account]:
    return (
        Account.objects.visible_to(actor, wf.PROPOSE)
        .filter(scheme=scheme, is_active=True)
        .select_related("unit")
    )


def subject_search(actor: Actor, scheme: Scheme, q: str) -> list[Subject]:
    """Subjects of the scheme's kind under the actor's proposing posts matching `q`.

    Households are found by door, head name, household number or building name and need a
    query (a village has thousands); the other kinds are few and listed without one."""
    q = (q or "").strip()[:30]
    kind = scheme.subject_kind
    if kind == SubjectKind.HOUSEHOLD:
        if not q:
            return []
        rows = _households(actor).filter(
            Q(address__icontains=q)
            | Q(head_name__icontains=q)
            | Q(number=q)
            | Q(unit__display_name__icontains=q)
        )
        return [
            _household_subject(h)
            for h in rows.order_by("unit__path", "address", "id")[:SUBJECT_LIMIT]
        ]
    if kind == SubjectKind.PARTY_MEMBER:
        members = _members(actor)
        if q:
            members = members.filter(name__icontains=q)
        return [_member_subject(m) for m in members.order_by("name", "id")[:SUBJECT_LIMIT]]
    if kind in (SubjectKind.BUILDING, SubjectKind.GRID):
        units = _units(actor, kind)
        if q:
            units = units.filter(display_name__icontains=q)
        return [_unit_subject(u) for u in units.order_by("path")[:SUBJECT_LIMIT]]
    accounts = _merchants(actor, scheme)
    if q:
        accounts = accounts.filter(label__icontains=q)
    return [subject_of_account(a) for a in accounts.order_by("label", "id")[:SUBJECT_LIMIT]]


def subject_get(actor: Actor, scheme: Scheme, token: str) -> Subject | None:
    """The subject a posted token names, if it is of the scheme's kind and in the actor's
    proposing scope; None otherwise (the form says so under the field)."""
    kind, _, raw = (token or "").partition(":")
    public_id = _uuid(raw)
    if public_id is None:
        return None
    want = scheme.subject_kind
    if kind == "household" and want == SubjectKind.HOUSEHOLD:
        h = _households(actor).filter(public_id=public_id).first()
        return _household_subject(h) if h else None
    if kind == "member" and want == SubjectKind.PARTY_MEMBER:
        m = _members(actor).filter(public_id=public_id).first()
        return _member_subject(m) if m else None
    if kind == "unit" and want in (SubjectKind.BUILDING, SubjectKind.GRID):
        u = _units(actor, want).filter(public_id=public_id).first()
        return _unit_subject(u) if u else None
    if kind == "account":
        a = (
            _merchants(actor, scheme)
            .select_related("household__unit", "member__organisation__unit")
            .filter(public_id=public_id)
            .first()
        )
        return subject_of_account(a) if a else None
    return None


def account_for_form(actor: Actor, public_id: Any) -> Account | None:
    """An account in the actor's proposing scope (the form opened from an account page)."""
    account_id = _uuid(public_id)
    if account_id is None:
        return None
    return (
        Account.objects.visible_to(actor, wf.PROPOSE)
        .filter(public_id=account_id, is_active=True, scheme__is_active=True)
        .select_related("scheme", "unit", "household__unit", "member__organisation__unit")
        .first()
    )


def subject_account(scheme: Scheme, subject: Subject) -> Account | None:
    """The subject's account in the scheme if it is already open (for the cap shown)."""
    if subject.account is not None:
        return subject.account
    lookup: dict[str, Any]
    if subject.household is not None:
        lookup = {"household": subject.household}
    elif subject.member is not None:
        lookup = {"member": subject.member}
    elif subject.unit is not None:
        lookup = {"unit": subject.unit, "kind": subject.kind}
    else:
        return None
    return Account.objects.filter(scheme=scheme, **lookup).first()


@dataclass
class IndicatorGroup:
    aspect: Aspect
    indicators: list[Indicator] = field(default_factory=list)


def indicator_groups(scheme: Scheme, path: str, year: int) -> list[IndicatorGroup]:
    """The active indicators of the catalog that applies at `path` in `year`, by aspect."""
    catalog = catalog_for(scheme=scheme, path=path, year=year)
    if catalog is None:
        return []
    groups: dict[int, IndicatorGroup] = {}
    for ind in (
        Indicator.objects.filter(catalog=catalog, is_active=True)
        .select_related("aspect")
        .order_by("aspect__sort_order", "aspect_id", "sort_order", "id")
    ):
        groups.setdefault(ind.aspect_id, IndicatorGroup(ind.aspect)).indicators.append(ind)
    return list(groups.values())


def cap_usage(account: Account, indicators: Iterable[Indicator], day: dt.date) -> dict[str, int]:
    """Points (absolute) already proposed for each capped indicator in the cap period around
    `day` — what `services.proposals.check_cap` will count — in one query."""
    capped = [i for i in indicators if i.cap_points and i.cap_period]
    if not capped:
        return {}
    rows = Proposal.objects.filter(
        account=account,
        status__in=wf.LIVE,
        indicator__code__in={i.code for i in capped},
        indicator__catalog__scheme_id=account.scheme_id,
        occurred_on__year=day.year,
    ).values_list("indicator__code", "occurred_on", "points")
    used: dict[str, int] = defaultdict(int)
    windows = {i.code: cap_window(i.cap_period, day) for i in capped}
    for code, occurred_on, points in rows:
        window = windows.get(code)
        if window and window[0] <= occurred_on <= window[1]:
            used[code] += abs(points)
    return dict(used)


def subject_residents(subject: Subject) -> list[Resident]:
    """The household's residents (optional contributor of a household proposal)."""
    if subject.household is None:
        return []
    return list(Resident.objects.filter(household=subject.household, is_active=True).order_by("id"))


def evidence_visits(actor: Actor, subject: Subject, today: dt.date) -> list[Visit]:
    """Recent visits the actor can see that concern the subject (its household, its unit, or
    made by the party member)."""
    qs = Visit.objects.visible_to(actor, "ledger.view").filter(
        visited_on__gte=today - dt.timedelta(days=EVIDENCE_DAYS)
    )
    if subject.household is not None:
        qs = qs.filter(entry__resident__household=subject.household)
    elif subject.member is not None:
        if not subject.member.user_id:
            return []
        qs = qs.filter(visitor_id=subject.member.user_id)
    elif subject.unit is not None:
        qs = qs.filter(entry__resident__household__unit__path__startswith=subject.unit.path)
    else:
        return []
    return list(
        qs.select_related("entry__resident", "entry__tag").order_by("-visited_on", "-id")[
            :EVIDENCE_LIMIT
        ]
    )


def evidence_activities(actor: Actor, subject: Subject, today: dt.date) -> list[LinkageActivity]:
    """Recent linkage activities the actor can see that concern the subject."""
    qs = LinkageActivity.objects.visible_to(actor, "party.view").filter(
        occurred_on__gte=today - dt.timedelta(days=EVIDENCE_DAYS)
    )
    if subject.household is not None:
        qs = qs.filter(household=subject.household)
    elif subject.member is not None:
        qs = qs.filter(member=subject.member)
    elif subject.unit is not None:
        qs = qs.filter(household__unit__path__startswith=subject.unit.path)
    else:
        return []
    return list(qs.select_related("member").order_by("-occurred_on", "-id")[:EVIDENCE_LIMIT])


def visit_in_scope(actor: Actor, public_id: Any) -> Visit | None:
    visit_id = _uuid(public_id)
    if visit_id is None:
        return None
    return Visit.objects.visible_to(actor, "ledger.view").filter(public_id=visit_id).first()


def activity_in_scope(actor: Actor, public_id: Any) -> LinkageActivity | None:
    activity_id = _uuid(public_id)
    if activity_id is None:
        return None
    return (
        LinkageActivity.objects.visible_to(actor, "party.view")
        .filter(public_id=activity_id)
        .first()
    )


def case_in_scope(actor: Actor, tracking_no: str) -> Any:
    """A request by its tracking number among those the actor can see, or None."""
    from lianxin.cases.selectors import case_by_tracking_no

    return case_by_tracking_no(actor, tracking_no)


# --- the monthly tally ---------------------------------------------------------------------------


def tally_villages(actor: Actor) -> QuerySet[Unit]:
    """Villages and communities whose monthly tally the actor may see (`points.report`)."""
    return (
        Unit.objects.visible_to(actor, wf.REPORT)
        .filter(kind=UnitKind.VILLAGE, is_active=True)
        .order_by("path")
    )


def tally_village_get(actor: Actor, code: str) -> Unit:
    """One village in the actor's report scope by its code, or 404."""
    unit = tally_villages(actor).filter(code=code).first()
    if unit is None:
        raise Http404("不存在或无权访问")
    return unit
