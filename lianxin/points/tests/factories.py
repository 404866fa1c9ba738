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


# --- the points store and micro-tasks ---------------------------------------------------------


def store_item(
    world: Any, *, price: int = 10, stock: int = 5, name: str = "大米（5斤）", limit: int = 0
) -> Any:
    """A store in the world's village with one item on the shelf."""
    from lianxin.points.services import store as store_services

    actor = world.actor("village_staff")
    shop = store_services.store_create(
        actor=actor,
        unit=world.village,
        name="迎秀社区积分超市",
        address="社区党群服务中心一楼",
        hours="周一至周五 9:00–17:00",
    )
    return store_services.item_create(
        actor=actor, store=shop, name=name, price=price, stock=stock, per_household_limit=limit
    )


def micro_task(
    world: Any,
    *,
    unit: Any = None,
    slots: int = 3,
    points: int = 2,
    fast_path: bool = False,
    by: str = "village_secretary",
    hours: int = 48,
    title: str = "反诈宣传单入户发放",
) -> Any:
    """An open micro-task (default: the village, the micro_task indicator)."""
    from lianxin.points.services import tasks as task_services

    unit = unit or world.village
    indicators = task_services.task_indicators(unit.path)
    return task_services.task_create(
        actor=world.actor(by),
        unit=unit,
        title=title,
        description="把反诈骗宣传单送到本楼每户，并提醒老人不要轻信陌生电话",
        place="迎秀小区1号楼",
        indicator=task_services.default_indicator(indicators),
        points=points,
        slots=slots,
        deadline=clock.now() + dt.timedelta(hours=hours),
        fast_path=fast_path,
    )


def phone_sign_in(client: Any, resident: Any) -> None:
    """Open the phone session of `resident` (as the one-time code would)."""
    from lianxin.cases.services.residents import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = resident.phone_digest
    session.save()
