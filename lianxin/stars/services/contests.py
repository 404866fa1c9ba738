"""The three contests (三次大比武, seed 004): 创建思路 at the start of the year, 创建举措 before
1 July, 创建成效 at year end.

- The county (`stars.review_county`) opens a round for a year (`contest_round_open`): one heat
  per township of the county at once (host = the township), each with a date and place the
  township may still change (`contest_update`).
- The township (`stars.review_township` at the host) registers its villages
  (`contest_entries_register`, several at once): the presenter (the secretary, 登台演讲),
  a title and optional material (PPT saved as PDF, or a photo). The village itself
  (`stars.declare`) may correct its entry or replace the material while registration is open.
- The host starts the scoring (`contest_scoring_start`, registration closes); each judge
  (`stars.judge` at the host) scores each entry once, 0–100, with an optional comment
  (`contest_score`; append-only rows, one per judge and entry).
- The host closes the heat (`contest_close`): each entry's average (two decimals), its rank in
  the heat (ties share a rank: 1, 1, 3) and whether it advances — every entry ranked within
  the county's `contest_advance` places (so a tie at the cut advances both).
- The county final of the round (`contest_final_create`, host = the county) is created when
  the county wants it; it receives the advanced entries of every closed heat (linked by
  `heat_entry`), and heats closed later deliver theirs while the final still takes entries.
  The final is scored and ranked the same way (nobody advances from it).

State moves are compare-and-set on the contest's `version`; scores of one contest are taken
under a lock of the contest row, so none lands after the ranking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars import workflow as wf
from lianxin.stars.evidence import clean_document
from lianxin.stars.models import Contest, ContestEntry, ContestScore
from lianxin.stars.models.contests import ContestRound
from lianxin.stars.services.catalog import county_of, settings_ensure
from lianxin.territory.models import Unit, UnitKind

Status = Contest.Status
SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
PLACES = Decimal("0.01")
# When each round may be held (month, day) — 思路 at the start of the year, 举措 before 七一,
# 成效 in the last quarter (its final may slip into January of the next year). A date outside
# is almost always a typing slip (the wrong year), so it is refused with the window named.
ROUND_WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int], int]] = {
    wf.ROUND_IDEAS: ((1, 1), (4, 30), 0),
    wf.ROUND_MEASURES: ((3, 1), (6, 30), 0),
    wf.ROUND_RESULTS: ((10, 1), (1, 31), 1),
}
ROUND_SHORT = {
    wf.ROUND_IDEAS: "创建思路",
    wf.ROUND_MEASURES: "创建举措",
    wf.ROUND_RESULTS: "创建成效",
}


@dataclass(frozen=True)
class EntryDraft:
    """One village's entry as typed on the registration form."""

    unit: Unit
    presenter: str
    title: str
    material: UploadedFile | None = None


class EntryRefused(DomainError):
    """A registration row was refused; `unit_code` says which (the form shows it there)."""

    def __init__(self, message: str, *, field: str | None = None, unit_code: str = "") -> None:
        super().__init__(message, field=field)
        self.unit_code = unit_code


# --- pure helpers ----------------------------------------------------------------------------


def competition_ranks(values: Sequence[Decimal]) -> list[int]:
    """Standard competition ranking of `values` (higher is better), in the given order:
    equal values share a rank and the next rank skips (100, 100, 90 → 1, 1, 3)."""
    ordered = sorted(values, reverse=True)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return [first[v] for v in values]


def average(total: Decimal | int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(PLACES, rounding=ROUND_HALF_UP)


def round_window(round_: str, year: int) -> tuple[dt.date, dt.date]:
    (m1, d1), (m2, d2), later = ROUND_WINDOWS[round_]
    return dt.date(year, m1, d1), dt.date(year + later, m2, d2)


def round_label(round_: str) -> str:
    return str(ContestRound(round_).label)


def day_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- checks ----------------------------------------------------------------------------------


def _require(actor: Actor | None, perm: str, path: str, message: str) -> None:
    if actor is None or not actor.can(perm, path):
        raise PermissionDenied(message)


def actor_label(actor: Actor) -> str:
    return f"{actor.display_name}（{actor.post_label}）"[:150] if actor.user_id else "系统"


def can_manage(actor: Actor | None, contest: Contest) -> bool:
    """The host runs its contest: the township's staff for a heat (the county may step in),
    the county for its final."""
    if actor is None:
        return False
    if actor.can(wf.REVIEW_COUNTY, contest.host.path):
        return True
    return not contest.is_final and actor.can(wf.REVIEW_TOWNSHIP, contest.host.path)


def can_edit_entry(actor: Actor | None, entry: ContestEntry) -> bool:
    """The host, or the village itself (its own entry's presenter, title and material)."""
    if actor is None:
        return False
    return can_manage(actor, entry.contest) or actor.can(wf.DECLARE, entry.unit.path)


def can_judge(actor: Actor | None, contest: Contest) -> bool:
    return (
        actor is not None and actor.user_id is not None and actor.can(wf.JUDGE, contest.host.path)
    )


def _require_manage(actor: Actor, contest: Contest) -> None:
    if not can_manage(actor, contest):
        raise PermissionDenied(
            "市（县）级决赛由县（市、区）组织" if contest.is_final else "没有组织该场比武的权限"
        )


def _round(value: str) -> str:
    if value not in ROUND_WINDOWS:
        raise DomainError("请选择比武轮次", field="round")
    return value


def _year(year: int) -> int:
    now = clock.today().year
    if not (now - 1 <= year <= now + 1):
        raise DomainError(f"年度应在{now - 1}至{now + 1}年之间", field="year")
    return year


def _held_on(round_: str, year: int, held_on: dt.date | None) -> dt.date:
    if held_on is None:
        raise DomainError("请填写比武日期", field="held_on")
    first, last = round_window(round_, year)
    if not (first <= held_on <= last):
        raise DomainError(
            f"{year}年{round_label(round_)}应在{day_label(first)}至{day_label(last)}之间举行",
            field="held_on",
        )
    return held_on


def _county(county: Unit) -> Unit:
    if county.kind != UnitKind.COUNTY:
        raise DomainError("大比武由县（市、区）组织", field="county")
    return county


def _locked(contest: Contest) -> Contest:
    """The contest row, locked for the rest of the transaction: registrations, scores and the
    ranking of one contest are taken one at a time."""
    return Contest.objects.select_for_update().select_related("host").get(pk=contest.pk)


def _move(
    contest: Contest, *, allowed: Sequence[str], expected_version: int | None, **changes: Any
) -> Contest:
    """Compare-and-set: the contest moves only from the version the caller saw."""
    if contest.status not in allowed:
        raise DomainError(f"比武当前为“{Status(contest.status).label}”，不能进行此操作")
    version = contest.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = Contest.objects.filter(pk=contest.pk, version=version, status__in=allowed).update(
        version=F("version") + 1, **changes
    )
    if not updated:
        raise Conflict("比武刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(contest, name, value)
    contest.version = version + 1
    return contest


# --- material --------------------------------------------------------------------------------


def material_file(upload: UploadedFile | None) -> tuple[ContentFile[bytes], str] | None:
    """The presentation material as stored (random name) and its original name: a PDF (PPT
    saved as PDF, ≤ 10 MB) kept as is, or a photo re-encoded without EXIF."""
    if upload is None:
        return None
    original = (getattr(upload, "name", "") or "材料").rsplit("/", 1)[-1][:200]
    doc = clean_document(
        upload,
        field="material",
        too_big=f"文件“{original}”超过10MB",
        not_a_document=f"“{original}”不是PDF或照片：PPT请另存为PDF后上传",
    )
    return doc.content, original


def is_pdf(entry: ContestEntry) -> bool:
    return bool(entry.material) and entry.material.name.endswith(".pdf")


# --- rounds and heats ------------------------------------------------------------------------


def townships_of(county: Unit) -> list[Unit]:
    return list(
        Unit.objects.filter(
            path__startswith=county.path, kind=UnitKind.TOWNSHIP, is_active=True
        ).order_by("sort_order", "path")
    )


@transaction.atomic
def contest_round_open(
    *, actor: Actor, county: Unit, year: int, round: str, held_on: dt.date | None, place: str = ""
) -> list[Contest]:
    """Open a round for a year: one heat per township of the county, all with the same date
    and place to start with (each township may change its own). A township added later gets
    its heat when the round is opened again."""
    _county(county)
    _require(actor, wf.REVIEW_COUNTY, county.path, "没有组织本县（市、区）大比武的权限")
    round_ = _round(round)
    year = _year(year)
    day = _held_on(round_, year, held_on)
    place = clean_text(place, field="place", label="地点", max_length=120, required=False)
    townships = townships_of(county)
    if not townships:
        raise DomainError(f"{county.display_name}没有乡镇（街道）", field="county")
    existing = set(
        Contest.objects.filter(host__in=townships, year=year, round=round_).values_list(
            "host_id", flat=True
        )
    )
    todo = [t for t in townships if t.pk not in existing]
    if not todo:
        raise DomainError(f"{year}年{round_label(round_)}已经开启", field="round")
    label = ROUND_SHORT[round_]
    created = []
    for township in todo:
        try:
            with transaction.atomic():
                created.append(
                    Contest.objects.create(
                        host=township,
                        year=year,
                        round=round_,
                        title=f"{year}年{township.display_name}{label}大比武",
                        held_on=day,
                        place=place,
                    )
                )
        except IntegrityError:
            continue  # opened by someone else at the same moment
    return created


@transaction.atomic
def contest_update(
    *,
    actor: Actor,
    contest: Contest,
    held_on: dt.date | None,
    place: str,
    expected_version: int | None = None,
) -> Contest:
    """The host sets its contest's date and place (until it is ranked)."""
    _require_manage(actor, contest)
    day = _held_on(contest.round, contest.year, held_on)
    place = clean_text(place, field="place", label="地点", max_length=120, required=False)
    return _move(
        contest,
        allowed=(Status.OPEN, Status.SCORING),
        expected_version=expected_version,
        held_on=day,
        place=place,
    )


@transaction.atomic
def contest_final_create(
    *, actor: Actor, county: Unit, year: int, round: str, held_on: dt.date | None, place: str = ""
) -> Contest:
    """The county final of a round (市级决赛): it receives the advanced entries of every
    closed heat at once, and of the heats closed later while it takes entries."""
    _county(county)
    _require(actor, wf.REVIEW_COUNTY, county.path, "市（县）级决赛由县（市、区）组织")
    round_ = _round(round)
    day = _held_on(round_, year, held_on)
    place = clean_text(place, field="place", label="地点", max_length=120, required=False)
    heats = Contest.objects.filter(
        host__path__startswith=county.path, year=year, round=round_, is_final=False
    )
    if not heats.exists():
        raise DomainError(f"{year}年{round_label(round_)}还没有开启乡镇初赛", field="round")
    try:
        with transaction.atomic():
            final = Contest.objects.create(
                host=county,
                year=year,
                round=round_,
                is_final=True,
                title=f"{year}年{county.display_name}{ROUND_SHORT[round_]}大比武决赛",
                held_on=day,
                place=place,
            )
    except IntegrityError as exc:
        raise DomainError(f"{year}年{round_label(round_)}决赛已经建立", field="round") from exc
    advanced = ContestEntry.objects.filter(
        contest__in=heats.filter(status=Status.CLOSED), advanced=True
    ).select_related("unit")
    _final_receive(final, list(advanced))
    return final


def _final_receive(final: Contest, heat_entries: Sequence[ContestEntry]) -> int:
    """Copy advanced heat entries into the final (presenter, title, the same material file)."""
    present = set(final.entries.values_list("heat_entry_id", flat=True))
    rows = [
        ContestEntry(
            contest=final,
            unit=e.unit,
            presenter=e.presenter,
            title=e.title,
            material=e.material.name if e.material else "",
            material_name=e.material_name,
            heat_entry=e,
        )
        for e in heat_entries
        if e.pk not in present
    ]
    for row in rows:
        row.save()
    return len(rows)


# --- entries ---------------------------------------------------------------------------------


def _clean_draft(contest: Contest, draft: EntryDraft, taken: set[int]) -> dict[str, Any]:
    unit = draft.unit
    code = unit.code

    def refuse(message: str, field: str | None = None) -> EntryRefused:
        return EntryRefused(f"{unit.display_name}：{message}", field=field, unit_code=code)

    if unit.kind != UnitKind.VILLAGE or not unit.path.startswith(contest.host.path):
        raise refuse(f"不是{contest.host.display_name}的村（社区）")
    if not unit.is_active:
        raise refuse("已撤销")
    if unit.pk in taken:
        raise refuse("已经报名")
    try:
        presenter = clean_text(draft.presenter, field="presenter", label="演讲人", max_length=30)
        title = clean_text(draft.title, field="title", label="题目", max_length=120)
        material = material_file(draft.material)
    except DomainError as exc:
        raise refuse(exc.message, exc.field) from exc
    fields: dict[str, Any] = {"unit": unit, "presenter": presenter, "title": title}
    if material is not None:
        fields["material"], fields["material_name"] = material
    return fields


@transaction.atomic
def contest_entries_register(
    *, actor: Actor, contest: Contest, drafts: Sequence[EntryDraft]
) -> list[ContestEntry]:
    """The township registers its villages (one or all at once): all rows or none."""
    _require_manage(actor, contest)
    if contest.is_final:
        raise DomainError("决赛名单由乡镇初赛晋级产生")
    contest = _locked(contest)
    if contest.status != Status.OPEN:
        raise DomainError("报名已经结束")
    if not drafts:
        raise DomainError("请至少选择一个村（社区）", field="units")
    taken = set(contest.entries.values_list("unit_id", flat=True))
    rows = []
    for draft in drafts:
        fields = _clean_draft(contest, draft, taken)
        taken.add(draft.unit.pk)
        rows.append(fields)
    entries = []
    for fields in rows:
        entry = ContestEntry(contest=contest, **fields)
        entry.save()
        entries.append(entry)
    return entries


@transaction.atomic
def contest_entry_update(
    *,
    actor: Actor,
    entry: ContestEntry,
    presenter: str,
    title: str,
    material: UploadedFile | None = None,
    remove_material: bool = False,
) -> ContestEntry:
    """Correct an entry's presenter and title or replace its material while the contest takes
    entries (the host, or the village itself)."""
    if not can_edit_entry(actor, entry):
        raise PermissionDenied("没有修改该参赛信息的权限")
    contest = _locked(entry.contest)
    if contest.status != Status.OPEN:
        raise DomainError("报名已经结束，参赛信息不能再修改")
    entry.presenter = clean_text(presenter, field="presenter", label="演讲人", max_length=30)
    entry.title = clean_text(title, field="title", label="题目", max_length=120)
    stored = material_file(material)
    if stored is not None:
        entry.material, entry.material_name = stored  # type: ignore[assignment]
    elif remove_material:
        entry.material, entry.material_name = "", ""  # type: ignore[assignment]
    entry.save()
    return entry


@transaction.atomic
def contest_entry_withdraw(*, actor: Actor, entry: ContestEntry) -> None:
    """Take an entry off the contest while it takes entries (nobody has scored yet)."""
    if not can_manage(actor, entry.contest):
        raise PermissionDenied("没有撤销该参赛的权限")
    contest = _locked(entry.contest)
    if contest.status != Status.OPEN:
        raise DomainError("报名已经结束，不能撤销参赛")
    entry.delete()


# --- scoring and ranking ---------------------------------------------------------------------


@transaction.atomic
def contest_scoring_start(
    *, actor: Actor, contest: Contest, expected_version: int | None = None
) -> Contest:
    """Registration ends, the judges score."""
    _require_manage(actor, contest)
    if not contest.entries.exists():
        raise DomainError("还没有参赛的村（社区）")
    return _move(
        contest, allowed=(Status.OPEN,), expected_version=expected_version, status=Status.SCORING
    )


def _score_value(score: Decimal | str | int | None) -> Decimal:
    try:
        value = Decimal(str(score)) if score is not None and str(score).strip() else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise DomainError("请填写得分（0–100）", field="score")
    if not (SCORE_MIN <= value <= SCORE_MAX):
        raise DomainError("得分应在0至100分之间", field="score")
    if value != value.quantize(PLACES):
        raise DomainError("得分最多保留两位小数", field="score")
    return value.quantize(PLACES)


@transaction.atomic
def contest_score(
    *, actor: Actor, entry: ContestEntry, score: Decimal | str | int | None, comment: str = ""
) -> ContestScore:
    """A judge's score of an entry (once per judge and entry); the entry's running average
    and count follow."""
    if not can_judge(actor, entry.contest):
        raise PermissionDenied("您不是该场比武的评委")
    value = _score_value(score)
    comment = clean_text(comment, field="comment", label="点评", max_length=300, required=False)
    contest = _locked(entry.contest)
    if contest.status == Status.OPEN:
        raise DomainError("比武还在报名，尚未开始评分")
    if contest.status == Status.CLOSED:
        raise DomainError("比武已经排名，不能再打分")
    if ContestScore.objects.filter(entry=entry, judge_id=actor.user_id).exists():
        raise DomainError("您已为该参赛打过分，每位评委对每个参赛只打一次分", field="score")
    try:
        with transaction.atomic():
            row = ContestScore.objects.create(
                entry=entry,
                judge_id=actor.user_id,
                judge_label=actor_label(actor),
                score=value,
                comment=comment,
                at=clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError(
            "您已为该参赛打过分，每位评委对每个参赛只打一次分", field="score"
        ) from exc
    agg = ContestScore.objects.filter(entry=entry).aggregate(n=Count("id"), total=Sum("score"))
    ContestEntry.objects.filter(pk=entry.pk).update(
        score_count=agg["n"], average_score=average(agg["total"] or 0, agg["n"])
    )
    return row


@transaction.atomic
def contest_close(
    *, actor: Actor, contest: Contest, expected_version: int | None = None
) -> Contest:
    """Rank the contest: averages (two decimals), competition ranks within the contest, and
    for a heat the entries within the county's `contest_advance` places advance (to the final
    at once when it exists and still takes entries). Entries nobody scored get no rank."""
    _require_manage(actor, contest)
    contest = _locked(contest)
    if contest.status != Status.SCORING:
        raise DomainError(f"比武当前为“{Status(contest.status).label}”，不能排名")
    entries = list(contest.entries.select_related("unit").order_by("id"))
    sums = {
        row["entry_id"]: (row["total"], row["n"])
        for row in ContestScore.objects.filter(entry__contest=contest)
        .values("entry_id")
        .annotate(total=Sum("score"), n=Count("id"))
    }
    scored = [e for e in entries if e.pk in sums]
    if not scored:
        raise DomainError("还没有评委打分，不能排名")
    for e in entries:
        total, n = sums.get(e.pk, (0, 0))
        e.score_count, e.average_score = n, average(total, n)
        e.rank, e.advanced = None, False
    ranks = competition_ranks([e.average_score for e in scored])  # type: ignore[misc]
    places = 0
    if not contest.is_final:
        places = settings_ensure(county=county_of(contest.host), year=contest.year).contest_advance
    for e, rank in zip(scored, ranks, strict=True):
        e.rank = rank
        e.advanced = rank <= places
    ContestEntry.objects.bulk_update(entries, ["score_count", "average_score", "rank", "advanced"])
    _move(
        contest,
        allowed=(Status.SCORING,),
        expected_version=expected_version,
        status=Status.CLOSED,
        closed_at=clock.now(),
    )
    if not contest.is_final:
        final = Contest.objects.filter(
            host=county_of(contest.host),
            year=contest.year,
            round=contest.round,
            is_final=True,
            status=Status.OPEN,
        ).first()
        if final is not None:
            _final_receive(final, [e for e in entries if e.advanced])
    return contest
