"""Duplicates (issue 3 item 7): similar open requests, residents' support (附议), merge
suggestions for staff.

Similarity is the Jaccard index of the character bigrams of title + description: Chinese
has no spaces, and bigrams catch "楼道灯" / "楼道的灯" without a segmenter or a model. Digits
and door numbers ("3号楼2单元") are dropped first: residents of one building share them
whatever their matter. A request in the same category gets `CATEGORY_BONUS`. Candidates are open, recent
(`CaseSettings.duplicate_window_days`) and at the same place: the same grid when the place
lies in a grid (a building's neighbours share the stairwell lights and the drains), else the
same unit.

Threshold (`MIN_SCORE` = 0.15, measured on the seeds' situations): two residents describing
the same unlit stairwell in their own words score 0.15–0.3 ("3号楼2单元楼道灯不亮好几天了，
晚上上下楼很危险" / "2单元楼道的灯坏了，晚上上下楼看不见": 0.23, / "2单元楼道灯坏了，晚上
很黑": 0.16); a terse "楼道灯坏了" scores 0.12 and passes only with the same category;
different matters at one building ("楼道堆满杂物", "单元门禁坏了", "漏水了", "垃圾没人
清运") score under 0.06 and stay below the threshold even with the bonus (0.08).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, CaseSupporter, Category
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.lifecycle import record_event
from lianxin.cases.workflow import Action
from lianxin.core import clock, crypto
from lianxin.core.errors import DomainError
from lianxin.territory.models import Unit

MIN_SCORE = 0.15
CATEGORY_BONUS = 0.08
# Candidates scored per call: the most recent open requests at the place. A grid has a few
# open requests at a time; the cap keeps a flood from making the page slow.
MAX_CANDIDATES = 200
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z]+")
# Door numbers ("3号楼", "2单元", "501室"): the place is compared separately, and two
# residents of one building share them whatever their matter is.
_ADDRESS = re.compile(
    r"[0-9０-９一二三四五六七八九十百]+\s*(?:号楼|号院|栋|幢|单元|层|楼|室|户|号)"
)
# Filler that makes unrelated requests look alike ("了", "的" pairs, "你好").
_STOP = frozenset({"你好", "您好", "谢谢", "麻烦", "请问", "一下", "我们", "现在", "已经", "问题"})


@dataclass(frozen=True)
class Similar:
    case: Case
    score: float


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the meaningful runs of `text` (punctuation and spaces split)."""
    grams: set[str] = set()
    for run in _KEEP.findall(_ADDRESS.sub(" ", (text or "").lower())):
        if len(run) == 1:
            continue
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(grams - _STOP)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard index of two bigram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def public_listed() -> QuerySet[Case]:
    """Requests residents may see on public pages: ordinary requests (never a mediation or an
    errand, which are about named people) whose reporter agreed (`allow_publish`) and that
    staff did not hide. The one predicate for every no-account read of requests."""
    return Case.objects.filter(kind=wf.Kind.ORDINARY, allow_publish=True, board_hidden=False)


def _place_q(unit: Unit) -> Q:
    """Same grid when the place lies in one, else the same unit."""
    from lianxin.cases.services.routing import ancestor_of_kind

    if unit.kind == "village":
        return Q(place_path=unit.path)
    grid = unit if unit.kind == "grid" else ancestor_of_kind(unit.path, "grid")
    if grid is None:
        return Q(place_path=unit.path)
    return Q(place_path__startswith=grid.path)


def similar_open_cases(
    *,
    unit: Unit,
    text: str,
    category: Category | None = None,
    days: int | None = None,
    limit: int = 5,
    actor: Actor | None = None,
    since: dt.datetime | None = None,
    exclude_ids: tuple[int, ...] = (),
) -> list[Similar]:
    """Open requests at the same place resembling `text`, best first.

    Without an `actor` only publicly listed requests are candidates (the resident's QR page);
    with one, the actor's scope (`selectors.cases_for`). With an empty `text` the most recent
    open requests at the place come back (score 0): what a resident sees before typing.
    """
    from lianxin.cases.selectors import cases_for

    days = case_settings().duplicate_window_days if days is None else days
    since = since or clock.now() - dt.timedelta(days=days)
    base = public_listed() if actor is None else cases_for(actor)
    candidates = (
        base.filter(_place_q(unit), status__in=wf.OPEN_STATUSES, received_at__gte=since)
        .exclude(pk__in=exclude_ids)
        .select_related("category", "unit")
        .order_by("-received_at", "-id")[:MAX_CANDIDATES]
    )
    grams = bigrams(text)
    if not grams:
        return [Similar(case=c, score=0.0) for c in list(candidates)[:limit]]
    scored: list[Similar] = []
    for c in candidates:
        score = similarity(grams, bigrams(f"{c.title} {c.description}"))
        if category is not None and c.category_id == category.pk:
            score += CATEGORY_BONUS
        if score >= MIN_SCORE:
            scored.append(Similar(case=c, score=round(score, 3)))
    scored.sort(key=lambda s: (-s.score, -s.case.received_at.timestamp()))
    return scored[:limit]


def merge_suggestions(actor: Actor, case: Case, *, limit: int = 5) -> list[Similar]:
    """Open requests in the actor's scope that look like `case` (staff case page → merge).

    The window counts back from when `case` was received, so suggestions stay the same
    whenever staff open the page."""
    days = case_settings().duplicate_window_days
    return similar_open_cases(
        unit=case.unit,
        text=f"{case.title} {case.description}",
        category=case.category,
        limit=limit,
        actor=actor,
        since=case.received_at - dt.timedelta(days=days),
        exclude_ids=(case.pk,),
    )


def _check_support_rate(*, source: str, phone_digest: str) -> None:
    conf = case_settings()
    now = clock.now()
    # `created_at` is the wall clock (auto_now_add); the upper bound keeps a replay under
    # `clock.travel` (the demo) from counting rows "from the future".
    rows = CaseSupporter.objects.filter(created_at__lte=now)
    if source:
        recent = rows.filter(
            source_digest=source, created_at__gte=now - dt.timedelta(hours=1)
        ).count()
        if recent >= conf.public_per_source_hour:
            raise DomainError("操作过于频繁，请稍后再试")
    if phone_digest:
        recent = rows.filter(
            phone_digest=phone_digest, created_at__gte=now - dt.timedelta(days=1)
        ).count()
        if recent >= conf.public_per_phone_day:
            raise DomainError("该手机号今天附议次数已达上限，请明天再试", field="phone")


@transaction.atomic
def case_support(*, case: Case, source: str, phone: str = "") -> CaseSupporter:
    """A resident adds support to an open request (附议, "也反映了此问题") instead of filing a
    duplicate: a supporter row, `support_count` + 1 and a public SUPPORT event.

    `source` is the client address (only its keyed digest is kept). Refused when the same
    address or phone already supported, or reported, this request."""
    from lianxin.cases.services.intake import source_digest
    from lianxin.people.services import validate_phone

    try:
        phone = validate_phone(phone)
    except DomainError as exc:
        raise DomainError(exc.message, field="phone") from exc
    src = source_digest(source)
    phone_dg = crypto.phone_digest(phone) if phone else ""
    # Lock the row: two taps of the button must not both pass the "already" check.
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or locked.status not in wf.OPEN_STATUSES:
        raise DomainError("该问题已办结或已合并，不能再附议")
    mine = Q()
    if src:
        mine |= Q(source_digest=src)
    if phone_dg:
        mine |= Q(phone_digest=phone_dg)
    reported = (src and locked.source_digest == src) or (
        phone_dg and locked.reporter_phone_digest == phone_dg
    )
    if reported or (mine and CaseSupporter.objects.filter(mine, case=locked).exists()):
        raise DomainError("您已经反映或附议过这个问题，我们会尽快处理")
    _check_support_rate(source=src, phone_digest=phone_dg)
    supporter = CaseSupporter.objects.create(case=locked, phone_digest=phone_dg, source_digest=src)
    Case.objects.filter(pk=locked.pk).update(support_count=F("support_count") + 1)
    case.support_count = locked.support_count + 1
    record_event(
        locked,
        action=Action.SUPPORT,
        actor=None,
        note="又有一位居民反映了此问题",
        from_status=locked.status,
        to_status=locked.status,
        public=True,
    )
    return supporter
