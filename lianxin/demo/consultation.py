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

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Post, User
from lianxin.accounts.permissions import Role
from lianxin.consultation import electorate as roll
from lianxin.consultation.models import MeetingType, Representative, Venue
from lianxin.consultation.services import meetings, minutes, votes
from lianxin.core import clock
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
) -> None:
    """One past meeting: announce, open, sign in, vote, close, minutes locked."""
    staff = place.staff
    start = _at(day, hour)
    topics = rng.sample(TOPICS[mtype.code], k=min(len(TOPICS[mtype.code]), rng.choice((1, 1, 2))))
    venue = rng.choice(place.venues)
    with clock.travel(start - dt.timedelta(days=5)):
        meeting = meetings.meeting_create(
            actor=staff,
            unit=place.unit,
            meeting_type=mtype,
            title=f"{day.month}月{mtype.name}",
            starts_at=start,
            venue=venue,
        )
        items = [votes.item_add(actor=staff, meeting=meeting, title=t) for t in topics]
    with clock.travel(start):
        meeting = meetings.meeting_open(actor=staff, meeting=meeting)
        electors = list(roll.electors(place.unit, mtype.electorate, on=day))
        k = round(len(electors) * turnout) if turnout else rng.randint(12, 35)
        present = rng.sample(electors, k=max(1, min(len(electors), k)))
        for e in present:
            meetings.attendance_record(actor=staff, meeting=meeting, elector_key=e.key)
        summary.add("meeting_attendances", len(present))
        quorum = meetings.meeting_quorum(meeting)
    for n, item in enumerate(items):
        with clock.travel(start + dt.timedelta(minutes=20 + 25 * n)):
            if not quorum.met:
                votes.item_conclude(
                    actor=staff, item=item, outcome="deferred", note="到会人数不足，下次会议再议"
                )
                continue
            item = votes.item_vote_open(actor=staff, item=item)
            support = rng.uniform(0.55, 0.98)
            for e in present:
                roll_ = rng.random()
                choice = (
                    "yes"
                    if roll_ < support
                    else ("no" if roll_ < support + 0.6 * (1 - support) else "abstain")
                )
                votes.ballot_record(actor=staff, item=item, elector_key=e.key, choice=choice)
            summary.add("meeting_ballots", len(present))
            votes.item_vote_close(actor=staff, item=item, note="会议按规则表决。")
            summary.add("items_voted")
    end = start + dt.timedelta(hours=1, minutes=30)
    with clock.travel(end):
        meetings.meeting_close(actor=staff, meeting=meeting)
        minutes.minutes_save(
            actor=staff,
            meeting=meeting,
            body=MINUTES_TEXT.format(
                host=meeting.host_label,
                eligible=quorum.eligible,
                present=quorum.present,
                topics="；".join(topics),
            ),
        )
    with clock.travel(end + dt.timedelta(days=1)):
        minutes.minutes_lock(actor=staff, meeting=meeting)
    summary.add("meetings")


def _year_of_meetings(
    rng: random.Random,
    place: Place,
    today: dt.date,
    rhythm: list[tuple[str, int, int]],
    summary: ConsultationSummary,
) -> None:
    types = {t.code: t for t in MeetingType.objects.all()}
    first = (today.replace(day=1) - dt.timedelta(days=340)).replace(day=1)
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
            turnout = 0.0  # open meetings: a dozen to a few dozen come
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
    home = places[0]
    heating_vote(rng, home, today, summary)
    _upcoming(home, today, summary)
    summary.add("venues", Venue.objects.count())
    return summary
