"""`lianxin points verify | recompute | book-due` (the parser is in lianxin/cli.py).

- `verify`: recompute every hash chain and cached balance (services.ledger); one clear line
  per problem, a summary, exit code 0 when the ledger is intact and 1 when it is not. A full
  run is recorded as a checkpoint in the audit trail; `--account N` checks only those
  accounts and records nothing.
- `recompute`: period scores and ranks (services.standings), by default for this month and
  this year; exit 2 on a malformed period.
- `book-due`: book the proposals whose public notice ended without an open objection.
"""

from __future__ import annotations

import argparse
import re
import sys

from django.utils import timezone

from lianxin.core import clock

# More lines than this are summarised: a ledger broken everywhere needs a fix, not a scroll.
MAX_LINES = 200
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")


def run_points_cli(args: argparse.Namespace) -> int:
    """Dispatch on the subcommand; returns the process exit code."""
    command = args.points_command
    if command == "verify":
        return verify(account_ids=args.account)
    if command == "recompute":
        return recompute(periods=args.period)
    if command == "book-due":
        return book_due()
    print(f"未知的子命令：{command}", file=sys.stderr)
    return 2


def verify(*, account_ids: list[int] | None) -> int:
    """Print the verification; 0 when every chain and balance holds, else 1."""
    from lianxin.points.services.ledger import ledger_check, ledger_verify

    report = ledger_verify(account_ids=account_ids) if account_ids else ledger_check()
    for problem in report.problems[:MAX_LINES]:
        print(problem)
    hidden = len(report.problems) - MAX_LINES
    if hidden > 0:
        print(f"……另有 {hidden} 处问题未列出")
    print(report.summary())
    if not report.ok:
        print("账本有问题：请按上面各行（账户与流水序号）核查数据库改动记录与备份。")
    return 0 if report.ok else 1


def default_periods() -> list[str]:
    """This month and this year, local time."""
    today = timezone.localdate(clock.now())
    return [f"{today:%Y-%m}", f"{today:%Y}"]


def recompute(*, periods: list[str] | None) -> int:
    """Recompute standings for each period (default: this month and this year)."""
    periods = periods or default_periods()
    bad = [p for p in periods if not PERIOD.match(p)]
    if bad:
        print(f"错误：期间“{bad[0]}”格式不对，应为 2026 或 2026-11", file=sys.stderr)
        return 2
    # Imported here: the standings service is another module's, loaded only when used.
    from lianxin.points.services.standings import standings_recompute

    for period in periods:
        rows = standings_recompute(period=period)
        print(f"已重算 {period} 的积分与排名：{rows} 个积分对象")
    return 0


def book_due() -> int:
    """Book the proposals whose notice is over."""
    from lianxin.points.services.proposals import proposals_book_due

    booked = proposals_book_due()
    print(f"已入账 {booked} 条公示期满且无异议的积分申报")
    return 0
