"""Scores computed from the ledger (reads only; every figure traces to its entries).

- A subject's score for a period = the sum of its earned, deducted and reversed points whose
  deed date falls in the period (spending and refunds move the balance, not the score).
- A party member's linked-household score (联户积分, seed 000) = the sum of the household
  scores of the households the member links ÷ the number of those households — exactly, as a
  `Decimal`; a member with no linked household has none.
- A member's combined score = own × `member_own_weight` + linked × `member_linked_weight`
  (PointsSettings).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from lianxin.party.models import HouseholdLink, PartyMember
from lianxin.points.models import SCORE_KINDS, Account, PointEntry, SubjectKind
from lianxin.points.services.config import points_settings, scheme_for

CENT = Decimal("0.01")


def account_scores(
    account_ids: Iterable[int], date_from: dt.date, date_to: dt.date
) -> dict[int, int]:
    """Score per account over the period (accounts without entries are absent); one query."""
    rows = (
        PointEntry.objects.filter(
            account_id__in=list(account_ids),
            occurred_on__range=(date_from, date_to),
            kind__in=SCORE_KINDS,
        )
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    return {r["account_id"]: int(r["total"] or 0) for r in rows}


def account_score(account: Account, date_from: dt.date, date_to: dt.date) -> int:
    return account_scores([account.pk], date_from, date_to).get(account.pk, 0)


def resident_contributions(
    account: Account, date_from: dt.date, date_to: dt.date
) -> list[dict[str, object]]:
    """Inside a household score: points per contributing resident (None = the household)."""
    rows = (
        PointEntry.objects.filter(
            account=account, occurred_on__range=(date_from, date_to), kind__in=SCORE_KINDS
        )
        .values("resident_id", "resident__name")
        .annotate(total=Sum("amount"))
        .order_by("-total")
    )
    return [
        {
            "resident_id": r["resident_id"],
            "name": r["resident__name"] or "全户",
            "total": r["total"],
        }
        for r in rows
    ]


@dataclass(frozen=True)
class LinkedScore:
    total: int  # Σ of the linked households' scores
    households: int  # n, the number of linked households

    @property
    def value(self) -> Decimal | None:
        """Σ / n, exact to the cent (half up); None without linked households."""
        if not self.households:
            return None
        return (Decimal(self.total) / Decimal(self.households)).quantize(CENT, ROUND_HALF_UP)


def linked_scores(
    member_ids: Iterable[int], date_from: dt.date, date_to: dt.date
) -> dict[int, LinkedScore]:
    """The linked-household score of each member over the period; two queries in all."""
    ids = list(member_ids)
    links = HouseholdLink.objects.filter(member_id__in=ids, is_active=True).values_list(
        "member_id", "household_id"
    )
    by_member: dict[int, list[int]] = defaultdict(list)
    for member_id, household_id in links:
        by_member[member_id].append(household_id)
    household_ids = {h for hs in by_member.values() for h in hs}
    per_household: dict[int, int] = {}
    if household_ids:
        scheme = scheme_for(SubjectKind.HOUSEHOLD)
        rows = (
            PointEntry.objects.filter(
                account__scheme=scheme,
                account__household_id__in=household_ids,
                occurred_on__range=(date_from, date_to),
                kind__in=SCORE_KINDS,
            )
            .values("account__household_id")
            .annotate(total=Sum("amount"))
        )
        per_household = {r["account__household_id"]: int(r["total"] or 0) for r in rows}
    return {
        m: LinkedScore(
            total=sum(per_household.get(h, 0) for h in by_member.get(m, [])),
            households=len(by_member.get(m, [])),
        )
        for m in ids
    }


def linked_score(member: PartyMember, date_from: dt.date, date_to: dt.date) -> LinkedScore:
    return linked_scores([member.pk], date_from, date_to)[member.pk]


@dataclass(frozen=True)
class MemberScore:
    member_id: int
    own: int
    linked: LinkedScore

    @property
    def combined(self) -> Decimal:
        """own × own weight + linked × linked weight (a member without linked households
        counts linked as 0)."""
        cfg = points_settings()
        linked = self.linked.value or Decimal(0)
        value = Decimal(self.own) * cfg.member_own_weight + linked * cfg.member_linked_weight
        return value.quantize(CENT, ROUND_HALF_UP)


def member_scores(
    members: Iterable[PartyMember], date_from: dt.date, date_to: dt.date
) -> dict[int, MemberScore]:
    """Own, linked and combined scores of each member; four queries however many members."""
    ids = [m.pk for m in members]
    scheme = scheme_for(SubjectKind.PARTY_MEMBER)
    accounts = dict(
        Account.objects.filter(scheme=scheme, member_id__in=ids).values_list("member_id", "pk")
    )
    own = account_scores(accounts.values(), date_from, date_to)
    linked = linked_scores(ids, date_from, date_to)
    return {
        m: MemberScore(member_id=m, own=own.get(accounts.get(m, -1), 0), linked=linked[m])
        for m in ids
    }


# --- scores as SQL expressions (lists that filter or sort by a score) --------------------------

from django.db.models import IntegerField, OuterRef, Subquery, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402


def _score_subquery(
    outer_field: str, scheme_kind: str, date_from: dt.date, date_to: dt.date
) -> Coalesce:
    """SUM of the score entries of the `scheme_kind` account whose `outer_field` is the outer
    row, over the period; 0 without an account or entries."""
    scheme = scheme_for(scheme_kind)
    rows = (
        PointEntry.objects.filter(
            account__scheme=scheme,
            occurred_on__range=(date_from, date_to),
            kind__in=SCORE_KINDS,
            **{f"account__{outer_field}": OuterRef("pk")},
        )
        .order_by()
        .values(f"account__{outer_field}")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def member_own_score_expression(date_from: dt.date, date_to: dt.date) -> Coalesce:
    """The member's own score over the period as an expression on `PartyMember` querysets:
    one correlated sub-select, so the low-score list filters and sorts in SQL."""
    return _score_subquery("member_id", SubjectKind.PARTY_MEMBER, date_from, date_to)


def household_score_expression(date_from: dt.date, date_to: dt.date) -> Coalesce:
    """The household's score over the period as an expression on `Household` querysets
    (households without an account score 0)."""
    return _score_subquery("household_id", SubjectKind.HOUSEHOLD, date_from, date_to)


def resident_contributions_many(
    account_ids: Iterable[int], date_from: dt.date, date_to: dt.date
) -> dict[int, list[dict[str, object]]]:
    """`resident_contributions` for many household accounts in one query (a ranking page's
    rows): account id → points per contributing resident, largest first."""
    rows = (
        PointEntry.objects.filter(
            account_id__in=list(account_ids),
            occurred_on__range=(date_from, date_to),
            kind__in=SCORE_KINDS,
        )
        .values("account_id", "resident_id", "resident__name")
        .annotate(total=Sum("amount"))
        .order_by("account_id", "-total", "resident_id")
    )
    found: dict[int, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        found[r["account_id"]].append(
            {
                "resident_id": r["resident_id"],
                "name": r["resident__name"] or "全户",
                "total": int(r["total"] or 0),
            }
        )
    return dict(found)
