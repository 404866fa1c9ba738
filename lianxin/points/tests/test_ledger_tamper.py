"""Tampering with the ledger in raw SQL is found by `ledger_verify` and `lianxin points verify`.

Each test changes rows the way someone with a database shell would (django.db.connection,
bypassing the models), on whichever database the suite runs (SQLite or PostgreSQL), and
checks that the report names the right account, entry and kind — once, not once for every
entry after it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

import pytest
from django.db import connection

from lianxin import cli
from lianxin.audit.guard import audit_maintenance
from lianxin.points.models import Account, PointEntry
from lianxin.points.services import ledger
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

AMOUNTS_A = [5, 3, -2, 10, 4]  # balance 20
AMOUNTS_B = [7, 1]  # balance 8
FORGED_HASH = "f" * 64


@dataclass
class Ledger:
    a: Account
    b: Account

    def entry(self, account: Account, seq: int) -> PointEntry:
        return PointEntry.objects.get(account=account, seq=seq)


@pytest.fixture
def books(world) -> Ledger:  # noqa: ANN001
    a = f.household_account(world.building, head_name="张建国")
    b = f.household_account(world.building, head_name="李秀英")
    for amount in AMOUNTS_A:
        f.credit(a, amount)
    for amount in AMOUNTS_B:
        f.credit(b, amount)
    return Ledger(a=a, b=b)


def sql(statement: str, params: list[object] | None = None) -> None:
    """Run SQL as a database superuser would: with the append-only triggers opened first
    (audit_maintenance), which is what the hash chain is there to catch."""
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def forge(source: PointEntry, *, seq: int, hash_: str, amount: int = 50) -> None:
    """Insert a row modelled on `source` (raw SQL, so both databases store their own way)."""
    sql(
        "INSERT INTO points_pointentry (account_id, seq, kind, amount, balance_after,"
        " occurred_on, booked_at, reason, indicator_revision_id, resident_id, reverses_id,"
        " source_key, booked_by_id, prev_hash, hash)"
        " SELECT account_id, %s, kind, %s, balance_after + %s, occurred_on, booked_at,"
        " '伪造的加分', indicator_revision_id, resident_id, reverses_id, %s, booked_by_id,"
        " hash, %s FROM points_pointentry WHERE id = %s",
        [seq, amount, amount, f"forged:{seq}:{hash_[:8]}", hash_, source.pk],
    )


def kinds(report: ledger.VerifyReport) -> list[tuple[int, int | None, str]]:
    return [(p.account_id, p.seq, p.kind) for p in report.problems]


def run_verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    # A copied context: the command sets the audit context for the rest of its thread.
    code = contextvars.copy_context().run(cli.main, ["points", "verify", *argv])
    return code, capsys.readouterr().out


def test_intact_ledger_passes(books: Ledger, capsys) -> None:  # noqa: ANN001
    report = ledger.ledger_verify()
    assert report.ok, report.problems
    assert (report.accounts, report.entries) == (2, 7)
    code, out = run_verify(capsys)
    assert code == 0
    assert "校验了 2 个账户、7 条流水" in out and "哈希链完整" in out


def test_changed_amount(books: Ledger, capsys) -> None:  # noqa: ANN001
    sql("UPDATE points_pointentry SET amount = 30 WHERE id = %s", [books.entry(books.a, 3).pk])
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 3, "altered")]
    assert "上一条余额 8 加本条分值 30 应为 38，本条记的余额是 6" in report.problems[0].detail
    code, out = run_verify(capsys)
    assert code == 1
    assert f"[被改动] 张建国家 · {world_building(books)}" in out
    assert f"（账户 {books.a.pk}） 第 3 条流水：流水内容与哈希不符（被改动）" in out
    assert "发现 1 处问题（被改动 1 处）" in out


def world_building(books: Ledger) -> str:
    return books.a.label.split(" · ")[1]


def test_changed_reason(books: Ledger) -> None:
    sql(
        "UPDATE points_pointentry SET reason = '改过的事由' WHERE id = %s",
        [books.entry(books.a, 2).pk],
    )
    assert kinds(ledger.ledger_verify()) == [(books.a.pk, 2, "altered")]


def test_changed_date_of_the_last_entry(books: Ledger) -> None:
    sql(
        "UPDATE points_pointentry SET occurred_on = %s WHERE id = %s",
        ["2020-01-01", books.entry(books.b, 2).pk],
    )
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.b.pk, 2, "altered")]
    assert "最后一条" in report.problems[0].detail


def test_entry_moved_to_another_account(books: Ledger, capsys) -> None:  # noqa: ANN001
    moved = books.entry(books.a, 4)
    sql("UPDATE points_pointentry SET account_id = %s WHERE id = %s", [books.b.pk, moved.pk])
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 4, "deleted"), (books.b.pk, 4, "inserted")]
    deleted, inserted = report.problems
    assert f"第 4 条被移到“{books.b.label}”" in deleted.detail
    assert inserted.detail == f"从“{books.a.label}”（账户 {books.a.pk}）第 4 条移来的流水"
    code, out = run_verify(capsys)
    assert code == 1 and "[被删除]" in out and "[被插入]" in out


def test_middle_row_deleted(books: Ledger, capsys) -> None:  # noqa: ANN001
    sql("DELETE FROM points_pointentry WHERE id = %s", [books.entry(books.a, 3).pk])
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 3, "deleted")]
    assert "缺少第 3 条流水" in report.problems[0].detail
    code, out = run_verify(capsys)
    assert code == 1 and "第 3 条流水：缺少第 3 条流水" in out


def test_two_middle_rows_deleted(books: Ledger) -> None:
    ids = [books.entry(books.a, 2).pk, books.entry(books.a, 3).pk]
    sql("DELETE FROM points_pointentry WHERE id IN (%s, %s)", ids)
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 2, "deleted")]
    assert "缺少第 2–3 条流水" in report.problems[0].detail


def test_last_row_deleted(books: Ledger) -> None:
    sql("DELETE FROM points_pointentry WHERE id = %s", [books.entry(books.a, 5).pk])
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 5, "deleted")]
    detail = report.problems[0].detail
    assert "账户记录了 5 条流水，现在只到第 4 条：最后 1 条被删除或移走" in detail
    assert "账户余额 20，现存流水结余 16" in detail


def test_only_row_deleted(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building)
    entry = f.credit(account, 5)
    sql("DELETE FROM points_pointentry WHERE id = %s", [entry.pk])
    assert kinds(ledger.ledger_verify()) == [(account.pk, 1, "deleted")]


def test_forged_row_with_made_up_hash(books: Ledger, capsys) -> None:  # noqa: ANN001
    forge(books.entry(books.a, 5), seq=6, hash_=FORGED_HASH)
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 6, "inserted")]
    assert "多出的流水（账户只记录了 5 条）" in report.problems[0].detail
    code, out = run_verify(capsys)
    assert code == 1 and f"[被插入] {books.a.label}（账户 {books.a.pk}） 第 6 条流水" in out


def test_forged_row_copying_a_neighbours_hash(books: Ledger) -> None:
    last = books.entry(books.a, 5)
    forge(last, seq=6, hash_=last.hash)
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 6, "inserted")]
    assert "抄来的" in report.problems[0].detail


def test_forged_row_with_the_account_updated_to_match(books: Ledger) -> None:
    """A careful forger also moves the account's count, balance and head: the forged row is
    still reported (its hash cannot be made without the key)."""
    forge(books.entry(books.a, 5), seq=6, hash_=FORGED_HASH, amount=50)
    sql(
        "UPDATE points_account SET entry_count = 6, balance = 70, head_hash = %s WHERE id = %s",
        [FORGED_HASH, books.a.pk],
    )
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 6, "altered")]
    assert "也可能是伪造" in report.problems[0].detail


def test_forged_row_inserted_in_the_middle_with_renumbering(books: Ledger) -> None:
    """Rows 3–5 moved up to 4–6 to make room for a forged row 3: one insertion and one run
    of renumbered rows, not a problem per row."""
    source = books.entry(books.a, 2)
    sql(
        "UPDATE points_pointentry SET seq = seq + 1000 WHERE account_id = %s AND seq >= 3",
        [books.a.pk],
    )
    sql(
        "UPDATE points_pointentry SET seq = seq - 999 WHERE account_id = %s AND seq >= 1000",
        [books.a.pk],
    )
    forge(source, seq=3, hash_=FORGED_HASH, amount=0)
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 3, "inserted"), (books.a.pk, 4, "renumbered")]
    assert "原第 3–5 条流水被改成第 4–6 条：其前被插入了流水" in report.problems[1].detail


def test_row_deleted_and_gap_closed_by_renumbering(books: Ledger) -> None:
    sql("DELETE FROM points_pointentry WHERE id = %s", [books.entry(books.a, 2).pk])
    sql(
        "UPDATE points_pointentry SET seq = seq - 1 WHERE account_id = %s AND seq >= 3",
        [books.a.pk],
    )
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 2, "renumbered"), (books.a.pk, 5, "deleted")]
    assert "原第 3–5 条流水被改成第 2–4 条" in report.problems[0].detail


def test_cached_balance_updated(books: Ledger, capsys) -> None:  # noqa: ANN001
    sql("UPDATE points_account SET balance = 999 WHERE id = %s", [books.b.pk])
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.b.pk, None, "balance")]
    assert report.problems[0].detail == "账户余额 999 与流水结余 8 不符（账户余额被改动）"
    code, out = run_verify(capsys)
    assert code == 1 and f"[余额不符] {books.b.label}（账户 {books.b.pk}） 账户记录" in out


def test_cached_count_updated(books: Ledger) -> None:
    sql("UPDATE points_account SET entry_count = 4 WHERE id = %s", [books.a.pk])
    assert kinds(ledger.ledger_verify()) == [(books.a.pk, None, "count")]


def test_cached_head_updated(books: Ledger) -> None:
    sql("UPDATE points_account SET head_hash = %s WHERE id = %s", [FORGED_HASH, books.a.pk])
    assert kinds(ledger.ledger_verify()) == [(books.a.pk, None, "head")]


def test_prev_hash_rewritten(books: Ledger) -> None:
    sql(
        "UPDATE points_pointentry SET prev_hash = %s WHERE id = %s",
        [FORGED_HASH, books.entry(books.a, 4).pk],
    )
    assert kinds(ledger.ledger_verify()) == [(books.a.pk, 4, "altered")]


def test_verify_one_account(books: Ledger, capsys) -> None:  # noqa: ANN001
    sql("UPDATE points_account SET balance = 999 WHERE id = %s", [books.b.pk])
    code, out = run_verify(capsys, "--account", str(books.a.pk))
    assert code == 0 and "校验了 1 个账户、5 条流水" in out
    code, _ = run_verify(capsys, "--account", str(books.b.pk))
    assert code == 1


def test_truncated_chain_with_rolled_back_account_is_caught_by_the_checkpoint(
    books: Ledger,
    capsys,  # noqa: ANN001
) -> None:
    """Cutting the last entry and rolling the account back leaves a consistent chain; the
    ledger's entry count, recorded at the previous full verify, can only grow."""
    assert run_verify(capsys)[0] == 0  # records the checkpoint: 7 entries
    last = books.entry(books.a, 5)
    fourth = books.entry(books.a, 4)
    sql("DELETE FROM points_pointentry WHERE id = %s", [last.pk])
    sql(
        "UPDATE points_account SET entry_count = 4, balance = 16, head_hash = %s WHERE id = %s",
        [fourth.hash, books.a.pk],
    )
    assert ledger.ledger_verify().ok  # the chain alone cannot tell
    code, out = run_verify(capsys)
    assert code == 1
    assert (
        "[被删除] 全账本 账户记录：全部流水 6 条，比" in out and "少了 1 条（流水只增不减）" in out
    )


def test_garbage_in_the_hash_and_time_columns_is_reported_not_a_crash(books: Ledger) -> None:
    sql("UPDATE points_pointentry SET hash = '哈希' WHERE id = %s", [books.entry(books.a, 2).pk])
    sql(
        "UPDATE points_pointentry SET booked_at = %s WHERE id = %s",
        [
            "2026-02-30 25:00:00" if connection.vendor == "sqlite" else "2020-01-01 00:00:00+00",
            books.entry(books.b, 1).pk,
        ],
    )
    report = ledger.ledger_verify()
    assert kinds(report) == [(books.a.pk, 2, "altered"), (books.b.pk, 1, "altered")]
    assert "本条的哈希被改动；内容未变" in report.problems[0].detail
