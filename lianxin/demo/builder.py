"""The demo city: the real 焦作 tree and a believable slice of 孟州市大定街道 (docs/demo.md).

`ensure_demo()` builds the data once. The whole build runs in one transaction whose last
write is the marker (an audit event of type ``demo.dataset``), so an interrupted build leaves
nothing behind and the next start builds again; a finished one is reused.
Everything random comes from one seeded generator: two builds on the same day are identical
apart from ciphertexts (each encryption draws a fresh nonce) and timestamps.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "Lianxin@2026"  # noqa: S105 - documented in the README for the demo accounts
DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("wangge", "网格员（迎秀社区第一网格）"),
    ("wangge2", "网格员（迎秀社区第二网格，相邻网格）"),
    ("loudong", "楼栋长（迎秀小区1号楼）"),
    ("shequ", "社区工作人员（迎秀社区）"),
    ("shuji", "社区书记（迎秀社区）"),
    ("weizhuli", "积分微助理（迎秀社区）"),
    ("jiedao", "街道工作人员（大定街道）"),
    ("bumen", "职能部门人员（孟州市住房和城乡建设局）"),
    ("zuzhibu", "组织部/专班（孟州市）"),
    ("admin", "系统管理员（焦作市）"),
]
SEED = 20260101
CITY_PREFIX = "4108"
COUNTY_CODE = "410883"  # 孟州市
STREET_CODE = "410883001"  # 大定街道
COMMUNITY_CODE = "410883001002"  # 迎秀社区
TARGET_HOUSEHOLDS = 3000
MARKER_TYPE = "demo.dataset"


@dataclass
class DemoSummary:
    """What one build created; stored (as counts) in the marker audit event."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    extra_accounts: list[tuple[str, str]] = field(default_factory=list)


def demo_exists() -> bool:
    """Whether a finished demo build is in this database."""
    from lianxin.audit.models import AuditEvent

    return AuditEvent.objects.filter(object_type=MARKER_TYPE).exists()


def ensure_demo(stdout: TextIO | None = None) -> bool:
    """Build the demo data unless a finished build is present; True when it built now."""
    if demo_exists():
        return False
    summary = build_demo(stdout=stdout)
    if summary is None:
        return False
    if stdout is not None:
        print(f"演示数据用时 {summary.seconds:.1f} 秒。", file=stdout)
    return True


def _say(stdout: TextIO | None, text: str) -> None:
    if stdout is not None:
        print(text, file=stdout, flush=True)


def build_demo(*, stdout: TextIO | None = None, today: dt.date | None = None) -> DemoSummary | None:
    """Build everything in one transaction (see the module docstring).

    Returns None when another process finished a build first: the marker is checked again
    inside the transaction (on SQLite the transaction takes the write lock at its start, so
    two demos started on one folder at once build it once).
    """
    from lianxin.audit.context import AuditContext, acting

    started = time.monotonic()
    today = today or timezone.localdate()
    with acting(AuditContext(channel="cli", post_label="演示数据生成")), transaction.atomic():
        if demo_exists():
            return None
        summary = _build(random.Random(SEED), today, stdout)
    summary.seconds = time.monotonic() - started
    return summary


def _build(rng: random.Random, today: dt.date, stdout: TextIO | None) -> DemoSummary:
    from lianxin.accounts.actor import Actor
    from lianxin.audit.models import AuditEvent
    from lianxin.audit.services import audit_record
    from lianxin.demo.accounts import build_accounts
    from lianxin.demo.cases import build_cases
    from lianxin.demo.consultation import (
        build_consultation,
        meeting_staff,
        secretaries_by_community,
    )
    from lianxin.demo.grids import create_grids, plan_grids
    from lianxin.demo.ledger import build_ledger
    from lianxin.demo.party import build_party
    from lianxin.demo.points import build_points, open_accounts
    from lianxin.demo.register import build_register
    from lianxin.demo.stars import build_stars
    from lianxin.demo.worklists import build_worklists
    from lianxin.territory.divisions import import_prefix
    from lianxin.territory.models import Unit, UnitKind

    _say(stdout, "导入焦作市区划（统计用区划代码 2023）…")
    imported = import_prefix(CITY_PREFIX)
    units = {
        u.code: u
        for u in Unit.objects.filter(
            code__in=[CITY_PREFIX, COUNTY_CODE, STREET_CODE, COMMUNITY_CODE]
        )
    }
    city, county, street, community = (
        units[c] for c in (CITY_PREFIX, COUNTY_CODE, STREET_CODE, COMMUNITY_CODE)
    )
    villages = list(
        Unit.objects.filter(parent=street, kind=UnitKind.VILLAGE, is_active=True).order_by("code")
    )
    communities = [u for u in villages if u.display_name.endswith("社区")] or villages

    _say(stdout, "划分网格、楼栋…")
    grids = create_grids(
        rng, plan_grids(rng, communities, first=community, target_households=TARGET_HOUSEHOLDS)
    )

    _say(stdout, "创建账号…")
    accounts = build_accounts(
        rng,
        password=DEMO_PASSWORD,
        city=city,
        county=county,
        street=street,
        community=community,
        grids=grids,
    )

    _say(stdout, "生成户与居民（身份证号、手机号加密存储）…")
    register = build_register(rng, today, grids)

    _say(stdout, "生成党组织、党员与联户…")
    party = build_party(rng, today, grids, recorders=accounts.workers_by_grid)

    _say(stdout, "生成民生台账与走访记录…")
    ledger = build_ledger(
        rng,
        today,
        grids,
        shapes=register.shapes,
        workers=accounts.workers_by_grid,
        helpers_by_grid=party.helpers_by_grid,
    )

    # Points accounts first: the request replay's automatic awards pay into them.
    opened = open_accounts(grids)

    _say(stdout, "回放近四个月的居民诉求（受理、派遣、吹哨、调解、代办、巡查、回访）…")
    requests = build_cases(rng, today, grids, accounts)

    _say(stdout, "生成今年的党群积分（申报、审核、公示、入账、兑换、微任务、评定）…")
    points = build_points(
        rng,
        today,
        grids,
        opened=opened,
        users=accounts.users,
        workers=accounts.workers_by_grid,
        password_hash=accounts.users["wangge"].password,
    )

    _say(stdout, "生成一年的协商议事（会议、签到、表决、会议记录、四议两公开、议定事项、三诺）…")
    consultation = build_consultation(
        rng,
        today,
        grids,
        staff_by_community=meeting_staff(grids, accounts.users),
        secretaries=secretaries_by_community(grids),
        evaluator=Actor.for_user(accounts.users["jiedao"]),
    )

    _say(stdout, "生成孟州市“五星”支部创建（收入、规划、申报、公示、比武、考核）与三张清单…")
    stars = build_stars(rng, today, county=county, street=street, users=accounts.users)
    worklists = build_worklists(rng, today, stars)

    counts = {
        "units_imported": imported.total(),
        "grids": len(grids),
        "buildings": sum(len(g.buildings) for g in grids),
        "households": register.households,
        "residents": register.residents,
        "party_organisations": party.organisations,
        "party_members": party.members,
        "household_links": party.links,
        "linkage_activities": party.activities,
        "ledger_entries": ledger.entries,
        "visits": ledger.visits,
        "overdue_entries": ledger.overdue,
        "accounts": len(accounts.users),
        **requests,
        "points_proposals": points.proposals,
        "points_booked": points.booked,
        **points.counts,
        **{f"consultation_{k}": v for k, v in consultation.counts.items()},
        **{f"stars_{k}": v for k, v in stars.counts.items()},
        **{f"worklists_{k}": v for k, v in worklists.counts.items()},
    }
    # The bulk writes skipped the per-row audit; this one summary is also the "built" marker.
    audit_record(
        action=AuditEvent.Action.IMPORT,
        object_type=MARKER_TYPE,
        object_id=str(SEED),
        object_repr="演示数据（孟州市大定街道）",
        changes={"counts": counts, "seed": SEED, "built_for": today.isoformat()},
        scope_path=street.path,
    )
    return DemoSummary(counts=counts, extra_accounts=accounts.extra_workers + points.extra_accounts)
