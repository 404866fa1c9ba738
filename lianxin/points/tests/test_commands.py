"""`lianxin points verify | book-due | recompute` and the periodic tasks behind them.

The command runs in-process through `lianxin.cli.main` against the suite's database (SQLite
or PostgreSQL). Tampering cases of `verify` are in test_ledger_tamper.py; `recompute` is
tested here only for its own part (periods, errors): the standings service is stubbed.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from lianxin import cli
from lianxin.audit.guard import audit_maintenance
from lianxin.audit.models import AuditEvent
from lianxin.core import clock
from lianxin.points import commands, tasks
from lianxin.points.models import Proposal
from lianxin.points.services import ledger, standings
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def lianxin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # A copied context: the command sets the audit context for the rest of its thread.
    code = contextvars.copy_context().run(cli.main, ["points", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def account(world):  # noqa: ANN001, ANN201
    return f.household_account(world.building)


# --- verify ----------------------------------------------------------------------------------


def test_verify_empty_ledger(world, capsys) -> None:  # noqa: ANN001
    code, out, _ = lianxin(capsys, "verify")
    assert code == 0
    assert "校验了 0 个账户、0 条流水" in out


def test_verify_records_a_checkpoint_in_the_audit_trail(account, capsys) -> None:  # noqa: ANN001
    f.credit(account, 5)
    f.credit(account, 2)
    code, out, _ = lianxin(capsys, "verify")
    assert code == 0 and "哈希链完整，账户余额与流水一致" in out
    event = AuditEvent.objects.get(object_type=ledger.CHECKPOINT_TYPE)
    assert event.channel == "cli"
    assert event.object_repr == "积分账本校验：通过"
    assert event.changes["entries"] == 2 and event.changes["problems"] == 0
    # A partial run (--account) is no checkpoint.
    assert lianxin(capsys, "verify", "--account", str(account.pk))[0] == 0
    assert AuditEvent.objects.filter(object_type=ledger.CHECKPOINT_TYPE).count() == 1


def test_verify_lists_at_most_max_lines(world, capsys, monkeypatch) -> None:  # noqa: ANN001
    for i in range(3):
        acc = f.household_account(world.building, head_name=f"住户{i}")
        f.credit(acc, 5)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE points_account SET balance = balance + 1")
    monkeypatch.setattr(commands, "MAX_LINES", 2)
    code, out, _ = lianxin(capsys, "verify")
    assert code == 1
    assert out.count("[余额不符]") == 2
    assert "……另有 1 处问题未列出" in out
    assert "发现 3 处问题（余额不符 3 处）" in out


def test_verify_subcommand_parses_accounts() -> None:
    args = cli.build_parser().parse_args(["points", "verify", "--account", "3", "--account", "9"])
    assert args.account == [3, 9]


# --- book-due --------------------------------------------------------------------------------


def test_book_due_books_proposals_whose_notice_is_over(world, account, capsys) -> None:  # noqa: ANN001
    p = f.approved(world, account)
    code, out, _ = lianxin(capsys, "book-due")
    assert (code, out.strip()) == (0, "已入账 0 条公示期满且无异议的积分申报")
    with clock.travel(p.notice_until + dt.timedelta(minutes=1)):
        code, out, _ = lianxin(capsys, "book-due")
    assert (code, out.strip()) == (0, "已入账 1 条公示期满且无异议的积分申报")
    p.refresh_from_db()
    account.refresh_from_db()
    assert p.status == Proposal.Status.BOOKED and account.balance == p.points
    assert lianxin(capsys, "verify")[0] == 0


# --- recompute (standings stubbed) -----------------------------------------------------------


@pytest.fixture
def recomputed(monkeypatch) -> list[str]:  # noqa: ANN001
    calls: list[str] = []

    def fake(*, period: str) -> int:
        calls.append(period)
        return 7

    monkeypatch.setattr(standings, "standings_recompute", fake)
    return calls


def test_recompute_defaults_to_this_month_and_year(recomputed, capsys) -> None:  # noqa: ANN001
    with clock.travel(dt.datetime(2026, 11, 30, 23, 30, tzinfo=SH)):
        code, out, _ = lianxin(capsys, "recompute")
    assert code == 0 and recomputed == ["2026-11", "2026"]
    assert "已重算 2026-11 的积分与排名：7 个积分对象" in out


def test_recompute_given_periods(recomputed, capsys) -> None:  # noqa: ANN001
    code, _, _ = lianxin(capsys, "recompute", "--period", "2025", "--period", "2025-12")
    assert code == 0 and recomputed == ["2025", "2025-12"]


@pytest.mark.parametrize("period", ["2026-13", "26-11", "2026/11", "2026-1"])
def test_recompute_refuses_a_malformed_period(recomputed, capsys, period: str) -> None:  # noqa: ANN001
    code, out, err = lianxin(capsys, "recompute", "--period", "2026", "--period", period)
    assert code == 2 and out == ""
    assert f"期间“{period}”格式不对" in err
    assert recomputed == []  # nothing half-done


# --- periodic tasks --------------------------------------------------------------------------


def test_book_due_task(world, account) -> None:  # noqa: ANN001
    p = f.approved(world, account)
    assert tasks.points_book_due_task.call_local() == 0
    with clock.travel(p.notice_until + dt.timedelta(seconds=1)):
        assert tasks.points_book_due_task.call_local() == 1


def test_verify_task_records_the_count_and_logs_an_error_when_broken(account, caplog) -> None:  # noqa: ANN001
    f.credit(account, 5)
    assert tasks.points_ledger_verify_task.call_local() == 0
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE points_pointentry SET reason = '改' WHERE account_id = %s", [account.pk]
        )
    with caplog.at_level(logging.ERROR, logger="lianxin.points.tasks"):
        assert tasks.points_ledger_verify_task.call_local() == 1
    assert "points ledger verification FAILED" in caplog.text
    assert "第 1 条流水：流水内容与哈希不符" in caplog.text
    events = AuditEvent.objects.filter(object_type=ledger.CHECKPOINT_TYPE).order_by("id")
    assert [e.changes["problems"] for e in events] == [0, 1]
    assert events.last().changes["kinds"] == {"altered": 1}


@pytest.mark.parametrize(
    ("today", "periods"),
    [
        (dt.date(2026, 3, 14), ["2026-03", "2026"]),
        (dt.date(2026, 3, 1), ["2026-02", "2026", "2026-03"]),
        (dt.date(2026, 3, 8), ["2026-03", "2026"]),
        (dt.date(2026, 3, 7), ["2026-02", "2026", "2026-03"]),
        (dt.date(2026, 1, 1), ["2025-12", "2025", "2026-01", "2026"]),
    ],
)
def test_nightly_recompute_periods_close_the_month_that_ended(today, periods) -> None:  # noqa: ANN001
    assert tasks.recompute_periods(today) == periods


def test_nightly_recompute_task(recomputed) -> None:  # noqa: ANN001
    # 01:30 on 1 March, Shanghai time: February gets its last day counted.
    with clock.travel(dt.datetime(2026, 3, 1, 1, 30, tzinfo=SH)):
        assert tasks.points_standings_recompute_task.call_local() == ["2026-02", "2026", "2026-03"]
    assert recomputed == ["2026-02", "2026", "2026-03"]


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (
            dt.datetime(2026, 3, 1, 17, 30),
            {"points_book_due_task", "points_standings_recompute_task"},
        ),
        (dt.datetime(2026, 3, 1, 19, 30), {"points_book_due_task", "points_ledger_verify_task"}),
        (dt.datetime(2026, 3, 1, 19, 40), {"points_book_due_task"}),
        (dt.datetime(2026, 3, 1, 19, 45), set()),
    ],
)
def test_periodic_schedule_in_project_time(utc: dt.datetime, expected: set[str]) -> None:
    """01:30 and 03:30 Shanghai time are 17:30 and 19:30 UTC (Huey compares in UTC)."""
    from huey.contrib.djhuey import HUEY

    due = {t.name.rsplit(".", 1)[-1] for t in HUEY.read_periodic(utc)}
    assert {n for n in due if n.startswith("points_")} == expected


@pytest.mark.django_db
def test_catalog_roll_over_task_copies_the_coming_year_once() -> None:
    from lianxin.core import clock
    from lianxin.points.models import Catalog

    year = f.today().year
    coming = year + 1
    Catalog.objects.filter(year=coming).delete()  # a fresh deployment has only this year
    at = dt.datetime(year, 12, 20, 2, tzinfo=dt.UTC)
    with clock.travel(at):
        first = tasks.points_catalogs_roll_over_task.call_local()
        again = tasks.points_catalogs_roll_over_task.call_local()
    assert first == Catalog.objects.filter(year=coming, unit__isnull=True).count() > 0
    assert again == 0
