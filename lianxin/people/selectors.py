"""Reads for households, residents and the livelihood ledger; every one scoped by the actor."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lianxin.accounts.permissions import Perm
from lianxin.core import crypto
from lianxin.core.scope import Actor
from lianxin.people.models import (
    Household,
    ImportJob,
    LedgerEntry,
    Resident,
    Visit,
    VisitPhoto,
    VulnerabilityTag,
)

_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^\+?(86)?1\d{10}$")

# Age bands of the resident list filter: label, lowest age, highest age (inclusive).
AGE_BANDS: dict[str, tuple[str, int, int | None]] = {
    "child": ("未成年（0–17岁）", 0, 17),
    "adult": ("18–59岁", 18, 59),
    "senior": ("60–69岁", 60, 69),
    "elderly70": ("70–79岁", 70, 79),
    "elderly80": ("80岁及以上", 80, None),
}

if TYPE_CHECKING:
    from lianxin.accounts.models import User
    from lianxin.territory.models import Unit


def local_today() -> dt.date:
    return timezone.localdate()


def unit_in_scope(actor: Actor, perm: str, public_id: object) -> Unit:
    """A territory unit inside the actor's scope for `perm`, or Http404."""
    from lianxin.territory.models import Unit

    return Unit.objects.get_visible(actor, perm, public_id=public_id)


def units_for_households(actor: Actor, perm: str = Perm.PEOPLE_MANAGE) -> QuerySet:
    """Buildings, grids and villages where the actor may register households."""
    from lianxin.territory.models import Unit

    return (
        Unit.objects.visible_to(actor, perm)
        .filter(kind__in=("building", "grid", "village"), is_active=True)
        .order_by("path")
    )


def _identity_filter(term: str, prefix: str = "") -> Q | None:
    """Exact match through the keyed digest when the term looks like an ID number or phone."""
    compact = term.replace(" ", "")
    if _ID_LIKE.match(compact):
        return Q(**{f"{prefix}id_number_digest": crypto.id_number_digest(compact)})
    if _PHONE_LIKE.match(compact):
        return Q(**{f"{prefix}phone_digest": crypto.phone_digest(compact)})
    return None


# --- households ----------------------------------------------------------------------------------


def household_list(
    *,
    actor: Actor,
    unit_public_id: object | None = None,
    q: str = "",
    include_inactive: bool = False,
    perm: str = Perm.PEOPLE_VIEW,
) -> QuerySet:
    """Households in scope of `perm`, optionally under a unit (subtree). `q` is an exact ID
    number or phone of any resident (through the digest), or else text in the address or
    head name."""
    qs = Household.objects.visible_to(actor, perm)
    if unit_public_id:
        unit = unit_in_scope(actor, Perm.PEOPLE_VIEW, unit_public_id)
        qs = qs.filter(unit__path__startswith=unit.path)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    q = (q or "").strip()
    if q:
        identity = _identity_filter(q, "residents__")
        if identity is not None:
            qs = qs.filter(pk__in=Household.objects.filter(identity).values("pk"))
        else:
            qs = qs.filter(Q(address__icontains=q) | Q(head_name__icontains=q) | Q(number=q))
    return (
        qs.select_related("unit")
        .annotate(resident_count=Count("residents", filter=Q(residents__is_active=True)))
        .order_by("unit__path", "address", "id")
    )


def household_get(*, actor: Actor, public_id: object, perm: str = Perm.PEOPLE_VIEW) -> Household:
    """One household in scope for `perm` (404 otherwise)."""
    return Household.objects.select_related("unit").get_visible(actor, perm, public_id=public_id)


def household_residents(*, household: Household) -> QuerySet:
    """Residents of a household (current first), with their active ledger tags."""
    return (
        household.residents.all()
        .prefetch_related(
            Prefetch(
                "ledger_entries",
                queryset=LedgerEntry.objects.filter(is_active=True).select_related("tag"),
                to_attr="active_entries",
            )
        )
        .order_by("-is_active", "id")
    )


def household_linking_member(*, actor: Actor, household: Household) -> dict | None:
    """The party member who links this household (联户党员), or None; one query.

    Read through the reverse relation `household.party_links` (party.HouseholdLink) so people
    does not import party, which comes after it. Shown only to actors who may see party data
    at the household; `member_visible` says whether the member's own page is in their scope
    (the member's organisation may sit above the household's grid).
    """
    if not actor.can(Perm.PARTY_VIEW, household.unit.path):
        return None
    link = (
        household.party_links.filter(is_active=True)
        .select_related("member__organisation__unit", "member__resident")
        .first()
    )
    if link is None:
        return None
    member = link.member
    return {
        "member": member,
        "phone_masked": member.contact_phone_masked,
        "member_visible": actor.can(Perm.PARTY_VIEW, member.organisation.unit.path),
    }


# --- residents ----------------------------------------------------------------------------------


def resident_list(
    *,
    actor: Actor,
    q: str = "",
    tag_code: str = "",
    age_band: str = "",
    unit_public_id: object | None = None,
    today: dt.date | None = None,
) -> QuerySet:
    """Residents in scope (masked columns only reach templates). `q` is a name fragment, or an
    exact ID number or phone; `tag_code` keeps those with an active ledger entry of that tag."""
    qs = Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW).filter(is_active=True)
    if unit_public_id:
        unit = unit_in_scope(actor, Perm.PEOPLE_VIEW, unit_public_id)
        qs = qs.filter(household__unit__path__startswith=unit.path)
    q = (q or "").strip()
    if q:
        identity = _identity_filter(q)
        qs = qs.filter(identity) if identity is not None else qs.filter(name__icontains=q)
    if tag_code:
        qs = qs.filter(
            pk__in=LedgerEntry.objects.filter(is_active=True, tag__code=tag_code).values(
                "resident_id"
            )
        )
    if age_band in AGE_BANDS:
        qs = qs.filter(**birth_date_range(age_band, today or local_today()))
    return (
        qs.select_related("household__unit")
        .prefetch_related(
            Prefetch(
                "ledger_entries",
                queryset=LedgerEntry.objects.filter(is_active=True).select_related("tag"),
                to_attr="active_entries",
            )
        )
        .order_by("household__unit__path", "household__address", "id")
    )


def birth_date_range(age_band: str, today: dt.date) -> dict[str, dt.date]:
    """Birth-date bounds for people whose age today lies in the band."""
    _, low, high = AGE_BANDS[age_band]

    def years_ago(n: int) -> dt.date:
        try:
            return today.replace(year=today.year - n)
        except ValueError:  # 29 February
            return today.replace(year=today.year - n, day=28)

    bounds = {"birth_date__lte": years_ago(low)}
    if high is not None:
        bounds["birth_date__gt"] = years_ago(high + 1)
    return bounds


def resident_get(*, actor: Actor, public_id: object, perm: str = Perm.PEOPLE_VIEW) -> Resident:
    """One resident in scope for `perm` (404 otherwise)."""
    return Resident.objects.select_related("household__unit").get_visible(
        actor, perm, public_id=public_id
    )


def resident_ledger(*, resident: Resident) -> QuerySet:
    return resident.ledger_entries.select_related("tag", "helper_user", "helper_resident").order_by(
        "-is_active", "next_visit_due"
    )


# --- ledger ---------------------------------------------------------------------------------------


def ledger_list(
    *,
    actor: Actor,
    tag_code: str = "",
    overdue: bool = False,
    helper: str = "",
    grid_public_id: object | None = None,
    include_ended: bool = False,
    today: dt.date | None = None,
) -> QuerySet:
    """Ledger entries in scope. `helper` is ``u:<user public id>`` or ``r:<resident public id>``;
    `grid_public_id` keeps entries under that grid (or any unit) subtree."""
    qs = LedgerEntry.objects.visible_to(actor, Perm.LEDGER_VIEW)
    if not include_ended:
        qs = qs.filter(is_active=True)
    if tag_code:
        qs = qs.filter(tag__code=tag_code)
    if overdue:
        qs = qs.filter(is_active=True, next_visit_due__lt=today or local_today())
    kind, _, helper_id = (helper or "").partition(":")
    try:
        if kind == "u" and helper_id:
            qs = qs.filter(helper_user__public_id=helper_id)
        elif kind == "r" and helper_id:
            qs = qs.filter(helper_resident__public_id=helper_id)
    except ValueError:
        qs = qs.none()
    if grid_public_id:
        grid = unit_in_scope(actor, Perm.LEDGER_VIEW, grid_public_id)
        qs = qs.filter(resident__household__unit__path__startswith=grid.path)
    return qs.select_related(
        "tag", "resident__household__unit", "helper_user", "helper_resident"
    ).order_by("next_visit_due", "id")


def ledger_get(*, actor: Actor, public_id: object, perm: str = Perm.LEDGER_VIEW) -> LedgerEntry:
    """One ledger entry in scope for `perm` (404 otherwise)."""
    return LedgerEntry.objects.select_related(
        "tag", "resident__household__unit", "helper_user", "helper_resident"
    ).get_visible(actor, perm, public_id=public_id)


def ledger_visits(*, entry: LedgerEntry) -> QuerySet:
    """The visits of an entry, newest first, with their photos and visitor."""
    return Visit.objects.filter(entry=entry).select_related("visitor").prefetch_related("photos")


@dataclass
class OverdueRow:
    key: str
    label: str
    overdue: int = 0
    total: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class OverdueSummary:
    by_grid: list[OverdueRow]
    by_helper: list[OverdueRow]
    total_overdue: int
    total_active: int


def visit_photo_get(*, actor: Actor, visit_public_id: object, number: int) -> VisitPhoto:
    """The `number`-th photo (1-based, upload order) of a visit in the actor's ledger scope."""
    visit = Visit.objects.get_visible(actor, Perm.LEDGER_VIEW, public_id=visit_public_id)
    photos = list(visit.photos.order_by("id"))
    if not 1 <= number <= len(photos):
        raise Http404("照片不存在")
    return photos[number - 1]


def ledger_overdue(*, actor: Actor, today: dt.date | None = None) -> OverdueSummary:
    """Active and overdue ledger entries counted per grid and per helper, in three queries
    whatever the size: counts are grouped by household unit in SQL and mapped to the grid
    (the unit itself or its grid ancestor) in Python."""
    from lianxin.territory.models import Unit

    today = today or local_today()
    base = LedgerEntry.objects.visible_to(actor, Perm.LEDGER_VIEW).filter(is_active=True)
    overdue_q = Q(next_visit_due__lt=today)
    per_unit = list(
        base.values("resident__household__unit__path").annotate(
            total=Count("id"), overdue=Count("id", filter=overdue_q)
        )
    )
    grids = {
        g.path: g
        for g in Unit.objects.visible_to(actor, Perm.LEDGER_VIEW)
        .filter(kind="grid")
        .only("path", "display_name", "public_id")
    }
    by_grid: dict[str, OverdueRow] = {}
    for row in per_unit:
        path = row["resident__household__unit__path"]
        grid = next((grids[p] for p in _ancestor_paths(path) if p in grids), None)
        key = grid.path if grid else ""
        if key not in by_grid:
            by_grid[key] = OverdueRow(
                key=str(grid.public_id) if grid else "",
                label=grid.display_name if grid else "未划入网格",
            )
        by_grid[key].total += row["total"]
        by_grid[key].overdue += row["overdue"]
    per_helper = base.values(
        "helper_user__public_id",
        "helper_user__full_name",
        "helper_user__username",
        "helper_resident__public_id",
        "helper_resident__name",
    ).annotate(total=Count("id"), overdue=Count("id", filter=overdue_q))
    by_helper: list[OverdueRow] = []
    for row in per_helper:
        if row["helper_user__public_id"]:
            key = f"u:{row['helper_user__public_id']}"
            label = row["helper_user__full_name"] or row["helper_user__username"]
        elif row["helper_resident__public_id"]:
            key = f"r:{row['helper_resident__public_id']}"
            label = f"{row['helper_resident__name']}（党员）"
        else:
            key, label = "", "未指定"
        by_helper.append(
            OverdueRow(key=key, label=label, total=row["total"], overdue=row["overdue"])
        )
    grid_rows = sorted(by_grid.values(), key=lambda r: (-r.overdue, r.label))
    helper_rows = sorted(by_helper, key=lambda r: (-r.overdue, r.label))
    return OverdueSummary(
        by_grid=grid_rows,
        by_helper=helper_rows,
        total_overdue=sum(r.overdue for r in grid_rows),
        total_active=sum(r.total for r in grid_rows),
    )


def _ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/b/c/", "/a/b/", "/a/"]`` (nearest first)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def tags_active() -> QuerySet:
    return VulnerabilityTag.objects.filter(is_active=True).order_by("sort_order", "id")


def helper_choices(*, actor: Actor, resident: Resident) -> list[tuple[str, str]]:
    """Who may be a resident's helper: staff with a post in the actor's ledger scope or above
    the resident, and party members among the residents in scope (values ``u:``/``r:``)."""
    from lianxin.accounts.models import Post

    path = resident.household.unit.path
    manage = actor.scope_paths(Perm.LEDGER_MANAGE)
    ancestors = _ancestor_paths(path)
    post_q = Q(unit__path__in=ancestors)
    for p in manage:
        post_q |= Q(unit__path__startswith=p)
    posts = (
        Post.objects.filter(post_q, is_active=True, user__is_active=True)
        .select_related("user", "unit")
        .order_by("unit__path", "user_id")
    )
    seen: set[int] = set()
    choices: list[tuple[str, str]] = []
    for post in posts:
        if post.user_id in seen:
            continue
        seen.add(post.user_id)
        choices.append(
            (
                f"u:{post.user.public_id}",
                f"{post.user}（{post.get_role_display()}·{post.unit.display_name}）",
            )
        )
    members = (
        Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW)
        .filter(is_active=True, party_member__is_active=True)
        .exclude(pk=resident.pk)
        .select_related("household__unit")
        .order_by("household__unit__path", "id")[:500]
    )
    for m in members:
        choices.append((f"r:{m.public_id}", f"{m.name}（党员·{m.household.unit.display_name}）"))
    return choices


def resolve_helper(*, actor: Actor, value: str) -> tuple[User | None, Resident | None]:
    """Turn a ``u:``/``r:`` choice into (user, resident); unknown values raise Http404."""
    from lianxin.accounts.models import User

    kind, _, pid = (value or "").partition(":")
    try:
        if kind == "u":
            return User.objects.get(public_id=pid, is_active=True), None
        if kind == "r":
            return None, Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW).get(public_id=pid)
    except (User.DoesNotExist, Resident.DoesNotExist, ValueError) as exc:
        raise Http404("帮扶人不存在") from exc
    return None, None


# --- imports -------------------------------------------------------------------------------------


def import_job_list(*, actor: Actor) -> QuerySet:
    """Import jobs on units in the actor's import scope, newest first."""
    return (
        ImportJob.objects.visible_to(actor, Perm.PEOPLE_IMPORT)
        .select_related("unit", "created_by")
        .defer("errors", "summary")
        .order_by("-created_at", "-id")
    )


def import_job_get(*, actor: Actor, public_id: object) -> ImportJob:
    return ImportJob.objects.select_related("unit", "created_by").get_visible(
        actor, Perm.PEOPLE_IMPORT, public_id=public_id
    )


def import_target_units(actor: Actor) -> QuerySet:
    """Villages and grids the actor may import into."""
    from lianxin.territory.models import Unit

    return (
        Unit.objects.visible_to(actor, Perm.PEOPLE_IMPORT)
        .filter(kind__in=("village", "grid"), is_active=True)
        .order_by("path")
    )
