"""Declarations (星级申报): a village declares stars of its set for a year, fills each star's
standards (self score, claim, evidence file), submits, and may cancel before the review.

The path after submission (docs/stars-declarations.md):

    draft → submitted → township_passed → approved → notice → awarded (→ withdrawn)
             ↓ returned (a new round, amended and submitted again)  ↘ rejected
    draft / returned / submitted → cancelled

Every move is a compare-and-set on the declaration's `version` (`move`) plus an append-only
`ReviewStep` naming who acted and when; the reviews (services/reviews.py) and the notices
(services/notices.py) move declarations through the same `move`.

Evidence is kept per round: a returned declaration opens round n+1 whose entries start as a
copy of round n (evidence files are shared until replaced), so what each review saw stays as
it was. A progress star (进步星) has no standards: its claim is one entry without a standard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.stars import evidence as ev
from lianxin.stars import workflow as wf
from lianxin.stars.indicators import evaluate
from lianxin.stars.models import Declaration, DeclarationEntry, ReviewStep, Standard
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services.catalog import catalog_for_unit
from lianxin.territory.models import Unit, UnitKind

Status = Declaration.Status
Action = ReviewStep.Action
Stage = ReviewStep.Stage
Kind = DeclarationKind

SYSTEM_LABEL = "系统"
# What each move is called in a refusal ("…，不能{label}").
MOVE_LABELS: dict[str, str] = {
    "edit": "修改申报材料",
    "submit": "报送",
    "cancel": "撤回申报",
    "township_pass": "进行乡镇初审",
    "township_return": "进行乡镇初审",
    "county_approve": "进行专班审核",
    "county_return": "进行专班审核",
    "publish": "发布公示",
    "object": "登记或答复异议",
    "award": "授星",
    "reject": "作出不予授星决定",
    "withdraw": "撤星",
}
CLAIM_MAX = 2000
STATEMENT_MAX = 2000
# The years a village may declare for: last year (late declarations), this year, next year.
YEARS_BACK = 1
YEARS_AHEAD = 1


def entry_field(standard_id: int | None, name: str) -> str:
    """The form field of one entry's input (`e12-self_score`; `e0-…` for a progress star's
    statement), so a refusal lands next to the input it names."""
    return f"e{standard_id or 0}-{name}"


def require(actor: Actor | None, perm: str, path: str, message: str) -> None:
    """Refuse unless `actor` holds `perm` at the unit `path` (the tree is the scope)."""
    if actor is None or not actor.can(perm, path):
        raise PermissionDenied(message)


def actor_label(actor: Actor | None) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return SYSTEM_LABEL


def number(value: Decimal | None) -> str:
    """A score or figure without trailing zeros (30, 27.5)."""
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def what(declaration: Declaration) -> str:
    """The star's name, or 进步星."""
    return declaration.star.name if declaration.star_id and declaration.star else "进步星"


def refusal(declaration: Declaration, move: str) -> DomainError:
    """Why `move` may not happen now, in the words the pages show."""
    label = Status(declaration.status).label
    text = f"该申报当前为“{label}”，不能{MOVE_LABELS[move]}"
    if move.startswith("county_") and declaration.status == Status.SUBMITTED:
        text += "：须先经乡镇（街道）初审通过"
    elif move.startswith("township_") and declaration.status == Status.TOWNSHIP_PASSED:
        text += "：乡镇（街道）初审已通过，待专班审核"
    elif move in ("submit", "edit") and declaration.status == Status.SUBMITTED:
        text += "：已报送，待乡镇（街道）初审"
    return DomainError(text)


def move(
    declaration: Declaration,
    *,
    move: str,
    to_status: str,
    actor: Actor | None,
    stage: str,
    action: str,
    reason: str = "",
    total_score: Decimal | None = None,
    expected_version: int | None = None,
    **changes: Any,
) -> tuple[Declaration, ReviewStep]:
    """Compare-and-set the declaration from a state `move` allows (workflow.DECLARATION_MOVES)
    to `to_status` and append the ReviewStep of it. The step carries the round that was acted
    on (a return opens the next round through `changes`)."""
    sources = wf.DECLARATION_MOVES[move]
    if declaration.status not in sources:
        raise refusal(declaration, move)
    version = declaration.version if expected_version is None else expected_version
    now = clock.now()
    updated = Declaration.objects.filter(
        pk=declaration.pk, version=version, status__in=sorted(sources)
    ).update(version=version + 1, status=to_status, updated_at=now, **changes)
    if not updated:
        current = Declaration.objects.filter(pk=declaration.pk).values_list("status", flat=True)
        state = Status(current.first() or declaration.status).label
        raise Conflict(f"该申报刚刚有变化（现为“{state}”），请刷新页面后再操作")
    from_status, acted_round = declaration.status, declaration.round
    old = {name: getattr(declaration, name) for name in changes}
    for name, value in changes.items():
        setattr(declaration, name, value)
    declaration.status = to_status
    declaration.version = version + 1
    declaration.updated_at = now
    step = ReviewStep.objects.create(
        declaration=declaration,
        round=acted_round,
        stage=stage,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        total_score=total_score,
        actor_id=actor.user_id if actor is not None else None,
        actor_label=actor_label(actor),
        at=now,
    )
    diff = {"status": {"old": from_status, "new": to_status}}
    for name, value in old.items():
        if value != changes[name]:
            diff[name] = {"old": str(value)[:200], "new": str(changes[name])[:200]}
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=declaration,
        changes=diff,
        scope_path=declaration.unit.path,
    )
    return declaration, step


def locked(declaration: Declaration) -> Declaration:
    """The declaration re-read under a row lock (its unit and star too)."""
    row: Declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("unit", "star")
        .get(pk=declaration.pk)
    )
    return row


# --- entries -----------------------------------------------------------------------------


def sync_entries(declaration: Declaration) -> None:
    """Give the open round one entry per active standard of the star (one statement entry for
    a progress star); drop entries of standards the county has since deactivated. Only for
    rounds still being filled (draft or returned)."""
    rnd = declaration.round
    existing = DeclarationEntry.objects.filter(declaration=declaration, round=rnd)
    if declaration.kind == Kind.PROGRESS:
        if not existing.filter(standard__isnull=True).exists():
            DeclarationEntry.objects.create(declaration=declaration, round=rnd, standard=None)
        return
    active = set(
        Standard.objects.filter(star_id=declaration.star_id, is_active=True).values_list(
            "pk", flat=True
        )
    )
    have = set(existing.values_list("standard_id", flat=True))
    DeclarationEntry.objects.bulk_create(
        [
            DeclarationEntry(declaration=declaration, round=rnd, standard_id=sid)
            for sid in sorted(active - have)
        ]
    )
    stale = have - active
    if stale:
        existing.filter(standard_id__in=stale).delete()


def open_next_round(declaration: Declaration, acted_round: int) -> None:
    """Round `acted_round + 1` starts as a copy of the round the review returned: claims,
    self scores and evidence files (shared until replaced); the figures are frozen again at
    the next submission."""
    previous = DeclarationEntry.objects.filter(declaration=declaration, round=acted_round)
    DeclarationEntry.objects.bulk_create(
        [
            DeclarationEntry(
                declaration=declaration,
                round=acted_round + 1,
                standard_id=e.standard_id,
                self_score=e.self_score,
                claim=e.claim,
                evidence=e.evidence.name if e.evidence else "",
                evidence_name=e.evidence_name,
            )
            for e in previous
        ]
    )
    sync_entries(declaration)


def _check_year(year: int) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError) as exc:
        raise DomainError("请选择申报年度", field="year") from exc
    this = clock.today().year
    if not this - YEARS_BACK <= year <= this + YEARS_AHEAD:
        raise DomainError(
            f"申报年度须在{this - YEARS_BACK}年至{this + YEARS_AHEAD}年之间", field="year"
        )
    return year


@transaction.atomic
def declarations_create(
    *,
    actor: Actor,
    unit: Unit,
    year: int,
    star_codes: Sequence[str] = (),
    progress: bool = False,
    statement: str = "",
) -> list[Declaration]:
    """Draft declarations of a village for the ticked stars of its set (and the progress
    star), each with an empty entry per standard. Refused when a ticked star already has a
    live declaration that year (one per village, year and star)."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("星级由村（社区）申报，请选择村（社区）", field="unit")
    require(actor, wf.DECLARE, unit.path, "没有为该村（社区）申报星级的权限")
    year = _check_year(year)
    statement = clean_text(
        statement, field="statement", label="申报说明", max_length=STATEMENT_MAX, required=False
    )
    stars = {s.code: s for s in catalog_for_unit(unit, year).stars.filter(is_active=True)}
    codes = list(dict.fromkeys(c for c in star_codes if c))
    if not codes and not progress:
        raise DomainError("请勾选要申报的星", field="stars")
    unknown = [c for c in codes if c not in stars]
    if unknown:
        raise DomainError(f"{year}年度的星级目录中没有：{'、'.join(unknown)}", field="stars")
    taken = Declaration.objects.filter(
        unit=unit, year=year, kind=Kind.STAR, status__in=sorted(wf.LIVE), star__code__in=codes
    ).values_list("star__name", flat=True)
    if taken:
        raise DomainError(f"{year}年度已申报：{'、'.join(taken)}，请勿重复申报", field="stars")
    if (
        progress
        and Declaration.objects.filter(
            unit=unit, year=year, kind=Kind.PROGRESS, status__in=sorted(wf.LIVE)
        ).exists()
    ):
        raise DomainError(f"{year}年度已申报进步星，请勿重复申报", field="progress")
    wanted: list[tuple[str, Any]] = [(Kind.STAR, stars[c]) for c in codes]
    if progress:
        wanted.append((Kind.PROGRESS, None))
    out = []
    for kind, star in wanted:
        try:
            with transaction.atomic():
                declaration = Declaration.objects.create(
                    unit=unit,
                    year=year,
                    kind=kind,
                    star=star,
                    statement=statement,
                    created_by_id=actor.user_id,
                )
        except IntegrityError as exc:  # someone declared the same star a moment ago
            name = star.name if star is not None else "进步星"
            raise DomainError(f"{year}年度已申报：{name}，请勿重复申报", field="stars") from exc
        sync_entries(declaration)
        out.append(declaration)
    return out


@dataclass(frozen=True)
class EntryInput:
    """What the village typed for one standard (`standard_id` None: the progress statement).
    `evidence` None keeps the file the entry has."""

    standard_id: int | None
    self_score: Decimal | str | None = None
    claim: str = ""
    evidence: UploadedFile | None = None


def _self_score(standard: Standard | None, value: Decimal | str | None) -> Decimal | None:
    if standard is None or standard.kind != wf.MANUAL or value in (None, ""):
        return None
    field = entry_field(standard.pk, "self_score")
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise DomainError(f"“{standard.name}”的自评分须是数字", field=field) from exc
    if not score.is_finite() or score < 0:
        raise DomainError(f"“{standard.name}”的自评分不能为负数", field=field)
    if standard.max_score is not None and score > standard.max_score:
        raise DomainError(
            f"“{standard.name}”的自评分不能超过满分{number(standard.max_score)}分", field=field
        )
    return score.quantize(Decimal("0.01"))


@transaction.atomic
def declaration_fill(
    *,
    actor: Actor,
    declaration: Declaration,
    entries: Sequence[EntryInput],
    statement: str | None = None,
) -> Declaration:
    """Save what the village typed for the open round (draft or returned): self scores of
    manual standards (0 to the maximum), claims, evidence files (a photo, re-encoded without
    EXIF, or a PDF up to 10 MB, stored under a random name). Everything is checked before
    anything is saved, so a refusal loses nothing that was there."""
    require(actor, wf.DECLARE, declaration.unit.path, "没有修改该申报的权限")
    declaration = locked(declaration)
    if not wf.can_move("edit", declaration.status):
        raise refusal(declaration, "edit")
    sync_entries(declaration)
    current = {
        e.standard_id: e
        for e in DeclarationEntry.objects.filter(
            declaration=declaration, round=declaration.round
        ).select_related("standard")
    }
    cleaned = []
    for given in entries:
        entry = current.get(given.standard_id)
        if entry is None:
            raise DomainError("该标准不属于本申报，请刷新页面后重新填写")
        std = entry.standard
        name = std.name if std is not None else "进步情况"
        claim = clean_text(
            given.claim,
            field=entry_field(given.standard_id, "claim"),
            label=f"“{name}”的达标情况",
            max_length=CLAIM_MAX,
            required=False,
        )
        upload = None
        if given.evidence is not None:
            upload = ev.clean_evidence(
                given.evidence, field=entry_field(given.standard_id, "evidence"), label=name
            )
        cleaned.append((entry, _self_score(std, given.self_score), claim, upload))
    for entry, score, claim, upload in cleaned:
        changed = entry.self_score != score or entry.claim != claim or upload is not None
        if not changed:
            continue
        entry.self_score = score
        entry.claim = claim
        if upload is not None:
            entry.evidence.save(upload.stored_name, upload.content, save=False)
            entry.evidence_name = upload.original_name
        entry.save()
    if statement is not None:
        text = clean_text(
            statement,
            field="statement",
            label="申报说明",
            max_length=STATEMENT_MAX,
            required=False,
        )
        if text != declaration.statement:
            declaration.statement = text
            declaration.save(update_fields=["statement", "updated_at"])
    return declaration


def _freeze_figures(declaration: Declaration, entries: list[DeclarationEntry]) -> None:
    """The live value of every figure standard, frozen into the entry at submission."""
    figures = [e for e in entries if e.standard is not None and e.standard.kind == wf.FIGURE]
    if not figures:
        return
    values = evaluate(declaration.unit, declaration.year, [e.standard.figure_key for e in figures])  # type: ignore[union-attr]
    for entry in figures:
        assert entry.standard is not None
        value = values.get(entry.standard.figure_key)
        entry.figure_value = value.value if value is not None else None
        entry.save(update_fields=["figure_value", "updated_at"])


def submission_gaps(declaration: Declaration, entries: list[DeclarationEntry]) -> None:
    """Refuse a submission that lacks what the standards require: the evidence file of every
    `evidence` standard, the self score of every `manual` one; a progress star's statement
    and evidence file."""
    if declaration.kind == Kind.PROGRESS:
        entry = next((e for e in entries if e.standard_id is None), None)
        if entry is None or not entry.claim:
            raise DomainError("请填写进步情况说明", field=entry_field(None, "claim"))
        if not entry.evidence:
            raise DomainError("缺少佐证材料：进步情况", field=entry_field(None, "evidence"))
        return
    if not entries:
        raise DomainError("该星没有启用的创建标准，请联系县级创建办")
    missing = [e for e in entries if e.standard.kind == wf.EVIDENCE and not e.evidence]  # type: ignore[union-attr]
    if missing:
        raise DomainError(
            "缺少佐证材料：" + "、".join(e.standard.name for e in missing),  # type: ignore[union-attr]
            field=entry_field(missing[0].standard_id, "evidence"),
        )
    unscored = [e for e in entries if e.standard.kind == wf.MANUAL and e.self_score is None]  # type: ignore[union-attr]
    if unscored:
        raise DomainError(
            "请填写自评分：" + "、".join(e.standard.name for e in unscored),  # type: ignore[union-attr]
            field=entry_field(unscored[0].standard_id, "self_score"),
        )


@transaction.atomic
def declaration_submit(
    *, actor: Actor, declaration: Declaration, expected_version: int | None = None
) -> Declaration:
    """报送: the open round goes to the township's first review. Figure standards' live values
    are frozen into the entries; nothing of the round changes after this."""
    require(actor, wf.DECLARE, declaration.unit.path, "没有报送该申报的权限")
    if not wf.can_move("submit", declaration.status):
        raise refusal(declaration, "submit")
    entries = list(
        DeclarationEntry.objects.filter(
            declaration=declaration, round=declaration.round
        ).select_related("standard")
    )
    if declaration.kind == Kind.STAR:
        entries = [e for e in entries if e.standard is not None and e.standard.is_active]
    submission_gaps(declaration, entries)
    _freeze_figures(declaration, entries)
    declaration, _ = move(
        declaration,
        move="submit",
        to_status=Status.SUBMITTED,
        actor=actor,
        stage=Stage.VILLAGE,
        action=Action.SUBMITTED,
        reason="重新报送" if declaration.round > 1 else "",
        expected_version=expected_version,
        submitted_at=clock.now(),
    )
    return declaration


@transaction.atomic
def declaration_cancel(
    *,
    actor: Actor,
    declaration: Declaration,
    reason: str = "",
    expected_version: int | None = None,
) -> Declaration:
    """撤回申报 before the review (draft, returned, or submitted and not yet reviewed)."""
    require(actor, wf.DECLARE, declaration.unit.path, "没有撤回该申报的权限")
    reason = clean_text(reason, field="reason", label="撤回原因", max_length=500, required=False)
    declaration, _ = move(
        declaration,
        move="cancel",
        to_status=Status.CANCELLED,
        actor=actor,
        stage=Stage.VILLAGE,
        action=Action.CANCELLED,
        reason=reason,
        expected_version=expected_version,
    )
    return declaration
