"""What the demo's points must hold (issue 4 item 8), checked on the one demo build of
test_builder.py: a year of entries across schemes, proposals in every state, a stocked store
with redemptions, micro-tasks claimed and completed, ratings and plaques, a ledger that
verifies and boards that show."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.test import Client
from django.utils import timezone

from lianxin.demo import builder
from lianxin.points.models import (
    Account,
    HouseholdRating,
    Objection,
    PointEntry,
    Proposal,
    Redemption,
    ReminderTalk,
    Standing,
    StoreItem,
    TaskClaim,
)
from lianxin.points.services import ledger


def check_points_demo(demo: builder.DemoSummary) -> None:
    today = timezone.localdate()

    # Proposals in every state the issue names, and more.
    statuses = Counter(Proposal.objects.values_list("status", flat=True))
    for status in ("pending", "in_notice", "objected", "booked", "reversed", "rejected"):
        assert statuses[status], f"no {status} proposal in the demo"
    assert Objection.objects.filter(status="open").exists()
    assert Objection.objects.filter(status="upheld").exists()

    # A year of entries across the schemes, months apart, none in the future.
    entries = PointEntry.objects.all()
    assert entries.count() > 5000
    schemes = set(entries.values_list("account__scheme__code", flat=True).distinct())
    assert {"household", "party_member"} <= schemes
    months = {d.month for d in entries.values_list("occurred_on", flat=True).distinct()}
    assert len(months) >= min(today.month, 6)
    assert not entries.filter(occurred_on__gt=today).exists()
    assert entries.filter(kind="reversal").count() == statuses["reversed"]
    # Automatic awards from the request replay pay once per source.
    assert entries.filter(source_key__startswith="auto:case_closed:").exists()

    # The ledger verifies; balances are the sums of their entries.
    report = ledger.ledger_verify()
    assert report.ok, report.problems[:5]

    # The 迎秀 store: stocked, with redemptions picked up, cancelled (refunded) and waiting.
    assert StoreItem.objects.filter(stock__gt=0).count() >= 5
    orders = Counter(Redemption.objects.values_list("status", flat=True))
    assert orders["picked_up"] and orders["cancelled"] and orders["placed"]
    assert entries.filter(kind="refund").count() == orders["cancelled"]
    assert (
        not Account.objects.filter(kind="household", balance__lt=0)
        .filter(redemptions__isnull=False)
        .exists()
    )

    # Micro-tasks claimed and completed; ratings spread over the three classes and published.
    claims = Counter(TaskClaim.objects.values_list("status", flat=True))
    assert claims["claimed"] and claims["completed"]
    levels = Counter(HouseholdRating.objects.values_list("level", flat=True))
    assert levels["top"] and levels["mid"] and levels["low"]
    assert not HouseholdRating.objects.filter(published_at__isnull=True).exists()
    assert ReminderTalk.objects.exists()

    # The ranking cache is filled, so the public boards have something to show.
    assert Standing.objects.filter(period=str(today.year)).exists()
    client = Client()
    board = client.get(f"/p/v/{builder.COMMUNITY_CODE}/")
    assert board.status_code == 200 and "公示中" in board.content.decode()
    ranking = client.get(f"/p/v/{builder.COMMUNITY_CODE}/ranking/")
    assert ranking.status_code == 200
    # Every booked proposal of the year has its entry, dated as the deed.
    booked = Proposal.objects.filter(status="booked").select_related("entry")[:200]
    assert all(p.entry and p.entry.occurred_on == p.occurred_on for p in booked)
    assert Proposal.objects.filter(created_at__date__lt=today - dt.timedelta(days=60)).exists()
