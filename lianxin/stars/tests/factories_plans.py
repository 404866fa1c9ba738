"""Factories of the plans, quotas, battle map and figures tests: plans through the real
services (at a fixed day of 2026), awards, declarations and contest entries straight into the
models (their own services belong to other parts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import User
from lianxin.accounts.permissions import Role
from lianxin.core import clock
from lianxin.core.testing import make_unit, make_user
from lianxin.stars.models import (
    Contest,
    ContestEntry,
    CreationPlan,
    Declaration,
    StarAward,
)
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services import plans as svc
from lianxin.stars.services.catalog import catalog_for_unit
from lianxin.territory.models import Unit

YEAR = 2026


def at(month: int, day: int, year: int = YEAR) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 10, 0))


def village(w: Any, code: str, name: str, township: Unit | None = None) -> Unit:
    """A village (村) under the world's street (or `township`)."""
    return make_unit(
        "village", code, f"{name}村民委员会", township or w.street, display_name=f"{name}村"
    )


def staff_of(w: Any, unit: Unit) -> Actor:
    """The village staff persona of `unit` (made for villages outside the persona world)."""
    if unit.pk == w.village.pk:
        return w.actor("village_staff")
    if unit.pk == w.other_village.pk:
        return w.actor("other_village_staff")
    user = User.objects.filter(username=f"staff_{unit.code}").first() or make_user(
        f"staff_{unit.code}", Role.VILLAGE_STAFF, unit
    )
    return Actor.for_user(user)


def plan(
    w: Any,
    *,
    unit: Unit | None = None,
    targets: Sequence[str] = ("branch", "ecology"),
    measures: int = 1,
    status: str = "draft",
    persona: str | None = None,
    year: int = YEAR,
) -> CreationPlan:
    """A plan of the world's village (or `unit`, drafted by `persona` or the unit's own staff)
    with `targets` ticked, `measures` measures, moved to `status` (submitted, confirmed)."""
    unit = unit or w.village
    actor = w.actor(persona) if persona else staff_of(w, unit)
    with clock.travel(at(2, 1, year)):
        p = svc.plan_create(actor=actor, unit=unit, year=year, summary="巩固提升，争创新星")
        codes = [ps.star.code for ps in p.stars.select_related("star")]
        drafts = [
            svc.StarDraft(
                code=c,
                is_target=c in targets,
                strengths=f"{c}优势" if c in targets else "",
                weaknesses=f"{c}短板",
            )
            for c in codes
        ]
        p = svc.plan_update(actor=actor, plan=p, summary=p.summary, stars=drafts)
        for i in range(measures):
            svc.plan_measure_add(
                actor=actor,
                plan=p,
                draft=svc.MeasureDraft(
                    title=f"举措{i + 1}：修缮党群服务中心",
                    responsible="张书记",
                    deadline=dt.date(year, 6, 30),
                    star_code=targets[0] if targets else "",
                ),
            )
        if status in ("submitted", "confirmed"):
            p = svc.plan_submit(actor=actor, plan=p)
        if status == "confirmed":
            reviewer = "street_staff" if unit.parent_id == w.street.pk else "other_street_staff"
            p = svc.plan_confirm(actor=w.actor(reviewer), plan=p)
    p.refresh_from_db()
    return p


def award(unit: Unit, code: str, *, year: int = YEAR, withdrawn: bool = False) -> StarAward:
    """A star held by `unit` (the star looked up in its catalog of the year)."""
    star = catalog_for_unit(unit, year).stars.get(code=code)
    return StarAward.objects.create(
        unit=unit,
        year=year,
        star=star,
        star_code=code,
        awarded_on=dt.date(year, 12, 1),
        withdrawn_on=dt.date(year, 12, 20) if withdrawn else None,
        withdraw_reason="测试撤星" if withdrawn else "",
    )


def progress(unit: Unit, amount: int = 50000, *, year: int = YEAR) -> StarAward:
    return StarAward.objects.create(
        unit=unit,
        year=year,
        kind=DeclarationKind.PROGRESS,
        awarded_on=dt.date(year, 12, 1),
        amount=Decimal(amount),
    )


def declaration(unit: Unit, code: str, status: str, *, year: int = YEAR) -> Declaration:
    star = catalog_for_unit(unit, year).stars.get(code=code)
    return Declaration.objects.create(unit=unit, year=year, star=star, status=status)


def levels(unit: Unit, codes: Sequence[str], *, year: int = YEAR) -> None:
    for code in codes:
        award(unit, code, year=year)


def contest_entry(
    host: Unit,
    unit: Unit,
    *,
    round_: str = "ideas",
    rank: int = 1,
    score: str = "90.00",
    final: bool = False,
    year: int = YEAR,
) -> ContestEntry:
    contest, _ = Contest.objects.get_or_create(
        host=host,
        year=year,
        round=round_,
        defaults={
            "is_final": final,
            "title": f"{host.display_name}{year}年{round_}",
            "held_on": dt.date(year, 3, 1),
            "status": Contest.Status.CLOSED,
        },
    )
    return ContestEntry.objects.create(
        contest=contest,
        unit=unit,
        presenter="书记",
        title="创建思路",
        rank=rank,
        average_score=Decimal(score),
        score_count=5,
    )
