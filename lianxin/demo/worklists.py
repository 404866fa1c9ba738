"""The work lists (三张清单) and inspections of 孟州市 in the demo (docs/demo.md).

Built after the five-star demo (`lianxin.demo.stars`) and written the same way (rows made by
its `Maker`, inserted by `save_all`), on the same county: the monthly key-work lists of the
county, its task forces, every township and some villages (last month's and this month's, never
more than six open items, unfinished ones carried over); the supply-side project library and
villages' demand-side projects in every state with their updates; a training needs survey with
answers, the customised plan built from them, sessions and attendance (last year's complete,
this year's as far as the calendar allows); and the quarterly inspections of the branches' work
manuals with rectification notices in every state, some overdue.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lianxin.accounts.models import User
from lianxin.demo.names import person_name
from lianxin.demo.stars import (
    HOME_CODE,
    STAR_NAMES,
    Maker,
    StarsDemo,
    Village,
    at,
    chain,
    clamp,
    money,
    save_all,
    village_actor,
)
from lianxin.stars.models import TaskForce
from lianxin.territory.models import Unit
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    DemandProject,
    Inspection,
    InspectionProblem,
    KeyWorkEvent,
    KeyWorkItem,
    ProjectUpdate,
    Rectification,
    RectificationEvent,
    SupplyProject,
    SurveyAnswer,
    SurveyRecipient,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    TrainingSurvey,
)
from lianxin.worklists.models.training import TargetGroup

COUNTY_ITEMS = [
    "推动大定街道迎秀社区实现“五星”创建零的突破",
    "召开全市“五星”支部创建月度调度会",
    "审阅各乡镇（街道）重点工作推进清单",
    "组织“五星”支部创建季度观摩",
    "组工干部包乡联村走访指导",
    "汇总各专班工作台账报市委",
    "督导软弱涣散村整顿转化",
]
TOWNSHIP_ITEMS = [
    "督促各村完成创星规划修订",
    "组织创建举措大比武初赛",
    "迎接市专班季度观摩",
    "推进软弱涣散村整顿转化",
    "指导各村准备星级申报材料",
    "完成工作手册季度检查与整改销号",
    "召开创星工作推进会",
    "对接村集体经济增收项目",
    "人居环境整治“回头看”",
    "矛盾纠纷集中排查化解",
    "“三会一课”落实情况抽查",
]
TASK_FORCE_ITEMS: dict[str, list[str]] = {
    "branch": ["“三会一课”落实情况抽查", "村（社区）党组织书记轮训", "发展年轻党员工作督导"],
    "industry": ["集体经济薄弱村结对帮扶", "产业项目资金拨付进度跟踪", "村集体收入台账审核"],
    "ecology": ["人居环境整治月度评比", "农村户厕问题整改", "背街小巷整治验收"],
    "safety": ["矛盾纠纷月度排查", "“平安法治星”标准解读培训", "重点人员稳控工作督导"],
    "civility": ["新时代文明实践站点评估", "移风易俗专项行动", "“三类户”评定挂牌督导"],
    "sharing": ["驻区单位共建活动对接", "社区合伙人招募", "老旧小区物业服务提升"],
    "": ["专班月度例会", "创建台账汇总报送", "项目清单动态调整", "督导检查问题整改"],
}
VILLAGE_ITEMS = [
    "完善“三会一课”记录",
    "背街小巷环境整治",
    "集体资产清理登记",
    "召开村（居）民代表会议议定事项",
    "开展矛盾纠纷排查",
    "“三类户”评定挂牌",
    "准备星级申报佐证材料",
    "党员联户走访全覆盖",
]
RESULTS = ["已完成，资料已归档", "按期完成，已通报", "已完成并通过验收", "已办结，群众满意"]

SUPPLY: list[tuple[str, str, str, str, int]] = [
    ("高标准农田建设项目", "市农业农村局", "产业发展", "industry", 4_800_000),
    ("村级集体经济发展扶持资金", "市财政局", "集体经济", "industry", 3_000_000),
    ("特色产业发展奖补", "市乡村振兴局", "产业发展", "industry", 1_500_000),
    ("光伏发电入股分红项目", "市发展和改革委员会", "集体经济", "industry", 2_400_000),
    ("农产品冷链仓储设施", "市农业农村局", "产业发展", "industry", 1_200_000),
    ("农村人居环境整治提升", "市住房和城乡建设局", "人居环境", "ecology", 3_600_000),
    ("农村生活污水治理", "市生态环境局", "人居环境", "ecology", 2_800_000),
    ("“四好农村路”建设", "市交通运输局", "基础设施", "ecology", 4_000_000),
    ("农村饮水安全巩固提升", "市水利局", "基础设施", "ecology", 1_800_000),
    ("村级党群服务中心提升", "市委组织部", "阵地建设", "branch", 1_000_000),
    ("平安乡村视频监控补点", "市公安局", "平安建设", "safety", 900_000),
    ("新时代文明实践站点建设", "市文明办", "文明实践", "civility", 800_000),
    ("文化广场与农家书屋", "市文化广电和旅游局", "文明实践", "civility", 700_000),
    ("社区“一老一小”服务设施", "市民政局", "社区服务", "sharing", 1_100_000),
    ("老旧小区改造配套资金", "市住房和城乡建设局", "社区服务", "sharing", 2_000_000),
]
DEMAND: dict[str, list[str]] = {
    "industry": [
        "村集体光伏电站建设",
        "蔬菜大棚提升改造",
        "农产品冷库建设",
        "土地整理与高标准农田",
    ],
    "ecology": ["背街小巷硬化", "村内污水管网铺设", "坑塘整治与绿化", "主街道亮化"],
    "branch": ["党群服务中心提升改造", "党建文化阵地建设"],
    "safety": ["视频监控补点", "矛盾调解室建设"],
    "civility": ["文化广场建设", "新时代文明实践站提升"],
    "sharing": ["社区养老服务站", "老旧小区加装电梯", "社区便民服务点"],
}
DECLINE_NOTE = "与已安排项目重复，建议纳入明年项目库统筹。"

TOPICS = [
    "“五星”创建标准解读",
    "村集体经济发展路径",
    "矛盾纠纷调解技巧",
    "基层党组织建设实务",
    "乡村治理与“三治融合”",
    "电商直播与农产品营销",
    "项目申报与资金管理",
]
FORMATS = ["集中授课", "现场观摩", "外出考察", "线上学习", "案例研讨"]
PLACES = ["孟州市委党校", "孟州市党群服务中心", "焦作市委党校", "现场观摩点"]
LECTURERS = ["市委党校讲师", "市委组织部业务骨干", "“五星”支部书记", "高校特聘教授"]

PROBLEMS: list[tuple[str, str]] = [
    ("meetings", "“三会一课”记录不全，缺少第二季度党小组会记录"),
    ("meetings", "主题党日活动内容简单，未结合创星工作"),
    ("manual", "工作手册填写不规范，部分页面未签字"),
    ("manual", "工作手册记录与实际开展情况不一致"),
    ("members", "流动党员联系不经常，台账未更新"),
    ("members", "党费收缴记录不完整"),
    ("linkage", "部分党员联户走访记录缺失"),
    ("openness", "党务村务公开栏内容未按季度更新"),
    ("other", "创星规划举措未按节点推进"),
]
# The latest quarter's notices go round these states, so each is there.
LATEST_STATES = [wf.ISSUED, wf.REPORTED, wf.VERIFIED, wf.REOPENED, wf.ISSUED, wf.VERIFIED]
REQUIREMENTS = "对照问题清单逐项整改，补齐相关记录，整改情况附佐证材料报乡镇（街道）核验。"


@dataclass
class WorklistsSummary:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# --- key-work lists -------------------------------------------------------------------------


@dataclass
class WorkList:
    owner: Unit
    task_force: TaskForce | None
    pool: list[str]
    user: User | None
    label: str
    star_code: str = ""

    @property
    def key(self) -> str:
        return f"t{self.task_force.pk}" if self.task_force is not None else f"u{self.owner.pk}"


def _lists(rng: random.Random, stars: StarsDemo) -> list[WorkList]:
    county_user, county_label = stars.county_actor()
    lists = [WorkList(stars.county, None, COUNTY_ITEMS, county_user, county_label)]
    for tf in stars.task_forces:
        lists.append(
            WorkList(
                stars.county,
                tf,
                TASK_FORCE_ITEMS.get(tf.star_code, TASK_FORCE_ITEMS[""]),
                None,
                f"{tf.leader_name}（{tf.name}）",
                tf.star_code,
            )
        )
    for t in stars.townships:
        user, label = stars.township_actor(t)
        lists.append(WorkList(t, None, TOWNSHIP_ITEMS, user, label))
    chosen: list[Village] = [v for v in stars.villages if v.unit.display_name.endswith("社区")]
    chosen = [v for v in chosen if v.township.pk == stars.street.pk]
    for t in stars.townships:
        if t.pk != stars.street.pk:
            chosen.append(rng.choice(stars.by_township[t.pk]))
    for v in chosen:
        user, label = village_actor(v)
        lists.append(WorkList(v.unit, None, VILLAGE_ITEMS, user, label))
    return lists


def build_keywork(
    rng: random.Random, stars: StarsDemo, make: Maker, summary: WorklistsSummary
) -> None:
    """Last month's and this month's list of each owner: 3–6 open items at a time; done ones
    leave the list (their slot is taken by a new item), unfinished ones are carried over."""
    today = stars.today
    this_first = _month_start(today)
    last_first = _month_start(this_first - dt.timedelta(days=1))
    yesterday = max(this_first, today - dt.timedelta(days=1))
    items: list[KeyWorkItem] = []
    events: list[KeyWorkEvent] = []

    def event(item: Any, action: str, when: dt.datetime, wl: WorkList, note: str = "") -> None:
        events.append(
            make(
                KeyWorkEvent,
                item=item,
                action=action,
                note=note,
                actor=wl.user,
                actor_label=wl.label,
                at=when,
            )
        )

    def item(
        wl: WorkList, month: dt.date, slot: int, title: str, added: dt.date, **values: Any
    ) -> Any:
        row = make(
            KeyWorkItem,
            at(added, 9, rng.randint(0, 59)),
            owner=wl.owner,
            task_force=wl.task_force,
            list_key=wl.key,
            month=wf.month_key(month),
            slot=slot,
            title=title,
            detail=f"{title}：明确责任人和时间节点，按周调度、按月销号。",
            responsible=person_name(rng, rng.choice("MF")),
            due_on=clamp(month + dt.timedelta(days=rng.randint(14, 27)), month, _month_end(month)),
            star_code=wl.star_code,
            created_by=wl.user,
            **values,
        )
        items.append(row)
        return row

    for wl in _lists(rng, stars):
        pool = list(wl.pool)
        rng.shuffle(pool)
        if COUNTY_ITEMS[0] in pool:
            pool.remove(COUNTY_ITEMS[0])
        titles = itertools.cycle(pool)
        # Last month: four to six items, most done within the month.
        carried = []
        county_list = wl.owner.pk == stars.county.pk and wl.task_force is None
        # 迎秀's list keeps room for what the browser story adds.
        cap = 4 if wl.owner.code == HOME_CODE else wf.KEYWORK_MAX
        for slot in range(1, rng.randint(4, cap) + 1):
            added = last_first + dt.timedelta(days=rng.randint(0, 3))
            # The county's first item runs for months (seed 004: 迎秀's breakthrough).
            title = COUNTY_ITEMS[0] if county_list and slot == 1 else next(titles)
            row = item(wl, last_first, slot, title, added)
            event(row, "added", row.created_at, wl, f"第{slot}项")
            if rng.random() < 0.6 and title != COUNTY_ITEMS[0]:
                latest = min(_month_end(last_first), yesterday)
                done = clamp(row.due_on - dt.timedelta(days=rng.randint(0, 8)), added, latest)
                row.status, row.done_on, row.result = "done", done, rng.choice(RESULTS)
                row.version, row.updated_at = 2, at(done, 17)
                event(row, "done", row.updated_at, wl, row.result)
            else:
                carried.append(row)
        # This month: the carried ones first, then new ones up to three to six open items;
        # one or two were added at the start of the month and are already done.
        slot = 0
        for old in carried:
            # The old item stays as it was at the end of its month, marked as carried.
            slot += 1
            row = item(wl, this_first, slot, old.title, this_first, carried_from=old)
            event(row, "carried", row.created_at, wl, f"自{_label(last_first)}清单转入")
            event(old, "carried_out", row.created_at, wl, f"转入{_label(this_first)}清单")
        wanted = max(len(carried), rng.randint(3, cap))
        while slot < wanted:
            slot += 1
            added = clamp(this_first + dt.timedelta(days=rng.randint(0, 4)), this_first, today)
            row = item(wl, this_first, slot, next(titles), added)
            event(row, "added", row.created_at, wl, f"第{slot}项")
            if rng.random() < 0.3 and added < today:
                row.version, row.updated_at = (
                    2,
                    at(clamp(added + dt.timedelta(days=3), added, yesterday), 16),
                )
                event(row, "updated", row.updated_at, wl, "修改了推进要求")
        if today.day > 5:
            for _ in range(rng.randint(1, 2)):
                added = this_first + dt.timedelta(days=rng.randint(0, 2))
                done = clamp(added + dt.timedelta(days=rng.randint(1, 6)), added, yesterday)
                row = item(
                    wl,
                    this_first,
                    rng.randint(1, wanted),
                    next(titles),
                    added,
                    status="done",
                    done_on=done,
                    result=rng.choice(RESULTS),
                    version=2,
                )
                event(row, "added", row.created_at, wl, f"第{row.slot}项")
                row.updated_at = at(done, 17)
                event(row, "done", row.updated_at, wl, row.result)
    save_all(KeyWorkItem, items)
    save_all(KeyWorkEvent, events)
    summary.add("keywork_items", len(items))
    month = wf.month_key(today)
    summary.add(
        "keywork_open_this_month",
        sum(1 for i in items if i.month == month and getattr(i, "status", "open") == "open"),
    )
    summary.add("keywork_events", len(events))


# --- projects -------------------------------------------------------------------------------

DEMAND_STATES = [
    (wf.DEMAND_SUBMITTED, 14),
    (wf.DEMAND_MATCHED, 12),
    (wf.DEMAND_UNDERWAY, 16),
    (wf.DEMAND_DONE, 12),
    (wf.DEMAND_DECLINED, 6),
]
MOVES = {
    wf.DEMAND_SUBMITTED: [],
    wf.DEMAND_MATCHED: ["match"],
    wf.DEMAND_UNDERWAY: ["match", "start", "spend"],
    wf.DEMAND_DONE: ["match", "start", "spend", "spend", "finish"],
    wf.DEMAND_DECLINED: ["decline"],
}


def build_projects(
    rng: random.Random, stars: StarsDemo, make: Maker, summary: WorklistsSummary
) -> None:
    """The county's supply-side library (fifteen projects of the departments) and sixty
    villages' demand-side projects: reported, matched to the library with funds, under way
    with money spent, finished, or declined with a reason."""
    year, today = stars.year, stars.today
    jan1 = dt.date(year, 1, 1)
    last = max(jan1, today - dt.timedelta(days=1))
    county_user, county_label = stars.county_actor()
    supply = [
        make(
            SupplyProject,
            at(dt.date(year - 1, 12, rng.randint(10, 28)), 10),
            county=stars.county,
            year=year,
            name=name,
            department=department,
            category=category,
            star_code=code,
            funds=Decimal(funds),
            description=f"面向“五星”支部创建村（社区），重点支持{category}。",
            is_open=n not in (2, 11),
        )
        for n, (name, department, category, code, funds) in enumerate(SUPPLY)
    ]
    save_all(SupplyProject, supply)
    left = {s.pk: s.funds for s in supply}
    states = [s for s, n in DEMAND_STATES for _ in range(n)]
    rng.shuffle(states)
    villages = rng.sample([v for v in stars.villages if v.target or v.held], len(states))
    projects: list[DemandProject] = []
    updates: list[ProjectUpdate] = []
    for v, state in zip(villages, states, strict=True):
        codes = [c for c in (v.target or v.held) if c in DEMAND]
        code = rng.choice(codes or ["ecology"])
        requested = money(rng.uniform(60, 800)) * 1000
        moves = MOVES[state]
        end = clamp(today - dt.timedelta(days=rng.randint(1, 40)), jan1, last)
        days = chain(rng, end, len(moves) + 1, jan1, gap=(7, 30))
        user, label = village_actor(v)
        project = make(
            DemandProject,
            at(days[0], 10),
            unit=v.unit,
            year=year,
            name=f"{v.unit.display_name}{rng.choice(DEMAND[code])}",
            description=f"围绕争创{STAR_NAMES.get(code, '星级')}补齐短板：{rng.choice(DEMAND[code])}。",
            star_code=code,
            funds_requested=requested,
            status=state,
            created_by=user,
            version=1 + len(moves),
        )
        projects.append(project)
        updates.append(
            make(
                ProjectUpdate,
                project=project,
                action="submit",
                amount=requested,
                actor=user,
                actor_label=label,
                at=at(days[0], 10),
            )
        )
        allocated = Decimal(0)
        spent = Decimal(0)
        for move, day in zip(moves, days[1:], strict=True):
            when = at(day, 15, rng.randint(0, 59))
            amount = None
            note = ""
            actor: User | None = county_user
            actor_label = county_label
            if move == "match":
                options = [s for s in supply if s.star_code == code and s.is_open]
                options = [s for s in options if left[s.pk] > 0] or [s for s in supply if s.is_open]
                chosen = max(options, key=lambda s: (left[s.pk], s.pk))
                allocated = min(requested, left[chosen.pk])
                left[chosen.pk] -= allocated
                project.supply = chosen
                amount, note = allocated, f"对接“{chosen.name}”"
            elif move == "decline":
                note = DECLINE_NOTE
            elif move == "start":
                actor, actor_label = user, label
                note = "施工单位进场，项目开工"
            elif move == "spend":
                actor, actor_label = user, label
                part = allocated - spent if state == wf.DEMAND_DONE and spent else allocated / 2
                amount = money(float(part))
                spent += amount
                note = "按进度拨付资金"
            elif move == "finish":
                actor, actor_label = user, label
                note = "项目完工，已组织验收"
            updates.append(
                make(
                    ProjectUpdate,
                    project=project,
                    action=move,
                    note=note,
                    amount=amount,
                    actor=actor,
                    actor_label=actor_label,
                    at=when,
                )
            )
            project.updated_at = when
        project.funds_allocated = allocated
        project.funds_spent = min(spent, allocated)
    save_all(DemandProject, projects)
    save_all(ProjectUpdate, updates)
    summary.add("supply_projects", len(supply))
    summary.add("demand_projects", len(projects))
    summary.add("project_updates", len(updates))


# --- training -------------------------------------------------------------------------------


def _recipients(rng: random.Random, stars: StarsDemo) -> list[tuple[Village, str]]:
    """Five- and four-star branches' secretaries, young secretaries, weak branches'."""
    chosen: dict[int, tuple[Village, str]] = {}
    for v in stars.villages:
        if v.level >= 4:
            chosen[v.unit.pk] = (v, TargetGroup.FIVE_FOUR_STAR)
    young = rng.sample([v for v in stars.villages if v.unit.pk not in chosen], 15)
    for v in young:
        chosen[v.unit.pk] = (v, TargetGroup.UNDER_35)
    for v in stars.villages:
        if v.weak and v.unit.pk not in chosen:
            chosen[v.unit.pk] = (v, TargetGroup.WEAK)
    return list(chosen.values())


def build_training(
    rng: random.Random, stars: StarsDemo, make: Maker, summary: WorklistsSummary
) -> None:
    """Last year's survey, plan and sessions, complete; this year's survey sent in the first
    weeks and, once its deadline has passed, its plan with sessions attended so far."""
    today = stars.today
    user, _label = stars.county_actor()
    chosen = _recipients(rng, stars)
    surveys, recipients, answers, plans, sessions, attendance = [], [], [], [], [], []
    for year in (stars.year - 1, stars.year):
        jan1 = dt.date(year, 1, 1)
        if year < stars.year:
            sent = dt.date(year, 2, 12)
        else:
            sent = jan1 + dt.timedelta(days=min(25, (today - jan1).days // 2))
        deadline = sent + dt.timedelta(days=18)
        closed = deadline < today - dt.timedelta(days=3)
        draft = year == stars.year and (today - jan1).days < 2
        status = "draft" if draft else "closed" if closed else "sent"
        survey = make(
            TrainingSurvey,
            at(sent - dt.timedelta(days=2), 10),
            county=stars.county,
            year=year,
            title=f"{year}年度村（社区）党组织书记培训需求调查",
            groups=[g.value for g in TargetGroup],
            topics=TOPICS,
            formats=FORMATS,
            deadline=deadline,
            status=status,
            sent_at=None if draft else at(sent, 9),
            created_by=user,
            version={"draft": 1, "sent": 2, "closed": 3}[status],
        )
        surveys.append(survey)
        if draft:
            continue
        tally: Counter[str] = Counter()
        mine = []
        answer_end = min(deadline, today - dt.timedelta(days=1))
        for v, group in chosen:
            r = make(
                SurveyRecipient,
                at(sent, 9),
                survey=survey,
                unit=v.unit,
                group=group,
                person_name=v.secretary,
            )
            recipients.append(r)
            mine.append(r)
            share = 0.9 if closed else 0.6
            if answer_end < sent or rng.random() > share:
                continue
            times = 2 if rng.random() < 0.03 else 1  # the newest answer counts
            for _ in range(times):
                day = sent + dt.timedelta(days=rng.randint(0, (answer_end - sent).days))
                when = at(day, rng.randint(8, 21), rng.randint(0, 59))
                picked = rng.sample(TOPICS, k=rng.randint(2, 3))
                answers.append(
                    make(
                        SurveyAnswer,
                        recipient=r,
                        topics=picked,
                        formats=rng.sample(FORMATS, k=rng.randint(1, 2)),
                        note=rng.choice(["", "", "希望多组织外出观摩学习", "希望培训安排在农闲时"]),
                        at=when,
                    )
                )
                r.answered_at = max(getattr(r, "answered_at", None) or when, when)
                r.updated_at = r.answered_at
            tally.update(answers[-1].topics)
        if not closed:
            continue
        top = tally.most_common(5)
        plan = make(
            TrainingPlan,
            at(deadline + dt.timedelta(days=3), 10),
            survey=survey,
            title=f"{year}年度“五星”支部书记个性化培训清单",
            summary="共回收问卷{}份。需求较多的内容：{}。".format(
                sum(1 for r in mine if getattr(r, "answered_at", None)),
                "；".join(f"{t}（{n}人）" for t, n in top),
            ),
            created_by=user,
        )
        plans.append(plan)
        first = deadline + dt.timedelta(days=20)
        for n, (topic, _count) in enumerate(top):
            day = first + dt.timedelta(days=45 * n)
            if day > dt.date(year, 12, 20):
                break
            groups = [g.value for g in TargetGroup]
            if n % 2:
                groups = [TargetGroup.FIVE_FOUR_STAR.value]
            session = make(
                TrainingSession,
                at(deadline + dt.timedelta(days=4), 10),
                plan=plan,
                topic=topic,
                form=FORMATS[n % len(FORMATS)],
                starts_at=at(day, 9),
                place=PLACES[n % len(PLACES)],
                lecturer=LECTURERS[n % len(LECTURERS)],
                groups=groups,
            )
            sessions.append(session)
            if day >= today:
                continue
            for r in mine:
                if r.group in groups and rng.random() < 0.85:
                    attendance.append(
                        make(
                            TrainingAttendance,
                            session=session,
                            recipient=r,
                            recorded_by=user,
                            at=at(day, 9, rng.randint(0, 20)),
                        )
                    )
    save_all(TrainingSurvey, surveys)
    save_all(SurveyRecipient, recipients)
    save_all(SurveyAnswer, answers)
    save_all(TrainingPlan, plans)
    save_all(TrainingSession, sessions)
    save_all(TrainingAttendance, attendance)
    summary.add("surveys", len(surveys))
    summary.add("survey_recipients", len(recipients))
    summary.add("survey_answers", len(answers))
    summary.add("training_sessions", len(sessions))
    summary.add("training_attendance", len(attendance))


# --- inspections ----------------------------------------------------------------------------


def _number(township: Unit, year: int, numbers: Counter[str]) -> str:
    """大定整改〔2026〕3号: the issuing township's short name, numbered in its year (as the
    inspection service numbers them)."""
    short = township.display_name
    for suffix in ("街道", "镇", "乡"):
        if short.endswith(suffix) and len(short) > len(suffix) + 1:
            short = short[: -len(suffix)]
            break
    prefix = f"{short}整改〔{year}〕"
    numbers[prefix] += 1
    return f"{prefix}{numbers[prefix]}号"


def _quarters(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The year's finished quarters (last year's fourth while the first is under way)."""
    found = []
    for q in range(1, (today.month - 1) // 3 + 1):
        start = dt.date(today.year, 3 * q - 2, 1)
        found.append((f"{today.year}Q{q}", start, _month_end(dt.date(today.year, 3 * q, 1))))
    if not found:
        found.append(
            (f"{today.year - 1}Q4", dt.date(today.year - 1, 10, 1), dt.date(today.year - 1, 12, 31))
        )
    return found


def build_inspections(
    rng: random.Random, stars: StarsDemo, make: Maker, summary: WorklistsSummary
) -> None:
    """Each finished quarter the township reads the work manual of every branch of 大定街道
    and a sample elsewhere; about one in three has problems and gets a rectification notice
    (the latest quarter's still in every state, some overdue; older ones mostly verified)."""
    today = stars.today
    yesterday = today - dt.timedelta(days=1)
    quarters = _quarters(today)
    inspections, problems, notices, events = [], [], [], []
    numbers: Counter[str] = Counter()
    seq = 0
    for qn, (quarter, _start, end) in enumerate(quarters):
        latest = qn == len(quarters) - 1
        sample = [v for v in stars.villages if v.township.pk == stars.street.pk]
        for t in stars.townships:
            if t.pk != stars.street.pk:
                sample += rng.sample(stars.by_township[t.pk], 3)
        month_first = end.replace(day=1)
        for v in sample:
            user, label = stars.township_actor(v.township)
            day = month_first + dt.timedelta(days=rng.randint(0, 24))
            found = rng.random() < 0.34
            inspection = make(
                Inspection,
                at(day, 10),
                unit=v.unit,
                quarter=quarter,
                inspected_on=day,
                inspector=user,
                inspector_label=label,
                manual_complete=not found,
                summary=(
                    "工作手册记录完整，“三会一课”等组织生活按要求开展。"
                    if not found
                    else "查阅工作手册及会议记录，发现以下问题，已当场反馈。"
                ),
            )
            inspections.append(inspection)
            if not found:
                continue
            for category, description in rng.sample(PROBLEMS, k=rng.randint(1, 3)):
                problems.append(
                    make(
                        InspectionProblem,
                        inspection=inspection,
                        category=category,
                        description=description,
                    )
                )
            seq += 1
            deadline = day + dt.timedelta(days=rng.choice([15, 20, 30]))
            if seq == 1:
                # The oldest notice was never acted on: overdue for months (or weeks).
                day, state = month_first, wf.ISSUED
                deadline = day + dt.timedelta(days=15)
                inspection.inspected_on = day
                inspection.created_at = inspection.updated_at = at(day, 10)
            elif latest:
                state = LATEST_STATES[seq % len(LATEST_STATES)]
            else:
                state = wf.VERIFIED if rng.random() < 0.92 else wf.ISSUED
            moves = {
                wf.ISSUED: [],
                wf.REPORTED: ["reported"],
                wf.VERIFIED: ["reported", "verified"],
                wf.REOPENED: ["reported", "reopened"],
            }[state]
            v_user, v_label = village_actor(v)
            last = clamp(deadline + dt.timedelta(days=rng.randint(-10, 5)), day, yesterday)
            days = [day, *chain(rng, last, len(moves), day, gap=(3, 10))]
            notice = make(
                Rectification,
                at(day, 16),
                inspection=inspection,
                number=_number(v.township, day.year, numbers),
                requirements=REQUIREMENTS,
                deadline=deadline,
                status=state,
                verified_on=days[-1] if state == wf.VERIFIED else None,
                version=1 + len(moves),
            )
            notices.append(notice)
            steps = [("issued", days[0], user, label, f"整改期限 {deadline:%Y-%m-%d}")]
            for move, d in zip(moves, days[1:], strict=True):
                if move == "reported":
                    steps.append((move, d, v_user, v_label, "已按通知逐项整改，补齐相关记录。"))
                elif move == "verified":
                    steps.append((move, d, user, label, "核验通过，予以销号"))
                else:
                    steps.append((move, d, user, label, "整改不彻底，记录仍不完整，请重新整改。"))
            for n, (move, d, actor, actor_label, note) in enumerate(steps):
                when = at(d, 10 + 2 * n if d == day else 15, rng.randint(0, 59))
                events.append(
                    make(
                        RectificationEvent,
                        rectification=notice,
                        action=move,
                        note=note,
                        actor=actor,
                        actor_label=actor_label,
                        at=when,
                    )
                )
                notice.updated_at = when
    save_all(Inspection, inspections)
    save_all(InspectionProblem, problems)
    save_all(Rectification, notices)
    save_all(RectificationEvent, events)
    summary.add("inspections", len(inspections))
    summary.add("inspection_problems", len(problems))
    summary.add("rectifications", len(notices))
    summary.add(
        "rectifications_overdue",
        sum(1 for r in notices if r.status in wf.RECTIFICATION_OPEN and r.deadline < today),
    )
    summary.add("rectification_events", len(events))


def build_worklists(rng: random.Random, today: dt.date, stars: StarsDemo) -> WorklistsSummary:
    """The three lists and the inspections of 孟州市 (see the module docstring)."""
    assert today == stars.today
    summary = WorklistsSummary()
    make = Maker(rng)
    build_keywork(rng, stars, make, summary)
    build_projects(rng, stars, make, summary)
    build_training(rng, stars, make, summary)
    build_inspections(rng, stars, make, summary)
    return summary
