"""三类户 household ratings (示范户 / 达标户 / 整改户 by default) and their door plaques.

Each household account of a village is rated for a year from the year's score with the
thresholds of `PointsSettings` (rating_top_min, rating_mid_min; the labels are configurable
too). Rating is repeatable until published: re-computing replaces the unpublished ratings
(same rows, so links stay valid) and leaves the published ones alone — their plaque is
already on the door. Publishing stamps `published_at`; only published ratings print plaques.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.scope import path_q
from lianxin.points import workflow as wf
from lianxin.points.models import (
    SCORE_KINDS,
    Account,
    HouseholdRating,
    PointEntry,
    PointsSettings,
    SubjectKind,
)
from lianxin.points.services.config import points_settings, scheme_for
from lianxin.territory.models import Unit, UnitKind

Level = HouseholdRating.Level


def classify(score: int, cfg: PointsSettings) -> tuple[str, str]:
    """(level, label) of a year's score under the configured thresholds."""
    if score >= cfg.rating_top_min:
        return Level.TOP, cfg.rating_top_label
    if score >= cfg.rating_mid_min:
        return Level.MID, cfg.rating_mid_label
    return Level.LOW, cfg.rating_low_label


def level_labels(cfg: PointsSettings | None = None) -> dict[str, str]:
    """The configured title of each level (示范户, 达标户, 整改户 by default)."""
    cfg = cfg or points_settings()
    return {
        Level.TOP: cfg.rating_top_label,
        Level.MID: cfg.rating_mid_label,
        Level.LOW: cfg.rating_low_label,
    }


@dataclass
class RatingSummary:
    """What a computation did: rows created, re-rated, kept (published) and dropped."""

    created: int = 0
    updated: int = 0
    kept_published: int = 0
    removed: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def rated(self) -> int:
        return self.created + self.updated


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _check(actor: Actor, village: Unit, year: int) -> None:
    if village.kind != UnitKind.VILLAGE:
        raise DomainError("三类户按村/社区评定，请选择村或社区", field="village")
    if not actor.can(wf.TALK, village.path):
        raise PermissionDenied(f"没有评定“{village.display_name}”三类户的权限")
    if year > _today().year:
        raise DomainError(f"{year} 年度尚未开始，不能评定", field="year")


def _year_scores(scheme_id: int, village: Unit, year: int) -> dict[int, int]:
    """Score per household account of the village for the year: one grouped query."""
    rows = (
        PointEntry.objects.filter(
            account__scheme_id=scheme_id,
            account__village=village,
            occurred_on__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)),
            kind__in=SCORE_KINDS,
        )
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    return {r["account_id"]: int(r["total"] or 0) for r in rows}


@transaction.atomic
def ratings_compute(*, actor: Actor, village: Unit, year: int) -> RatingSummary:
    """Rate every active household account of `village` for `year` (needs `points.talk` at
    the village). Unpublished ratings are replaced; published ones stay as they are."""
    _check(actor, village, year)
    user_id = actor.user_id
    if user_id is None:
        raise PermissionDenied("请先登录")
    cfg = points_settings()
    if cfg.rating_mid_min > cfg.rating_top_min:
        raise DomainError("积分设置有误：第二类户分数线高于第一类户，请先修改积分设置")
    scheme = scheme_for(SubjectKind.HOUSEHOLD)
    accounts = list(
        Account.objects.filter(
            scheme=scheme, village=village, is_active=True, household__is_active=True
        ).values_list("pk", flat=True)
    )
    scores = _year_scores(scheme.pk, village, year)
    # Locked so two staff computing at once cannot interleave their replacements.
    existing = {
        r.account_id: r
        for r in HouseholdRating.objects.select_for_update().filter(
            account__scheme=scheme, account__village=village, year=year
        )
    }
    summary = RatingSummary()
    new: list[HouseholdRating] = []
    changed: list[HouseholdRating] = []
    for account_id in accounts:
        current = existing.pop(account_id, None)
        if current is not None and current.published_at is not None:
            summary.kept_published += 1
            continue
        score = scores.get(account_id, 0)
        level, label = classify(score, cfg)
        summary.by_level[level] = summary.by_level.get(level, 0) + 1
        if current is None:
            new.append(
                HouseholdRating(
                    account_id=account_id,
                    year=year,
                    score=score,
                    level=level,
                    label=label,
                    rated_by_id=user_id,
                )
            )
        else:
            current.score, current.level, current.label = score, level, label
            current.rated_by_id = user_id
            changed.append(current)
    # Left over: households gone from the village (moved, inactive) since the last run.
    stale = [r.pk for r in existing.values() if r.published_at is None]
    summary.kept_published += sum(1 for r in existing.values() if r.published_at is not None)
    if stale:
        summary.removed = HouseholdRating.objects.filter(pk__in=stale).delete()[0]
    if changed:
        now = clock.now()
        for r in changed:
            r.updated_at = now
        HouseholdRating.objects.bulk_update(
            changed, ["score", "level", "label", "rated_by", "updated_at"], batch_size=500
        )
    try:
        with transaction.atomic():
            HouseholdRating.objects.bulk_create(new, batch_size=500)
    except IntegrityError as exc:
        raise Conflict("其他人正在评定同一村/社区同一年度，请稍后刷新再试") from exc
    summary.created, summary.updated = len(new), len(changed)
    audit_record(
        action=AuditEvent.Action.OTHER,
        object_type="points.householdrating",
        object_id=f"{village.code}/{year}",
        object_repr=f"三类户评定：{village.display_name} {year}年度",
        changes={
            "created": summary.created,
            "updated": summary.updated,
            "kept_published": summary.kept_published,
            "removed": summary.removed,
            "by_level": summary.by_level,
        },
        scope_path=village.path,
    )
    return summary


@transaction.atomic
def ratings_publish(*, actor: Actor, village: Unit, year: int) -> int:
    """Publish (挂牌公布) the village's unpublished ratings of `year`; returns how many."""
    _check(actor, village, year)
    count = HouseholdRating.objects.filter(
        account__village=village, year=year, published_at__isnull=True
    ).update(published_at=clock.now(), updated_at=clock.now())
    if not count:
        raise DomainError(f"{village.display_name}{year}年度没有待公布的评定，请先评定")
    audit_record(
        action=AuditEvent.Action.OTHER,
        object_type="points.householdrating",
        object_id=f"{village.code}/{year}",
        object_repr=f"三类户挂牌公布：{village.display_name} {year}年度（{count}户）",
        changes={"published": count},
        scope_path=village.path,
    )
    return count


# --- reads -----------------------------------------------------------------------------------

# The level codes do not sort in rank order ("low" < "mid" < "top"): rank them explicitly.
LEVEL_RANK = Case(
    When(level=Level.TOP, then=Value(1)),
    When(level=Level.MID, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def rating_villages(actor: Actor) -> QuerySet[Unit]:
    """Villages whose ratings the actor sees some of: those under the actor's points scope and
    the one above a grid or building post (a grid worker sees their grid's ratings)."""
    paths = actor.scope_paths(wf.VIEW)
    above: set[str] = set()
    for p in paths:
        parts = [x for x in p.split("/") if x]
        above.update("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    return Unit.objects.filter(kind=UnitKind.VILLAGE).filter(
        path_q("path", paths) | Q(path__in=above)
    )


def village_get(actor: Actor, code: str) -> Unit | None:
    """A village among `rating_villages` by code, or None."""
    return rating_villages(actor).filter(code=code).first() if code else None


def latest_year(village: Unit) -> int | None:
    """The latest year the village has ratings for (the rating page's default)."""
    row = HouseholdRating.objects.filter(account__village=village).order_by("-year").first()
    return row.year if row else None


def ratings_of(actor: Actor, *, village: Unit, year: int) -> QuerySet[HouseholdRating]:
    """The ratings of a village and year that the actor may see, best first."""
    return (
        HouseholdRating.objects.visible_to(actor, wf.VIEW)
        .filter(account__village=village, year=year)
        .select_related("account__household__unit")
        .order_by(LEVEL_RANK, "-score", "account__unit__path", "id")
    )


def level_counts(ratings: QuerySet[HouseholdRating]) -> dict[str, Any]:
    """Counts per level plus the published and total counts, in one query."""
    row = ratings.order_by().aggregate(
        total=Count("id"),
        published=Count("id", filter=Q(published_at__isnull=False)),
        **{lv: Count("id", filter=Q(level=lv)) for lv in Level.values},
    )
    return row


def rating_get(actor: Actor, public_id: Any) -> HouseholdRating:
    """One published rating in scope (404 otherwise) with what its plaque prints."""
    return HouseholdRating.objects.select_related(
        "account__household__unit", "account__village"
    ).get_visible(actor, wf.VIEW, public_id=public_id, published_at__isnull=False)


def published_of(actor: Actor, *, village: Unit, year: int) -> list[HouseholdRating]:
    """The published ratings of a village and year in scope, in door order (for printing)."""
    return list(
        HouseholdRating.objects.visible_to(actor, wf.VIEW)
        .filter(account__village=village, year=year, published_at__isnull=False)
        .select_related("account__household__unit", "account__village")
        .order_by(LEVEL_RANK, "account__unit__path", "account__household__address", "id")
    )
