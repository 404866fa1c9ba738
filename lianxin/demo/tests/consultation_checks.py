"""What the demo's consultation must hold (issue 6 item 8), checked on the one demo build of
test_builder.py: a year of meetings of every type a community holds, locked minutes, the
heating-renovation vote at 95%, a complete 四议两公开 matter with both notices, decisions with
progress, proposals with support, and pledges with mid-year and year-end records — and the
figures other apps read agree with the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count
from django.test import Client
from django.utils import timezone

from lianxin.consultation import figures
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Ballot,
    Decision,
    Matter,
    MatterEvent,
    Meeting,
    Minutes,
    Pledge,
    PledgeReport,
    ProposalSupport,
    ResidentProposal,
)
from lianxin.consultation.services.meetings import meeting_quorum, meeting_types_for
from lianxin.consultation.services.minutes import minutes_intact
from lianxin.demo import builder
from lianxin.territory.models import Unit


def check_consultation_demo(demo: builder.DemoSummary) -> None:
    home = Unit.objects.get(code=builder.COMMUNITY_CODE)
    today = timezone.localdate()

    # Every meeting type a community holds met this year in 迎秀, and every ended meeting's
    # minutes are locked and intact.
    held = set(
        Meeting.objects.filter(unit=home, status=Meeting.Status.CLOSED).values_list(
            "meeting_type__code", flat=True
        )
    )
    assert {t.code for t in meeting_types_for(home)} <= held, held
    closed = Minutes.objects.filter(meeting__status=Meeting.Status.CLOSED)
    assert closed.exists() and not closed.filter(locked_at__isnull=True).exists()
    assert all(minutes_intact(m) for m in closed[:50])
    assert Meeting.objects.filter(unit=home, status=Meeting.Status.PLANNED).count() >= 2

    # No item was decided by vote without its meeting's quorum; the tallies are the ballots.
    voted = AgendaItem.objects.filter(status__in=[wf.PASSED, wf.REJECTED]).select_related(
        "meeting__meeting_type"
    )
    ballots = dict(
        Ballot.objects.values("item_id").annotate(n=Count("id")).values_list("item_id", "n")
    )
    for item in voted:
        assert item.yes_count + item.no_count + item.abstain_count == ballots.get(item.pk, 0)
        quorum = meeting_quorum(item.meeting, present=item.present_count)
        assert quorum.met, item.title

    # The heating renovation: households, 95% of all of them, passed.
    heating = AgendaItem.objects.get(title="老旧小区集中供暖改造")
    assert (heating.status, heating.threshold, heating.base) == ("passed", "share", "eligible")
    assert heating.support_rate is not None and heating.support_rate >= Decimal("0.95")

    # The 四议两公开 matter: four steps passed in order, both notices published.
    matter = Matter.objects.get(unit=home)
    assert matter.status == Matter.Status.COMPLETED
    steps = list(
        MatterEvent.objects.filter(matter=matter, action=MatterEvent.Action.STEP_PASSED)
        .order_by("at")
        .values_list("step", flat=True)
    )
    assert steps == [1, 2, 3, 4]
    assert matter.resolution_published_at and matter.result_published_at
    assert matter.result_published_at.date() > matter.resolution_notice_until

    # Decisions with progress: one done on time, one overdue, one under way.
    decisions = list(Decision.objects.filter(unit=home))
    assert len(decisions) >= 5
    assert any(d.on_time for d in decisions)
    assert any(d.status == "in_progress" and d.due_on < today for d in decisions)
    assert any(d.status == "in_progress" and 0 < d.progress < 100 for d in decisions)

    # Proposals: decided at a meeting, declined with an answer, open with support.
    by_status = {
        s: ResidentProposal.objects.filter(unit=home, status=s)
        for s in ("open", "decided", "declined")
    }
    assert by_status["decided"].count() >= 3 and by_status["declined"].count() == 1
    assert by_status["open"].filter(support_count__gte=4).exists()
    for p in ResidentProposal.objects.filter(unit=home):
        assert p.support_count == ProposalSupport.objects.filter(proposal=p).count()

    # Pledges: last year's evaluated, this year's published and reported mid-year.
    last = Pledge.objects.get(unit=home, year=today.year - 1)
    assert last.stage == Pledge.Stage.EVALUATED and last.average_score is not None
    this = Pledge.objects.get(unit=home, year=today.year)
    assert this.stage != Pledge.Stage.DRAFT
    assert (
        PledgeReport.objects.filter(item__pledge=this, stage="midyear").count()
        == this.items.count()
    )

    # The figures other apps read agree with the rows.
    year_start = dt.date(today.year, 1, 1)
    fig = figures.unit_figures(home, year_start, today)
    held_this_year = Meeting.objects.filter(
        unit=home, status=Meeting.Status.CLOSED, starts_at__date__gte=year_start
    ).count()
    assert fig["meetings"]["held"] == held_this_year
    assert (
        fig["proposals"]["supports"] == ProposalSupport.objects.filter(proposal__unit=home).count()
    )

    # The residents' page shows it all.
    page = Client().get(f"/c/v/{home.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "雨污分流" in text and "供暖" in text
    assert demo.counts["consultation_meetings"] >= 60
