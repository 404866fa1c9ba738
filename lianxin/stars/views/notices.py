"""Pages of public notices (公示) of proposed stars (see docs/stars-declarations.md).

Staff (namespace ``stars``):
- `notice_list` (/stars/notices/): notices the actor sees with their state and objection
  counts; for the task force, the townships whose approved declarations wait for a notice;
- `notice_publish`: the task force publishes one township's approved declarations of a year;
- `notice_detail`: the declarations in the notice, their objections; recording and answering
  objections (township or task force), closing the notice (task force, after its last day);
- `notice_act`: POST of `object` (record an objection) or `close`;
- `objection_answer`: POST of the answer to one objection;
- `notice_pdf`: the printable notice.

Anyone (namespace ``stars_public``, no account): `notice_public` (/s/notice/<uuid>/) and
`notice_public_pdf` — the notice is the document posted for everyone to read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.pdf import PdfFontMissing
from lianxin.stars import notice_pdf as printed
from lianxin.stars import workflow as wf
from lianxin.stars.forms_declarations import (
    AnswerForm,
    NoticePublishForm,
    ObjectionForm,
    VersionedForm,
    version_initial,
)
from lianxin.stars.models import Declaration, Objection, PublicNotice
from lianxin.stars.selectors import declarations as sel
from lianxin.stars.services import notices as svc

Status = Declaration.Status


def _pdf_response(notice: PublicNotice) -> HttpResponse:
    try:
        content = printed.notice_pdf(notice)
    except PdfFontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = str(
        content_disposition_header(False, printed.notice_filename(notice))
    )
    return response


@login_required
@require_GET
def notice_list(request: ActorRequest) -> HttpResponse:
    """Notices in scope, newest first, with objections counts."""
    actor = require_any(request, wf.VIEW)
    raw = (request.GET.get("year") or "").strip()
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None
    page = page_of(request, sel.notices_for(actor, year))
    this = clock.today().year
    return render(
        request,
        "stars/notices/list.html",
        {
            "page": page,
            "year": year,
            "years": list(range(this + 1, this - 4, -1)),
            "publishable": sel.publishable(actor),
            "today": clock.today(),
            "querystring_without_page": querystring_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_publish(request: ActorRequest) -> HttpResponse:
    """Publish a township's approved declarations of a year in one notice."""
    actor = require_any(request, wf.REVIEW_COUNTY)
    targets = sel.publishable(actor)
    form = NoticePublishForm(request.POST or None, targets=targets)
    wanted = request.GET.get("target")
    if request.method == "GET" and wanted in form.targets:
        form.fields["target"].initial = wanted
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            chosen = form.chosen()
            try:
                if chosen is None:
                    raise DomainError("请选择乡镇（街道）与年度", field="target")
                notice = svc.notice_publish(
                    actor=actor,
                    township=chosen["township"],
                    year=chosen["year"],
                    contact=form.cleaned_data["contact"],
                    starts_on=form.chosen_start(),
                )
            except DomainError as exc:
                if exc.field == "township":
                    exc.field = "target"
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已发布公示：{notice.number}")
                return redirect("stars:notice_detail", public_id=notice.public_id)
    return render(
        request,
        "stars/notices/publish.html",
        {"form": form, "targets": targets},
        status=status,
    )


def _detail(
    request: ActorRequest,
    notice: PublicNotice,
    *,
    objection_form: ObjectionForm | None = None,
    answer: tuple[Objection, AnswerForm] | None = None,
    close_error: str = "",
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    path = notice.township.path
    declarations = sel.notice_declarations(notice)
    in_notice = [d for d in declarations if d.status == Status.NOTICE]
    staff = [
        d
        for d in in_notice
        if actor.can(wf.REVIEW_TOWNSHIP, d.unit.path) or actor.can(wf.REVIEW_COUNTY, d.unit.path)
    ]
    if objection_form is None and staff:
        objection_form = ObjectionForm(declarations=staff, prefix="object")
    rows = []
    for d in declarations:
        objections = list(d.objections.all())
        for o in objections:
            o.can_answer = o.upheld is None and d in staff  # type: ignore[attr-defined]
            o.answer_form = (  # type: ignore[attr-defined]
                answer[1] if answer and answer[0].pk == o.pk else AnswerForm(prefix=f"a{o.pk}")
            )
        rows.append({"d": d, "objections": objections})
    columns, table = sel.notice_table(declarations)
    can_close = notice.status == PublicNotice.Status.OPEN and actor.can(wf.REVIEW_COUNTY, path)
    ctx = {
        "notice": notice,
        "rows": rows,
        "columns": columns,
        "table": table,
        "objection_form": objection_form if staff else None,
        "close_form": VersionedForm(initial=version_initial(notice), prefix="close")
        if can_close
        else None,
        "close_error": close_error,
        "over": svc.notice_over(notice),
        "running": sel.notice_is_running(notice),
        "period": svc.period_text(notice),
        "blocking": [d for d in in_notice if any(o.upheld is None for o in d.objections.all())],
        "conflict": conflict,
    }
    return render(request, "stars/notices/detail.html", ctx, status=status)


@login_required
@require_GET
def notice_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A notice with its declarations, objections and the actions of the actor."""
    actor = require_any(request, wf.VIEW)
    return _detail(request, sel.notice_get(actor, public_id))


@login_required
@require_POST
def notice_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """Record an objection (`object`) or close the notice (`close`)."""
    if action not in ("object", "close"):
        raise Http404("没有这种操作")
    actor = require_any(request, wf.VIEW)
    notice = sel.notice_get(actor, public_id)
    if action == "close":
        if not actor.can(wf.REVIEW_COUNTY, notice.township.path):
            raise Http404("不存在或无权访问")
        close = VersionedForm(request.POST, prefix="close")
        try:
            if close.is_valid() and close.cleaned_data["version"] != notice.version:
                raise Conflict("该公示刚刚有变化，请刷新页面后再操作")
            result = svc.notice_close(actor=actor, notice=notice)
        except Conflict as exc:
            fresh = sel.notice_get(actor, public_id)
            return _detail(request, fresh, conflict=exc.message, status=409)
        except DomainError as exc:
            return _detail(request, notice, close_error=exc.message, status=400)
        text = f"公示已处理：授星 {len(result.awarded)} 项，不予授星 {len(result.rejected)} 项"
        if result.blocking:
            text += f"；{len(result.blocking)} 项有未答复的异议，仍在公示中"
        messages.success(request, text)
        return redirect("stars:notice_detail", public_id=notice.public_id)
    staff = [
        d
        for d in sel.notice_declarations(notice)
        if d.status == Status.NOTICE
        and (actor.can(wf.REVIEW_TOWNSHIP, d.unit.path) or actor.can(wf.REVIEW_COUNTY, d.unit.path))
    ]
    if not staff:
        raise Http404("不存在或无权访问")
    form = ObjectionForm(request.POST, declarations=staff, prefix="object")
    if not form.is_valid():
        return _detail(request, notice, objection_form=form, status=400)
    try:
        declaration = form.chosen()
        if declaration is None:
            raise DomainError("请选择异议对象", field="declaration")
        svc.objection_record(
            actor=actor,
            declaration=declaration,
            channel=form.cleaned_data["channel"],
            received_on=form.cleaned_data["received_on"],
            content=form.cleaned_data["content"],
            objector=form.cleaned_data["objector"],
        )
    except Conflict as exc:
        return _detail(request, sel.notice_get(actor, public_id), conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        code = 403 if isinstance(exc, PermissionDenied) else 400
        return _detail(request, notice, objection_form=form, status=code)
    messages.success(request, "异议已登记，请核查后答复")
    return redirect("stars:notice_detail", public_id=notice.public_id)


@login_required
@require_POST
def objection_answer(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Answer one objection (upheld or not), once."""
    actor = require_any(request, wf.VIEW)
    objection: Objection = Objection.objects.select_related(
        "declaration__unit", "notice__township"
    ).get_visible(actor, wf.VIEW, public_id=public_id)
    path = objection.declaration.unit.path
    if not (actor.can(wf.REVIEW_TOWNSHIP, path) or actor.can(wf.REVIEW_COUNTY, path)):
        raise Http404("不存在或无权访问")
    form = AnswerForm(request.POST, prefix=f"a{objection.pk}")
    notice = objection.notice
    if not form.is_valid():
        return _detail(request, notice, answer=(objection, form), status=400)
    try:
        svc.objection_answer(
            actor=actor,
            objection=objection,
            answer=form.cleaned_data["answer"],
            upheld=form.upheld_value(),
        )
    except Conflict as exc:
        return _detail(request, notice, conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, notice, answer=(objection, form), status=400)
    messages.success(request, "异议已答复")
    return redirect("stars:notice_detail", public_id=notice.public_id)


@login_required
@require_GET
def notice_pdf(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The printable notice of a notice the actor sees."""
    actor = require_any(request, wf.VIEW)
    return _pdf_response(sel.notice_get(actor, public_id))


# --- anyone ------------------------------------------------------------------------------------


@require_GET
def notice_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The notice as posted: villages × stars, the period, how to object."""
    notice = sel.public_notice(public_id)
    columns, table = sel.notice_table(sel.notice_declarations(notice))
    return render(
        request,
        "stars/notices/public.html",
        {
            "notice": notice,
            "columns": columns,
            "table": table,
            "period": svc.period_text(notice),
            "objection_text": printed.objection_text(notice),
            "issuer": printed.issuer(notice),
            "running": sel.notice_is_running(notice),
        },
    )


@require_GET
def notice_public_pdf(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The printable notice, for anyone."""
    return _pdf_response(sel.public_notice(public_id))
