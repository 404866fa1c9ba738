"""The points ledger: the only writer of `PointEntry` rows and of account balances.

Every entry is appended under a row lock on its account, so entries of one account are
strictly sequential (`seq` 1, 2, 3, ...) and each carries `prev_hash`, the hash of the entry
before it. `hash` is an HMAC-SHA256 over the entry's canonical content and `prev_hash`, keyed
by the ledger key (`LIANXIN_LEDGER_KEY`, or the data key when that is unset), so rewriting
the chain needs the key, not just database access. The account's `balance`, `entry_count`
and `head_hash` move with F() in the same transaction, so reading a balance is one row;
`ledger_verify` recomputes all of it and names every altered, inserted or deleted row.

Entries are never updated or deleted: `entry_reverse` appends the opposite amount.

Key rotation: new entries are signed with the current key; keys listed in
`LIANXIN_LEDGER_OLD_KEYS` (newest first) still verify the entries signed before the switch.
Along one account's chain the key may only get newer, so an entry signed with a retired key
after one signed with its successor is reported (a leaked old key cannot extend a chain).
docs/points-ledger.md explains the operations.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.points.models import Account, EntryKind, IndicatorRevision, PointEntry

REVERSIBLE = (EntryKind.EARN, EntryKind.DEDUCT)


# --- keys and hashes -------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    # Derived, so the ledger key differs from the data key even when it falls back to it.
    return hashlib.sha256(b"lianxin-ledger\x00" + secret.encode()).digest()


def _setting(name: str) -> Any:
    # settings.py reads both from the environment (LIANXIN_LEDGER_KEY, ..._OLD_KEYS).
    return getattr(settings, name, "")


def ledger_keys() -> tuple[bytes, ...]:
    """The current signing key first, then retired keys (newest first) that still verify."""
    current = _setting("LIANXIN_LEDGER_KEY") or settings.LIANXIN_DATA_KEY
    old = _setting("LIANXIN_LEDGER_OLD_KEYS") or ()
    if isinstance(old, str):
        old = [part for part in (p.strip() for p in old.split(",")) if part]
    secrets = [current, *[s for s in old if s != current]]
    return tuple(_key(s) for s in secrets)


def ledger_key() -> bytes:
    """The key new entries are signed with."""
    return ledger_keys()[0]


def _utc(moment: dt.datetime) -> str:
    # 2026-03-01T02:03:04.000005Z (isoformat is the fast path for the same text)
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


# One encoder for every entry: json.dumps would build a new one per call for these options.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


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
    return _JSON.encode(content).encode("utf-8")


def entry_hash(*, key: bytes | None = None, **content: Any) -> str:
    """HMAC-SHA256 (hex) of an entry's canonical content, with the current key by default."""
    return hmac.digest(key or ledger_key(), canonical(**content), "sha256").hex()


# --- writing ---------------------------------------------------------------------------------


class DuplicateSource(DomainError):
    """The source already paid: `entry` is the entry it paid with."""

    def __init__(self, entry: PointEntry) -> None:
        super().__init__("该事项已计过积分，不重复计分")
        self.entry = entry


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
    catch it) — also when two transactions append the same key at once: the unique index
    makes the later one wait for the first and fail, and that failure is turned into
    `DuplicateSource` here. `account` is refreshed in memory with the new balance."""
    try:
        return _append(
            account=account,
            kind=kind,
            amount=amount,
            occurred_on=occurred_on,
            reason=reason,
            source_key=source_key,
            booked_by_id=booked_by_id,
            indicator_revision=indicator_revision,
            resident_id=resident_id,
            reverses=reverses,
        )
    except IntegrityError as exc:
        # _append's atomic block has rolled back to its savepoint: the connection is usable.
        existing = PointEntry.objects.filter(source_key=source_key).first()
        if existing is None:
            raise
        raise DuplicateSource(existing) from exc


@transaction.atomic
def _append(
    *,
    account: Account,
    kind: str,
    amount: int,
    occurred_on: dt.date,
    reason: str,
    source_key: str,
    booked_by_id: int | None,
    indicator_revision: IndicatorRevision | None,
    resident_id: int | None,
    reverses: PointEntry | None,
) -> PointEntry:
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
    content: dict[str, Any] = {
        "account_id": locked.pk,
        "seq": seq,
        "kind": str(kind),
        "amount": amount,
        "balance_after": balance_after,
        "occurred_on": occurred_on,
        "booked_at": booked_at,
        "reason": reason,
        "indicator_revision_id": indicator_revision.pk if indicator_revision else None,
        "resident_id": resident_id,
        "reverses_id": reverses.pk if reverses else None,
        "source_key": source_key,
        "booked_by_id": booked_by_id,
        "prev_hash": locked.head_hash,
    }
    digest = entry_hash(**content)
    entry = PointEntry.objects.create(**content, hash=digest)
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


@dataclass(frozen=True)
class NewEntry:
    """One earned or deducted entry for `entries_append_many`."""

    account_id: int
    kind: str
    amount: int
    occurred_on: dt.date
    reason: str
    source_key: str
    booked_by_id: int | None = None
    indicator_revision_id: int | None = None
    resident_id: int | None = None


def entries_append_many(items: Sequence[NewEntry]) -> list[PointEntry]:
    """Append many earned/deducted entries at once (booking a batch, the periodic job): the
    same locks, chain and caches as `entry_append`, in a few queries for the whole set.

    All or nothing: a source that already paid raises `DuplicateSource` and nothing of the
    set is written. Spending and reversals go through `entry_append` one by one."""
    try:
        return _append_many(items)
    except IntegrityError as exc:
        existing = PointEntry.objects.filter(source_key__in=[i.source_key for i in items]).first()
        if existing is None:
            raise
        raise DuplicateSource(existing) from exc


@transaction.atomic
def _append_many(items: Sequence[NewEntry]) -> list[PointEntry]:
    if not items:
        return []
    keys = [i.source_key for i in items]
    if not all(keys) or len(set(keys)) != len(keys):
        raise ValueError("every entry needs its own source key")
    if any(i.kind not in REVERSIBLE or i.amount == 0 for i in items):
        raise ValueError("only non-zero earned or deducted entries can be appended in bulk")

    # Locked in id order, so two sets sharing accounts wait for each other, never deadlock.
    @dataclass
    class _Head:
        balance: int
        entry_count: int
        head_hash: str

    # Plain tuples, not model instances: a batch can hold hundreds of accounts.
    locked = {
        pk: _Head(balance, count, head)
        for pk, balance, count, head in Account.objects.select_for_update()
        .filter(pk__in=sorted({i.account_id for i in items}))
        .order_by("pk")
        .values_list("pk", "balance", "entry_count", "head_hash")
    }
    existing = PointEntry.objects.filter(source_key__in=keys).first()
    if existing is not None:
        raise DuplicateSource(existing)
    booked_at = clock.now()
    rows: list[PointEntry] = []
    for item in items:
        account = locked[item.account_id]
        seq = account.entry_count + 1
        balance_after = account.balance + item.amount
        content: dict[str, Any] = {
            "account_id": item.account_id,
            "seq": seq,
            "kind": str(item.kind),
            "amount": item.amount,
            "balance_after": balance_after,
            "occurred_on": item.occurred_on,
            "booked_at": booked_at,
            "reason": item.reason[:200],
            "indicator_revision_id": item.indicator_revision_id,
            "resident_id": item.resident_id,
            "reverses_id": None,
            "source_key": item.source_key,
            "booked_by_id": item.booked_by_id,
            "prev_hash": account.head_hash,
        }
        digest = entry_hash(**content)
        rows.append(PointEntry(**content, hash=digest))
        account.entry_count, account.balance, account.head_hash = seq, balance_after, digest
    created = PointEntry.objects.bulk_create(rows, batch_size=500)
    # Every account's caches from its newest entry, in one UPDATE: under the row locks the
    # newest entry is the one just appended, so this equals moving them entry by entry
    # (verify proves it); one statement instead of one per account.
    newest = PointEntry.objects.filter(account_id=OuterRef("pk")).order_by("-seq")
    Account.objects.filter(pk__in=list(locked)).update(
        balance=Subquery(newest.values("balance_after")[:1]),
        entry_count=Subquery(newest.values("seq")[:1]),
        head_hash=Subquery(newest.values("hash")[:1]),
        updated_at=booked_at,
    )
    return created


@transaction.atomic
def entry_reverse(*, entry: PointEntry, reason: str, booked_by_id: int | None) -> PointEntry:
    """Cancel an earned or deducted entry with the opposite amount (冲正), once, with a reason.

    The reversal keeps the original's date, so the period it counted in is corrected. Two
    reversals of one entry at once: the second finds the first's source key and is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写冲正原因", field="reason")
    if entry.kind not in REVERSIBLE:
        raise DomainError("只有加分、扣分流水可以冲正")
    if PointEntry.objects.filter(reverses=entry).exists():
        raise DomainError("该流水已冲正过")
    try:
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
    except DuplicateSource as exc:
        raise DomainError("该流水已冲正过") from exc


def account_balance(*, account_id: int) -> int:
    """A subject's balance: one primary-key row read, whatever the number of entries
    (the cache `ledger_verify` proves equal to the ledger)."""
    return Account.objects.values_list("balance", flat=True).get(pk=account_id)


# --- verification ----------------------------------------------------------------------------

KIND_LABELS = {
    "altered": "被改动",
    "inserted": "被插入",
    "deleted": "被删除",
    "renumbered": "序号被改",
    "key": "密钥不符",
    "chain": "链接断开",
    "balance": "余额不符",
    "count": "条数不符",
    "head": "链头不符",
}


@dataclass(frozen=True)
class Problem:
    """One discrepancy: which account (id and label), which entry (`seq`, or None for the
    account's own caches), what kind (a key of KIND_LABELS) and a sentence saying what."""

    account_id: int
    seq: int | None
    kind: str
    detail: str
    label: str = ""

    def __str__(self) -> str:
        who = f"{self.label}（账户 {self.account_id}）" if self.label else f"账户 {self.account_id}"
        if not self.account_id:  # the ledger as a whole (see ledger_check)
            who = self.label
        where = f"第 {self.seq} 条流水" if self.seq is not None else "账户记录"
        return f"[{KIND_LABELS.get(self.kind, self.kind)}] {who} {where}：{self.detail}"


@dataclass
class VerifyReport:
    accounts: int = 0
    entries: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def kinds(self) -> dict[str, int]:
        """How many problems of each kind."""
        return dict(Counter(p.kind for p in self.problems))

    def summary(self) -> str:
        head = f"校验了 {self.accounts} 个账户、{self.entries} 条流水，用时 {self.seconds:.1f} 秒"
        if self.ok:
            return f"{head}：哈希链完整，账户余额与流水一致。"
        counts = "、".join(f"{KIND_LABELS.get(k, k)} {n} 处" for k, n in self.kinds().items())
        return f"{head}：发现 {len(self.problems)} 处问题（{counts}）。"


_ENTRY_COLUMNS = (
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
# Positions in a row of _ENTRY_COLUMNS.
ACC, SEQ, AMOUNT, BAL, PREV, HASH = 0, 1, 3, 4, 13, 14

Row = tuple[Any, ...]


def _row_content(row: Row, *, account_id: int | None = None, seq: int | None = None) -> bytes:
    # The same list as `canonical`, from a row whose date and time are already canonical text.
    content = list(row[:HASH])
    if account_id is not None:
        content[ACC] = account_id
    if seq is not None:
        content[SEQ] = seq
    return _JSON.encode(content).encode("utf-8")


def _signed_by(
    keys: Sequence[bytes],
    row: Row,
    *,
    account_id: int | None = None,
    seq: int | None = None,
    stored: str | None = None,
) -> int | None:
    """Index of the key whose HMAC of the row (with `account_id`/`seq` in place of its own,
    when given) equals its hash column (or `stored`), or None."""
    content = _row_content(row, account_id=account_id, seq=seq)
    # As bytes: a tampered hash column may hold any text, which str comparison refuses.
    expected = (row[HASH] if stored is None else stored) or ""
    stored_bytes = expected.encode("utf-8")
    for index, key in enumerate(keys):
        if hmac.compare_digest(hmac.digest(key, content, "sha256").hex().encode(), stored_bytes):
            return index
    return None


@dataclass
class _Stray:
    """A row that belongs to no chain (kept to explain moves between accounts)."""

    problem_index: int
    row: Row


@dataclass
class _Missing:
    account_id: int
    label: str
    first: int
    last: int
    problem_index: int


@dataclass
class _Run:
    """Consecutive entries whose seq was changed by the same offset."""

    first: int
    last: int
    shift: int


class _Checker:
    """Checks one account's entries at a time, in seq order (see `ledger_verify`)."""

    def __init__(self, report: VerifyReport, keys: Sequence[bytes]) -> None:
        self.report = report
        self.keys = keys
        self.strays: list[_Stray] = []
        self.missing: list[_Missing] = []

    def add(self, account: Row, seq: int | None, kind: str, detail: str) -> int:
        self.report.problems.append(Problem(account[0], seq, kind, detail, account[1]))
        return len(self.report.problems) - 1

    def account(self, account: Row, rows: list[Row]) -> None:
        acc_id, _label, balance, count, head = account
        self.report.accounts += 1
        self.report.entries += len(rows)
        seen = Counter(r[HASH] for r in rows)
        expected, running, last_hash = 1, 0, ""
        newest_key = len(self.keys)  # keys only get newer (smaller index) along a chain
        count_off = False  # authentic entries beyond the account's count
        # The previous row was reported: no chain or balance check against it (no cascade).
        flagged_prev = False
        run: _Run | None = None
        for i, row in enumerate(rows):
            seq, amount, bal_after, prev_hash, stored = (
                row[SEQ],
                row[AMOUNT],
                row[BAL],
                row[PREV],
                row[HASH],
            )
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            key_index = _signed_by(self.keys, row)
            shift = 0
            if key_index is None:
                shift = self._shift(row)
            if run is not None and not (shift and shift == run.shift and seq == run.last + 1):
                self._close_run(account, run)
                run = None
            if key_index is None and not shift and (seq > count or seq < 1):
                # Outside the account's record: a row put there, not one of its entries.
                copied = "，是从同一账户的另一条流水抄来的" if seen[stored] > 1 else ""
                index = self.add(
                    account,
                    seq,
                    "inserted",
                    f"多出的流水（账户只记录了 {count} 条）：哈希与内容不符{copied}",
                )
                self.strays.append(_Stray(index, row))
                flagged_prev = True
                continue
            gap = seq > expected
            if gap:
                missing = (
                    f"第 {expected} 条" if seq - 1 == expected else f"第 {expected}–{seq - 1} 条"
                )
                index = self.add(
                    account, expected, "deleted", f"缺少{missing}流水（被删除或移走），链在此断开"
                )
                self.missing.append(_Missing(acc_id, account[1], expected, seq - 1, index))
            flagged = gap
            if key_index is not None:
                if seq > count:
                    count_off = True
                if key_index > newest_key:
                    self.add(
                        account,
                        seq,
                        "key",
                        "用已停用的旧密钥签名，却排在新密钥签名的流水之后：疑为用旧密钥伪造",
                    )
                    flagged = True
                newest_key = min(newest_key, key_index)
                if not (gap or flagged_prev or flagged) and prev_hash != last_hash:
                    self.add(account, seq, "chain", "“前一条哈希”与上一条流水的哈希不符")
                    flagged = True
            elif shift:
                # Renumbered entries are reported once per run, after the run.
                run = run or _Run(seq, seq, shift)
                run.last = seq
                flagged = True
            else:
                pointed = nxt[PREV] if nxt is not None else head
                linked = stored == pointed
                if (
                    not linked
                    and pointed
                    and _signed_by(self.keys, row, stored=pointed) is not None
                ):
                    # The content is what the chain recorded: only the hash column changed.
                    self.add(
                        account,
                        seq,
                        "altered",
                        "本条的哈希被改动；内容未变（与下一条流水记录的哈希相符）",
                    )
                    running, last_hash, expected, flagged_prev = bal_after, pointed, seq + 1, True
                    continue
                if seen[stored] > 1:
                    index = self.add(
                        account,
                        seq,
                        "inserted",
                        "伪造的流水：哈希抄自同一账户的另一条流水，与内容不符",
                    )
                    self.strays.append(_Stray(index, row))
                    flagged_prev = True
                    expected = seq + 1
                    continue
                if not linked:
                    index = self.add(
                        account,
                        seq,
                        "inserted",
                        "伪造或被替换的流水：哈希与内容不符，也不在哈希链上",
                    )
                    self.strays.append(_Stray(index, row))
                    flagged_prev = True
                    expected = seq + 1
                    continue
                detail = "流水内容与哈希不符（被改动）"
                if not (gap or flagged_prev) and running + amount != bal_after:
                    detail += (
                        f"：上一条余额 {running} 加本条分值 {amount} 应为 {running + amount}，"
                        f"本条记的余额是 {bal_after}"
                    )
                if nxt is None:
                    detail += "；它是最后一条，也可能是伪造后连同账户记录一起改过"
                self.add(account, seq, "altered", detail)
                flagged = True
            if not (flagged or flagged_prev) and running + amount != bal_after:
                self.add(
                    account,
                    seq,
                    "altered",
                    f"本条余额 {bal_after} 与上一条余额 {running} 加分值 {amount} 不符",
                )
                flagged = True
            # Resynchronise on the stored balance: one altered row is one problem, not one
            # for every row after it.
            running, last_hash, expected = bal_after, stored, seq + 1
            flagged_prev = flagged
        if run is not None:
            self._close_run(account, run)
        last = expected - 1
        if last < count:
            index = self.add(
                account,
                last + 1,
                "deleted",
                f"账户记录了 {count} 条流水，现在只到第 {last} 条：最后 {count - last} 条"
                f"被删除或移走（账户余额 {balance}，现存流水结余 {running}）",
            )
            self.missing.append(_Missing(acc_id, account[1], last + 1, count, index))
            return
        if count_off:
            self.add(account, None, "count", f"账户记录的流水条数 {count} 被改动：实有 {last} 条")
        if balance != running:
            self.add(
                account,
                None,
                "balance",
                f"账户余额 {balance} 与流水结余 {running} 不符（账户余额被改动）",
            )
        if head != last_hash:
            self.add(account, None, "head", "账户记录的最新哈希与最后一条流水的哈希不符")

    def _shift(self, row: Row) -> int:
        """+1 when the row verifies as seq - 1 (renumbered after an insertion before it),
        -1 when it verifies as seq + 1 (renumbered to close a deletion), else 0."""
        for shift in (1, -1):
            seq = row[SEQ] - shift
            if seq >= 1 and _signed_by(self.keys, row, seq=seq) is not None:
                return shift
        return 0

    def _close_run(self, account: Row, run: _Run) -> None:
        first, last = run.first - run.shift, run.last - run.shift
        was = f"第 {first} 条" if first == last else f"第 {first}–{last} 条"
        now = f"第 {run.first} 条" if run.first == run.last else f"第 {run.first}–{run.last} 条"
        why = "其前被插入了流水" if run.shift > 0 else "其前有流水被删除后补齐了序号"
        self.add(account, run.first, "renumbered", f"原{was}流水被改成{now}：{why}")

    def explain_moves(self) -> None:
        """A stray row whose hash verifies under an account that lost that seq was moved."""
        tries = 0
        for stray in self.strays:
            seq = stray.row[SEQ]
            for gap in self.missing:
                if not gap.first <= seq <= gap.last or gap.account_id == stray.row[ACC]:
                    continue
                tries += 1
                if tries > 10_000:  # a ledger this broken needs no more hints
                    return
                if _signed_by(self.keys, stray.row, account_id=gap.account_id) is None:
                    continue
                problems = self.report.problems
                src = problems[gap.problem_index]
                dst = problems[stray.problem_index]
                problems[stray.problem_index] = Problem(
                    dst.account_id,
                    dst.seq,
                    dst.kind,
                    f"从“{gap.label}”（账户 {gap.account_id}）第 {seq} 条移来的流水",
                    dst.label,
                )
                problems[gap.problem_index] = Problem(
                    src.account_id,
                    src.seq,
                    src.kind,
                    f"{src.detail}；第 {seq} 条被移到“{dst.label}”（账户 {dst.account_id}）",
                    src.label,
                )
                break


def _accounts(ids: list[int] | None) -> Iterator[Row]:
    qs = Account.objects.order_by("pk")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.values_list("pk", "label", "balance", "entry_count", "head_hash").iterator(
        chunk_size=2000
    )


# PostgreSQL formats the date and time itself, exactly as `canonical` does: parsing them into
# Python objects only to format them again was a third of the verify time.
_PG_ENTRIES = """
SELECT account_id, seq, kind, amount, balance_after, to_char(occurred_on, 'YYYY-MM-DD'),
    to_char(booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), reason,
    indicator_revision_id, resident_id, reverses_id, source_key, booked_by_id, prev_hash, hash
FROM points_pointentry {where} ORDER BY account_id, seq
"""


def _entries(ids: list[int] | None) -> Iterator[Row]:
    """Entries in chain order (the (account, seq) unique index), date and time as text."""
    if connection.vendor == "postgresql":
        where, params = ("WHERE account_id = ANY(%s)", [ids]) if ids is not None else ("", [])
        # A server-side cursor: memory stays flat however large the ledger.
        with connection.chunked_cursor() as cursor:
            cursor.execute(_PG_ENTRIES.format(where=where), params)
            while chunk := cursor.fetchmany(5000):
                yield from chunk
        return
    # SQLite: the stored text, not Django's converters (a tampered date must be reported,
    # not crash the run). Dates are stored as YYYY-MM-DD, times as UTC without a zone.
    if ids is not None and not ids:
        return
    where = f"WHERE account_id IN ({', '.join(['%s'] * len(ids))})" if ids else ""
    with connection.cursor() as cursor:
        cursor.execute(_SQLITE_ENTRIES.format(where=where), ids or [])
        while chunk := cursor.fetchmany(5000):
            for row in chunk:
                yield (*row[:5], str(row[5]), _stored_utc(row[6]), *row[7:])


_SQLITE_ENTRIES = """
SELECT account_id, seq, kind, amount, balance_after, CAST(occurred_on AS TEXT),
    CAST(booked_at AS TEXT), reason, indicator_revision_id, resident_id, reverses_id,
    source_key, booked_by_id, prev_hash, hash
FROM points_pointentry {where} ORDER BY account_id, seq
"""  # CAST: as text, past the converters Django registers for the declared column types


def _stored_utc(text: object) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)  # not a time at all: the hash will not match
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return _utc(moment)


def ledger_verify(*, account_ids: Iterable[int] | None = None) -> VerifyReport:
    """Recompute every chain and cached balance; report each discrepancy once.

    Per account, entries are read in `seq` order and each is checked against its HMAC:
    - altered: the content no longer matches the hash (the hash is still the one the next
      entry points to);
    - inserted: a row beyond the account's count, or whose hash is copied or on no chain;
      one whose hash verifies under another account that lost that seq was moved there;
    - deleted: a gap in `seq`, or fewer entries than the account's count;
    - renumbered: entries that verify one seq off (rows inserted or deleted before them);
    - balance / count / head: the account's caches differ from its entries.
    After a problem the running balance is resynchronised to the stored `balance_after`, so
    one tampered row gives one problem, not one per later row. The whole read runs in one
    snapshot (REPEATABLE READ on PostgreSQL) so appends during the run are not reported."""
    ids = list(account_ids) if account_ids is not None else None
    started = time.perf_counter()
    report = VerifyReport()
    checker = _Checker(report, ledger_keys())
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            # The first statement of a fresh transaction: a consistent, read-only snapshot.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        entries = _entries(ids)
        pending: Row | None = next(entries, None)
        for account in _accounts(ids):
            acc_id = account[0]
            while pending is not None and pending[ACC] < acc_id:
                pending = _orphans(checker, pending, entries, before=acc_id)
            rows: list[Row] = []
            while pending is not None and pending[ACC] == acc_id:
                rows.append(pending)
                pending = next(entries, None)
            checker.account(account, rows)
        while pending is not None:
            pending = _orphans(checker, pending, entries, before=None)
    checker.explain_moves()
    report.seconds = time.perf_counter() - started
    return report


def _orphans(
    checker: _Checker, pending: Row | None, entries: Iterator[Row], before: int | None
) -> Row | None:
    """Entries of an account that does not exist (the foreign key normally prevents it)."""
    while pending is not None and (before is None or pending[ACC] < before):
        checker.report.entries += 1
        checker.report.problems.append(
            Problem(pending[ACC], pending[SEQ], "inserted", "流水所属的账户不存在")
        )
        pending = next(entries, None)
    return pending


# --- checkpoints -----------------------------------------------------------------------------

CHECKPOINT_TYPE = "points.ledger"


def _last_checkpoint() -> dict[str, Any] | None:
    from lianxin.audit.models import AuditEvent

    event = (
        AuditEvent.objects.filter(object_type=CHECKPOINT_TYPE, action=AuditEvent.Action.OTHER)
        .order_by("-at", "-id")
        .only("at", "changes")
        .first()
    )
    if event is None:
        return None
    return {"at": event.at, **event.changes}


def ledger_check() -> VerifyReport:
    """Verify the whole ledger and record the result (the nightly job and the command).

    Entries are never deleted, so the ledger's entry count never goes down: a count below
    the previous checkpoint's is reported even when whole tails of chains were cut off and
    the accounts' caches rolled back to match (which no chain can show by itself). Each
    run appends its counts to the audit trail (itself append-only) as the next checkpoint."""
    from django.utils import timezone

    from lianxin.audit.models import AuditEvent
    from lianxin.audit.services import audit_record

    report = ledger_verify()
    last = _last_checkpoint()
    if last is not None and report.entries < int(last.get("entries", 0)):
        when = timezone.localtime(last["at"]).strftime("%Y-%m-%d %H:%M")
        report.problems.append(
            Problem(
                0,
                None,
                "deleted",
                f"全部流水 {report.entries} 条，比 {when} 校验时的 {last['entries']} 条少了 "
                f"{int(last['entries']) - report.entries} 条（流水只增不减）",
                "全账本",
            )
        )
    audit_record(
        action=AuditEvent.Action.OTHER,
        object_type=CHECKPOINT_TYPE,
        object_id="verify",
        object_repr="积分账本校验：" + ("通过" if report.ok else f"{len(report.problems)} 处问题"),
        changes={
            "accounts": report.accounts,
            "entries": report.entries,
            "problems": len(report.problems),
            "kinds": report.kinds(),
            "seconds": round(report.seconds, 2),
        },
    )
    return report
