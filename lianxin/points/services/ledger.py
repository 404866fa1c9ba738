"""The points ledger: the only writer of `PointEntry` rows and of account balances.

Every entry is appended under a row lock on its account, so entries of one account are
strictly sequential (`seq` 1, 2, 3, ...) and each carries `prev_hash`, the hash of the entry
before it. `hash` is an HMAC-SHA256 over the entry's canonical content and `prev_hash`, keyed
by the ledger key (derived from `LIANXIN_LEDGER_KEY`, or the data key when that is unset), so
rewriting the chain needs the key, not just database access. The account's `balance`,
`entry_count` and `head_hash` move with F() in the same transaction; `ledger_verify`
recomputes all of it and names every altered, inserted or deleted row.

Entries are never updated or deleted: `entry_reverse` appends the opposite amount.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import F

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.points.models import Account, EntryKind, IndicatorRevision, PointEntry

REVERSIBLE = (EntryKind.EARN, EntryKind.DEDUCT)


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"lianxin-ledger\x00" + secret.encode()).digest()


def ledger_key() -> bytes:
    return _key(getattr(settings, "LIANXIN_LEDGER_KEY", "") or settings.LIANXIN_DATA_KEY)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(
    *,
    account_id: int,
    seq: int,
    kind: str,
    amount: int,
    balance_after: int,
    occurred_on: dt.date,
    booked_at: dt.datetime,
    reason: str,
    indicator_revision_id: int | None,
    resident_id: int | None,
    reverses_id: int | None,
    source_key: str,
    booked_by_id: int | None,
    prev_hash: str,
) -> bytes:
    """The bytes the hash covers: every column but the id and the hash itself."""
    content = [
        account_id,
        seq,
        kind,
        amount,
        balance_after,
        occurred_on.isoformat(),
        _utc(booked_at),
        reason,
        indicator_revision_id,
        resident_id,
        reverses_id,
        source_key,
        booked_by_id,
        prev_hash,
    ]
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(**content: object) -> str:
    return hmac.new(ledger_key(), canonical(**content), hashlib.sha256).hexdigest()  # type: ignore[arg-type]


class DuplicateSource(DomainError):
    """The source already paid: `entry` is the entry it paid with."""

    def __init__(self, entry: PointEntry) -> None:
        super().__init__("该事项已计过积分，不重复计分")
        self.entry = entry


@transaction.atomic
def entry_append(
    *,
    account: Account,
    kind: str,
    amount: int,
    occurred_on: dt.date,
    reason: str,
    source_key: str,
    booked_by_id: int | None = None,
    indicator_revision: IndicatorRevision | None = None,
    resident_id: int | None = None,
    reverses: PointEntry | None = None,
) -> PointEntry:
    """Append one entry to `account` and move its cached balance, or refuse.

    Spending (`SPEND`) never takes the balance below zero. A `source_key` that already paid
    raises `DuplicateSource` carrying the existing entry (callers that must be idempotent
    catch it). `account` is refreshed in memory with the new balance."""
    if not source_key:
        raise ValueError("every ledger entry needs a source key")
    if amount == 0:
        raise DomainError("分值不能为 0", field="points")
    # The lock serialises appends to one account: seq and prev_hash are read under it.
    locked = Account.objects.select_for_update().get(pk=account.pk)
    existing = PointEntry.objects.filter(source_key=source_key).first()
    if existing is not None:
        raise DuplicateSource(existing)
    if kind == EntryKind.SPEND and locked.balance + amount < 0:
        raise DomainError(
            f"积分余额不足：当前 {locked.balance} 分，需要 {-amount} 分", field="quantity"
        )
    seq = locked.entry_count + 1
    balance_after = locked.balance + amount
    booked_at = clock.now()
    reason = reason[:200]
    digest = entry_hash(
        account_id=locked.pk,
        seq=seq,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        occurred_on=occurred_on,
        booked_at=booked_at,
        reason=reason,
        indicator_revision_id=indicator_revision.pk if indicator_revision else None,
        resident_id=resident_id,
        reverses_id=reverses.pk if reverses else None,
        source_key=source_key,
        booked_by_id=booked_by_id,
        prev_hash=locked.head_hash,
    )
    entry = PointEntry.objects.create(
        account=locked,
        seq=seq,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        occurred_on=occurred_on,
        booked_at=booked_at,
        reason=reason,
        indicator_revision=indicator_revision,
        resident_id=resident_id,
        reverses=reverses,
        source_key=source_key,
        booked_by_id=booked_by_id,
        prev_hash=locked.head_hash,
        hash=digest,
    )
    Account.objects.filter(pk=locked.pk).update(
        balance=F("balance") + amount,
        entry_count=F("entry_count") + 1,
        head_hash=digest,
        updated_at=booked_at,
    )
    account.balance = balance_after
    account.entry_count = seq
    account.head_hash = digest
    return entry


@transaction.atomic
def entry_reverse(*, entry: PointEntry, reason: str, booked_by_id: int | None) -> PointEntry:
    """Cancel an earned or deducted entry with the opposite amount (冲正), once, with a reason.

    The reversal keeps the original's date, so the period it counted in is corrected."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写冲正原因", field="reason")
    if entry.kind not in REVERSIBLE:
        raise DomainError("只有加分、扣分流水可以冲正")
    if PointEntry.objects.filter(reverses=entry).exists():
        raise DomainError("该流水已冲正过")
    return entry_append(
        account=entry.account,
        kind=EntryKind.REVERSAL,
        amount=-entry.amount,
        occurred_on=entry.occurred_on,
        reason=f"冲正：{reason}",
        source_key=f"reverse:{entry.pk}",
        booked_by_id=booked_by_id,
        indicator_revision=entry.indicator_revision,
        resident_id=entry.resident_id,
        reverses=entry,
    )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    account_id: int
    seq: int | None
    kind: str  # altered | inserted | deleted | chain | balance | count | head
    detail: str

    def __str__(self) -> str:
        where = f"账户 {self.account_id}" + (f" 第 {self.seq} 条" if self.seq else "")
        return f"{where}：{self.detail}"


@dataclass
class VerifyReport:
    accounts: int = 0
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_ENTRY_COLUMNS = (
    "pk",
    "account_id",
    "seq",
    "kind",
    "amount",
    "balance_after",
    "occurred_on",
    "booked_at",
    "reason",
    "indicator_revision_id",
    "resident_id",
    "reverses_id",
    "source_key",
    "booked_by_id",
    "prev_hash",
    "hash",
)


def _entries(account_ids: Iterable[int] | None) -> Iterator[tuple]:  # type: ignore[type-arg]
    qs = PointEntry.objects.order_by("account_id", "seq")
    if account_ids is not None:
        qs = qs.filter(account_id__in=list(account_ids))
    return qs.values_list(*_ENTRY_COLUMNS).iterator(chunk_size=5000)


def ledger_verify(*, account_ids: Iterable[int] | None = None) -> VerifyReport:
    """Recompute every chain and cached balance; report each discrepancy.

    - altered: an entry's content no longer matches its hash;
    - inserted: an entry beyond the account's count, or whose `prev_hash` is not the hash of
      the entry before it while its own hash is intact (forged into the chain);
    - deleted: a gap in `seq`, or fewer entries than the account's count;
    - balance/count/head: the account's caches differ from its entries.
    """
    ids = list(account_ids) if account_ids is not None else None
    accounts = Account.objects.order_by("pk")
    if ids is not None:
        accounts = accounts.filter(pk__in=ids)
    report = VerifyReport()
    entries = _entries(ids)
    pending = next(entries, None)
    for acc_id, balance, count, head in accounts.values_list(
        "pk", "balance", "entry_count", "head_hash"
    ).iterator(chunk_size=2000):
        report.accounts += 1
        # Entries of accounts that no longer exist (or sort before this one).
        while pending is not None and pending[1] < acc_id:
            report.problems.append(
                Problem(pending[1], pending[2], "inserted", "流水所属账户不存在")
            )
            pending = next(entries, None)
        expected_seq, prev, running, last_seq = 1, "", 0, 0
        while pending is not None and pending[1] == acc_id:
            row = pending
            report.entries += 1
            (
                _pk,
                _a,
                seq,
                kind,
                amount,
                bal_after,
                day,
                at,
                reason,
                rev,
                res,
                rvs,
                key,
                by,
                prev_hash,
                stored,
            ) = row
            if seq > expected_seq:
                report.problems.append(
                    Problem(acc_id, seq, "deleted", f"缺少第 {expected_seq}–{seq - 1} 条流水")
                )
            recomputed = entry_hash(
                account_id=acc_id,
                seq=seq,
                kind=kind,
                amount=amount,
                balance_after=bal_after,
                occurred_on=day,
                booked_at=at,
                reason=reason,
                indicator_revision_id=rev,
                resident_id=res,
                reverses_id=rvs,
                source_key=key,
                booked_by_id=by,
                prev_hash=prev_hash,
            )
            if seq > count:
                report.problems.append(
                    Problem(acc_id, seq, "inserted", "账户记录的流水条数之外多出的流水")
                )
            elif not hmac.compare_digest(recomputed, stored):
                report.problems.append(
                    Problem(acc_id, seq, "altered", "流水内容与哈希不符（被改动）")
                )
            elif prev_hash != prev and seq == expected_seq:
                report.problems.append(
                    Problem(acc_id, seq, "chain", "前一条哈希不符：前面的流水被插入、删除或改动")
                )
            running += amount
            if bal_after != running:
                report.problems.append(
                    Problem(acc_id, seq, "altered", f"流水余额 {bal_after} 与累计 {running} 不符")
                )
            prev, expected_seq, last_seq = stored, seq + 1, seq
            pending = next(entries, None)
        if last_seq < count:
            report.problems.append(
                Problem(acc_id, None, "deleted", f"账户记录 {count} 条流水，实有 {last_seq} 条")
            )
        elif last_seq > count:
            report.problems.append(
                Problem(acc_id, None, "count", f"账户记录 {count} 条流水，实有 {last_seq} 条")
            )
        if balance != running:
            report.problems.append(
                Problem(acc_id, None, "balance", f"账户余额 {balance} 与流水合计 {running} 不符")
            )
        if head != prev and last_seq == count:
            report.problems.append(Problem(acc_id, None, "head", "账户最新哈希与最后一条流水不符"))
    while pending is not None:
        report.problems.append(Problem(pending[1], pending[2], "inserted", "流水所属账户不存在"))
        pending = next(entries, None)
    return report
