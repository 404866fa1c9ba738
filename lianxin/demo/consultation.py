"""A year of consultation in the demo street (协商议事), made by the services.

Every step is a call of `lianxin.consultation.services` inside `clock.travel(at)`, so the
meetings' frozen electorates, sign-ins, ballots, support rates, locked minutes and events are
what the platform itself makes. 迎秀 gets the full year: monthly 居民议事会, 物业–居民面对面
and “两委” meetings, quarterly branch-committee meetings, party congresses and
representatives' meetings (the village-only types — 村民代表会议, 村民会议 — have no place in
an urban street); the other communities a quarterly rhythm. On top: the heating-renovation
vote of one compound reaching 95% of its households (000), a complete 四议两公开 matter with
both notices, decisions with milestones and progress, residents' proposals with support, and
the secretaries' pledges (三诺) with mid-year and year-end records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Post, User
from lianxin.accounts.permissions import Role
from lianxin.consultation import electorate as roll
from lianxin.consultation.models import (
    AgendaItem,
    Matter,
    Meeting,
    MeetingType,
    Representative,
    ResidentProposal,
    Venue,
)
from lianxin.consultation.services import (
    decisions,
    matters,
    meetings,
    minutes,
    pledges,
    proposals,
    votes,
)
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.demo.grids import DemoGrid
from lianxin.people.models import Resident
from lianxin.territory.models import Unit

# (type code, months between meetings, hour, items per meeting)
RHYTHM_FULL: list[tuple[str, int, int]] = [
    ("resident_council", 1, 19),
    ("property_face_to_face", 1, 15),
    ("two_committees", 1, 9),
    ("branch_committee", 3, 9),
    ("party_congress", 3, 15),
    ("resident_reps", 3, 15),
]
RHYTHM_LIGHT: list[tuple[str, int, int]] = [
    ("two_committees", 3, 9),
    ("resident_council", 3, 19),
]

TOPICS: dict[str, list[str]] = {
    "resident_council": [
        "楼道堆放杂物集中清理",
        "小区电动车集中充电桩选址",
        "广场舞时间与音量约定",
        "楼院绿地改建停车位",
        "加装电梯意见征集",
        "流浪犬只管理办法",
        "小区夜间照明补灯",
    ],
    "property_face_to_face": [
        "物业费收缴与服务公示",
        "雨季排水沟清淤",
        "门禁系统更换",
        "垃圾分类投放点调整",
        "冬季供暖报修响应",
        "地下车库渗水维修",
    ],
    "two_committees": [
        "本月重点工作安排",
        "困难群众临时救助审核",
        "网格员考核结果通报",
        "党群服务中心开放时间调整",
        "志愿服务活动计划",
    ],
    "branch_committee": ["发展党员工作计划", "主题党日活动安排", "党员积分季度评定"],
    "party_congress": ["民主评议党员", "党费收缴情况通报", "“五星”支部创建推进"],
    "resident_reps": ["社区公益金使用方案", "老旧小区改造项目意见", "社区公约修订"],
}
MINUTES_TEXT = (
    "一、会议由{host}主持，应到{eligible}人，实到{present}人。\n"
    "二、审议议题：{topics}。\n"
    "三、与会人员逐项发表意见，会议按议事规则进行表决，表决结果见议程。\n"
    "四、会议要求责任人按议定事项抓好落实，结果在社区公示栏和“连心”居民页公开。"
)
VENUES: list[tuple[str, str]] = [
    ("迎秀广场议事角", "corner"),
    ("口袋公园议事角", "corner"),
    ("1号楼前议事角", "corner"),
    ("老年活动室议事角", "corner"),
    ("北门议事角", "corner"),
    ("书记会客厅", "parlour"),
    ("凉亭议事会", "pavilion"),
    ("社区党群服务中心", "centre"),
]


PROPOSALS: list[tuple[str, str]] = [
    (
        "楼院排水沟堵塞，雨天积水",
        "后院排水沟多年未清，下雨就积水到单元门口，建议组织清淤并加盖板。",
    ),
    ("增设电动车充电车棚", "楼道里充电有火灾隐患，建议在小区北侧空地建一个带充电桩的车棚。"),
    ("小区门口增设减速带", "早晚接送孩子车多车快，建议在门口增设减速带和警示牌。"),
    ("健身器材老化需更换", "广场上的健身器材锈蚀松动，老人孩子用着不安全，建议更换。"),
    ("楼道感应灯维修", "3号楼2单元楼道灯坏了两个月，晚上上下楼看不清。"),
    ("设立共享工具角", "建议在党群服务中心设共享工具箱，邻里借用，平时有人登记管理。"),
    ("垃圾清运时间调整", "清运车早上五点作业噪音大，建议调整到七点以后。"),
    ("楼顶违建清理", "6号楼楼顶有人搭建彩钢房，影响防水和安全，建议依法处理。"),
]
DECLINE_ANSWER = "该事项属于个人产权纠纷，已转网格员上门调解，不列入议事议程。"


@dataclass
class ConsultationSummary:
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


@dataclass
class Place:
    unit: Unit
    grids: list[DemoGrid]
    staff: Actor
    venues: list[Venue] = field(default_factory=list)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _workday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _committee(rng: random.Random, place: Place, password_hash: str, n: int) -> None:
    """Members of the two committees besides the demo accounts (staff on file who do not log
    in to the demo: an unusable password)."""
    from lianxin.demo.names import person_name

    for i in range(n):
        user = User.objects.create(
            username=f"lw{place.unit.code}{i}",
            full_name=person_name(rng, rng.choice("MF")),
            password=password_hash,
        )
        Post.objects.create(user=user, role=Role.VILLAGE_STAFF, unit=place.unit, title="“两委”委员")


def _representatives(rng: random.Random, place: Place, today: dt.date) -> int:
    """One representative per 30-odd households, adults of distinct households."""
    households = [h for g in place.grids for h in g.households]
    if not households:
        return 0
    chosen = rng.sample(households, max(15, len(households) // 35))
    residents: dict[int, Resident] = {}
    cutoff = today.replace(year=today.year - 25)
    for r in Resident.objects.filter(
        household_id__in=[h.pk for h in chosen], is_active=True, birth_date__lte=cutoff
    ).order_by("id"):
        residents.setdefault(r.household_id, r)
    reps = [
        Representative(unit=place.unit, resident=r, term_start=dt.date(today.year - 2, 1, 1))
        for r in residents.values()
    ]
    Representative.objects.bulk_create(reps)
    return len(reps)


def _venues(place: Place, full: bool) -> None:
    rows = VENUES if full else VENUES[5:]
    short = place.unit.display_name.removesuffix("社区")
    place.venues = Venue.objects.bulk_create(
        [Venue(unit=place.unit, name=name.replace("迎秀", short), kind=kind) for name, kind in rows]
    )


def _hold(
    rng: random.Random,
    place: Place,
    mtype: MeetingType,
    day: dt.date,
    hour: int,
    summary: ConsultationSummary,
    *,
    turnout: float,
    topics: list[str] | None = None,
    proposals: list[ResidentProposal] = (),  # type: ignore[assignment]
    matter: Matter | None = None,
    support: tuple[float, float] = (0.55, 0.98),
    title: str = "",
) -> tuple[Meeting, list[AgendaItem]]:
    """One past meeting: announce, open, sign in, vote, close, minutes locked. `turnout` is a
    share of the electorate, or 0 for an open meeting (eight to two dozen come)."""
    staff = place.staff
    start = _at(day, hour)
    if topics is None:
        pool = TOPICS[mtype.code]
        topics = rng.sample(pool, k=min(len(pool), rng.choice((1, 1, 2))))
    venue = rng.choice(place.venues)
    with clock.travel(start - dt.timedelta(days=5)):
        meeting = meetings.meeting_create(
            actor=staff,
            unit=place.unit,
            meeting_type=mtype,
            title=title or f"{day.month}月{mtype.name}",
            starts_at=start,
            venue=venue,
        )
        items = [votes.item_add(actor=staff, meeting=meeting, title=t) for t in topics]
        items += [
            votes.item_add(actor=staff, meeting=meeting, title="", proposal=p) for p in proposals
        ]
        if matter is not None:
            items.append(matters.matter_step_schedule(actor=staff, matter=matter, meeting=meeting))
    with clock.travel(start):
        meeting = meetings.meeting_open(actor=staff, meeting=meeting)
        electors = list(roll.electors(place.unit, mtype.electorate, on=day))
        k = round(len(electors) * turnout) if turnout else rng.randint(8, 24)
        present = rng.sample(electors, k=max(1, min(len(electors), k)))
        for e in present:
            meetings.attendance_record(actor=staff, meeting=meeting, elector_key=e.key)
        summary.add("meeting_attendances", len(present))
        quorum = meetings.meeting_quorum(meeting)
    decided: list[AgendaItem] = []
    for n, item in enumerate(items):
        with clock.travel(start + dt.timedelta(minutes=20 + 25 * n)):
            if not quorum.met:
                votes.item_conclude(
                    actor=staff, item=item, outcome="deferred", note="到会人数不足，下次会议再议"
                )
                continue
            item = votes.item_vote_open(actor=staff, item=item)
            share = rng.uniform(*support)
            for e in present:
                draw = rng.random()
                if draw < share:
                    choice = "yes"
                elif draw < share + 0.6 * (1 - share):
                    choice = "no"
                else:
                    choice = "abstain"
                votes.ballot_record(actor=staff, item=item, elector_key=e.key, choice=choice)
            summary.add("meeting_ballots", len(present))
            decided.append(votes.item_vote_close(actor=staff, item=item, note="会议按规则表决。"))
            summary.add("items_voted")
    end = start + dt.timedelta(hours=1, minutes=30)
    with clock.travel(end):
        meeting = meetings.meeting_close(actor=staff, meeting=meeting)
        minutes.minutes_save(
            actor=staff,
            meeting=meeting,
            body=MINUTES_TEXT.format(
                host=meeting.host_label,
                eligible=quorum.eligible,
                present=quorum.present,
                topics="；".join(i.title for i in items),
            ),
        )
    with clock.travel(end + dt.timedelta(days=1)):
        minutes.minutes_lock(actor=staff, meeting=meeting)
    summary.add("meetings")
    return meeting, decided


# Households earn points for attending (points listens to consultation's attendance signal)
# at the meetings of the last two months; replaying a year of those awards, capped at a few
# points a month, would double the build time for what the points demo already shows.
AWARD_DAYS = 60


@contextlib.contextmanager
def _awards_muted(day: dt.date, today: dt.date) -> Iterator[None]:
    """Meetings older than AWARD_DAYS are held with points' attendance receiver disconnected."""
    from lianxin.consultation.signals import attendance_recorded
    from lianxin.points.receivers import award_meeting_attended

    if (today - day).days <= AWARD_DAYS:
        yield
        return
    uid = "points_award_meeting_attended"
    attendance_recorded.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        attendance_recorded.connect(award_meeting_attended, dispatch_uid=uid)


def _year_of_meetings(
    rng: random.Random,
    place: Place,
    today: dt.date,
    rhythm: list[tuple[str, int, int]],
    summary: ConsultationSummary,
) -> None:
    types = {t.code: t for t in MeetingType.objects.all()}
    # This calendar year's meetings (the points catalog, which pays for attending, is yearly).
    first = today.replace(month=1, day=1)
    plans: list[tuple[dt.date, str, int]] = []
    for code, every, hour in rhythm:
        month = first
        while month < today.replace(day=1):
            day = _workday(month + dt.timedelta(days=rng.randint(4, 20)))
            if day < today - dt.timedelta(days=2):
                plans.append((day, code, hour))
            for _ in range(every):
                month = (month + dt.timedelta(days=32)).replace(day=1)
    for day, code, hour in sorted(plans):
        # Now and then the representatives fall short of the quorum (会议延期再议).
        turnout = rng.uniform(0.7, 0.9) if rng.random() > 0.08 else 0.4
        if code in ("resident_council", "property_face_to_face"):
            turnout = 0.0  # open meetings: whoever comes
        with _awards_muted(day, today):
            _hold(rng, place, types[code], day, hour, summary, turnout=turnout)


def _upcoming(place: Place, today: dt.date, summary: ConsultationSummary) -> None:
    """Two announced meetings in the coming days (the residents' page shows them)."""
    types = {t.code: t for t in MeetingType.objects.all()}
    for offset, code, title in (
        (3, "resident_council", "楼院议事会：雨季排水沟修缮"),
        (9, "property_face_to_face", "物业–居民面对面（月度）"),
    ):
        meetings.meeting_create(
            actor=place.staff,
            unit=place.unit,
            meeting_type=types[code],
            title=title,
            starts_at=_at(_workday(today + dt.timedelta(days=offset)), 19),
            venue=place.venues[0],
        )
        summary.add("meetings_planned")


def heating_vote(
    rng: random.Random, place: Place, today: dt.date, summary: ConsultationSummary
) -> Any:
    """The heating renovation of one compound (000): households vote, 95% of all households
    needed; online links and in-person votes; it passes with a little over 95%."""
    grid = place.grids[0]
    staff = place.staff
    mtype = MeetingType.objects.get(code="property_face_to_face")
    day = _workday(today - dt.timedelta(days=75))
    start = _at(day, 19)
    with clock.travel(start - dt.timedelta(days=7)):
        meeting = meetings.meeting_create(
            actor=staff,
            unit=place.unit,
            meeting_type=mtype,
            place=grid.unit,
            title=f"{grid.unit.display_name}供暖改造居民表决会",
            starts_at=start,
            venue=place.venues[-1],
        )
        item = votes.item_add(
            actor=staff,
            meeting=meeting,
            title="老旧小区集中供暖改造",
            description="改造方案、费用分担与施工安排经群议事会、居民代表会议多次商议后提交全体住户表决。",
            threshold="share",
            threshold_share=Decimal("95"),
            base="eligible",
            allow_online=True,
        )
    with clock.travel(start):
        meeting = meetings.meeting_open(actor=staff, meeting=meeting)
        item = votes.item_vote_open(actor=staff, item=item)
        electors = list(roll.electors(grid.unit, "households", on=day))
        rng.shuffle(electors)
        yes_needed = -(-len(electors) * 96 // 100)
        for n, e in enumerate(electors):
            if n < len(electors) // 3:
                meetings.attendance_record(actor=staff, meeting=meeting, elector_key=e.key)
            choice = "yes" if n < yes_needed else rng.choice(("no", "abstain"))
            if n >= yes_needed and rng.random() < 0.5:
                continue  # some never vote
            votes.ballot_record(actor=staff, item=item, elector_key=e.key, choice=choice)
        summary.add("meeting_ballots", len(electors))
    with clock.travel(start + dt.timedelta(days=2)):
        item = votes.item_vote_close(
            actor=staff, item=item, note="全体住户95%以上同意，启动供暖改造。"
        )
        meetings.meeting_close(actor=staff, meeting=meeting)
        minutes.minutes_save(
            actor=staff,
            meeting=meeting,
            body=(
                f"{grid.unit.display_name}供暖改造表决：应投票{item.eligible_count}户，同意"
                f"{item.yes_count}户，支持率{item.support_rate:.2%}，达到95%的改造条件。"
            ),
        )
        minutes.minutes_lock(actor=staff, meeting=meeting)
    summary.add("meetings")
    return item


def _residents_of(unit: Unit) -> list[Resident]:
    return list(
        Resident.objects.filter(
            household__unit__path__startswith=unit.path,
            household__is_active=True,
            is_active=True,
        )
        .exclude(phone_digest="")
        .order_by("id")
    )


def build_proposals(
    rng: random.Random, place: Place, today: dt.date, summary: ConsultationSummary
) -> list[ResidentProposal]:
    """Residents' proposals over the last three months, each supported by neighbours of its
    grid; the oldest are taken up by a 居民议事会, one is declined with an answer, the rest
    are still collecting support (the residents' page shows them)."""
    made: list[ResidentProposal] = []
    for n, (title, body) in enumerate(PROPOSALS):
        grid = place.grids[n % len(place.grids)]
        neighbours = _residents_of(grid.unit)
        proposer = neighbours[rng.randrange(len(neighbours))]
        at = _at(_workday(today - dt.timedelta(days=95 - n * 11)), 20)
        with clock.travel(at):
            proposal = proposals.proposal_submit(
                resident=proposer, unit=place.unit, title=title, body=body, place=grid.unit
            )
        # The row's creation stamp is the database's clock; the demo dates it back.
        ResidentProposal.objects.filter(pk=proposal.pk).update(created_at=at, updated_at=at)
        supporters = [
            r for r in rng.sample(neighbours, k=min(len(neighbours), 40)) if r.pk != proposer.pk
        ]
        phones: set[str] = {proposer.phone_digest}
        wanted = rng.randint(4, 26)
        for k, resident in enumerate(supporters):
            if proposal.support_count >= wanted:
                break
            if resident.phone_digest in phones:
                continue  # one support per phone (a family shares one)
            phones.add(resident.phone_digest)
            with clock.travel(at + dt.timedelta(hours=3 + k * 5)):
                proposals.proposal_support(proposal=proposal, resident=resident)
            proposal.support_count += 1
        made.append(proposal)
        summary.add("proposals")
    with clock.travel(_at(_workday(today - dt.timedelta(days=50)), 10)):
        proposals.proposal_decline(actor=place.staff, proposal=made[3], answer=DECLINE_ANSWER)
    # The three oldest go to a residents' council six weeks ago and are decided there.
    day = _workday(today - dt.timedelta(days=45))
    council = MeetingType.objects.get(code="resident_council")
    _hold(
        rng,
        place,
        council,
        day,
        19,
        summary,
        turnout=0.0,
        topics=[],
        proposals=[ResidentProposal.objects.get(pk=p.pk) for p in made[:3]],
        support=(0.7, 0.95),
        title=f"{day.month}月居民议事会（居民议题专场）",
    )
    return made


MATTER_TITLE = "迎秀社区老旧小区雨污分流改造资金使用"
MATTER_TEXT = (
    "经排查，社区3个老旧小区雨污合流、排水不畅，居民反映集中。拟使用社区公益金及上级"
    "补助资金实施雨污分流改造，由社区公开比选施工单位，居民代表全程监督。"
)


def build_matter(
    rng: random.Random, place: Place, today: dt.date, summary: ConsultationSummary
) -> Matter:
    """A complete 四议两公开 matter: the four steps at four meetings, the resolution notice
    for five days, then the implementation result."""
    staff = place.staff
    with clock.travel(_at(_workday(today - dt.timedelta(days=160)), 9)):
        matter = matters.matter_create(
            actor=staff,
            unit=place.unit,
            title=MATTER_TITLE,
            description=MATTER_TEXT,
            amount=Decimal("386000"),
        )
    # The row's creation stamp is the database's clock; the demo dates it back.
    Matter.objects.filter(pk=matter.pk).update(
        created_at=matter.events.get().at, updated_at=matter.events.get().at
    )
    types = {t.code: t for t in MeetingType.objects.all()}
    for offset, code in (
        (150, "branch_committee"),
        (140, "two_committees"),
        (128, "party_congress"),
        (118, "resident_reps"),
    ):
        matter.refresh_from_db()
        day = _workday(today - dt.timedelta(days=offset))
        with _awards_muted(day, today):
            _hold(
                rng,
                place,
                types[code],
                day,
                15,
                summary,
                turnout=0.85,
                topics=[],
                matter=matter,
                support=(0.88, 0.97),
            )
    matter.refresh_from_db()
    with clock.travel(_at(_workday(today - dt.timedelta(days=115)), 10)):
        matter = matters.matter_resolution_publish(
            actor=staff,
            matter=matter,
            text=(
                f"经党支部提议、“两委”会议商议、党员大会审议、居民代表会议决议，同意{MATTER_TITLE}，"
                "预算38.6万元，公开比选施工单位，工期三个月。"
            ),
            notice_days=5,
        )
    with clock.travel(_at(_workday(today - dt.timedelta(days=20)), 10)):
        matter = matters.matter_result_publish(
            actor=staff,
            matter=matter,
            text="改造已完工：新建雨水管网1.2公里、污水管网0.9公里，实际支出37.9万元，经居民代表验收合格。",
        )
    summary.add("matters")
    return matter


def build_decisions(
    rng: random.Random,
    place: Place,
    today: dt.date,
    summary: ConsultationSummary,
    *,
    heating: AgendaItem,
    matter: Matter,
) -> None:
    """Decisions with milestones: the heating renovation (under way), the drainage matter
    (done on time), and the items the councils passed recently — one late, one waiting on a
    resident's request still being handled."""
    staff = place.staff
    plans: list[tuple[dict[str, Any], list[tuple[str, int, int]]]] = [
        (
            {
                "item": heating,
                "title": "老旧小区集中供暖改造",
                "summary": "全体住户95%以上同意，实施集中供暖改造，今冬前完成入户。",
                "responsible": "社区居委会、热力公司",
                "project": "老旧小区供暖改造工程",
                "days": (-70, 40),
            },
            [("改造方案公示", -60, 100), ("管网铺设", -10, 100), ("入户安装调试", 30, 40)],
        ),
        (
            {
                "matter": matter,
                "title": "雨污分流改造",
                "summary": "按居民代表会议决议实施雨污分流改造。",
                "responsible": "社区居委会",
                "project": "老旧小区雨污分流改造",
                "days": (-112, -15),
            },
            [("公开比选施工单位", -100, 100), ("管网施工", -40, 100), ("竣工验收", -22, 100)],
        ),
    ]
    passed = list(
        AgendaItem.objects.filter(
            meeting__unit=place.unit,
            status=AgendaItem.Status.PASSED,
            matter__isnull=True,
            proposal__isnull=True,
        )
        .exclude(pk=heating.pk)
        .order_by("-decided_at")[:4]
    )
    for n, item in enumerate(passed):
        decided = item.decided_at.date()
        # The first one is late: due ten days after the meeting, still at 70%; the others have
        # two months.
        due = (decided - today).days + (60 if n else 10)
        plans.append(
            (
                {
                    "item": item,
                    "title": item.title,
                    "summary": f"{item.meeting.title}议定：{item.title}。",
                    "responsible": "社区居委会",
                    "days": ((decided - today).days, due),
                },
                [("制定方案", (decided - today).days + 5, 100), ("组织实施", due, 50 if n else 70)],
            )
        )
    for spec, steps in plans:
        start, due = spec.pop("days")
        with clock.travel(_at(today + dt.timedelta(days=start), 16)):
            decision = decisions.decision_create(
                actor=staff,
                decided_on=today + dt.timedelta(days=start),
                due_on=today + dt.timedelta(days=due),
                **spec,
            )
            milestones = [
                decisions.milestone_add(
                    actor=staff, decision=decision, title=title, due_on=today + dt.timedelta(days=d)
                )
                for title, d, _ in steps
            ]
        for milestone, (_title, d, progress) in zip(milestones, steps, strict=True):
            if not progress:
                continue
            when = min(today + dt.timedelta(days=d - 1), today)
            with clock.travel(_at(max(when, today + dt.timedelta(days=start)), 17)):
                decisions.milestone_progress(
                    actor=staff,
                    milestone=milestone,
                    progress=progress,
                    note="按计划推进" if progress < 100 else "已完成",
                )
        summary.add("decisions")


PLEDGE_ITEMS: list[tuple[str, str]] = [
    ("完成老旧小区雨污分流改造", "争取上级补助资金，年底前完工并公开账目"),
    ("建成“一刻钟便民生活圈”", "引进便民超市、维修点各1处，6月底前运营"),
    ("群众诉求办结率保持95%以上", "落实“接诉即办”，每周通报、每月讲评"),
    ("新增志愿服务队伍2支", "组建“银发”调解队、青年突击队，常态开展服务"),
    ("集体经济增收10%", "盘活闲置门面房，发展物业服务合作社"),
    ("加装电梯不少于3部", "一楼一策征求意见，协调补贴政策"),
]
MIDYEAR_NOTES = {
    "done": "已按承诺完成，相关资料已在公示栏公开。",
    "in_progress": "正在推进，已完成年度计划的一半以上。",
    "not_started": "受资金到位时间影响尚未启动，已协调下半年实施。",
}


def build_pledges(
    rng: random.Random,
    place: Place,
    secretary: Actor,
    evaluator: Actor,
    today: dt.date,
    summary: ConsultationSummary,
) -> None:
    """The secretary's pledges: last year's evaluated at year end; this year's published in
    January, reported on mid-year, and (from November) being evaluated."""
    evaluators = [
        e.key
        for kind in ("representatives", "party_members")
        for e in roll.electors(place.unit, kind, on=today)
    ]
    for year in (today.year - 1, today.year):
        chosen = rng.sample(PLEDGE_ITEMS, k=4)
        with clock.travel(_at(_workday(dt.date(year, 1, 10)), 10)):
            pledge = pledges.pledge_create(
                actor=secretary,
                unit=place.unit,
                year=year,
                items=[
                    pledges.ItemDraft(title=t, measure=m, due_on=dt.date(year, 12, 31))
                    for t, m in chosen
                ],
            )
            pledge = pledges.pledge_publish(actor=secretary, pledge=pledge)
        items = list(pledge.items.order_by("order"))
        stages = [(dt.date(year, 7, 8), "midyear")]
        if year < today.year:
            stages.append((dt.date(year, 11, 3), "yearend"))
        for day, stage in stages:
            for item in items:
                if stage == "yearend":
                    fulfilment = rng.choice(("done", "done", "done", "in_progress"))
                else:
                    fulfilment = rng.choice(("done", "in_progress", "in_progress", "not_started"))
                with clock.travel(_at(_workday(day), 15)):
                    pledges.pledge_report(
                        actor=secretary,
                        item=item,
                        stage=stage,
                        fulfilment=fulfilment,
                        note=MIDYEAR_NOTES[fulfilment],
                    )
        opens = max(pledges.evaluation_opens_on(year), dt.date(year, 11, 10))
        if opens > today:
            summary.add("pledges")
            continue
        with clock.travel(_at(_workday(opens), 9)):
            pledge.refresh_from_db()
            pledge = pledges.pledge_evaluation_open(actor=evaluator, pledge=pledge)
            for key in rng.sample(evaluators, k=min(len(evaluators), rng.randint(18, 30))):
                try:
                    pledges.pledge_score(
                        actor=evaluator,
                        pledge=pledge,
                        elector_key=key,
                        score=rng.choice((95, 90, 90, 88, 85, 85, 80, 75)),
                    )
                except DomainError:
                    continue  # one person in both rosters scores once
        if year < today.year:
            with clock.travel(_at(_workday(dt.date(year, 12, 5)), 9)):
                pledge.refresh_from_db()
                pledges.pledge_evaluation_close(actor=evaluator, pledge=pledge)
        summary.add("pledges")


def secretaries_by_community(grids: list[DemoGrid]) -> dict[int, Actor]:
    """Each community's secretary (the demo's `shuji` in 迎秀, the points demo's elsewhere)."""
    posts = (
        Post.objects.filter(
            role=Role.VILLAGE_SECRETARY, unit_id__in={g.community.pk for g in grids}, is_active=True
        )
        .select_related("user")
        .order_by("id")
    )
    found: dict[int, Actor] = {}
    for post in posts:
        found.setdefault(post.unit_id, Actor.for_user(post.user))
    return found


def meeting_staff(grids: list[DemoGrid], users: dict[str, User]) -> dict[int, Actor]:
    """Who runs each community's meetings: `shequ` in 迎秀, the secretary elsewhere (the
    points demo made one per community)."""
    staff = {grids[0].community.pk: Actor.for_user(users["shequ"])}
    posts = (
        Post.objects.filter(
            role=Role.VILLAGE_SECRETARY, unit_id__in={g.community.pk for g in grids}, is_active=True
        )
        .select_related("user")
        .order_by("id")
    )
    for post in posts:
        staff.setdefault(post.unit_id, Actor.for_user(post.user))
    return staff


def build_consultation(
    rng: random.Random,
    today: dt.date,
    grids: list[DemoGrid],
    *,
    staff_by_community: dict[int, Actor],
    secretaries: dict[int, Actor],
    evaluator: Actor,
) -> ConsultationSummary:
    """The year of consultation; `staff_by_community` maps a community's pk to the account
    that runs its meetings (迎秀: `shequ`)."""
    summary = ConsultationSummary()
    by_unit: dict[int, list[DemoGrid]] = {}
    for g in grids:
        by_unit.setdefault(g.community.pk, []).append(g)
    places = [
        Place(unit=gs[0].community, grids=gs, staff=staff_by_community[pk])
        for pk, gs in by_unit.items()
        if pk in staff_by_community
    ]
    hashed = make_password(None)
    for n, place in enumerate(places):
        full = n == 0
        _venues(place, full)
        _committee(rng, place, hashed, 5 if full else 3)
        summary.add("representatives", _representatives(rng, place, today))
        _year_of_meetings(rng, place, today, RHYTHM_FULL if full else RHYTHM_LIGHT, summary)
        if place.unit.pk in secretaries:
            build_pledges(rng, place, secretaries[place.unit.pk], evaluator, today, summary)
    home = places[0]
    build_proposals(rng, home, today, summary)
    matter = build_matter(rng, home, today, summary)
    heating = heating_vote(rng, home, today, summary)
    build_decisions(rng, home, today, summary, heating=heating, matter=matter)
    _upcoming(home, today, summary)
    summary.add("venues", Venue.objects.count())
    return summary
