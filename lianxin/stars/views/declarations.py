"""Pages of star declarations (see docs/stars-declarations.md), namespace ``stars``:

- `declaration_list` (/stars/declarations/): the actor's queues first (township first
  reviews, task force reviews, townships ready for a notice, the village's drafts and returned
  declarations), then every declaration in scope filtered by year, township, state and star;
  `declaration_export` gives the same list as .xlsx;
- `declaration_create`: a village ticks the stars it declares for a year (and the progress
  star); one draft declaration per star;
- `declaration_detail`: the standards with the live figures, the entries of every round, the
  review history with the scores, objections, the award, and the actions the actor may take;
- `declaration_edit`: the village fills the open round (self scores, claims, evidence files),
  saves, or saves and submits;
- `declaration_review`: the township's first review or the task force's review, with a
  judgement per standard;
- `declaration_act`: POST of submit, cancel, withdraw (撤星);
- `declaration_evidence`: an evidence file, for staff who see the declaration.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.stars import evidence as ev
from lianxin.stars import workflow as wf
from lianxin.stars.forms_declarations import (
    CancelForm,
    DeclarationCreateForm,
    EntriesForm,
    ReviewForm,
    VersionedForm,
    WithdrawForm,
    version_initial,
)
from lianxin.stars.models import Declaration, Star
from lianxin.stars.selectors import declarations as sel
from lianxin.stars.services import declarations as svc
from lianxin.stars.services import notices as notice_svc
from lianxin.stars.services import reviews as review_svc
from lianxin.stars.services.catalog import catalog_for_unit

Status = Declaration.Status
DONE = {"submit": "已报送，等待乡镇（街道）初审", "cancel": "申报已撤回", "withdraw": "已撤星"}
ACT_PERMS = {"submit": wf.DECLARE, "cancel": wf.DECLARE, "withdraw": wf.REVIEW_COUNTY}
STAGE_LABELS = {wf.STAGE_TOWNSHIP: "乡镇初审", wf.STAGE_COUNTY: "专班审核"}
EXPORT_HEADERS = [
    "年度",
    "乡镇（街道）",
    "村（社区）",
    "申报",
    "状态",
    "轮次",
    "最近报送",
    "最近退回/未通过原因",
]


# --- list and export ---------------------------------------------------------------------


@login_required
@require_GET
def declaration_list(request: ActorRequest) -> HttpResponse:
    """Queues first, then every declaration in scope (filterable, paged)."""
    actor = require_any(request, wf.VIEW)
    filters = sel.DeclarationFilters.from_query(request.GET)
    page = page_of(request, sel.declarations_for(actor, filters))
    this = clock.today().year
    return render(
        request,
        "stars/declarations/list.html",
        {
            "page": page,
            "filters": filters,
            "queues": sel.review_queues(actor),
            "statuses": Status.choices,
            "townships": sel.townships_for(actor),
            "stars": sel.star_choices(actor),
            "years": list(range(this + 1, this - 4, -1)),
            "can_create": actor.can(wf.DECLARE),
            "can_publish": actor.can(wf.REVIEW_COUNTY),
            "querystring_without_page": querystring_without_page(request),
        },
    )


def _export_row(d: Declaration) -> list[Any]:
    return [
        d.year,
        d.unit.parent.display_name if d.unit.parent else "",
        d.unit.display_name,
        svc.what(d),
        d.get_status_display(),
        d.round,
        clock.local_naive(d.submitted_at),
        d.last_reason,
    ]


@login_required
@require_GET
def declaration_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx (every staff list can be exported)."""
    actor = require_any(request, wf.VIEW)
    filters = sel.DeclarationFilters.from_query(request.GET)
    return xlsx_export(
        request,
        sheet="星级申报",
        headers=EXPORT_HEADERS,
        rows=(_export_row(d) for d in sel.declarations_for(actor, filters).iterator(2000)),
        object_type="stars.declaration",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


# --- create ------------------------------------------------------------------------------


def _stars_of(units: list[Any]) -> list[Star]:
    """The stars a form offers: this year's sets of the actor's villages (codes are stable
    across years; the service checks the chosen year's set)."""
    year = clock.today().year
    seen: dict[str, Star] = {}
    for unit in units[:5]:
        for star in catalog_for_unit(unit, year).stars.filter(is_active=True):
            seen.setdefault(star.code, star)
    return sorted(seen.values(), key=lambda s: (s.sort_order, s.code))


@login_required
@require_http_methods(["GET", "POST"])
def declaration_create(request: ActorRequest) -> HttpResponse:
    """Tick the stars to declare for a year; one draft per star (and the progress star)."""
    actor = require_any(request, wf.DECLARE)
    units = sel.declaration_units(actor)
    form = DeclarationCreateForm(request.POST or None, units=units, stars=_stars_of(units))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                unit = form.chosen_unit()
                if unit is None:
                    raise DomainError("请选择村（社区）", field="unit")
                created = svc.declarations_create(
                    actor=actor,
                    unit=unit,
                    year=form.cleaned_data["year"],
                    star_codes=form.cleaned_data["stars"],
                    progress=form.cleaned_data["progress"],
                    statement=form.cleaned_data["statement"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                names = "、".join(svc.what(d) for d in created)
                messages.success(request, f"已建立申报：{names}。请逐项填写申报材料后报送")
                if len(created) == 1:
                    return redirect("stars:declaration_edit", public_id=created[0].public_id)
                return redirect(f"{_list_url()}?year={created[0].year}&status={Status.DRAFT}")
    return render(
        request, "stars/declarations/create.html", {"form": form, "units": units}, status=status
    )


def _list_url() -> str:
    from django.urls import reverse

    return reverse("stars:declaration_list")


# --- detail ------------------------------------------------------------------------------


def _action_forms(actor: Any, d: Declaration) -> dict[str, forms.Form]:
    path = d.unit.path
    initial = version_initial(d)
    out: dict[str, forms.Form] = {}
    if actor.can(wf.DECLARE, path):
        if wf.can_move("submit", d.status):
            out["submit"] = VersionedForm(initial=initial, prefix="submit")
        if wf.can_move("cancel", d.status):
            out["cancel"] = CancelForm(initial=initial, prefix="cancel")
    if actor.can(wf.REVIEW_COUNTY, path) and wf.can_move("withdraw", d.status):
        out["withdraw"] = WithdrawForm(initial=initial, prefix="withdraw")
    return out


def _detail(
    request: ActorRequest,
    declaration: Declaration,
    *,
    bound: tuple[str, forms.Form] | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    d = declaration
    rounds = sel.rounds_of(d)
    current = rounds[0] if rounds else None
    action_forms = _action_forms(actor, d)
    if bound is not None:
        action_forms[bound[0]] = bound[1]
    stage = review_svc.stage_of(d)
    review_perm = review_svc.STAGES[stage].perm if stage else None
    ctx = {
        "d": d,
        "what": svc.what(d),
        "current": current,
        "current_rows": sel.entry_rows(d, current.entries) if current else [],
        "history_rounds": [
            {"number": r.number, "rows": sel.entry_rows(d, r.entries, live=False)}
            for r in rounds[1:]
        ],
        "steps": sel.steps_of(d),
        "objections": sel.objections_of(d) if d.notice_id else [],
        "award": sel.award_of(d) if d.status in (Status.AWARDED, Status.WITHDRAWN) else None,
        "forms": action_forms,
        "open_form": bound[0] if bound else "",
        "can_edit": actor.can(wf.DECLARE, d.unit.path) and wf.can_move("edit", d.status),
        "review_stage": stage if review_perm and actor.can(review_perm, d.unit.path) else "",
        "review_label": STAGE_LABELS.get(stage or "", ""),
        "conflict": conflict,
    }
    return render(request, "stars/declarations/detail.html", ctx, status=status)


@login_required
@require_GET
def declaration_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """One declaration: standards, live figures, rounds, history, actions."""
    actor = require_any(request, wf.VIEW)
    return _detail(request, sel.declaration_get(actor, public_id))


@login_required
@require_POST
def declaration_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """Submit, cancel or withdraw; the form carries the version the page showed."""
    if action not in ACT_PERMS:
        raise Http404("没有这种操作")
    actor = require_any(request, ACT_PERMS[action])
    declaration = sel.declaration_get(actor, public_id, ACT_PERMS[action])
    form: forms.Form = {"submit": VersionedForm, "cancel": CancelForm, "withdraw": WithdrawForm}[
        action
    ](request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, declaration, bound=(action, form), status=400)
    version = form.cleaned_data["version"]
    try:
        if action == "submit":
            svc.declaration_submit(actor=actor, declaration=declaration, expected_version=version)
        elif action == "cancel":
            svc.declaration_cancel(
                actor=actor,
                declaration=declaration,
                reason=form.cleaned_data["reason"],
                expected_version=version,
            )
        else:
            notice_svc.award_withdraw(
                actor=actor,
                declaration=declaration,
                reason=form.cleaned_data["reason"],
                expected_version=version,
            )
    except Conflict as exc:
        fresh = sel.declaration_get(actor, public_id)
        return _detail(request, fresh, conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        code = 403 if isinstance(exc, PermissionDenied) else 400
        return _detail(request, declaration, bound=(action, form), status=code)
    messages.success(request, DONE[action])
    return redirect("stars:declaration_detail", public_id=declaration.public_id)


# --- the village fills the open round ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def declaration_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Fill the open round; 保存 keeps it as a draft, 保存并报送 submits it too."""
    actor = require_any(request, wf.DECLARE)
    d = sel.declaration_get(actor, public_id, wf.DECLARE)
    if not wf.can_move("edit", d.status):
        messages.warning(request, svc.refusal(d, "edit").message)
        return redirect("stars:declaration_detail", public_id=d.public_id)
    svc.sync_entries(d)
    rounds = sel.rounds_of(d)
    entries = rounds[0].entries if rounds else []
    figures = sel.live_figures(d, entries)
    initial = {**version_initial(d), "statement": d.statement}
    form = EntriesForm(
        request.POST or None,
        request.FILES or None,
        entries=entries,
        figures=figures,
        initial=initial,
    )
    status = 200
    conflict = ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                svc.declaration_fill(
                    actor=actor,
                    declaration=d,
                    entries=form.entry_inputs(),
                    statement=form.cleaned_data["statement"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if not submit:
                    messages.success(request, "申报材料已保存")
                    return redirect("stars:declaration_edit", public_id=d.public_id)
                try:
                    svc.declaration_submit(
                        actor=actor, declaration=d, expected_version=form.cleaned_data["version"]
                    )
                except Conflict as exc:
                    conflict, status = exc.message, 409
                except DomainError as exc:
                    # What was typed and uploaded is saved: show the saved round with the
                    # reason the submission was refused.
                    messages.warning(request, f"申报材料已保存，但未能报送：{exc.message}")
                    rounds = sel.rounds_of(d)
                    entries = rounds[0].entries if rounds else []
                    form = EntriesForm(
                        request.POST, entries=entries, figures=figures, initial=initial
                    )
                    form.is_valid()
                    add_domain_error(form, exc)
                else:
                    messages.success(request, DONE["submit"])
                    return redirect("stars:declaration_detail", public_id=d.public_id)
    return render(
        request,
        "stars/declarations/edit.html",
        {"d": d, "what": svc.what(d), "form": form, "conflict": conflict},
        status=status,
    )


# --- reviews -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def declaration_review(request: ActorRequest, public_id: Any, stage: str) -> HttpResponse:
    """The township's first review or the task force's review of the round submitted."""
    spec = review_svc.STAGES.get(stage)
    if spec is None:
        raise Http404("没有这个评审环节")
    actor = require_any(request, spec.perm)
    d = sel.declaration_get(actor, public_id, spec.perm)
    rounds = sel.rounds_of(d)
    entries = rounds[0].entries if rounds else []
    rows = {row.entry.pk: row for row in sel.entry_rows(d, entries)}
    figures = {r.standard.figure_key: r.live for r in rows.values() if r.live is not None}
    form = ReviewForm(
        request.POST or None, entries=entries, figures=figures, initial=version_initial(d)
    )
    waiting = review_svc.stage_of(d) == stage
    refusal = "" if waiting else svc.refusal(d, spec.pass_move).message
    status = 200
    conflict = ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                review_svc.declaration_review(
                    actor=actor,
                    declaration=d,
                    stage=stage,
                    decision=form.cleaned_data["decision"],
                    scores=form.score_inputs(),
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                )
            except Conflict as exc:
                conflict, status = exc.message, 409
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                done = "已通过" if form.cleaned_data["decision"] == review_svc.PASS else "已退回"
                messages.success(request, f"{spec.label}{done}")
                return redirect("stars:declaration_detail", public_id=d.public_id)
    return render(
        request,
        "stars/declarations/review.html",
        {
            "d": d,
            "what": svc.what(d),
            "form": form,
            "groups": [{**g, "row": rows[g["entry"].pk]} for g in form.groups],
            "stage": stage,
            "stage_label": spec.label,
            "refusal": refusal,
            "conflict": conflict,
            "steps": sel.steps_of(d),
            # A progress star has no standards to judge: its statement and evidence.
            "progress_rows": list(rows.values()) if d.star_id is None else [],
        },
        status=status,
    )


# --- evidence ----------------------------------------------------------------------------


@login_required
@require_GET
def declaration_evidence(request: ActorRequest, public_id: Any, entry_id: Any) -> FileResponse:
    """An evidence file (photos already without EXIF), for staff who see the declaration."""
    actor = require_any(request, wf.VIEW)
    entry = sel.evidence_entry(actor, public_id, entry_id)
    name = entry.evidence.name
    response = FileResponse(entry.evidence.open("rb"), content_type=ev.content_type(name))
    original = entry.evidence_name or name.rsplit("/", 1)[-1]
    response["Content-Disposition"] = str(content_disposition_header(False, original))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
