"""Townships' quotas (创建名额): how many branches of each level a township must declare in a
year, set by the county (`stars.review_county`). Seed 004: every township (乡镇、街道) declares
one five-star and four four-star branches; the battle map and the figures compare each quota
with the plans that target the level and the branches that reached it.

A quota row exists per township, year and level with a count ≥ 1; setting a level to 0
removes its row. A quota can never ask for more branches than the township has.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.db.models import Count

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.stars import workflow as wf
from lianxin.stars.models import Quota
from lianxin.territory.models import Unit, UnitKind

LEVELS = (5, 4, 3, 2, 1)
# Seed 004 (孟州市): 每个乡镇（街道）要申报1个“五星”、4个“四星”支部.
DEFAULT_QUOTA: dict[int, int] = {5: 1, 4: 4}
LEVEL_LABELS = {5: "五星", 4: "四星", 3: "三星", 2: "二星", 1: "一星", 0: "无星"}


def quota_years() -> range:
    """Years a quota may be set for: last year (late), this year and next (set in December)."""
    year = clock.today().year
    return range(year - 1, year + 2)


def can_set_quota(actor: Actor | None, township: Unit) -> bool:
    return actor is not None and actor.can(wf.REVIEW_COUNTY, township.path)


def field_name(level: int) -> str:
    """The form field (and refusal field) of a level: ``level_5``."""
    return f"level_{level}"


def _villages(townships: list[Unit]) -> dict[int, int]:
    """Active villages and communities per township (one query)."""
    rows = (
        Unit.objects.filter(parent__in=townships, kind=UnitKind.VILLAGE, is_active=True)
        .values("parent_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["parent_id"]: r["n"] for r in rows}


def _check(counts: Mapping[int, int], villages: int) -> None:
    for level, n in counts.items():
        if level not in LEVELS:
            raise DomainError("星级应为1到5", field="level")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise DomainError(
                f"{LEVEL_LABELS[level]}名额应为不小于0的整数", field=field_name(level)
            )
        if n > villages:
            raise DomainError(
                f"{LEVEL_LABELS[level]}名额不能超过该乡镇（街道）的村（社区）数（{villages}个）",
                field=field_name(level),
            )
    if sum(counts.values()) > villages:
        raise DomainError(
            f"各星级名额合计不能超过该乡镇（街道）的村（社区）数（{villages}个）",
            field=field_name(max(counts, key=lambda lv: counts[lv])),
        )


@transaction.atomic
def quota_set(
    *, actor: Actor, township: Unit, year: int, counts: Mapping[int, int | None]
) -> list[Quota]:
    """Set the township's quotas for `year`, level by level (levels not given stay as they
    are; 0 or None removes a level's quota). Answers the township's quotas, highest level
    first."""
    if township.kind != UnitKind.TOWNSHIP:
        raise DomainError("名额下达到乡镇（街道）", field="township")
    if not can_set_quota(actor, township):
        raise PermissionDenied("创建名额由县（市、区）创建专班下达")
    years = quota_years()
    if year not in years:
        raise DomainError(f"年度应在{years[0]}至{years[-1]}年之间", field="year")
    wanted = {level: (n or 0) for level, n in counts.items()}
    rows = Quota.objects.select_for_update().filter(township=township, year=year)
    existing = {q.level: q for q in rows}
    # The levels not given keep their counts: the total is checked with them.
    merged = {lv: q.count for lv, q in existing.items()} | wanted
    villages = _villages([township]).get(township.pk, 0)
    _check(wanted, villages)
    _check({lv: n for lv, n in merged.items() if n}, villages)
    for level, n in wanted.items():
        row = existing.get(level)
        if n == 0:
            if row is not None:
                row.delete()
        elif row is None:
            Quota.objects.create(
                township=township, year=year, level=level, count=n, set_by_id=actor.user_id
            )
        elif row.count != n:
            row.count = n
            row.set_by_id = actor.user_id
            row.save()
    return list(Quota.objects.filter(township=township, year=year).order_by("-level"))


@transaction.atomic
def quota_apply_defaults(*, actor: Actor, county: Unit, year: int) -> int:
    """Give every township of the county without a quota for `year` the default quota (one
    five-star, four four-star; fewer where a township has fewer branches). Townships that
    already have a quota keep it. Answers how many townships were given the default."""
    if county.kind not in (UnitKind.COUNTY, UnitKind.CITY):
        raise DomainError("请选择县（市、区）", field="county")
    if not actor.can(wf.REVIEW_COUNTY, county.path):
        raise PermissionDenied("创建名额由县（市、区）创建专班下达")
    years = quota_years()
    if year not in years:
        raise DomainError(f"年度应在{years[0]}至{years[-1]}年之间", field="year")
    townships = list(
        Unit.objects.filter(
            path__startswith=county.path, kind=UnitKind.TOWNSHIP, is_active=True
        ).order_by("path")
    )
    taken = set(
        Quota.objects.filter(township__in=townships, year=year).values_list(
            "township_id", flat=True
        )
    )
    villages = _villages(townships)
    filled = 0
    for township in townships:
        if township.pk in taken:
            continue
        left = villages.get(township.pk, 0)
        if not left:
            continue
        for level in sorted(DEFAULT_QUOTA, reverse=True):
            n = min(DEFAULT_QUOTA[level], left)
            if n:
                Quota.objects.create(
                    township=township, year=year, level=level, count=n, set_by_id=actor.user_id
                )
                left -= n
        filled += 1
    return filled
