"""The livelihood ledger (民生台账) of the demo: vulnerable residents, helpers and visits.

Who is registered follows from the generated households (old people living alone, children
raised by grandparents, the very old) plus a small random share of monitored households,
disabled and seriously ill residents and veterans. Most are visited on time; about one in
seven is overdue so the overdue lists have something to show.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from lianxin.accounts.models import User
from lianxin.demo.grids import DemoGrid
from lianxin.demo.register import BATCH, demo_uuid
from lianxin.people.models import LedgerEntry, Resident, Visit, VulnerabilityTag

# The tags the demo uses, with the defaults of people's data migration in case a deployment
# removed one (the catalog is configuration: code, name, visit interval in days).
DEMO_TAGS: dict[str, tuple[str, int]] = {
    "elderly_70": ("高龄老人（70岁以上）", 30),
    "elderly_alone": ("独居老人", 7),
    "left_behind_child": ("留守儿童", 30),
    "monitored_household": ("监测户（防返贫）", 30),
    "disabled": ("残疾人", 30),
    "serious_illness": ("重病患者", 14),
    "veteran": ("退役军人", 90),
}

FOUND_TEXTS: dict[str, tuple[str, ...]] = {
    "elderly_70": (
        "老人精神状态良好，血压略高，按时服药。",
        "老人行动不便，希望有人帮助买菜。",
        "身体状况稳定，子女每周探望。",
    ),
    "elderly_alone": (
        "独居老人生活能自理，家中水电正常。",
        "老人反映夜间无人照应，心里不踏实。",
        "冰箱食物充足，燃气阀门已关好。",
    ),
    "left_behind_child": (
        "孩子学习正常，祖父母照料到位。",
        "孩子想念在外务工的父母，情绪低落。",
        "作业完成情况较好，需要课外辅导。",
    ),
    "monitored_household": (
        "家庭收入较上月稳定，无返贫风险。",
        "户主务工中断，收入下降。",
        "医疗支出较大，已了解报销情况。",
    ),
    "disabled": (
        "残疾人两项补贴已按时到账。",
        "轮椅损坏，需要更换。",
        "康复训练坚持进行，情况好转。",
    ),
    "serious_illness": (
        "病情稳定，按期复查。",
        "住院治疗中，家属陪护。",
        "医疗费用压力大，咨询大病救助。",
    ),
    "veteran": ("退役军人身体健康，无特殊诉求。", "咨询优待证办理事宜。", "希望参加社区志愿服务。"),
}
DONE_TEXTS = (
    "已提醒按时服药，留下网格员电话。",
    "已联系社区卫生服务站上门体检。",
    "已协调志愿者每周帮助采买。",
    "已向社区反映，纳入帮扶计划。",
    "已协助提交救助申请材料。",
    "宣传相关政策，解答疑问。",
    "",
)


@dataclass
class LedgerResult:
    entries: int = 0
    visits: int = 0
    overdue: int = 0


def ensure_tags() -> dict[str, VulnerabilityTag]:
    """The demo's tags from the configurable catalog, creating any that is missing."""
    tags = {t.code: t for t in VulnerabilityTag.objects.filter(code__in=DEMO_TAGS)}
    for order, (code, (name, days)) in enumerate(DEMO_TAGS.items(), start=1):
        if code not in tags:
            tags[code] = VulnerabilityTag.objects.create(
                code=code, name=name, default_visit_interval_days=days, sort_order=900 + order
            )
    return tags


def _candidates(
    rng: random.Random, today: dt.date, shapes: dict[int, str], residents: list[Resident]
) -> list[tuple[Resident, str]]:
    """(resident, tag code) pairs for one grid; a resident may carry two tags."""
    chosen: list[tuple[Resident, str]] = []
    for r in residents:
        assert r.birth_date is not None  # the demo generator gives every resident one
        age = today.year - r.birth_date.year
        shape = shapes.get(r.household_id, "")
        if shape == "alone_elderly":
            chosen.append((r, "elderly_alone"))
        if age >= 80 or (age >= 70 and rng.random() < 0.35):
            chosen.append((r, "elderly_70"))
        if shape == "grandparents" and age < 16 and rng.random() < 0.7:
            chosen.append((r, "left_behind_child"))
        if r.relation == "户主" and rng.random() < 0.012:
            chosen.append((r, "monitored_household"))
        if rng.random() < 0.010:
            chosen.append((r, "disabled"))
        if age >= 30 and rng.random() < 0.006:
            chosen.append((r, "serious_illness"))
        if r.sex == "M" and 28 <= age <= 75 and rng.random() < 0.02:
            chosen.append((r, "veteran"))
    return chosen


def build_ledger(
    rng: random.Random,
    today: dt.date,
    grids: list[DemoGrid],
    *,
    shapes: dict[int, str],
    workers: dict[int, User],
    helpers_by_grid: dict[int, list[Resident]],
) -> LedgerResult:
    """Register vulnerable residents with a one-to-one helper, and their past visits."""
    tags = ensure_tags()
    result = LedgerResult()
    entries: list[LedgerEntry] = []
    visit_plans: list[tuple[LedgerEntry, list[dt.date], User | None]] = []
    for grid in grids:
        units = [b.unit.pk for b in grid.buildings]
        residents = list(Resident.objects.filter(household__unit__in=units).order_by("id"))
        worker = workers.get(grid.unit.pk)
        members = helpers_by_grid.get(grid.unit.pk, [])
        for resident, code in _candidates(rng, today, shapes, residents):
            tag = tags[code]
            interval = tag.default_visit_interval_days
            started = today - dt.timedelta(days=rng.randint(90, 700))
            overdue = rng.random() < 0.15
            # Visit dates walk back from the last one at the tag's interval (± a few days).
            last = today - dt.timedelta(
                days=rng.randint(interval + 3, interval * 3 + 10)
                if overdue
                else rng.randint(0, interval - 1)
            )
            dates: list[dt.date] = []
            day = last
            while day >= started and len(dates) < 6:
                dates.append(day)
                day -= dt.timedelta(days=max(1, interval + rng.randint(-2, 3)))
            helper_member = rng.choice(members) if members and rng.random() < 0.45 else None
            if helper_member is not None and helper_member.pk == resident.pk:
                helper_member = None
            entry = LedgerEntry(
                public_id=demo_uuid(rng),
                resident=resident,
                tag=tag,
                helper_user=None if helper_member else worker,
                helper_resident=helper_member,
                visit_interval_days=interval,
                started_on=started,
                last_visit_on=dates[0] if dates else None,
                next_visit_due=(dates[0] if dates else started) + dt.timedelta(days=interval),
            )
            entries.append(entry)
            visit_plans.append((entry, dates, worker))
            result.overdue += entry.next_visit_due < today
    LedgerEntry.objects.bulk_create(entries, batch_size=BATCH)

    visits: list[Visit] = []
    for entry, dates, worker in visit_plans:
        for day in dates:
            visits.append(
                Visit(
                    public_id=demo_uuid(rng),
                    entry=entry,
                    visited_on=day,
                    visitor=worker,
                    found=rng.choice(FOUND_TEXTS[entry.tag.code]),
                    done=rng.choice(DONE_TEXTS),
                )
            )
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    result.entries, result.visits = len(entries), len(visits)
    return result
