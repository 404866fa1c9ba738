"""Reads for the residents' pages of points (namespace ``points_public``, no staff account).

These selectors are the public boundary of points, so they do not take an actor: what they
return is bounded by a village code (the notice board and the ranking board: published
proposals and scores, subjects by their masked `Account.public_label`) or by the residents
behind the phone proven with a one-time code (a household's own statement). Free text that
reaches a public page goes through `mask_digits` (phone, ID and card numbers typed into it).

The ranking board reads the standings through `lianxin.points.rankings.public_board`, the
same ranks as the staff pages.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import F, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from lianxin.cases.views.public import mask_digits
from lianxin.core import clock
from lianxin.core.crypto import mask_name
from lianxin.core.errors import DomainError
from lianxin.people.models import Household, Resident
from lianxin.points.models import (
    SCORE_KINDS,
    Account,
    PointEntry,
    Proposal,
    Scheme,
    SubjectKind,
    period_bounds,
)
from lianxin.points.rankings import BoardRow, public_board
from lianxin.points.services.accounts import household_labels
from lianxin.points.services.config import scheme_for
from lianxin.territory.models import Unit

Status = Proposal.Status
# On the notice board: approved and waiting for the end of notice, or held by an objection.
NOTICE_STATUSES = (Status.IN_NOTICE, Status.OBJECTED)
# Booked recently: shown under the notice board (a reversed one says so).
BOOKED_STATUSES = (Status.BOOKED, Status.REVERSED)
# Still on its way for the household's own page.
PENDING_STATUSES = (Status.PENDING, Status.IN_NOTICE, Status.OBJECTED)
RECENT_DAYS = 30
RECENT_LIMIT = 20
BOARD_LIMIT = 10
STATEMENT_LATEST = 10
STATEMENT_PER_PAGE = 30


def today() -> dt.date:
    """The local date (the deployment's time zone) at the services' clock."""
    return timezone.localdate(clock.now())


def village_by_code(code: str) -> Unit | None:
    """An active village (community) by its code, or None."""
    return Unit.objects.filter(code=code, kind="village", is_active=True).first()


# --- the notice board (公示栏) ----------------------------------------------------------------


def _publicise(proposal: Proposal, now: dt.datetime) -> Proposal:
    """Attributes the templates show, so they never reach for raw fields."""
    proposal.public_subject = proposal.account.public_label  # type: ignore[attr-defined]
    proposal.public_indicator = mask_digits(proposal.indicator_revision.name)  # type: ignore[attr-defined]
    proposal.notice_open = (  # type: ignore[attr-defined]
        proposal.status in NOTICE_STATUSES
        and proposal.notice_until is not None
        and proposal.notice_until > now
    )
    return proposal


def notice_proposals(village: Unit) -> list[Proposal]:
    """Proposals of the village on public notice (公示中 / 有异议), ending soonest first;
    one query."""
    now = clock.now()
    rows = (
        Proposal.objects.filter(account__village=village, status__in=NOTICE_STATUSES)
        .select_related("account__scheme", "indicator_revision")
        .order_by("notice_until", "id")
    )
    return [_publicise(p, now) for p in rows]


def recently_booked(
    village: Unit, *, days: int = RECENT_DAYS, limit: int = RECENT_LIMIT
) -> list[Proposal]:
    """Proposals of the village booked in the last `days` days, newest first; one query."""
    now = clock.now()
    rows = (
        Proposal.objects.filter(
            account__village=village,
            status__in=BOOKED_STATUSES,
            booked_at__gte=now - dt.timedelta(days=days),
        )
        .select_related("account__scheme", "indicator_revision")
        .order_by("-booked_at", "-id")[:limit]
    )
    return [_publicise(p, now) for p in rows]


def objectable_proposal(public_id: uuid.UUID) -> Proposal | None:
    """A proposal that has been on a public board (approved, so it has a notice end), by its
    public id. Whether an objection is still accepted is the service's rule."""
    return (
        Proposal.objects.filter(public_id=public_id, notice_until__isnull=False)
        .select_related("account__village", "account__scheme", "indicator_revision")
        .first()
    )


# --- the ranking board (积分榜) ----------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    title: str
    period_label: str
    rows: list[BoardRow]
    computed_at: dt.datetime | None  # when the standings behind it were computed


def _scheme(kind: str) -> Scheme | None:
    try:
        return scheme_for(kind)
    except DomainError:  # the deployment has not enabled a scheme of this kind
        return None


def ranking_boards(village: Unit, *, day: dt.date | None = None) -> list[Board]:
    """The boards of the public ranking page: households this month and this year, party
    members, buildings and grids this year (each only when its scheme is enabled).

    Read from the standings through `rankings.public_board`, so the public ranks are the
    staff pages' ranks (recomputed nightly and by staff); one query a board."""
    day = day or today()
    month, year = f"{day.year}-{day.month:02d}", str(day.year)
    month_label, year_label = f"{day.year}年{day.month}月", f"{day.year}年"
    plan = [
        (SubjectKind.HOUSEHOLD, "本月积分榜（户）", month, month_label),
        (SubjectKind.HOUSEHOLD, "年度积分榜（户）", year, year_label),
        (SubjectKind.PARTY_MEMBER, "党员积分榜", year, year_label),
        (SubjectKind.BUILDING, "楼院积分榜", year, year_label),
        (SubjectKind.GRID, "网格积分榜", year, year_label),
    ]
    boards = []
    for kind, title, period, label in plan:
        scheme = _scheme(kind)
        if scheme is None:
            continue
        board = public_board(village, scheme, period, BOARD_LIMIT)
        # A top list: subjects without points are not "ranked" in public.
        rows = [r for r in board.rows if r.score > 0]
        boards.append(Board(title, label, rows, board.computed_at))
    return boards


# --- a household's own page, behind the phone login -------------------------------------------


@dataclass(frozen=True)
class Contribution:
    name: str  # masked; "全户" for points earned by the household as a whole
    points: int
    is_me: bool


@dataclass
class HouseholdCard:
    """What the phone's owner sees of one household they belong to."""

    household: Household
    label: str
    account: Account | None
    year_score: int = 0
    entries: list[PointEntry] = field(default_factory=list)
    contributions: list[Contribution] = field(default_factory=list)
    pending: list[Proposal] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return self.account.balance if self.account is not None else 0

    @property
    def village(self) -> Unit | None:
        return self.account.village if self.account is not None else None


def _entry_public(entry: PointEntry) -> PointEntry:
    entry.public_reason = mask_digits(entry.reason)  # type: ignore[attr-defined]
    return entry


def household_cards(
    residents: list[Resident], *, day: dt.date | None = None
) -> list[HouseholdCard]:
    """The households of the residents behind a phone, each with its balance, this year's
    score, the latest entries, each resident's contribution this year and the proposals
    still on their way. A constant number of queries however many households."""
    day = day or today()
    households: dict[int, Household] = {}
    for r in residents:
        households.setdefault(r.household_id, r.household)
    if not households:
        return []
    me = {r.pk for r in residents}
    scheme = scheme_for(SubjectKind.HOUSEHOLD)
    accounts = {
        a.household_id: a
        for a in Account.objects.filter(
            scheme=scheme, household_id__in=list(households)
        ).select_related("village")
    }
    ids = [a.pk for a in accounts.values()]
    start, end = period_bounds(str(day.year))
    scores: dict[int, int] = {}
    contributions: dict[int, list[Contribution]] = defaultdict(list)
    for row in (
        PointEntry.objects.filter(
            account_id__in=ids, occurred_on__range=(start, end), kind__in=SCORE_KINDS
        )
        .values("account_id", "resident_id", "resident__name")
        .annotate(total=Sum("amount"))
        .order_by("account_id", "-total", "resident_id")
    ):
        total = int(row["total"] or 0)
        scores[row["account_id"]] = scores.get(row["account_id"], 0) + total
        name = mask_name(row["resident__name"]) if row["resident_id"] else "全户"
        contributions[row["account_id"]].append(
            Contribution(name=name, points=total, is_me=row["resident_id"] in me)
        )
    # The latest entries of every account in one query (a window per account).
    latest: dict[int, list[PointEntry]] = defaultdict(list)
    for entry in (
        PointEntry.objects.filter(account_id__in=ids)
        .annotate(row=Window(RowNumber(), partition_by=[F("account_id")], order_by=F("seq").desc()))
        .filter(row__lte=STATEMENT_LATEST)
        .order_by("account_id", "-seq")
    ):
        latest[entry.account_id].append(_entry_public(entry))
    pending: dict[int, list[Proposal]] = defaultdict(list)
    for p in (
        Proposal.objects.filter(account_id__in=ids, status__in=PENDING_STATUSES)
        .select_related("indicator_revision")
        .order_by("-created_at", "-id")
    ):
        p.public_indicator = mask_digits(p.indicator_revision.name)  # type: ignore[attr-defined]
        pending[p.account_id].append(p)
    cards = []
    for household_id, household in households.items():
        account = accounts.get(household_id)
        label = account.public_label if account else household_labels(household)[1]
        card = HouseholdCard(household=household, label=label, account=account)
        if account is not None:
            card.year_score = scores.get(account.pk, 0)
            card.entries = latest[account.pk]
            card.contributions = contributions[account.pk]
            card.pending = pending[account.pk]
        cards.append(card)
    return cards


def household_account(residents: list[Resident], public_id: uuid.UUID) -> Account | None:
    """A household account by public id, only when it belongs to one of the residents'
    households (anything else is None: the page answers 404)."""
    household_ids = {r.household_id for r in residents}
    if not household_ids:
        return None
    return (
        Account.objects.filter(public_id=public_id, household_id__in=household_ids)
        .select_related("scheme")
        .first()
    )


def statement_page(account: Account, page_number: str | None) -> Page:  # type: ignore[type-arg]
    """One page of a household's statement (流水), newest first, with the contributor's
    masked name."""
    rows = account.entries.select_related("resident").order_by("-seq")
    page = Paginator(rows, STATEMENT_PER_PAGE).get_page(page_number)
    for entry in page.object_list:
        _entry_public(entry)
        entry.contributor = mask_name(entry.resident.name) if entry.resident else ""  # type: ignore[attr-defined]
    return page
