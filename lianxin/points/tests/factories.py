"""Factories for points: real service calls, so every test case is a reachable state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from lianxin.cases.tests.factories import photo
from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident
from lianxin.points.models import Account, EntryKind, Indicator, PointEntry, Proposal
from lianxin.points.services import ledger, proposals
from lianxin.points.services.accounts import account_for_household, account_for_member

__all__ = ["photo"]


def today() -> dt.date:
    return clock.now().date()


def indicator(
    code: str = "courtyard_clean", scheme: str = "household", year: int | None = None
) -> Indicator:
    return Indicator.objects.get(
        catalog__scheme__code=scheme,
        catalog__year=year or today().year,
        catalog__unit=None,
        code=code,
    )


def household_account(unit: Any, *, head_name: str = "张建国", resident: bool = True) -> Account:
    """A household in `unit` (with its head as a resident) and its household account."""
    household = make_household(unit, head_name=head_name)
    if resident:
        make_resident(household, name=head_name)
    return account_for_household(household)


def member_account(member: Any) -> Account:
    return account_for_member(member)


def credit(
    account: Account, amount: int, *, day: dt.date | None = None, kind: str = ""
) -> PointEntry:
    """Book `amount` points straight into the ledger (an automatic-style award)."""
    return ledger.entry_append(
        account=account,
        kind=kind or (EntryKind.EARN if amount > 0 else EntryKind.DEDUCT),
        amount=amount,
        occurred_on=day or today(),
        reason="测试加分",
        source_key=f"test:{uuid.uuid4()}",
    )


def propose(
    world: Any,
    account: Account,
    *,
    code: str = "courtyard_clean",
    by: str = "grid_worker",
    **kw: Any,
) -> Proposal:
    """A proposal by a persona with the evidence the default indicator needs (a photo)."""
    ind = indicator(code, scheme=account.scheme.code)
    kw.setdefault("occurred_on", today())
    kw.setdefault("description", "庭院打扫干净，物品摆放整齐")
    if ind.evidence in ("photo", "photo_or_link") and "photos" not in kw:
        kw["photos"] = [photo()]
    if ind.evidence == "link" and "link_note" not in kw:
        kw["link_note"] = "参加四月份议事会"
    return proposals.proposal_create(actor=world.actor(by), account=account, indicator=ind, **kw)


def approved(world: Any, account: Account, **kw: Any) -> Proposal:
    p = propose(world, account, **kw)
    return proposals.proposal_approve(actor=world.actor("village_secretary"), proposal=p)


def booked(world: Any, account: Account, **kw: Any) -> Proposal:
    """A proposal approved and booked after its notice period."""
    p = approved(world, account, **kw)
    with clock.travel(p.notice_until + dt.timedelta(minutes=1)):
        proposals.proposals_book_due()
    p.refresh_from_db()
    return p
