"""The ledger: append-only, corrections by reversal, one payment per source, O(1) balances,
keys that can be rotated. Tampering in SQL is in test_ledger_tamper.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from lianxin.core.errors import DomainError
from lianxin.points.models import EntryKind, PointEntry, Proposal
from lianxin.points.services import ledger, proposals
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

# An UPDATE or DELETE of the entry table itself (other tables' updates may read it).
WRITES_TO_ENTRIES = re.compile(
    r'^\s*(UPDATE\s+"?points_pointentry"?|DELETE\s+FROM\s+"?points_pointentry"?)\b', re.I
)


@pytest.fixture
def account(world):  # noqa: ANN001, ANN201
    return f.household_account(world.building)


def spend(account, amount: int, key: str = "spend:1") -> PointEntry:  # noqa: ANN001
    return ledger.entry_append(
        account=account,
        kind=EntryKind.SPEND,
        amount=-amount,
        occurred_on=f.today(),
        reason="兑换大米",
        source_key=key,
    )


# --- append-only ---------------------------------------------------------------------------


def test_entries_refuse_save_and_delete(account) -> None:  # noqa: ANN001
    entry = f.credit(account, 5)
    entry.amount = 50
    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()
    entry.refresh_from_db()
    assert entry.amount == 5


def test_services_never_update_or_delete_entries(world, account) -> None:  # noqa: ANN001
    """Booking, reversing, spending and refusing: every statement on the entries table is an
    INSERT or a SELECT."""
    with CaptureQueriesContext(connection) as queries:
        p = f.booked(world, account)
        f.credit(account, 10)
        spend(account, 12)
        with pytest.raises(DomainError):
            spend(account, 100, key="spend:2")
        proposals.proposal_reverse(
            actor=world.actor("village_secretary"), proposal=p, reason="重复申报"
        )
    statements = [q["sql"] for q in queries.captured_queries]
    assert any("INSERT INTO" in s and "points_pointentry" in s for s in statements)
    assert not [s for s in statements if WRITES_TO_ENTRIES.match(s)]
    account.refresh_from_db()
    assert account.balance == 5 + 10 - 12 - 5
    assert ledger.ledger_verify().ok


# --- corrections -----------------------------------------------------------------------------


def test_reversal_appends_the_opposite_with_its_reason(account) -> None:  # noqa: ANN001
    day = f.today() - dt.timedelta(days=40)
    original = f.credit(account, 8, day=day)
    before = (original.amount, original.hash)
    reversal = ledger.entry_reverse(entry=original, reason="照片不是他家的院子", booked_by_id=None)
    assert (reversal.kind, reversal.amount, reversal.seq) == (EntryKind.REVERSAL, -8, 2)
    assert reversal.reverses_id == original.pk
    assert reversal.reason == "冲正：照片不是他家的院子"
    assert reversal.occurred_on == day  # the period it counted in is corrected
    original.refresh_from_db()
    assert (original.amount, original.hash) == before
    account.refresh_from_db()
    assert account.balance == 0 and account.entry_count == 2
    assert ledger.ledger_verify().ok


@pytest.mark.parametrize("reason", ["", "   "])
def test_reversal_needs_a_reason(account, reason: str) -> None:  # noqa: ANN001
    entry = f.credit(account, 8)
    with pytest.raises(DomainError, match="冲正原因") as err:
        ledger.entry_reverse(entry=entry, reason=reason, booked_by_id=None)
    assert err.value.field == "reason"
    assert PointEntry.objects.count() == 1


def test_reversal_only_once_and_only_of_earnings(account) -> None:  # noqa: ANN001
    entry = f.credit(account, 8)
    reversal = ledger.entry_reverse(entry=entry, reason="误报", booked_by_id=None)
    with pytest.raises(DomainError, match="已冲正过"):
        ledger.entry_reverse(entry=entry, reason="再冲一次", booked_by_id=None)
    with pytest.raises(DomainError, match="只有加分、扣分"):
        ledger.entry_reverse(entry=reversal, reason="冲正冲正", booked_by_id=None)
    f.credit(account, 20)
    with pytest.raises(DomainError, match="只有加分、扣分"):
        ledger.entry_reverse(entry=spend(account, 3), reason="退货", booked_by_id=None)
    assert PointEntry.objects.count() == 4


def test_deduction_is_reversed_upwards(account) -> None:  # noqa: ANN001
    f.credit(account, 10)
    deduction = f.credit(account, -4)
    assert deduction.kind == EntryKind.DEDUCT
    ledger.entry_reverse(entry=deduction, reason="经核实不属实", booked_by_id=None)
    account.refresh_from_db()
    assert account.balance == 10


# --- refusals and idempotency ------------------------------------------------------------------


def test_same_source_never_pays_twice(account, world) -> None:  # noqa: ANN001
    first = ledger.entry_append(
        account=account,
        kind=EntryKind.EARN,
        amount=5,
        occurred_on=f.today(),
        reason="诉求办结",
        source_key="auto:case_closed:abc",
    )
    other = f.household_account(world.building, head_name="王芳")
    for target in (account, other):  # the same source for any account
        with pytest.raises(ledger.DuplicateSource, match="不重复计分") as err:
            ledger.entry_append(
                account=target,
                kind=EntryKind.EARN,
                amount=5,
                occurred_on=f.today(),
                reason="诉求办结",
                source_key="auto:case_closed:abc",
            )
        assert err.value.entry == first
    account.refresh_from_db()
    other.refresh_from_db()
    assert (account.balance, account.entry_count, other.balance) == (5, 1, 0)


def test_spending_beyond_the_balance_is_refused(account) -> None:  # noqa: ANN001
    f.credit(account, 10)
    with pytest.raises(DomainError, match="积分余额不足：当前 10 分，需要 11 分") as err:
        spend(account, 11)
    assert err.value.field == "quantity"
    spend(account, 10)
    account.refresh_from_db()
    assert account.balance == 0 and account.entry_count == 2


def test_zero_points_refused(account) -> None:  # noqa: ANN001
    with pytest.raises(DomainError, match="不能为 0"):
        f.credit(account, 0, kind=EntryKind.EARN)
    with pytest.raises(ValueError, match="source key"):
        ledger.entry_append(
            account=account,
            kind=EntryKind.EARN,
            amount=1,
            occurred_on=f.today(),
            reason="x",
            source_key="",
        )
    assert not PointEntry.objects.exists()


# --- the chain and the balance -------------------------------------------------------------


def test_chain_links_each_entry_to_the_one_before(account) -> None:  # noqa: ANN001
    entries = [f.credit(account, n) for n in (3, 4, 5)]
    assert entries[0].prev_hash == ""
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    account.refresh_from_db()
    assert account.head_hash == entries[-1].hash
    assert [e.balance_after for e in entries] == [3, 7, 12]


def test_canonical_content_is_readable_and_covers_every_column(account) -> None:  # noqa: ANN001
    entry = f.credit(account, 3)
    data = ledger.canonical(
        account_id=entry.account_id,
        seq=entry.seq,
        kind=entry.kind,
        amount=entry.amount,
        balance_after=entry.balance_after,
        occurred_on=entry.occurred_on,
        booked_at=entry.booked_at,
        reason=entry.reason,
        indicator_revision_id=entry.indicator_revision_id,
        resident_id=entry.resident_id,
        reverses_id=entry.reverses_id,
        source_key=entry.source_key,
        booked_by_id=entry.booked_by_id,
        prev_hash=entry.prev_hash,
    )
    assert "测试加分".encode() in data  # Chinese kept as UTF-8, not \\u escapes
    entry.refresh_from_db()
    assert ledger.entry_hash(**_content(entry)) == entry.hash


def _content(entry: PointEntry) -> dict[str, object]:
    names = [c for c in ledger._ENTRY_COLUMNS if c != "hash"]
    return {n: getattr(entry, n) for n in names}


def test_balance_is_one_row_read_and_equals_the_ledger(account, django_assert_num_queries) -> None:  # noqa: ANN001
    f.credit(account, 4)
    with django_assert_num_queries(1):
        assert ledger.account_balance(account_id=account.pk) == 4
    for n in range(60):
        f.credit(account, n % 7 - 2 or 1)
    with django_assert_num_queries(1):
        balance = ledger.account_balance(account_id=account.pk)
    total = PointEntry.objects.filter(account=account).aggregate(t=Sum("amount"))["t"]
    assert balance == total
    assert ledger.ledger_verify(account_ids=[account.pk]).ok


def test_verify_reads_in_a_constant_number_of_queries(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for i in range(6):
        acc = f.household_account(world.building, head_name=f"住户{i}")
        for n in range(i + 1):
            f.credit(acc, n + 1)
    with django_assert_max_num_queries(4):  # accounts, entries (+ a SET TRANSACTION)
        report = ledger.ledger_verify()
    assert report.ok and (report.accounts, report.entries) == (6, 21)


def test_booked_proposal_entry_verifies(world, account) -> None:  # noqa: ANN001
    p = f.booked(world, account)
    assert p.status == Proposal.Status.BOOKED
    assert p.entry is not None and p.entry.indicator_revision_id is not None
    assert ledger.ledger_verify().ok


# --- key rotation --------------------------------------------------------------------------

OLD, NEW = "ledger-key-2025-" + "x" * 20, "ledger-key-2026-" + "y" * 20


def test_rotated_key_verifies_old_entries_with_the_old_key(settings, account) -> None:  # noqa: ANN001
    settings.LIANXIN_LEDGER_KEY = OLD
    f.credit(account, 3)
    f.credit(account, 4)
    settings.LIANXIN_LEDGER_KEY = NEW
    settings.LIANXIN_LEDGER_OLD_KEYS = [OLD]
    third = f.credit(account, 5)
    assert third.prev_hash == PointEntry.objects.get(seq=2).hash  # the chain runs on
    assert ledger.ledger_verify().ok
    # Forgetting the old key makes the old entries unverifiable (reported, not silently ok).
    settings.LIANXIN_LEDGER_OLD_KEYS = "  "
    assert {p.kind for p in ledger.ledger_verify().problems} == {"altered"}


def test_entry_signed_with_a_retired_key_after_rotation_is_reported(settings, account) -> None:  # noqa: ANN001
    settings.LIANXIN_LEDGER_KEY = OLD
    f.credit(account, 3)
    settings.LIANXIN_LEDGER_KEY = NEW
    f.credit(account, 4)
    # Someone holding the leaked old key extends the chain with it.
    settings.LIANXIN_LEDGER_KEY = OLD
    f.credit(account, 500)
    settings.LIANXIN_LEDGER_KEY = NEW
    settings.LIANXIN_LEDGER_OLD_KEYS = [OLD]
    report = ledger.ledger_verify()
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "key")]
    assert "旧密钥" in str(report.problems[0])


def test_ledger_key_defaults_to_one_derived_from_the_data_key(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_LEDGER_KEY = ""
    assert ledger.ledger_key() == ledger._key(settings.LIANXIN_DATA_KEY)
    assert ledger.ledger_key() != settings.LIANXIN_DATA_KEY.encode()


def test_canonical_form_is_frozen() -> None:
    """Stored hashes depend on these exact bytes: changing the form breaks every chain."""
    from zoneinfo import ZoneInfo

    content = ledger.canonical(
        account_id=1,
        seq=2,
        kind=EntryKind.EARN,
        amount=5,
        balance_after=7,
        occurred_on=dt.date(2026, 3, 1),
        booked_at=dt.datetime(2026, 3, 1, 10, 4, 5, 6, tzinfo=ZoneInfo("Asia/Shanghai")),
        reason="庭院整洁",
        indicator_revision_id=3,
        resident_id=None,
        reverses_id=None,
        source_key="proposal:x",
        booked_by_id=9,
        prev_hash="ab",
    )
    assert content.decode() == (
        '[1,2,"earn",5,7,"2026-03-01","2026-03-01T02:04:05.000006Z","庭院整洁",3,null,null,'
        '"proposal:x",9,"ab"]'
    )
    key = ledger._key("fixed-test-secret")
    # The same entry given in UTC, through entry_hash, with a fixed key.
    assert ledger.entry_hash(key=key, **_frozen_kwargs()) == (
        "68bdda500642b7761fc68a5c1144c97d82837c8ab73d5e5fadd6b2bca802a70c"
    )


def _frozen_kwargs() -> dict[str, object]:
    from zoneinfo import ZoneInfo

    return {
        "account_id": 1,
        "seq": 2,
        "kind": "earn",
        "amount": 5,
        "balance_after": 7,
        "occurred_on": dt.date(2026, 3, 1),
        "booked_at": dt.datetime(2026, 3, 1, 2, 4, 5, 6, tzinfo=ZoneInfo("UTC")),
        "reason": "庭院整洁",
        "indicator_revision_id": 3,
        "resident_id": None,
        "reverses_id": None,
        "source_key": "proposal:x",
        "booked_by_id": 9,
        "prev_hash": "ab",
    }
