"""Party organisations, members, household linkage and linkage activities for the demo grids.

The party tree mirrors the grid (DOMAIN.md §1): 社区党委 → 网格党支部 → 楼栋党小组, with
党员中心户. About one member per 6–10 households (REFERENCE.md), each linking the households
of his or her own building, and a record of the five duties over the past months.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from lianxin.accounts.models import User
from lianxin.demo.grids import DemoBuilding, DemoGrid
from lianxin.demo.register import BATCH, demo_uuid
from lianxin.party.models import (
    Duty,
    HouseholdLink,
    LinkageActivity,
    OrgKind,
    PartyMember,
    PartyOrganisation,
)
from lianxin.people.models import Resident

# What members write down for each duty; {door} is the household's door.
ACTIVITY_TEXTS: dict[str, tuple[str, ...]] = {
    Duty.VISIT: (
        "入户走访{door}，了解家庭近况，老人身体状况良好。",
        "走访{door}，听取对小区停车管理的意见，已记录反馈社区。",
        "电话联系{door}，询问冬季取暖情况，无困难。",
        "走访{door}，居民反映楼道灯损坏，已报网格员。",
        "节前走访{door}，送去慰问品，了解生活需求。",
    ),
    Duty.POLICY: (
        "向{door}宣传城乡居民医疗保险缴费政策。",
        "向{door}讲解防范电信诈骗知识，发放宣传页。",
        "入户宣传垃圾分类要求，{door}表示支持。",
        "向{door}介绍老旧小区改造政策及征求意见安排。",
    ),
    Duty.CONSULT: (
        "组织联系户参加楼院议事会，讨论加装电梯事项，{door}参加。",
        "征求{door}对小区环境整治方案的意见。",
        "参加凉亭议事会，代{door}反映停车位划线问题。",
    ),
    Duty.VOLUNTEER: (
        "带领联系户清理楼道堆放杂物，{door}一同参加。",
        "为{door}老人代购生活用品。",
        "参加小区义务植树活动，联系户{door}参与。",
        "帮助{door}完成养老资格认证。",
    ),
    Duty.MEDIATE: (
        "调解{door}与邻居因漏水引起的纠纷，双方达成一致。",
        "化解{door}与楼上住户噪音矛盾，已回访，双方满意。",
        "协调{door}与物业关于公共区域使用的分歧。",
    ),
}
# Visits are the daily work; mediation is rarer.
DUTY_WEIGHTS: dict[str, int] = {
    Duty.VISIT: 45,
    Duty.POLICY: 20,
    Duty.CONSULT: 10,
    Duty.VOLUNTEER: 17,
    Duty.MEDIATE: 8,
}


@dataclass
class PartyResult:
    organisations: int = 0
    members: int = 0
    links: int = 0
    activities: int = 0
    # grid unit pk → member residents who can act as ledger helpers
    helpers_by_grid: dict[int, list[Resident]] = field(default_factory=dict)


def _chunks(rng: random.Random, items: list, lo: int, hi: int) -> list[list]:
    """Split `items` into consecutive runs whose sizes all lie in lo..hi where possible.

    The number of runs is drawn between the fewest and the most that fit, then the items are
    spread evenly, so no run is a short leftover.
    """
    n_items = len(items)
    fewest, most = -(-n_items // hi), n_items // lo
    runs = rng.randint(fewest, most) if fewest <= most else max(1, fewest)
    base, extra = divmod(n_items, runs)
    sizes = [base + 1] * extra + [base] * (runs - extra)
    rng.shuffle(sizes)
    out: list[list] = []
    i = 0
    for size in sizes:
        out.append(items[i : i + size])
        i += size
    return out


def build_party(
    rng: random.Random,
    today: dt.date,
    grids: list[DemoGrid],
    *,
    recorders: dict[int, User],
) -> PartyResult:
    """Create the party tree, members, links and activities. `recorders`: grid pk → user."""
    result = PartyResult()
    committees: dict[int, PartyOrganisation] = {}
    groups: list[tuple[PartyOrganisation, DemoGrid, DemoBuilding]] = []
    for grid in grids:
        community = grid.community
        if community.pk not in committees:
            committees[community.pk] = PartyOrganisation.objects.create(
                name=f"{community.display_name}党委", kind=OrgKind.COMMITTEE, unit=community
            )
        branch = PartyOrganisation.objects.create(
            name=f"{grid.unit.display_name}党支部",
            kind=OrgKind.BRANCH,
            unit=grid.unit,
            parent=committees[community.pk],
        )
        for building in grid.buildings:
            group = PartyOrganisation.objects.create(
                name=f"{building.unit.display_name}党小组",
                kind=OrgKind.GROUP,
                unit=building.unit,
                parent=branch,
            )
            groups.append((group, grid, building))
    result.organisations = len(committees) + len(grids) + len(groups)

    # Candidate members: adults 23–78 of each household, read back once.
    residents_by_household: dict[int, list[Resident]] = {}
    for r in Resident.objects.filter(
        household__unit__in=[b.unit for g in grids for b in g.buildings]
    ).order_by("id"):
        residents_by_household.setdefault(r.household_id, []).append(r)

    members: list[PartyMember] = []
    links: list[HouseholdLink] = []
    plans: list[tuple[PartyMember, list, DemoGrid]] = []
    for group, grid, building in groups:
        first_in_branch = not any(p[2] is grid for p in plans)
        for index, run in enumerate(_chunks(rng, list(building.households), 6, 10)):
            member_resident = _pick_member(rng, today, run, residents_by_household)
            if member_resident is None:
                continue
            assert member_resident.birth_date is not None  # _pick_member requires one
            age = today.year - member_resident.birth_date.year
            joined = today - dt.timedelta(days=rng.randint(365, max(366, (age - 19) * 365)))
            duty = ""
            if index == 0:
                duty = "支部书记" if first_in_branch else "党小组长"
                first_in_branch = False
            member = PartyMember(
                public_id=demo_uuid(rng),
                organisation=group,
                resident=member_resident,
                name=member_resident.name,
                status=PartyMember.Status.PROBATIONARY
                if age < 30 and rng.random() < 0.3
                else PartyMember.Status.FULL,
                joined_on=joined,
                duty=duty,
                # One 党员中心户 per building group: the group's first member.
                is_central_household=index == 0,
            )
            members.append(member)
            plans.append((member, run, grid))
            result.helpers_by_grid.setdefault(grid.unit.pk, []).append(member_resident)
    PartyMember.objects.bulk_create(members, batch_size=BATCH)

    activities: list[LinkageActivity] = []
    duties = list(DUTY_WEIGHTS)
    weights = list(DUTY_WEIGHTS.values())
    for member, run, grid in plans:
        started = today - dt.timedelta(days=rng.randint(200, 900))
        for household in run:
            links.append(
                HouseholdLink(
                    public_id=demo_uuid(rng), member=member, household=household, started_on=started
                )
            )
        # Four to ten records over the past six months.
        for _ in range(rng.randint(4, 10)):
            duty = rng.choices(duties, weights=weights)[0]
            household = rng.choice(run)
            activities.append(
                LinkageActivity(
                    public_id=demo_uuid(rng),
                    member=member,
                    household=household,
                    duty=duty,
                    occurred_on=today - dt.timedelta(days=rng.randint(1, 180)),
                    summary=rng.choice(ACTIVITY_TEXTS[duty]).format(door=household.address),
                    recorded_by=recorders.get(grid.unit.pk),
                )
            )
    HouseholdLink.objects.bulk_create(links, batch_size=BATCH)
    LinkageActivity.objects.bulk_create(activities, batch_size=BATCH)
    result.members, result.links, result.activities = len(members), len(links), len(activities)
    return result


def _pick_member(
    rng: random.Random, today: dt.date, run: list, residents_by_household: dict[int, list[Resident]]
) -> Resident | None:
    """A working-age or retired adult living in one of the households the member will link."""
    candidates = [
        r
        for h in run
        for r in residents_by_household.get(h.pk, [])
        if r.birth_date and 23 <= today.year - r.birth_date.year <= 78
    ]
    return rng.choice(candidates) if candidates else None
