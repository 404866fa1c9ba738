"""Scope cases of the rhythm part (周通报、月调度), run by core's URL walk, and the helpers
that write the rows the reports read (tests/test_rhythm*.py use them).

The helpers write rows directly, with the event actions the key-work and inspection services
record ("added"/"done", "issued"/"verified"): the reports only read, so a test can set up any
week quickly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import next_seq
from lianxin.stars.models import Contest, Declaration, PublicNotice, ReviewStep, StarAward
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    Inspection,
    KeyWorkEvent,
    KeyWorkItem,
    Rectification,
    RectificationEvent,
)

MARK = "范围标记：大定街道思路大比武"
LIST_MARK = "范围标记：推进迎秀社区创建五星"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def declaration_moves(unit: Any, day: dt.date, *statuses: str) -> Declaration:
    """A declaration of the unit moved through `statuses` on `day`."""
    d = Declaration.objects.create(unit=unit, year=day.year, kind="progress", status=statuses[-1])
    previous = "draft"
    for status in statuses:
        ReviewStep.objects.create(
            declaration=d,
            round=1,
            stage="village",
            action="submitted",
            from_status=previous,
            to_status=status,
            actor_label="测试",
            at=at(day),
        )
        previous = status
    return d


def award(
    unit: Any,
    day: dt.date,
    code: str,
    *,
    kind: str = "star",
    withdrawn_on: dt.date | None = None,
    year: int | None = None,
) -> StarAward:
    return StarAward.objects.create(
        unit=unit,
        year=year or day.year,
        kind=kind,
        star_code=code if kind == "star" else "",
        awarded_on=day,
        withdrawn_on=withdrawn_on,
        withdraw_reason="测试" if withdrawn_on else "",
    )


def notice(township: Any, day: dt.date, title: str = "创建公示") -> PublicNotice:
    return PublicNotice.objects.create(
        township=township,
        year=day.year,
        number=f"GS-{next_seq()}",
        title=title,
        starts_on=day,
        ends_on=day + dt.timedelta(days=5),
    )


def contest(host: Any, day: dt.date, title: str = MARK, *, final: bool = False) -> Contest:
    return Contest.objects.create(
        host=host,
        year=day.year,
        round="ideas" if not final else "measures",
        is_final=final,
        title=title,
        held_on=day,
    )


def keywork(
    owner: Any,
    month: str,
    title: str = LIST_MARK,
    *,
    added: dt.date | None = None,
    done: dt.date | None = None,
    due: dt.date | None = None,
    task_force: Any = None,
) -> KeyWorkItem:
    """An item of the owner's (or task force's) list, added and maybe done on those days."""
    key = f"t{task_force.pk}" if task_force else f"u{owner.pk}"
    slot = KeyWorkItem.objects.filter(list_key=key, month=month).count() + 1
    item = KeyWorkItem.objects.create(
        owner=owner,
        task_force=task_force,
        list_key=key,
        month=month,
        slot=slot,
        title=title,
        responsible="张主任",
        due_on=due or dt.date.fromisoformat(f"{month}-28"),
        status="done" if done else "open",
        done_on=done,
    )
    if added:
        KeyWorkEvent.objects.create(item=item, action="added", actor_label="测试", at=at(added))
    if done:
        KeyWorkEvent.objects.create(item=item, action="done", actor_label="测试", at=at(done))
    return item


def rectification(
    unit: Any,
    *,
    issued: dt.date,
    deadline: dt.date,
    verified: dt.date | None = None,
) -> Rectification:
    inspection = Inspection.objects.create(
        unit=unit,
        quarter=wf.quarter_key(issued),
        inspected_on=issued,
        inspector_label="测试",
        summary="工作手册记录不全",
    )
    rect = Rectification.objects.create(
        inspection=inspection,
        number=f"ZG-{next_seq()}",
        requirements="补齐记录",
        deadline=deadline,
        status=wf.VERIFIED if verified else wf.ISSUED,
        verified_on=verified,
    )
    RectificationEvent.objects.create(
        rectification=rect, action="issued", actor_label="测试", at=at(issued)
    )
    if verified:
        RectificationEvent.objects.create(
            rectification=rect, action="verified", actor_label="测试", at=at(verified)
        )
    return rect


# --- scope cases -----------------------------------------------------------------------------

STREET = {"insider": "street_staff", "outsider": "other_street_staff"}


def _bulletin(w: Any) -> ScopeSetup:
    contest(w.street, clock.today())
    return ScopeSetup(marker=MARK)


def _schedule(w: Any) -> ScopeSetup:
    keywork(w.street, wf.month_key(clock.today()))
    return ScopeSetup(marker=LIST_MARK)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("worklists:bulletin", _bulletin, **STREET),
    ScopeCase(
        "worklists:bulletin", _bulletin, insider="org_department", outsider="other_street_staff"
    ),
    ScopeCase("worklists:schedule", _schedule, **STREET),
    ScopeCase(
        "worklists:schedule", _schedule, insider="org_department", outsider="other_street_staff"
    ),
    # The PDFs are the same reports (each reads the actor's own unit; test_rhythm.py checks
    # the outsider's PDF does not hold the insider's rows): no text marker in a PDF.
    ScopeCase("worklists:bulletin_pdf", lambda w: ScopeSetup(), **STREET),
    ScopeCase("worklists:schedule_pdf", lambda w: ScopeSetup(), **STREET),
]
