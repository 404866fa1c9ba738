"""Automatic awards through the real services of the apps that earn them: a request closed,
an errand done, a linkage visit; once per source, within caps, never breaking the event."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from lianxin.cases.models import Case
from lianxin.cases.services import intake, lifecycle
from lianxin.cases.tests.factories import errand, resolved_case
from lianxin.core.testing import make_household, make_resident
from lianxin.party.models import Duty
from lianxin.party.services import linkage_activity_record
from lianxin.party.tests.factories import make_link, make_member, make_org
from lianxin.points.models import Account, AwardRule, PointEntry
from lianxin.points.services import awards, catalogs, ledger
from lianxin.points.services.accounts import account_for_household, account_for_member
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def _reported_case(world: Any, household: Any, resident: Any) -> Case:
    """A request filed for a resident of `household`, taken to resolved."""
    case = intake.case_file(
        actor=world.actor("grid_worker"),
        unit=world.building,
        description="楼道堆放杂物堵塞消防通道，存在安全隐患",
        channel="phone",
        name=resident.name,
        resident_id=resident.pk,
        household_id=household.pk,
    ).case
    lifecycle.case_assign(
        case=case,
        actor=world.actor("village_staff"),
        handler_unit=world.grid,
        assignee_id=world.users["grid_worker"].pk,
    )
    gw = world.actor("grid_worker")
    lifecycle.case_take(case=case, actor=gw)
    lifecycle.case_resolve(case=case, actor=gw, result="已清理杂物，消防通道畅通")
    return case


def _close(world: Any, case: Case) -> None:
    lifecycle.case_follow_up(case=case, actor=world.actor("grid_worker"), satisfaction="satisfied")
    lifecycle.case_close(case=case, actor=world.actor("village_staff"))


@pytest.fixture
def reporter(world):  # noqa: ANN001, ANN201
    household = make_household(world.building, head_name="李秀兰")
    return household, make_resident(household, name="李秀兰")


def test_closed_request_pays_the_reporters_household_once(world, reporter) -> None:  # noqa: ANN001
    household, resident = reporter
    case = _reported_case(world, household, resident)
    assert not PointEntry.objects.exists()  # resolved is not closed yet
    _close(world, case)
    entry = PointEntry.objects.get()
    assert entry.source_key == f"auto:case_closed:{case.public_id}"
    assert entry.amount == 2 and entry.kind == "earn"  # hazard_report: +2
    assert entry.resident_id == resident.pk and entry.booked_by_id is None
    assert entry.indicator_revision.indicator.code == "hazard_report"
    assert case.tracking_no in entry.reason
    account = account_for_household(household)
    assert account.balance == 2 and entry.account_id == account.pk
    # Reopened by an unsatisfied rating, resolved and closed again: still paid once.
    lifecycle.case_rate_by_resident(case=case, satisfaction="unsatisfied", comment="又堆上了")
    case.refresh_from_db()
    assert PointEntry.objects.count() == 1


def test_reopened_and_closed_again_pays_once(world, reporter) -> None:  # noqa: ANN001
    household, resident = reporter
    case = _reported_case(world, household, resident)
    lifecycle.case_follow_up(
        case=case, actor=world.actor("grid_worker"), satisfaction="unsatisfied", comment="没修好"
    )
    gw = world.actor("grid_worker")
    case.refresh_from_db()
    lifecycle.case_resolve(case=case, actor=gw, result="再次清理")
    _close(world, case)
    assert PointEntry.objects.count() == 1
    # The award is idempotent when called again directly with the same source.
    again = awards.award_for(
        source="case_closed",
        subject_account=account_for_household(household),
        source_key=str(case.public_id),
        occurred_on=f.today(),
        reason="重复",
    )
    assert again is None and PointEntry.objects.count() == 1


def test_requests_without_household_guided_or_errands_do_not_pay(world) -> None:  # noqa: ANN001
    case = resolved_case(world)  # a QR submission: no household behind it
    _close(world, case)
    errand(world)  # an errand's beneficiary household does not earn case_closed
    assert not PointEntry.objects.filter(source_key__startswith="auto:case_closed").exists()


def test_switched_off_rule_pays_nothing(world, reporter) -> None:  # noqa: ANN001
    catalogs.award_rule_update(
        actor=world.actor("sysadmin"),
        rule=AwardRule.objects.get(source="case_closed"),
        scheme=AwardRule.objects.get(source="case_closed").scheme,
        indicator_code="hazard_report",
        is_active=False,
    )
    household, resident = reporter
    _close(world, _reported_case(world, household, resident))
    assert not PointEntry.objects.exists()


def test_cap_is_respected_quietly(world, reporter, caplog) -> None:  # noqa: ANN001
    household, resident = reporter
    # hazard_report: 2 points, at most 6 a month; a live proposal already holds 2 of them.
    account = account_for_household(household)
    f.propose(world, account, code="hazard_report")
    cases = [_reported_case(world, household, resident) for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="lianxin.points.services.awards"):
        for case in cases:
            _close(world, case)
    assert PointEntry.objects.filter(account=account).count() == 2
    assert "已达上限" in caplog.text
    for case in cases:
        case.refresh_from_db()
        assert case.status == "closed"  # the request itself went through


def test_a_failing_award_never_breaks_closing(world, reporter, monkeypatch, caplog) -> None:  # noqa: ANN001
    household, resident = reporter
    case = _reported_case(world, household, resident)

    def boom(**kwargs: Any) -> None:
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "entry_append", boom)
    with caplog.at_level(logging.ERROR, logger="lianxin.points.services.awards"):
        _close(world, case)
    case.refresh_from_db()
    assert case.status == "closed" and case.events.filter(action="close").exists()
    assert "自动积分失败" in caplog.text
    assert not PointEntry.objects.exists()


@pytest.fixture
def member(world):  # noqa: ANN001, ANN201
    """A party member of the village's branch who is also the grid worker's account."""
    m = make_member(make_org(world.village), name="王建军")
    m.user = world.users["grid_worker"]
    m.save()
    return m


def test_errand_done_pays_the_member_behind_the_account(world, member) -> None:  # noqa: ANN001
    done = errand(world)
    entry = PointEntry.objects.get()
    assert entry.source_key == f"auto:errand_done:{done.case.public_id}"
    assert entry.account == account_for_member(member)
    assert entry.amount == 2 and "养老金资格认证" in entry.reason
    # Reopened and resolved again: no second payment.
    case = done.case
    case.refresh_from_db()
    lifecycle.case_follow_up(
        case=case, actor=world.actor("grid_worker"), satisfaction="unsatisfied", comment="还没认证"
    )
    case.refresh_from_db()
    lifecycle.case_resolve(case=case, actor=world.actor("grid_worker"), result="已认证")
    assert PointEntry.objects.count() == 1


def test_errand_by_someone_who_is_no_party_member_pays_nothing(world) -> None:  # noqa: ANN001
    errand(world)
    assert not PointEntry.objects.exists()
    assert not Account.objects.exists()


def test_ordinary_resolution_by_a_member_is_no_errand(world, member) -> None:  # noqa: ANN001
    resolved_case(world)
    assert not PointEntry.objects.exists()


def test_linkage_visit_pays_only_when_the_rule_is_on(world, member) -> None:  # noqa: ANN001
    household = make_household(world.building)
    make_link(member, household)
    staff = world.actor("village_staff")
    day = f.today() - dt.timedelta(days=1)
    linkage_activity_record(
        actor=staff, member=member, duty=Duty.VISIT, occurred_on=day, summary="入户走访",
        household=household,
    )  # fmt: skip
    assert not PointEntry.objects.exists()  # off by default
    rule = AwardRule.objects.get(source="linkage_visit")
    catalogs.award_rule_update(
        actor=world.actor("sysadmin"),
        rule=rule,
        scheme=rule.scheme,
        indicator_code="visit",
        is_active=True,
    )
    activity = linkage_activity_record(
        actor=staff, member=member, duty=Duty.VISIT, occurred_on=day, summary="再次走访",
        household=household,
    )  # fmt: skip
    linkage_activity_record(
        actor=staff, member=member, duty=Duty.POLICY, occurred_on=day, summary="宣传医保政策",
        household=household,
    )  # fmt: skip
    entry = PointEntry.objects.get()
    assert entry.source_key == f"auto:linkage_visit:{activity.public_id}"
    assert entry.occurred_on == day and entry.amount == 2
    assert entry.account == account_for_member(member)


def test_award_resident_for_later_apps(world, reporter) -> None:  # noqa: ANN001
    """How consultation will pay attendance: award_resident from its signal's receiver."""
    household, resident = reporter
    entry = awards.award_resident(
        source="meeting_attended",
        resident=resident,
        key="meeting-42",
        occurred_on=f.today(),
        reason="参加十月村民议事会",
    )
    assert entry is not None and entry.amount == 2 and entry.resident_id == resident.pk
    assert entry.source_key == "auto:meeting_attended:meeting-42"
    assert entry.indicator_revision.indicator.code == "consultation"


def test_no_catalog_for_the_year_pays_nothing(world, reporter) -> None:  # noqa: ANN001
    household, resident = reporter
    entry = awards.award_resident(
        source="meeting_attended",
        resident=resident,
        key="meeting-old",
        occurred_on=dt.date(2001, 5, 1),
        reason="很久以前",
    )
    assert entry is None and not PointEntry.objects.exists()


def test_account_of_another_scheme_is_refused(world, member) -> None:  # noqa: ANN001
    entry = awards.award_for(
        source="case_closed",
        subject_account=account_for_member(member),
        source_key="x",
        occurred_on=f.today(),
        reason="错账户",
    )
    assert entry is None


def test_household_move_moves_its_accounts(world, reporter) -> None:  # noqa: ANN001
    household, _ = reporter
    account = account_for_household(household)
    household.unit = world.sibling_building
    household.save()
    account.refresh_from_db()
    assert account.unit == world.sibling_building and account.grid == world.sibling_grid
