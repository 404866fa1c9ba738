"""What the demo's five-star creation and work lists must hold (docs/demo.md), checked on the
one demo build of test_builder.py: every village-level unit of 孟州市 planned (迎秀 left for
the browser story), declarations in every state whose status, round and version are what their
review steps lead to, awards only for awarded declarations, last year's star shares like the
seeds', notices holding their declarations, scores within the standards' maxima, key-work lists
of at most six open items, and the marker's counts agreeing with the rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from lianxin.demo import builder
from lianxin.demo.stars import FULL_DAYS, HOME_CODE, HOME_STAR
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    Assessment,
    Contest,
    ContestEntry,
    ContestScore,
    CreationPlan,
    CreationSettings,
    Declaration,
    DeclarationEntry,
    IncomeLine,
    IncomeStatement,
    PlanStar,
    PublicNotice,
    ReviewStep,
    StandardScore,
    StarAward,
    TaskForce,
    WeakBranch,
)
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wl
from lianxin.worklists.models import (
    DemandProject,
    KeyWorkItem,
    ProjectUpdate,
    Rectification,
    SurveyAnswer,
    TrainingAttendance,
)


def check_stars_demo(demo: builder.DemoSummary, today: dt.date | None = None) -> None:
    counts = demo.counts
    today = today or timezone.localdate()
    year = today.year
    county = Unit.objects.get(code=builder.COUNTY_CODE)
    home = Unit.objects.get(code=HOME_CODE)
    villages = set(
        Unit.objects.filter(path__startswith=county.path, kind=UnitKind.VILLAGE).values_list(
            "pk", flat=True
        )
    )
    assert len(villages) == 289

    # Every village and community has this year's plan but 迎秀, which the story drafts.
    planned = set(CreationPlan.objects.filter(year=year).values_list("unit_id", flat=True))
    assert planned | {home.pk} == villages and home.pk not in planned
    # 迎秀's one declaration this year is its star already awarded (when the year is far
    # enough on for a notice to have ended); the story declares the others.
    home_declarations = list(Declaration.objects.filter(unit=home, year=year))
    assert all(
        d.status == wf.AWARDED and d.star is not None and d.star.code == HOME_STAR
        for d in home_declarations
    )
    assert len(home_declarations) <= 1
    plans = CreationPlan.objects.filter(year=year)
    if (today - dt.date(year, 1, 1)).days >= 10:
        assert plans.filter(status=CreationPlan.Status.CONFIRMED).count() > 0.8 * len(planned)
    targets = dict(
        PlanStar.objects.filter(plan__year=year, is_target=True)
        .values("plan_id")
        .annotate(n=Count("id"))
        .values_list("plan_id", "n")
    )
    assert all(targets.get(p.pk, 0) == p.target_level for p in plans)

    # Last year: levels like the seeds' (≥3 stars about 70%, a five-star branch in most
    # townships, 迎秀 at four), and the counts in the marker are the awards' levels.
    held = StarAward.objects.filter(year=year - 1, kind="star", withdrawn_on__isnull=True)
    per_unit = Counter(held.values_list("unit_id", flat=True))
    levels = Counter(wf.level_of(per_unit.get(pk, 0)) for pk in villages)
    assert 0.6 <= sum(n for lvl, n in levels.items() if lvl >= 3) / 289 <= 0.85, levels
    assert 5 <= levels[5] <= 15 and per_unit[home.pk] == 4, levels
    for lvl in range(6):
        assert counts.get(f"stars_last_year_level_{lvl}", 0) == levels[lvl], lvl
    # The figures other apps read agree with these rows.
    from lianxin.stars.figures import unit_figures

    figures = unit_figures(county, year - 1)
    assert figures["branches"] == 289
    assert figures["share_3plus"] == (
        Decimal(sum(n for lvl, n in levels.items() if lvl >= 3)) / 289
    ).quantize(wf.SHARE)
    assert {r["level"]: r["achieved"] for r in figures["levels"]} == {
        lvl: levels[lvl] for lvl in range(6)
    }
    assert sum(c["branches"] for c in figures["children"]) == 289
    this_year = unit_figures(county, year)
    assert (
        this_year["declarations"]["total"]
        == Declaration.objects.filter(year=year, unit__path__startswith=county.path).count()
    )
    progress = StarAward.objects.filter(year=year - 1, kind="progress")
    assert progress.exists()
    assert not progress.exclude(amount=Decimal(50000)).exists()

    # Declarations: this year's in every state (the late states once the year leaves room
    # for a notice); each one's status, round and version are what its steps lead to.
    states = set(Declaration.objects.filter(year=year).values_list("status", flat=True))
    days = (today - dt.date(year, 1, 1)).days
    wanted = {wf.DRAFT}  # on the first two days of the year nothing has been submitted yet
    if days >= FULL_DAYS:
        wanted = set(Declaration.Status.values)
    elif days >= 2:
        wanted = {wf.DRAFT, wf.SUBMITTED}
    assert wanted <= states, wanted - states
    steps: dict[int, list[tuple[int, str, str, str, int]]] = defaultdict(list)
    for row in ReviewStep.objects.order_by("at", "id").values_list(
        "declaration_id", "round", "from_status", "to_status", "action", "at"
    ):
        assert timezone.localtime(row[5]).date() <= today  # nothing after the build day
        steps[row[0]].append((row[1], row[2], row[3], row[4], row[5].year))
    for pk, status, rnd, version, y in Declaration.objects.values_list(
        "pk", "status", "round", "version", "year"
    ):
        history = steps.get(pk, [])
        state, expected_round = wf.DRAFT, 1
        for step_round, src, dst, action, at_year in history:
            assert src == state and step_round == expected_round, (pk, history)
            assert at_year == y, (pk, history)
            state = dst
            if action == "returned":
                expected_round += 1
        assert (state, expected_round, 1 + len(history)) == (status, rnd, version), pk
    assert counts["stars_review_steps"] == ReviewStep.objects.count()
    assert counts["stars_declarations"] == Declaration.objects.count()

    # Awards only for awarded (held) or withdrawn declarations; no live duplicates.
    for status, withdrawn in StarAward.objects.values_list("declaration__status", "withdrawn_on"):
        assert status == (wf.WITHDRAWN if withdrawn else wf.AWARDED)
    assert (
        StarAward.objects.count()
        == Declaration.objects.filter(status__in=[wf.AWARDED, wf.WITHDRAWN]).count()
    )
    live = (
        Declaration.objects.filter(status__in=wf.LIVE, kind="star")
        .values("unit_id", "year", "star_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not live.exists()

    # Notices: every NOTICE declaration in an open notice running today; awarded ones in a
    # closed notice that ended before the award.
    notice = Declaration.objects.filter(status=wf.NOTICE)
    assert not notice.exclude(
        notice__status=PublicNotice.Status.OPEN,
        notice__starts_on__lte=today,
        notice__ends_on__gte=today,
    ).exists()
    assert not StarAward.objects.exclude(
        declaration__notice__status=PublicNotice.Status.CLOSED,
        declaration__notice__ends_on__lt=F("awarded_on"),
    ).exists()
    assert not Declaration.objects.filter(
        status__in=[wf.DRAFT, wf.SUBMITTED, wf.RETURNED, wf.TOWNSHIP_PASSED, wf.APPROVED],
        notice__isnull=False,
    ).exists()

    # Scores within the standards' maxima; evidence for every submitted round.
    assert not StandardScore.objects.filter(score__gt=F("standard__max_score")).exists()
    assert not DeclarationEntry.objects.filter(self_score__gt=F("standard__max_score")).exists()
    assert not DeclarationEntry.objects.filter(
        standard__kind=wf.EVIDENCE, evidence_name="", round__lt=F("declaration__round")
    ).exists()
    assert not DeclarationEntry.objects.filter(
        standard__kind=wf.EVIDENCE,
        evidence_name="",
        declaration__status__in=[wf.SUBMITTED, wf.TOWNSHIP_PASSED, wf.APPROVED, wf.NOTICE],
    ).exists()

    # Collective income: lines add up, one correction, some villages meet the reward rule.
    sums = dict(
        IncomeLine.objects.values("statement_id")
        .annotate(s=Sum("amount"))
        .values_list("statement_id", "s")
    )
    for pk, total in IncomeStatement.objects.values_list("pk", "total"):
        assert sums.get(pk, Decimal(0)) == total, pk
    assert IncomeStatement.objects.filter(revision=2).count() == 1
    settings = CreationSettings.objects.get(county=county, year=year)
    current: dict[tuple[int, int], Decimal] = {}
    for unit_id, y, total in IncomeStatement.objects.order_by("revision").values_list(
        "unit_id", "year", "total"
    ):
        current[(unit_id, y)] = total
    eligible = sum(
        wf.reward_for(
            income=current[(pk, year)],
            previous=current.get((pk, year - 1)),
            min_income=settings.reward_min_income,
            min_growth=settings.reward_min_growth,
            share=settings.reward_share,
        ).eligible
        for pk in villages
    )
    assert 5 <= eligible <= 200, eligible

    # Contests: the ideas round's heats hold every village, 3–5 judges per entry.
    heats = ContestEntry.objects.filter(contest__year=year, contest__round=wf.ROUND_IDEAS)
    assert heats.filter(contest__is_final=False).count() == 289
    judged = Counter(
        ContestScore.objects.filter(entry__contest__year=year).values_list("entry_id", flat=True)
    )
    assert all(3 <= n <= 5 for n in judged.values())
    if Contest.objects.filter(year=year, status=Contest.Status.CLOSED).exists():
        assert judged and Contest.objects.filter(year=year, is_final=True).exists()
        assert heats.filter(advanced=True).count() >= 11 * settings.contest_advance

    # Assessments, task forces, weak branches.
    assert TaskForce.objects.filter(county=county).count() == 10
    kinds = set(Assessment.objects.values_list("subject_kind", flat=True))
    assert kinds == {
        wf.SUBJECT_TASK_FORCE,
        wf.SUBJECT_TOWNSHIP_SECRETARY,
        wf.SUBJECT_VILLAGE_SECRETARY,
        wf.SUBJECT_STAR_LEADER,
    }
    assert not Assessment.objects.filter(Q(total__gt=100) | Q(total__lt=0)).exists()
    assert 8 <= WeakBranch.objects.filter(year=year).count() <= 12

    # Key-work lists: never more than six open items, each slot once.
    open_items = KeyWorkItem.objects.filter(status=KeyWorkItem.Status.OPEN)
    per_list = Counter(open_items.values_list("list_key", "month"))
    assert per_list and max(per_list.values()) <= wl.KEYWORK_MAX
    this_month = Counter(
        open_items.filter(month=wl.month_key(today)).values_list("list_key", flat=True)
    )
    assert min(this_month.values()) >= wl.KEYWORK_NUDGE_BELOW
    assert sum(this_month.values()) == counts["worklists_keywork_open_this_month"]
    assert open_items.values("list_key", "month", "slot").distinct().count() == sum(
        per_list.values()
    )

    # Projects in every state, their money following the updates; training and inspections.
    assert set(DemandProject.objects.values_list("status", flat=True)) == set(
        DemandProject.Status.values
    )
    spent = dict(
        ProjectUpdate.objects.filter(action="spend")
        .values("project_id")
        .annotate(s=Sum("amount"))
        .values_list("project_id", "s")
    )
    for pk, funds_spent, allocated in DemandProject.objects.values_list(
        "pk", "funds_spent", "funds_allocated"
    ):
        assert spent.get(pk, Decimal(0)) == funds_spent <= allocated, pk
    assert SurveyAnswer.objects.exists() and TrainingAttendance.objects.exists()
    assert set(Rectification.objects.values_list("status", flat=True)) == set(
        Rectification.Status.values
    )
    overdue = Rectification.objects.filter(status__in=wl.RECTIFICATION_OPEN, deadline__lt=today)
    assert overdue.count() == counts["worklists_rectifications_overdue"] > 0
