"""Daily assessment (日常考核, seed 004: 《“五星”支部创建日常考核评估办法》) of four kinds of
subject — the county's task forces (创建专班), township party secretaries, village party
secretaries and the villages' star leaders (创建领军人) — on base work (基础工作), highlights
(特色亮点), results (主要成效), a knowledge test (知识测试) and other work (其他工作).

The county (`stars.review_county`) records one row per subject and period (a month,
``YYYY-MM``). Rows are append-only: a correction is a new row for the same subject and period
with the reason, and the newest row of a period counts. The year-end evaluation averages each
subject's periods (the newest row of each) and grades it; the result is linked to the year-end
evaluation of cadres (年终评优评先、干部提拔、奖金绩效).

The total (综合得分) is a weighted sum, out of 100:

    基础工作 30% + 特色亮点 20% + 主要成效 30% + 知识测试 20%
    + 其他工作 as a bonus of at most 5 points (5% of its score), the total capped at 100.

Other work (临时任务、督查发现的加分事项) rewards without letting it outweigh the four parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied, clean_text
from lianxin.stars import workflow as wf
from lianxin.stars.models import Assessment, TaskForce
from lianxin.stars.models.assessments import SubjectKind
from lianxin.territory.models import Unit, UnitKind

PLACES = Decimal("0.01")
PART_MAX = Decimal(100)
# The four parts' weights (sum 1) and the bonus weight of other work; see the module text.
WEIGHTS: dict[str, Decimal] = {
    "base_work": Decimal("0.30"),
    "highlights": Decimal("0.20"),
    "results": Decimal("0.30"),
    "knowledge_test": Decimal("0.20"),
}
OTHER_WEIGHT = Decimal("0.05")
TOTAL_CAP = Decimal(100)
PART_LABELS = {
    "base_work": "基础工作",
    "highlights": "特色亮点",
    "results": "主要成效",
    "knowledge_test": "知识测试",
    "other_work": "其他工作",
}
# Year-end grades (lowest score of each), best first.
GRADES: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), "优秀"),
    (Decimal(80), "良好"),
    (Decimal(60), "合格"),
)
FAIL_GRADE = "不合格"
PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PEOPLE = frozenset(
    {SubjectKind.TOWNSHIP_SECRETARY, SubjectKind.VILLAGE_SECRETARY, SubjectKind.STAR_LEADER}
)


@dataclass(frozen=True)
class Parts:
    """The five part scores of one period, each 0–100."""

    base_work: Decimal | str | int | None
    highlights: Decimal | str | int | None
    results: Decimal | str | int | None
    knowledge_test: Decimal | str | int | None
    other_work: Decimal | str | int | None = 0


def total_of(
    *,
    base_work: Decimal,
    highlights: Decimal,
    results: Decimal,
    knowledge_test: Decimal,
    other_work: Decimal = Decimal(0),
) -> Decimal:
    """The weighted total (two decimals), other work as a capped bonus."""
    parts = {
        "base_work": base_work,
        "highlights": highlights,
        "results": results,
        "knowledge_test": knowledge_test,
    }
    total = sum((parts[k] * w for k, w in WEIGHTS.items()), Decimal(0))
    total += other_work * OTHER_WEIGHT
    return min(total, TOTAL_CAP).quantize(PLACES, rounding=ROUND_HALF_UP)


def grade_of(score: Decimal | None) -> str:
    """优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, otherwise 不合格."""
    if score is None:
        return ""
    for floor, label in GRADES:
        if score >= floor:
            return label
    return FAIL_GRADE


def subject_key(
    kind: str, *, task_force: TaskForce | None = None, unit: Unit | None = None, name: str = ""
) -> str:
    """The key a subject keeps across periods: ``tf:<id>`` (a task force), ``unit:<id>`` (the
    secretary of a township or village: the post, whoever holds it), ``leader:<unit>:<name>``."""
    if kind == SubjectKind.TASK_FORCE:
        assert task_force is not None
        return f"tf:{task_force.pk}"
    assert unit is not None
    if kind == SubjectKind.STAR_LEADER:
        return f"leader:{unit.pk}:{name}"[:60]
    return f"unit:{unit.pk}"


def can_record(actor: Actor | None, county: Unit) -> bool:
    return actor is not None and actor.can(wf.REVIEW_COUNTY, county.path)


def _part(name: str, value: Decimal | str | int | None) -> Decimal:
    label = PART_LABELS[name]
    try:
        number = Decimal(str(value)) if value is not None and str(value).strip() else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise DomainError(f"请填写{label}得分（0–100）", field=name)
    if not (0 <= number <= PART_MAX):
        raise DomainError(f"{label}得分应在0至100分之间", field=name)
    if number != number.quantize(PLACES):
        raise DomainError(f"{label}得分最多保留两位小数", field=name)
    return number.quantize(PLACES)


def _period(value: str) -> tuple[str, int]:
    value = (value or "").strip()
    match = PERIOD_RE.match(value)
    if match is None:
        raise DomainError("考核期格式应为“年-月”，如2026-03", field="period")
    year, month = int(match.group(1)), int(match.group(2))
    today = clock.today()
    if (year, month) > (today.year, today.month):
        raise DomainError("考核期不能晚于本月", field="period")
    if year < today.year - 1:
        raise DomainError(f"只能登记{today.year - 1}年以来的考核", field="period")
    return value, year


def _subject(
    kind: str, county: Unit, task_force: TaskForce | None, unit: Unit | None, name: str
) -> tuple[Unit, str, str, TaskForce | None]:
    """(the unit the row hangs on, the subject's name, its key, the task force)."""
    if kind == SubjectKind.TASK_FORCE:
        if task_force is None or task_force.county_id != county.pk:
            raise DomainError("请选择本县（市、区）的创建专班", field="task_force")
        if not task_force.is_active:
            raise DomainError(f"专班“{task_force.name}”已停用", field="task_force")
        return county, task_force.name[:60], subject_key(kind, task_force=task_force), task_force
    expected = UnitKind.TOWNSHIP if kind == SubjectKind.TOWNSHIP_SECRETARY else UnitKind.VILLAGE
    what = "乡镇（街道）" if expected == UnitKind.TOWNSHIP else "村（社区）"
    if unit is None or unit.kind != expected or not unit.path.startswith(county.path):
        raise DomainError(f"请选择本县（市、区）的{what}", field="unit")
    if not unit.is_active:
        raise DomainError(f"{unit.display_name}已撤销", field="unit")
    label = "领军人姓名" if kind == SubjectKind.STAR_LEADER else "书记姓名"
    name = clean_text(name, field="name", label=label, max_length=30)
    return unit, name, subject_key(kind, unit=unit, name=name), None


@transaction.atomic
def assessment_record(
    *,
    actor: Actor,
    county: Unit,
    kind: str,
    period: str,
    parts: Parts,
    task_force: TaskForce | None = None,
    unit: Unit | None = None,
    name: str = "",
    note: str = "",
) -> Assessment:
    """Record a subject's scores for a period. A second row for the same subject and period
    is a correction: it needs the reason (`note`) and from then on it counts."""
    if county.kind != UnitKind.COUNTY:
        raise DomainError("日常考核由县（市、区）组织", field="county")
    if not can_record(actor, county):
        raise PermissionDenied("没有登记本县（市、区）日常考核的权限")
    if kind not in SubjectKind.values:
        raise DomainError("请选择考核对象类别", field="subject_kind")
    period, year = _period(period)
    row_unit, subject_name, key, tf = _subject(kind, county, task_force, unit, name)
    values = {
        "base_work": _part("base_work", parts.base_work),
        "highlights": _part("highlights", parts.highlights),
        "results": _part("results", parts.results),
        "knowledge_test": _part("knowledge_test", parts.knowledge_test),
        "other_work": _part("other_work", parts.other_work if parts.other_work is not None else 0),
    }
    note = clean_text(note, field="note", label="说明", max_length=300, required=False)
    # Rows of one subject and period are taken one at a time (lock the county row), so two
    # corrections at once both land in order.
    Unit.objects.select_for_update().filter(pk=county.pk).first()
    earlier = Assessment.objects.filter(
        county=county, subject_kind=kind, subject_key=key, period=period
    ).exists()
    if earlier and not note:
        raise DomainError("该对象本期已有考核结果：更正须写明原因", field="note")
    return Assessment.objects.create(
        county=county,
        unit=row_unit,
        year=year,
        period=period,
        subject_kind=kind,
        subject_key=key,
        subject_name=subject_name,
        task_force=tf,
        total=total_of(**values),
        note=note,
        assessor_id=actor.user_id,
        assessor_label=(
            f"{actor.display_name}（{actor.post_label}）"[:150] if actor.user_id else "系统"
        ),
        **values,
    )
