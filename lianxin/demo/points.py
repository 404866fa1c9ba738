"""Points for the demo street: a year of proposals through the real services (docs/demo.md).

Every household, party member, grid and 迎秀's buildings get an account; then, month by
month since January, grid workers propose points with evidence, the community secretary
approves, the notice period passes and the proposals book — each step inside
`clock.travel`, so the ledger's dates, hash chains and balances are what the services make.
The last days leave proposals in every state: pending, in notice, objected, refused,
withdrawn and reversed. The store, micro-tasks, talks and ratings follow (`build_points`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Post, User
from lianxin.accounts.permissions import Role
from lianxin.core import calendar, clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.demo.grids import DemoGrid
from lianxin.party.models import PartyMember
from lianxin.people.models import Household, Resident
from lianxin.points.models import Account, Indicator, Proposal, SubjectKind
from lianxin.points.services import proposals as svc
from lianxin.points.services.accounts import (
    ancestors_by_kind,
    household_labels,
    merchant_account_create,
)
from lianxin.points.services.config import scheme_for, scheme_get
from lianxin.territory.models import UnitKind

MERCHANTS = ("老刘理发角", "惠民便利超市", "迎秀大药房")
# Household indicators residents earn most, by weight (deductions are rare).
HOUSEHOLD_WEIGHTS: dict[str, int] = {
    "courtyard_clean": 10,
    "doorstep_duties": 8,
    "waste_sorting": 12,
    "cleanup_labour": 9,
    "safety_patrol": 6,
    "anti_fraud": 6,
    "volunteer": 12,
    "consultation": 5,
    "insurance": 3,
    "skills_training": 2,
    "job_info": 2,
    "key_work": 2,
    "model_family": 1,
    "courtyard_model": 1,
    "filial_heroic": 1,
    "clutter": 2,
}
MEMBER_WEIGHTS: dict[str, int] = {
    "visit": 14,
    "policy": 8,
    "consult": 5,
    "volunteer": 6,
    "mediate": 2,
    "meetings": 12,
    "dues": 10,
    "volunteer_service": 6,
    "lead_key_work": 2,
    "meeting_absent": 1,
}
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "courtyard_clean": ("院内杂物清理干净，花草摆放整齐。", "庭院打扫整洁，柴草归垛。"),
    "doorstep_duties": ("门前无乱堆乱放，卫生保持良好。",),
    "waste_sorting": ("连续一周分类投放正确，经楼栋长核实。",),
    "cleanup_labour": ("参加小区环境整治义务劳动半天。", "参加清理楼道小广告活动。"),
    "clutter": ("楼道堆放杂物，经两次劝导仍未清理。",),
    "safety_patrol": ("参加夜间平安巡逻两小时。", "参加节日期间义务巡防。"),
    "anti_fraud": ("向邻居发放反诈宣传页二十余份。",),
    "volunteer": ("参加“5+X”志愿服务，为独居老人打扫卫生。", "参加义务植树。"),
    "consultation": ("参加楼院议事会，讨论加装电梯事项。",),
    "insurance": ("全家按时缴纳城乡居民医保。",),
    "skills_training": ("参加社区家政服务技能培训并结业。",),
    "job_info": ("帮助邻居联系到物流公司岗位。",),
    "key_work": ("防汛期间主动腾挪车辆、配合转移物资。",),
    "model_family": ("获评街道“好媳妇”。",),
    "courtyard_model": ("获评美丽庭院示范户。",),
    "filial_heroic": ("常年照顾瘫痪婆婆，邻里称赞。",),
    "visit": ("入户走访联系户，了解老人身体状况。",),
    "policy": ("向联系户宣传医保缴费政策。",),
    "consult": ("组织联系户参加议事会。",),
    "mediate": ("调解联系户邻里漏水纠纷，双方满意。",),
    "meetings": ("参加本月主题党日活动。",),
    "dues": ("",),
    "volunteer_service": ("参加社区志愿服务。",),
    "lead_key_work": ("带头参与老旧小区改造入户动员。",),
    "meeting_absent": ("无故缺席本月主题党日。",),
}
OBJECTIONS = (
    "他家院子其实没有打扫，照片是以前拍的。",
    "这次巡逻他没有参加，是别人替的。",
    "楼道里的杂物还在，请再核实一下。",
)


@dataclass
class PointsAccounts:
    """Accounts opened before the request replay (automatic awards need them)."""

    households: dict[int, Account] = field(default_factory=dict)
    members: dict[int, Account] = field(default_factory=dict)


@dataclass
class Community:
    unit: Any
    grids: list[DemoGrid]
    secretary: Actor
    staff: Actor


def open_accounts(grids: list[DemoGrid]) -> PointsAccounts:
    """Bulk-open every household's and party member's account (placement computed once per
    building), and every grid's."""
    result = PointsAccounts()
    households_scheme = scheme_for(SubjectKind.HOUSEHOLD)
    members_scheme = scheme_for(SubjectKind.PARTY_MEMBER)
    grid_scheme = scheme_get("grid")
    rows: list[Account] = []
    placements: dict[int, dict[str, Any]] = {}

    def placement(unit: Any) -> dict[str, Any]:
        if unit.pk not in placements:
            found = ancestors_by_kind(unit)
            placements[unit.pk] = {
                "unit": unit,
                "grid": found.get(UnitKind.GRID),
                "village": found.get(UnitKind.VILLAGE),
                "township": found.get(UnitKind.TOWNSHIP),
            }
        return placements[unit.pk]

    for grid in grids:
        rows.append(
            Account(
                scheme=grid_scheme,
                kind=SubjectKind.GRID,
                label=grid.unit.display_name,
                public_label=grid.unit.display_name,
                **placement(grid.unit),
            )
        )
        for building in grid.buildings:
            for household in building.households:
                household.unit = building.unit
                label, public = household_labels(household)
                rows.append(
                    Account(
                        scheme=households_scheme,
                        kind=SubjectKind.HOUSEHOLD,
                        household=household,
                        label=label,
                        public_label=public,
                        **placement(building.unit),
                    )
                )
    units = {u.pk: u for g in grids for b in g.buildings for u in [b.unit]}
    units.update({g.unit.pk: g.unit for g in grids})
    for member in PartyMember.objects.select_related("organisation").order_by("id"):
        unit = units.get(member.organisation.unit_id)
        if unit is None:
            continue
        rows.append(
            Account(
                scheme=members_scheme,
                kind=SubjectKind.PARTY_MEMBER,
                member=member,
                label=member.name,
                public_label=member.name[0] + "*" * (len(member.name) - 1),
                **placement(unit),
            )
        )
    Account.objects.bulk_create(rows, batch_size=500)
    for account in Account.objects.filter(household__isnull=False):
        result.households[account.household_id] = account  # type: ignore[index]
    for account in Account.objects.filter(member__isnull=False):
        result.members[account.member_id] = account  # type: ignore[index]
    return result


def _secretaries(
    rng: random.Random, grids: list[DemoGrid], users: dict[str, User], password_hash: str
) -> tuple[list[Community], list[tuple[str, str]]]:
    """The community secretary and staff who approve points: 迎秀's demo accounts, and one
    secretary account per other community (listed as extra demo accounts)."""
    from lianxin.demo.names import person_name

    by_community: dict[int, list[DemoGrid]] = {}
    for grid in grids:
        by_community.setdefault(grid.community.pk, []).append(grid)
    communities: list[Community] = []
    extra: list[tuple[str, str]] = []
    for n, (_pk, its_grids) in enumerate(by_community.items()):
        unit = its_grids[0].community
        if n == 0:
            secretary, staff = users["shuji"], users["shequ"]
        else:
            username = f"shuji{n + 1}"
            secretary = User.objects.create(
                username=username,
                full_name=person_name(rng, rng.choice("MF")),
                password=password_hash,
                password_changed_at=None,
            )
            Post.objects.create(
                user=secretary, role=Role.VILLAGE_SECRETARY, unit=unit, title="社区党委书记"
            )
            staff = secretary
            extra.append((username, f"社区书记（{unit.display_name}）"))
        communities.append(
            Community(
                unit=unit,
                grids=its_grids,
                secretary=Actor.for_user(secretary),
                staff=Actor.for_user(staff),
            )
        )
    return communities, extra


def _at(rng: random.Random, day: dt.date) -> dt.datetime:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30)))
    return calendar.add_working_minutes(start, rng.randint(0, 7 * 60))


@dataclass
class PointsSummary:
    proposals: int = 0
    booked: int = 0
    failures: list[str] = field(default_factory=list)
    extra_accounts: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class Proposer:
    """Proposes, approves and books through the services at replayed moments."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.summary = PointsSummary()
        self._indicators: dict[tuple[str, int, str], Indicator] = {}
        self._residents: dict[int, list[int]] = {}

    def indicator(self, scheme: str, year: int, code: str) -> Indicator:
        key = (scheme, year, code)
        if key not in self._indicators:
            self._indicators[key] = Indicator.objects.get(
                catalog__scheme__code=scheme, catalog__year=year, catalog__unit=None, code=code
            )
        return self._indicators[key]

    def propose(
        self,
        *,
        actor: Actor,
        account: Account,
        code: str,
        day: dt.date,
        resident_id: int | None = None,
    ) -> Proposal | None:
        ind = self.indicator(account.scheme.code, day.year, code)
        text = self.rng.choice(DESCRIPTIONS.get(code, ("",))) or ind.name
        kwargs: dict[str, Any] = {"description": text}
        if ind.evidence in ("photo", "photo_or_link"):
            from lianxin.demo.cases import photo

            kwargs["photos"] = [photo(self.rng, "after")]
        if ind.evidence == "link":
            kwargs["link_note"] = self.rng.choice(
                ("迎秀社区议事会记录", "网格巡查日志", "联户走访记录", "调解记录")
            )
        at = _at(self.rng, day)
        if at >= self.now:
            return None
        resident = Resident.objects.get(pk=resident_id) if resident_id else None
        try:
            with clock.travel(at):
                p = svc.proposal_create(
                    actor=actor,
                    account=account,
                    indicator=ind,
                    occurred_on=day,
                    resident=resident,
                    **kwargs,
                )
        except (DomainError, PermissionDenied, Conflict):
            return None  # over the cap this month: a real worker would not propose it
        Proposal.objects.filter(pk=p.pk).update(created_at=at, updated_at=at)
        p.created_at = p.updated_at = at
        self.summary.proposals += 1
        return p

    def approve(self, p: Proposal, approver: Actor, at: dt.datetime) -> bool:
        if at >= self.now:
            return False
        with clock.travel(at):
            svc.proposal_approve(actor=approver, proposal=p, note="经核实，情况属实")
        return True

    def book(self, p: Proposal) -> None:
        assert p.notice_until is not None
        at = p.notice_until + dt.timedelta(minutes=self.rng.randint(1, 20))
        if at >= self.now:
            return
        with clock.travel(at):
            svc.proposal_book(proposal=p)
        self.summary.booked += 1


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def build_proposals(
    rng: random.Random,
    today: dt.date,
    communities: list[Community],
    opened: PointsAccounts,
    workers: dict[int, User],
) -> Proposer:
    """A year of proposals month by month; the last two weeks stay in the states they are
    in on `today`, with a few objections, refusals, withdrawals and reversals."""
    # Like the request replay: everything before the start of `today` has happened.
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    proposer = Proposer(rng, now)
    residents: dict[int, list[int]] = {}
    for rid, hid in Resident.objects.filter(household_id__in=list(opened.households)).values_list(
        "id", "household_id"
    ):
        residents.setdefault(hid, []).append(rid)
    member_of_household: dict[int, int] = dict(
        PartyMember.objects.filter(resident__isnull=False).values_list(
            "resident__household_id", "id"
        )
    )
    recent: list[tuple[Proposal, Community]] = []
    for community in communities:
        for grid in community.grids:
            worker = Actor.for_user(workers[grid.unit.pk])
            households = [h for h in grid.households if h.pk in opened.households]
            members = [
                opened.members[m]
                for h in households
                if (m := member_of_household.get(h.pk)) in opened.members
            ]
            for month in range(1, today.month + 1):
                first = dt.date(today.year, month, 1)
                last = min(today, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(1))
                plan: list[tuple[Account, str]] = [
                    (
                        opened.households[rng.choice(households).pk],
                        _weighted(rng, HOUSEHOLD_WEIGHTS),
                    )
                    for _ in range(10)
                ] + [(rng.choice(members), _weighted(rng, MEMBER_WEIGHTS)) for _ in range(4)]
                for account, code in plan:
                    day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
                    hid = account.household_id
                    rid = rng.choice(residents[hid]) if hid and residents.get(hid) else None
                    p = proposer.propose(
                        actor=worker, account=account, code=code, day=day, resident_id=rid
                    )
                    if p is None:
                        continue
                    decide = calendar.add_working_minutes(p.created_at, rng.randint(60, 3 * 7 * 60))
                    if (today - day).days < 8:
                        recent.append((p, community))
                        continue
                    if rng.random() < 0.04:
                        with clock.travel(decide):
                            svc.proposal_reject(
                                actor=community.secretary, proposal=p, note="佐证不足，请补充后重报"
                            )
                        continue
                    if proposer.approve(p, community.secretary, decide):
                        proposer.book(p)
    _settle_recent(rng, proposer, recent, now)
    return proposer


def _settle_recent(
    rng: random.Random,
    proposer: Proposer,
    recent: list[tuple[Proposal, Community]],
    now: dt.datetime,
) -> None:
    """Proposals of the last two weeks: some still pending, some in notice (a few objected),
    older ones booked; one withdrawn."""
    objections = 0
    for n, (p, community) in enumerate(recent):
        roll = rng.random()
        if n == 0 and p.proposed_by is not None:
            with clock.travel(p.created_at + dt.timedelta(hours=2)):
                svc.proposal_withdraw(
                    actor=Actor.for_user(p.proposed_by),
                    proposal=p,
                    note="户号选错，重新申报",
                )
            continue
        if roll < 0.3:
            continue  # pending: the secretary has not decided yet
        if roll < 0.75:
            # Approved in the last three days: on the notice board now.
            lag = dt.timedelta(hours=rng.uniform(2, 66))
            decide = max(p.created_at + dt.timedelta(hours=1), now - lag)
        else:
            decide = calendar.add_working_minutes(p.created_at, rng.randint(60, 7 * 60))
        if not proposer.approve(p, community.secretary, decide):
            continue
        assert p.notice_until is not None
        if p.notice_until <= now:
            proposer.book(p)
            continue
        if objections < 8 and rng.random() < 0.6:
            filed = min(
                now - dt.timedelta(minutes=30), decide + dt.timedelta(hours=rng.randint(2, 30))
            )
            with clock.travel(filed):
                svc.objection_file(proposal=p, text=OBJECTIONS[objections % len(OBJECTIONS)])
            objections += 1
            if objections % 3 == 1:
                # One objection already answered: upheld, the proposal refused.
                objection = p.objections.get()
                with clock.travel(
                    min(now - dt.timedelta(minutes=5), filed + dt.timedelta(hours=3))
                ):
                    svc.objection_resolve(
                        actor=community.staff,
                        objection=objection,
                        upheld=True,
                        resolution="经入户核实，情况不符，不予加分",
                    )


# The monthly evaluation rounds of 迎秀 (按楼栋批量评比): household and member indicators.
HOUSEHOLD_ROUNDS = ("courtyard_clean", "waste_sorting", "doorstep_duties")
MEMBER_ROUNDS = ("dues", "meetings")


def monthly_evaluations(
    rng: random.Random,
    today: dt.date,
    community: Community,
    opened: PointsAccounts,
    workers: dict[int, User],
) -> int:
    """Each month the grid worker evaluates the grid's households on the three environment
    indicators (one batch each) and the branch records dues and meetings; the secretary
    approves each batch a day or two later and the notice period passes. Households differ
    in diligence, so a year's scores spread from 整改户 to 示范户. Returns the number of
    proposals booked."""
    from lianxin.points.services import batches

    now = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    diligence: dict[int, float] = {}
    booked = 0
    member_of_building: dict[int, list[Account]] = {}
    for account in opened.members.values():
        member_of_building.setdefault(account.unit_id, []).append(account)
    for month in range(1, today.month + 1):
        day = min(today - dt.timedelta(days=1), dt.date(today.year, month, 25))
        for grid in community.grids:
            worker = Actor.for_user(workers[grid.unit.pk])
            households = [opened.households[h.pk] for h in grid.households]
            for code in HOUSEHOLD_ROUNDS:
                picked = [
                    a
                    for a in households
                    if rng.random() < diligence.setdefault(a.pk, rng.uniform(0.2, 0.99))
                ]
                booked += _evaluate(rng, now, worker, community, code, picked, day, batches)
            # The branch records dues and meetings once a month for all its members.
            members = [a for b in grid.buildings for a in member_of_building.get(b.unit.pk, [])]
            for m_code in MEMBER_ROUNDS:
                present = [a for a in members if rng.random() < 0.85]
                booked += _evaluate(rng, now, worker, community, m_code, present, day, batches)
    return booked


def _evaluate(
    rng: random.Random,
    now: dt.datetime,
    worker: Actor,
    community: Community,
    code: str,
    accounts: list[Account],
    day: dt.date,
    batches: Any,
) -> int:
    if not accounts:
        return 0
    at = _at(rng, day)
    if at >= now:
        return 0
    scheme = accounts[0].scheme.code
    indicator = Indicator.objects.get(
        catalog__scheme__code=scheme, catalog__year=day.year, catalog__unit=None, code=code
    )
    kwargs: dict[str, Any] = {"description": f"{day.month}月{indicator.name}评比"}
    if indicator.evidence in ("photo", "photo_or_link"):
        from lianxin.demo.cases import photo

        kwargs["photos"] = [photo(rng, "after")]
    if indicator.evidence == "link":
        kwargs["link_note"] = f"{day.month}月评比记录"
    with clock.travel(at):
        result = batches.proposal_batch_create(
            actor=worker, accounts=accounts, indicator=indicator, occurred_on=day, **kwargs
        )
    Proposal.objects.filter(batch=result.batch).update(created_at=at, updated_at=at)
    decide = calendar.add_working_minutes(at, rng.randint(3 * 60, 2 * 7 * 60))
    if decide >= now:
        return 0
    with clock.travel(decide):
        batches.proposal_batch_decide(
            actor=community.secretary, batch=result.batch, approve=True, note="评比结果属实"
        )
    batch = list(
        Proposal.objects.filter(batch=result.batch).select_related(
            "account__scheme", "indicator_revision"
        )
    )
    due = max(p.notice_until for p in batch if p.notice_until is not None)
    if due >= now:
        return 0  # still on the notice board
    with clock.travel(due + dt.timedelta(minutes=5)):
        return svc.proposals_book_many(batch)


STORE_ITEMS = (
    ("东北大米 5kg", "新米，每户每月限兑2袋", 50, 120, 2),
    ("花生油 1.8L", "", 40, 60, 1),
    ("洗衣液 2kg", "", 20, 100, 0),
    ("纯棉毛巾", "", 10, 200, 0),
    ("鸡蛋 30枚", "", 30, 80, 1),
    ("理发券（老刘理发角）", "商户捐赠，凭券理发一次", 15, 40, 1),
)
TASKS = (
    ("防诈骗宣传页入户发放", "向本楼栋住户发放反诈宣传页并讲解", "迎秀小区", 3, 12),
    ("清理楼道小广告", "清理本楼道墙面、门禁上的小广告", "迎秀小区各楼栋", 2, 10),
    ("陪伴独居老人聊天一次", "上门陪伴独居老人一小时，了解需求", "迎秀社区", 3, 6),
    ("垃圾分类督导（晚间）", "19:00–20:00 在分类投放点督导", "迎秀花园投放点", 2, 8),
    ("冬季消防安全巡查", "检查楼道杂物、消防通道", "迎秀小区", 3, 6),
)


def build_store(
    rng: random.Random, today: dt.date, community: Community, users: dict[str, User]
) -> dict[str, int]:
    """迎秀's store with stock, and redemptions over the last months by households with
    points: most picked up, a few cancelled (refunded in the ledger), recent ones waiting."""
    from lianxin.points.models import Redemption, StoreItem
    from lianxin.points.services import store as shop

    counter = Actor.for_user(users["weizhuli"])
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    opened_at = _at(rng, dt.date(today.year, 1, 15))
    with clock.travel(opened_at):
        st = shop.store_create(
            actor=community.staff,
            unit=community.unit,
            name=f"{community.unit.display_name}积分超市",
            address="党群服务中心一楼",
            hours="周二、周五 9:00–11:30",
        )
        items = [
            shop.item_create(
                actor=community.staff,
                store=st,
                name=n,
                description=d,
                price=p,
                stock=q,
                per_household_limit=lim,
                sort_order=i,
            )
            for i, (n, d, p, q, lim) in enumerate(STORE_ITEMS)
        ]
    # Households that can afford something, in random order (not the richest first: the
    # board's top households keep points to show).
    rich = list(
        Account.objects.filter(
            kind=SubjectKind.HOUSEHOLD, village=community.unit, balance__gte=10
        ).order_by("id")
    )
    rng.shuffle(rich)
    placed = cancelled = picked = 0
    for account in rich[:110]:
        account.refresh_from_db()
        affordable = [i for i in items if i.price <= account.balance]
        if not affordable:
            continue
        item = rng.choice(affordable)
        day = today - dt.timedelta(days=rng.randint(1, 75))
        at = _at(rng, day)
        if at >= now:
            continue
        resident = Resident.objects.filter(household_id=account.household_id).first()
        channel = rng.choice((Redemption.Channel.COUNTER, Redemption.Channel.PHONE))
        try:
            with clock.travel(at):
                order = shop.redeem(
                    account=account,
                    item=StoreItem.objects.get(pk=item.pk),
                    quantity=1,
                    resident=resident,
                    channel=channel,
                    actor=counter if channel == Redemption.Channel.COUNTER else None,
                )
        except DomainError:
            continue
        placed += 1
        Redemption.objects.filter(pk=order.pk).update(created_at=at, updated_at=at)
        roll = rng.random()
        later = calendar.add_working_minutes(at, rng.randint(30, 5 * 7 * 60))
        if later >= now or roll < 0.08:
            continue  # still waiting for pickup
        with clock.travel(later):
            if roll < 0.16:
                shop.redemption_cancel(redemption=order, reason="居民改换其他商品", actor=counter)
                cancelled += 1
            else:
                shop.redemption_pickup(actor=counter, redemption=order)
                picked += 1
    return {
        "points_redemptions": placed,
        "points_redemptions_cancelled": cancelled,
        "points_redemptions_picked_up": picked,
    }


def build_tasks(rng: random.Random, today: dt.date, community: Community) -> dict[str, int]:
    """Micro-tasks of 迎秀 (seed 004's 任务卡): published over the last weeks, claimed from
    phones and at the station, most completed and confirmed, one still open for claims."""
    from lianxin.points.models import MicroTask, TaskClaim
    from lianxin.points.services import tasks as svc_tasks

    now = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    grid = community.grids[0]
    indicator = Indicator.objects.get(
        catalog__scheme__code="household",
        catalog__year=today.year,
        catalog__unit=None,
        code="micro_task",
    )
    residents = list(
        Resident.objects.filter(
            household__unit__in=[b.unit for b in grid.buildings],
            is_active=True,
            birth_date__lte=dt.date(today.year - 18, 1, 1),
        ).select_related("household__unit")[:400]
    )
    claims = completed = 0
    for n, (title, desc, place, points, slots) in enumerate(TASKS):
        start = today - dt.timedelta(days=6 + 9 * (len(TASKS) - n))
        at = _at(rng, start)
        open_task = n == len(TASKS) - 1
        deadline = now + dt.timedelta(days=10) if open_task else at + dt.timedelta(days=7)
        with clock.travel(at):
            task = svc_tasks.task_create(
                actor=community.staff,
                unit=community.unit,
                title=title,
                description=desc,
                indicator=indicator,
                points=points,
                slots=slots,
                deadline=deadline,
                place=place,
                fast_path=n % 2 == 0,
            )
        MicroTask.objects.filter(pk=task.pk).update(created_at=at, updated_at=at)
        takers = rng.sample(residents, k=min(len(residents), slots - (3 if open_task else 0)))
        for k, resident in enumerate(takers):
            claimed_at = at + dt.timedelta(hours=2 + 5 * k)
            if claimed_at >= now:
                break
            channel = TaskClaim.Channel.STATION if k % 3 == 0 else TaskClaim.Channel.PHONE
            try:
                with clock.travel(claimed_at):
                    claim = svc_tasks.task_claim(
                        task=task,
                        resident=resident,
                        channel=channel,
                        actor=community.staff if channel == TaskClaim.Channel.STATION else None,
                    )
            except DomainError:
                continue
            claims += 1
            done_at = calendar.add_working_minutes(claimed_at, rng.randint(4 * 60, 3 * 7 * 60))
            if open_task or done_at >= now or rng.random() < 0.1:
                continue
            with clock.travel(done_at):
                try:
                    svc_tasks.claim_confirm(
                        actor=community.staff, claim=claim, evidence="已按要求完成，现场核实。"
                    )
                except DomainError:
                    continue
            completed += 1
    return {"points_task_claims": claims, "points_tasks_completed": completed}


def build_talks_and_ratings(
    rng: random.Random, today: dt.date, community: Community
) -> dict[str, int]:
    """Reminder talks with some of 迎秀's low scorers, and this year's 三类户 ratings of
    迎秀 computed and published (the plaques print from them)."""
    from lianxin.points.services import ratings, talks

    talked = 0
    with clock.travel(_at(rng, today - dt.timedelta(days=3))):
        low = list(talks.low_scorers(community.secretary, year=today.year)[:12])
        for member in low[: max(1, len(low) // 2)]:
            talks.talk_record(
                actor=community.secretary,
                member=member,
                talked_on=today - dt.timedelta(days=3),
                summary="肯定了联户工作，指出参加组织生活不够经常，约定每月至少走访联系户两次。",
            )
            talked += 1
    with clock.travel(_at(rng, today - dt.timedelta(days=2))):
        summary = ratings.ratings_compute(
            actor=community.secretary, village=community.unit, year=today.year
        )
        published = ratings.ratings_publish(
            actor=community.secretary, village=community.unit, year=today.year
        )
    del summary
    return {"points_talks": talked, "points_ratings_published": published}


def reverse_some(rng: random.Random, communities: list[Community], count: int = 3) -> int:
    """A few booked proposals reversed (冲正) with a reason, as a correction would be."""
    done = 0
    booked = list(
        Proposal.objects.filter(status=Proposal.Status.BOOKED).order_by("booked_at")[:200]
    )
    rng.shuffle(booked)
    for p in booked[:count]:
        community = next(c for c in communities if p.account.unit.path.startswith(c.unit.path))
        assert p.booked_at is not None
        with clock.travel(p.booked_at + dt.timedelta(days=rng.randint(2, 10))):
            svc.proposal_reverse(
                actor=community.secretary, proposal=p, reason="与同月另一条申报重复，予以冲正"
            )
        done += 1
    return done


def open_merchants(community: Community) -> list[Account]:
    scheme = scheme_get("merchant")
    unit = community.grids[0].unit
    return [merchant_account_create(scheme=scheme, unit=unit, name=n) for n in MERCHANTS]


def household_ids(grids: list[DemoGrid]) -> list[int]:
    return [h.pk for g in grids for h in g.households if isinstance(h, Household)]


def build_points(
    rng: random.Random,
    today: dt.date,
    grids: list[DemoGrid],
    *,
    opened: PointsAccounts,
    users: dict[str, User],
    workers: dict[int, User],
    password_hash: str,
) -> PointsSummary:
    """Everything points after the request replay (see the module docstring)."""
    communities, extra = _secretaries(rng, grids, users, password_hash)
    proposer = build_proposals(rng, today, communities, opened, workers)
    summary = proposer.summary
    summary.counts["points_evaluated"] = monthly_evaluations(
        rng, today, communities[0], opened, workers
    )
    summary.extra_accounts = extra
    summary.counts["points_reversed"] = reverse_some(rng, communities)
    merchants = open_merchants(communities[0])
    summary.counts["points_merchants"] = len(merchants)
    summary.counts.update(build_store(rng, today, communities[0], users))
    summary.counts.update(build_tasks(rng, today, communities[0]))
    summary.counts.update(build_talks_and_ratings(rng, today, communities[0]))
    # The boards read the standings cache: fill it as the nightly job would.
    from lianxin.points.services.standings import standings_recompute

    for period in (f"{today.year}", f"{today:%Y-%m}"):
        standings_recompute(period=period)
    return summary
