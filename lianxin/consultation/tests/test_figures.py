"""Consultation figures against a hand-built table, per child unit, in a fixed number of
queries; and the staff figures page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.consultation import electorate
from lianxin.consultation.figures import unit_figures
from lianxin.consultation.models import Decision, Pledge, PledgeItem
from lianxin.consultation.services import meetings, votes
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests.test_proposals import neighbour
from lianxin.core import clock
from lianxin.core.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def period() -> tuple[dt.date, dt.date]:
    today = _today()
    return today - dt.timedelta(days=10), today + dt.timedelta(days=10)


def held(world: Any, unit: Any, code: str, attendees: int, by: str, **kw: Any) -> Any:
    """An open meeting of `unit` with the first `attendees` electors signed in."""
    actor = world.actor(by)
    m = meetings.meeting_create(
        actor=actor,
        unit=unit,
        meeting_type=f.meeting_type(code),
        title=kw.pop("title", "议事会"),
        starts_at=clock.now(),
    )
    m = meetings.meeting_open(actor=actor, meeting=m)
    rows = electorate.electors(unit, m.meeting_type.electorate, on=_today())
    for e, _ in zip(rows, range(attendees), strict=False):
        meetings.attendance_record(actor=actor, meeting=m, elector_key=e.key)
    return m


def vote(world: Any, m: Any, yes: int, title: str) -> Any:
    staff = world.actor("village_staff")
    item = f.voting_item(world, m, title=title)
    for a in list(m.attendances.all())[:yes]:
        votes.ballot_record(actor=staff, item=item, elector_key=a.elector_key, choice="yes")
    return votes.item_vote_close(actor=staff, item=item)


def decision(world: Any, *, decided: int, due: int, done: int | None = None, **kw: Any) -> Any:
    today = _today()
    return Decision.objects.create(
        unit=kw.pop("unit", world.village),
        title="落实事项",
        summary="修路",
        responsible="村委会",
        decided_on=today + dt.timedelta(days=decided),
        due_on=today + dt.timedelta(days=due),
        done_on=None if done is None else today + dt.timedelta(days=done),
        status=Decision.Status.DONE if done is not None else kw.pop("status", "in_progress"),
        progress=100 if done is not None else 30,
    )


def pledge(unit: Any, year: int, stage: str, fulfilments: list[str]) -> Pledge:
    p = Pledge.objects.create(unit=unit, year=year, secretary_name="王书记")
    for i, state in enumerate(fulfilments, 1):
        PledgeItem.objects.create(pledge=p, order=i, title=f"承诺{i}", fulfilment=state)
    Pledge.objects.filter(pk=p.pk).update(stage=stage)
    return p


def build(world: Any) -> None:
    """The fixture the table below counts (see each comment)."""
    staff = world.actor("village_staff")
    f.representatives(world.village, 9)
    # Village, meeting A: 6 of 9 representatives (quorum 5 reached); B: 3 of 9 (not reached).
    a = held(world, world.village, "resident_reps", 6, "village_staff", title="A")
    vote(world, a, 5, "passed 5/6")  # 0.8333
    vote(world, a, 2, "rejected 2/6")  # 0.3333
    p5 = svc.proposal_submit(
        resident=neighbour(world.building, "周五"), unit=world.village, title="上会议题", body="x"
    )
    item = votes.item_add(actor=staff, meeting=a, title=p5.title, proposal=p5)
    votes.item_conclude(actor=staff, item=item, outcome="discussed", note="已议")
    meetings.meeting_close(actor=staff, meeting=a)
    b = held(world, world.village, "resident_reps", 3, "village_staff", title="B")
    meetings.meeting_close(actor=staff, meeting=b)
    # Not held: planned, cancelled, still open.
    f.meeting(world, title="planned")
    meetings.meeting_cancel(actor=staff, meeting=f.meeting(world, title="c"), reason="下雨")
    # The other village: E, a households' meeting, 7 of 7 (reached).
    f.households(world.other_village, 7)
    e = held(world, world.other_village, "resident_council", 7, "other_village_staff")
    meetings.meeting_close(actor=world.actor("other_village_staff"), meeting=e)

    # Decisions: made in the period 3, done 2 (1 on time), 1 overdue, 1 cancelled (ignored).
    decision(world, decided=-2, due=30)
    decision(world, decided=-5, due=-3, done=-1)
    decision(world, decided=-5, due=0, done=-1)
    decision(world, decided=-100, due=-50)
    decision(world, decided=-3, due=5, status="cancelled")

    # Pledges: this year's in the village (reported, 2 of 3 done); a draft and a past year's.
    year = _today().year
    pledge(world.village, year, "reported", ["done", "done", "in_progress"])
    pledge(world.other_village, year, "draft", ["done", "done"])
    pledge(world.village, year - 1, "evaluated", ["done"])

    # Proposals: village open (2 supports), declined, withdrawn, and p5 decided above;
    # the other village: open with 1 support.
    p1 = svc.proposal_submit(
        resident=neighbour(world.building, "张一"), unit=world.village, title="p1", body="x"
    )
    for name in ("赵二", "钱三"):
        svc.proposal_support(proposal=p1, resident=neighbour(world.sibling_building, name))
    p2 = svc.proposal_submit(
        resident=neighbour(world.building, "孙四"), unit=world.village, title="p2", body="x"
    )
    svc.proposal_decline(actor=staff, proposal=p2, answer="不予采纳")
    who = neighbour(world.building, "李六")
    p3 = svc.proposal_submit(resident=who, unit=world.village, title="p3", body="x")
    svc.proposal_withdraw(proposal=p3, resident=who)
    p4 = svc.proposal_submit(
        resident=neighbour(world.other_village, "吴七"),
        unit=world.other_village,
        title="p4",
        body="x",
    )
    svc.proposal_support(proposal=p4, resident=neighbour(world.other_village, "郑八"))


def test_figures_match_the_hand_built_table(world) -> None:  # noqa: ANN001
    build(world)
    date_from, date_to = period()
    got = unit_figures(world.county, date_from, date_to, by_child=True)
    assert got["meetings"]["held"] == 3
    assert got["meetings"]["quorum_reached"] == 2
    assert got["meetings"]["quorum_share"] == Decimal("0.6667")
    by_type = got["meetings"]["by_type"]
    assert by_type["resident_reps"]["held"] == 2
    assert by_type["resident_reps"]["quorum_reached"] == 1
    assert by_type["resident_council"] == {
        "name": by_type["resident_council"]["name"],
        "held": 1,
        "quorum_reached": 1,
    }
    assert got["items"] == {"decided": 3, "passed": 1, "rejected": 1, "discussed": 1}
    assert got["votes"] == {"held": 2, "average_support_rate": Decimal("0.5833")}
    assert got["decisions"] == {
        "made": 3,
        "done": 2,
        "done_on_time": 1,
        "overdue_open": 1,
        "on_time_share": Decimal("0.5000"),
    }
    pledges = got["pledges"]
    assert (pledges["published"], pledges["reported"], pledges["evaluated"]) == (1, 1, 0)
    assert (pledges["items"], pledges["items_done"]) == (3, 2)
    assert pledges["items_done_share"] == Decimal("0.6667")
    assert got["proposals"] == {
        "submitted": 5,
        "open": 2,
        "scheduled": 1,
        "decided": 1,
        "declined": 1,
        "withdrawn": 1,
        "supports": 3,
    }
    # Per child: the two streets.
    rows = {c["code"]: c for c in got["children"]}
    assert set(rows) == {world.street.code, world.other_street.code}
    mine, other = rows[world.street.code], rows[world.other_street.code]
    assert (mine["meetings"]["held"], other["meetings"]["held"]) == (2, 1)
    assert (mine["proposals"]["submitted"], other["proposals"]["submitted"]) == (4, 1)
    assert (mine["proposals"]["supports"], other["proposals"]["supports"]) == (2, 1)
    assert other["items"]["decided"] == 0 and mine["decisions"]["made"] == 3
    # A village's own figures equal its street's row; the period bounds hold.
    village = unit_figures(world.village, date_from, date_to)
    assert village["meetings"] == mine["meetings"]
    assert village["proposals"] == mine["proposals"]
    later = unit_figures(
        world.county, date_to + dt.timedelta(days=1), date_to + dt.timedelta(days=30)
    )
    assert later["meetings"]["held"] == 0 and later["proposals"]["submitted"] == 0
    # Decisions made 100 days ago are still overdue in a later period.
    assert later["decisions"]["overdue_open"] == 1


def test_query_count_does_not_depend_on_size(world) -> None:  # noqa: ANN001
    date_from, date_to = period()
    with CaptureQueriesContext(connection) as empty:
        unit_figures(world.county, date_from, date_to, by_child=True)
    build(world)
    with CaptureQueriesContext(connection) as full:
        unit_figures(world.county, date_from, date_to, by_child=True)
    assert len(full.captured_queries) == len(empty.captured_queries) <= 10


def test_figures_page_scoped_to_the_actor(world) -> None:  # noqa: ANN001
    build(world)
    url = reverse("consultation:figures")
    date_from, date_to = period()
    query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    html = world.client("org_department").get(url, query).content.decode()
    assert world.street.display_name in html and world.other_street.display_name in html
    client = world.client("street_staff")
    assert client.get(url, {**query, "unit": world.other_village.code}).status_code == 404
    response = client.get(url, {**query, "unit": world.village.code})
    assert response.status_code == 200
    bad = client.get(url, {"date_from": date_to.isoformat(), "date_to": date_from.isoformat()})
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
