"""Staff pages of meetings (议事会议) and the residents' meeting page.

- list (filters, paging, Excel), create/edit/cancel, detail with the state actions (open,
  close, cancel), the live quorum panel (an htmx partial polled while the meeting is open),
  the agenda (rows from the votes part) and the attendance list;
- the sign-in roll (签到册, phone-friendly: staff may sign people in at the door), the
  projector screen (code, QR of the residents' sign-in page, quorum) and the minutes (edit
  with compare-and-set, history, lock, signed addenda, PDF);
- configuration: venues and representatives per village (`consultation.run`), meeting types
  (deployment-wide `consultation.configure`);
- `meeting_public`: what residents read about a public meeting (no names, locked minutes).

Every read goes through `selectors.meetings` (404 outside the scope); every write is one
service call whose refusal is shown next to what was typed.
"""

from __future__ import annotations

import base64
from typing import Any, cast
from xml.sax.saxutils import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.consultation import forms_meetings as f
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Meeting,
    MeetingType,
    Minutes,
    MinutesAddendum,
)
from lianxin.consultation.selectors import meetings as sel
from lianxin.consultation.services import config as config_svc
from lianxin.consultation.services import meetings as svc
from lianxin.consultation.services import minutes as minutes_svc
from lianxin.consultation.services import venues as venue_svc
from lianxin.core import clock, pdf
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, url_or_empty
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.pdf import PdfFontMissing
from lianxin.core.qr import qr_png
from lianxin.territory.models import Unit

ROLL_PAGE = 50
ATTENDANCE_PAGE = 100
QUORUM_POLL_SECONDS = 5
ITEM_ROW = "consultation/votes/_item_row.html"
ITEM_STYLE = "consultation/votes/_style.html"
EXPORT_HEADERS = (
    "会议名称",
    "村（社区）",
    "会议类型",
    "场所",
    "网格/楼院",
    "开始时间",
    "状态",
    "应到人数",
    "实到人数",
    "议题数",
    "主持人",
    "向居民公开",
)


def _viewer(request: ActorRequest) -> Actor:
    return cast(Actor, require_any(request, wf.VIEW))


def _can_run(actor: Actor, meeting: Meeting) -> bool:
    return actor.can(wf.RUN, meeting.unit.path)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _detail(meeting: Meeting) -> str:
    return reverse("consultation:meeting_detail", kwargs={"public_id": meeting.public_id})


def _url_for_meeting(name: str, meeting: Meeting) -> str:
    """A page another part builds (it may not exist yet): its URL for this meeting, or ""."""
    return url_or_empty(name, public_id=meeting.public_id) or url_or_empty(
        name, meeting=meeting.public_id
    )


# --- the list ---------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: ActorRequest) -> HttpResponse:
    """Meetings in scope, filtered by village, type, state and month."""
    actor = _viewer(request)
    filters = sel.MeetingFilters.from_query(request.GET)
    page = page_of(request, sel.meeting_list(actor, filters))
    return render(
        request,
        "consultation/meetings/list.html",
        {
            "page": page,
            "filters": filters,
            "villages": list(sel.villages(actor)[:500]),
            "types": sel.meeting_types(),
            "statuses": Meeting.Status.choices,
            "querystring_without_page": querystring_without_page(request),
            "can_create": actor.can(wf.RUN),
            "can_configure": config_svc.can_configure(actor),
            "export_query": request.GET.urlencode(),
        },
    )


def _export_row(m: Any) -> list[Any]:
    return [
        m.title,
        m.unit.display_name,
        m.meeting_type.name,
        m.venue.name if m.venue else "",
        m.place.display_name if m.place else "",
        clock.local_naive(m.starts_at),
        m.get_status_display(),
        m.eligible_count,
        m.present,
        m.item_count,
        m.host_label,
        "是" if m.is_public else "否",
    ]


@login_required
@require_GET
def meeting_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx (every staff list can be exported)."""
    actor = _viewer(request)
    filters = sel.MeetingFilters.from_query(request.GET)
    return xlsx_export(
        request,
        sheet="议事会议",
        headers=EXPORT_HEADERS,
        rows=(_export_row(m) for m in sel.meeting_list(actor, filters).iterator(chunk_size=2000)),
        object_type="consultation.meeting",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


# --- create, edit, cancel ---------------------------------------------------------------------


def _meeting_form(unit: Unit, data: Any = None, **kw: Any) -> f.MeetingForm:
    return f.MeetingForm(
        data,
        types=svc.meeting_types_for(unit),
        venues=list(sel.venues_for(unit)),
        places=list(sel.places(unit)),
        **kw,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: ActorRequest) -> HttpResponse:
    """Announce a meeting of a village (first pick the village when the actor runs several)."""
    actor = cast(Actor, require_any(request, wf.RUN))
    units = list(sel.villages(actor, wf.RUN))
    chosen = request.POST.get("unit") or request.GET.get("unit", "")
    if not chosen and len(units) == 1:
        chosen = str(units[0].public_id)
    if not chosen:
        return render(request, "consultation/meetings/pick_unit.html", {"units": units})
    unit = sel.village_get(actor, chosen, wf.RUN)
    if request.method == "POST":
        form = _meeting_form(unit, request.POST)
        if form.is_valid():
            try:
                meeting = svc.meeting_create(
                    actor=actor,
                    unit=unit,
                    meeting_type=cast(MeetingType, form.chosen_type()),
                    title=form.cleaned_data["title"],
                    starts_at=form.cleaned_data["starts_at"],
                    venue=form.chosen_venue(),
                    place=form.chosen_place(),
                    host_label=form.cleaned_data["host_label"],
                    is_public=form.cleaned_data["is_public"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "会议已预告")
                return redirect(_detail(meeting))
    else:
        form = _meeting_form(unit, initial={"is_public": True, "host_label": actor.display_name})
    return render(
        request,
        "consultation/meetings/form.html",
        {"form": form, "unit": unit, "meeting": None, "many_units": len(units) > 1},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Change a planned meeting's announcement (title, time, venue, host)."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    if request.method == "POST":
        form = _meeting_form(meeting.unit, request.POST, editing=True)
        if form.is_valid():
            try:
                svc.meeting_update(
                    actor=actor,
                    meeting=meeting,
                    title=form.cleaned_data["title"],
                    starts_at=form.cleaned_data["starts_at"],
                    venue=form.chosen_venue(),
                    host_label=form.cleaned_data["host_label"],
                    expected_version=_version(request),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "会议预告已修改")
                return redirect(_detail(meeting))
        version = _version(request) or meeting.version
    else:
        form = _meeting_form(
            meeting.unit,
            initial={
                "title": meeting.title,
                "starts_at": timezone.localtime(meeting.starts_at),
                "venue": str(meeting.venue.public_id) if meeting.venue else "",
                "host_label": meeting.host_label,
            },
            editing=True,
        )
        version = meeting.version
    return render(
        request,
        "consultation/meetings/form.html",
        {"form": form, "unit": meeting.unit, "meeting": meeting, "version": version},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Call off a planned meeting, with the reason residents read."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    form = f.CancelForm(request.POST or None, initial={"version": meeting.version})
    if request.method == "POST" and form.is_valid():
        try:
            svc.meeting_cancel(
                actor=actor,
                meeting=meeting,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "会议已取消")
            return redirect(_detail(meeting))
    return render(request, "consultation/meetings/cancel.html", {"form": form, "meeting": meeting})


@login_required
@require_POST
def meeting_action(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """Open (sign-in starts, the electorate is frozen) or close the meeting."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    moves = {"open": svc.meeting_open, "close": svc.meeting_close}
    if action not in moves:
        raise Http404("不存在")
    try:
        moves[action](actor=actor, meeting=meeting, expected_version=_version(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "会议已开始，可以签到" if action == "open" else "会议已结束")
    return redirect(_detail(meeting))


# --- detail, quorum ---------------------------------------------------------------------------


def _template_exists(name: str) -> bool:
    """Whether another part's template is there yet (the agenda falls back to a plain row)."""
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _quorum_context(meeting: Meeting, *, big: bool = False) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "quorum": svc.meeting_quorum(meeting),
        "poll": meeting.status == Meeting.Status.OPEN,
        "poll_seconds": QUORUM_POLL_SECONDS,
        "big": big,
    }


@login_required
@require_GET
def meeting_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The meeting: state and actions, live quorum, agenda, attendance."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    minutes = sel.minutes_of(meeting)
    attendance_page = Paginator(sel.attendances(meeting), ATTENDANCE_PAGE).get_page(
        request.GET.get("page")
    )
    can_run = _can_run(actor, meeting)
    return render(
        request,
        "consultation/meetings/detail.html",
        {
            **_quorum_context(meeting),
            "items": sel.agenda(meeting),
            "item_row": _template_exists(ITEM_ROW),
            "item_style": _template_exists(ITEM_STYLE),
            "attendance_page": attendance_page,
            "querystring_without_page": "",
            "minutes": minutes,
            "can_run": can_run,
            "add_item_url": (
                _url_for_meeting("consultation:item_add", meeting)
                if can_run and meeting.status in (Meeting.Status.PLANNED, Meeting.Status.OPEN)
                else ""
            ),
            "public_url": (
                reverse("consultation_public:meeting_public", args=[meeting.public_id])
                if meeting.is_public
                else ""
            ),
        },
    )


@login_required
@require_GET
def meeting_quorum(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The quorum panel alone (htmx polls it every few seconds while the meeting is open)."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    response = render(
        request,
        "consultation/meetings/_quorum.html",
        _quorum_context(meeting, big=request.GET.get("big") == "1"),
    )
    add_never_cache_headers(response)
    return response


# --- sign-in roll and screen ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def meeting_roll(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The sign-in roll (签到册): the electorate, searchable, ticked and signed in at once."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    q = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    if request.method == "POST":
        keys = request.POST.getlist("key")
        if not keys:
            messages.error(request, "请先勾选要签到的人员")
        else:
            try:
                done, refused = svc.attendance_record_many(
                    actor=actor, meeting=meeting, elector_keys=keys
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if done:
                    messages.success(request, f"已签到 {done} 人")
                for message in refused:
                    messages.warning(request, f"未签到：{message}")
        query = {k: v for k, v in (("q", q), ("page", request.POST.get("page", ""))) if v}
        url = reverse("consultation:meeting_roll", kwargs={"public_id": meeting.public_id})
        return redirect(url + ("?" + urlencode(query) if query else ""))
    rows = sel.roll_rows(meeting, q=q)
    page = Paginator(rows, ROLL_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "consultation/meetings/roll.html",
        {
            **_quorum_context(meeting),
            "page": page,
            "q": q,
            "querystring_without_page": querystring_without_page(request),
            "can_sign": _can_run(actor, meeting) and meeting.status == Meeting.Status.OPEN,
            "signed_total": sum(1 for r in rows if r.signed_in),
        },
    )


def _signin_url(request: HttpRequest, meeting: Meeting) -> str:
    path = _url_for_meeting("consultation_public:meeting_signin", meeting)
    return request.build_absolute_uri(path) if path else ""


@login_required
@require_http_methods(["GET", "POST"])
def meeting_screen(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The projector page: the sign-in code, a QR of the residents' sign-in page, the quorum."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    if request.method == "POST":
        try:
            svc.meeting_code_renew(actor=actor, meeting=meeting)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已更换签到码，旧签到码作废")
        return redirect(reverse("consultation:meeting_screen", kwargs={"public_id": public_id}))
    signin_url = _signin_url(request, meeting)
    qr = (
        base64.b64encode(qr_png(signin_url, box_size=10, border=2)).decode("ascii")
        if signin_url and meeting.status == Meeting.Status.OPEN
        else ""
    )
    response = render(
        request,
        "consultation/meetings/screen.html",
        {
            **_quorum_context(meeting, big=True),
            "signin_url": signin_url,
            "qr": qr,
            "can_run": _can_run(actor, meeting),
        },
    )
    add_never_cache_headers(response)
    return response


# --- minutes ----------------------------------------------------------------------------------


def _minutes_context(
    meeting: Meeting, minutes: Minutes | None, can_run: bool, **forms: Any
) -> dict[str, Any]:
    version = minutes.version if minutes else 1
    locked = minutes is not None and minutes.locked_at is not None
    ctx: dict[str, Any] = {
        "meeting": meeting,
        "minutes": minutes,
        "locked": locked,
        "intact": minutes_svc.minutes_intact(minutes) if minutes else True,
        "revisions": sel.revisions(minutes),
        "addenda": sel.addenda(minutes),
        "can_run": can_run,
        "can_edit": can_run
        and not locked
        and meeting.status in (Meeting.Status.OPEN, Meeting.Status.CLOSED),
        "can_lock": can_run and not locked and meeting.status == Meeting.Status.CLOSED,
        "edit_form": f.MinutesForm(
            initial={"version": version, "body": minutes.body if minutes else ""}
        ),
        "lock_form": f.LockForm(initial={"version": version}),
        "addendum_form": f.AddendumForm(),
    }
    ctx.update(forms)
    return ctx


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Edit the minutes (compare-and-set on the version shown), lock them, add addenda."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    can_run = _can_run(actor, meeting)
    if request.method != "POST":
        return render(
            request,
            "consultation/meetings/minutes.html",
            _minutes_context(meeting, sel.minutes_of(meeting), can_run),
        )
    op = request.POST.get("op", "save")
    forms: dict[str, Any] = {}
    status = 200
    if op == "save":
        form: Any = f.MinutesForm(request.POST)
        forms["edit_form"] = form
        if form.is_valid():
            try:
                minutes_svc.minutes_save(
                    actor=actor,
                    meeting=meeting,
                    body=form.cleaned_data["body"],
                    expected_version=form.cleaned_data["version"],
                )
            except Conflict as exc:
                # Keep what was typed; the newest saved text is shown beside it to merge.
                add_domain_error(form, exc)
                forms["conflict"] = True
                status = 409
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 200
            else:
                messages.success(request, "会议记录已保存")
                return redirect(request.path)
    elif op == "lock":
        form = f.LockForm(request.POST)
        forms["lock_form"] = form
        if form.is_valid():
            try:
                minutes_svc.minutes_lock(
                    actor=actor, meeting=meeting, expected_version=form.cleaned_data["version"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "会议记录已定稿")
                return redirect(request.path)
    elif op == "addendum":
        form = f.AddendumForm(request.POST)
        forms["addendum_form"] = form
        if form.is_valid():
            try:
                minutes_svc.addendum_add(
                    actor=actor, meeting=meeting, body=form.cleaned_data["body"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "补充说明已签署添加")
                return redirect(request.path)
    else:
        raise Http404("不存在")
    minutes = sel.minutes_of(meeting)
    ctx = _minutes_context(meeting, minutes, can_run, **forms)
    if forms.get("conflict") and minutes is not None:
        # The next save is made on top of the newest version, knowingly.
        ctx["edit_form"].data = ctx["edit_form"].data.copy()
        ctx["edit_form"].data["version"] = str(minutes.version)
    return render(request, "consultation/meetings/minutes.html", ctx, status=status)


def _outcome(item: AgendaItem) -> str:
    text = item.get_status_display()
    if item.support_rate is not None:
        text += f"，支持率 {item.support_rate:.2%}（同意{item.yes_count}/反对{item.no_count}/弃权{item.abstain_count}）"
    return text


def _minutes_pdf(
    meeting: Meeting,
    *,
    quorum: svc.Quorum,
    items: list[AgendaItem],
    minutes: Minutes | None,
    addenda: list[MinutesAddendum],
) -> bytes:
    """The minutes as a printable A4 document (ReportLab with the embedded CJK font)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    st = pdf.styles()

    def para(text: str, style: Any = None) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style or st.body)

    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    facts = [
        ("会议类型", meeting.meeting_type.name),
        (
            "村（社区）",
            meeting.unit.display_name
            + (f" · {meeting.place.display_name}" if meeting.place else ""),
        ),
        ("时间", when),
        ("地点", meeting.venue.name if meeting.venue else "—"),
        ("主持人", meeting.host_label or "—"),
        ("记录人", (minutes.recorder_label if minutes else "") or "—"),
        (
            "到会情况",
            f"应到 {quorum.eligible} 人，实到 {quorum.present} 人；法定人数 {quorum.required} 人"
            f"（{quorum.rule_label}），{'已达到' if quorum.met else '未达到'}",
        ),
    ]
    story: list[Any] = [para(meeting.title, st.title)]
    table = Table(
        [[para(k, st.cell), para(v, st.cell)] for k, v in facts], colWidths=[28 * mm, 150 * mm]
    )
    table.setStyle(
        TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.4, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story += [table, Spacer(1, 4 * mm), para("议程与议定结果", st.heading)]
    if items:
        rows = [[para("序号", st.cell), para("议题", st.cell), para("结果", st.cell)]]
        rows += [
            [para(str(i.order), st.cell), para(i.title, st.cell), para(_outcome(i), st.cell)]
            for i in items
        ]
        agenda_table = Table(rows, colWidths=[14 * mm, 84 * mm, 80 * mm], repeatRows=1)
        agenda_table.setStyle(
            TableStyle(
                [("GRID", (0, 0), (-1, -1), 0.4, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            )
        )
        story.append(agenda_table)
    else:
        story.append(para("（无议程）"))
    story.append(para("会议记录", st.heading))
    story.append(para(minutes.body if minutes and minutes.body else "（尚无记录）"))
    if minutes is not None and minutes.locked_at is not None:
        locked = timezone.localtime(minutes.locked_at).strftime("%Y-%m-%d %H:%M")
        story += [
            Spacer(1, 3 * mm),
            para(f"定稿时间：{locked}　定稿摘要（SHA-256）：{minutes.digest}", st.small),
        ]
    else:
        story += [Spacer(1, 3 * mm), para("本记录尚未定稿，仅供核对。", st.small)]
    if addenda:
        story.append(para("补充说明", st.heading))
        for a in addenda:
            at = timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M")
            story += [
                para(a.body),
                para(f"签署人：{a.signer_label}　时间：{at}　签名：{a.signature}", st.small),
                Spacer(1, 2 * mm),
            ]
    return pdf.render_pdf(
        story,
        title=f"会议记录 · {meeting.title}",
        footer=f"{meeting.unit.display_name} · {meeting.title}",
    )


@login_required
@require_GET
def meeting_minutes_pdf(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The printable minutes: the meeting, quorum, agenda with outcomes, body, digest, addenda."""
    actor = _viewer(request)
    meeting = sel.meeting_get(actor, public_id)
    minutes = sel.minutes_of(meeting)
    try:
        data = _minutes_pdf(
            meeting,
            quorum=svc.meeting_quorum(meeting),
            items=sel.agenda(meeting),
            minutes=minutes,
            addenda=sel.addenda(minutes),
        )
    except PdfFontMissing as exc:
        return render(
            request, "consultation/meetings/pdf_unavailable.html", {"message": str(exc)}, status=503
        )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = cast(
        str, content_disposition_header(False, f"会议记录-{meeting.title}.pdf")
    )
    return response


# --- configuration: venues --------------------------------------------------------------------


@login_required
@require_GET
def venue_list(request: ActorRequest) -> HttpResponse:
    actor = _viewer(request)
    page = page_of(request, sel.venue_list(actor))
    return render(
        request,
        "consultation/meetings/venues.html",
        {
            "page": page,
            "querystring_without_page": querystring_without_page(request),
            "can_create": actor.can(wf.RUN),
            "run_paths": actor.scope_paths(wf.RUN),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def venue_create(request: ActorRequest) -> HttpResponse:
    actor = cast(Actor, require_any(request, wf.RUN))
    units = list(sel.villages(actor, wf.RUN))
    form = f.VenueForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            venue_svc.venue_create(
                actor=actor,
                unit=form.chosen_unit(),
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                address=form.cleaned_data["address"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "议事场所已添加")
            return redirect("consultation:venue_list")
    return render(request, "consultation/meetings/venue_form.html", {"form": form, "venue": None})


@login_required
@require_http_methods(["GET", "POST"])
def venue_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _viewer(request)
    venue = sel.venue_get(actor, public_id)
    initial = {
        "name": venue.name,
        "kind": venue.kind,
        "address": venue.address,
        "is_active": venue.is_active,
    }
    form = f.VenueForm(request.POST or None, units=[], editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            venue_svc.venue_update(actor=actor, venue=venue, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "议事场所已修改")
            return redirect("consultation:venue_list")
    return render(
        request,
        "consultation/meetings/venue_form.html",
        {"form": form, "venue": venue, "can_run": actor.can(wf.RUN, venue.unit.path)},
    )


@login_required
@require_POST
def venue_deactivate(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _viewer(request)
    venue = sel.venue_get(actor, public_id)
    try:
        venue_svc.venue_deactivate(actor=actor, venue=venue)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{venue.name}”已停用")
    return redirect("consultation:venue_list")


# --- configuration: representatives -----------------------------------------------------------


@login_required
@require_GET
def representative_list(request: ActorRequest) -> HttpResponse:
    actor = _viewer(request)
    current = request.GET.get("all") != "1"
    page = page_of(request, sel.representative_list(actor, current=current))
    return render(
        request,
        "consultation/meetings/representatives.html",
        {
            "page": page,
            "current": current,
            "querystring_without_page": querystring_without_page(request),
            "can_add": actor.can(wf.RUN),
            "end_form": f.TermEndForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def representative_add(request: ActorRequest) -> HttpResponse:
    """Add a representative: search the village's register, pick a resident, give the term."""
    actor = cast(Actor, require_any(request, wf.RUN))
    units = list(sel.villages(actor, wf.RUN))
    source = request.POST if request.method == "POST" else request.GET
    chosen = source.get("unit") or (str(units[0].public_id) if len(units) == 1 else "")
    unit = sel.village_get(actor, chosen, wf.RUN) if chosen else None
    q = source.get("q", "")
    form = f.RepresentativeForm(
        request.POST or None, initial={"term_start": timezone.localdate(clock.now())}
    )
    picked = (
        sel.resident_in(unit, source.get("resident", ""))
        if unit and source.get("resident")
        else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            venue_svc.representative_add(
                actor=actor, unit=unit, resident=picked, term_start=form.cleaned_data["term_start"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{picked.name if picked else ''}已列入代表名册")
            return redirect("consultation:representative_list")
    return render(
        request,
        "consultation/meetings/representative_form.html",
        {
            "form": form,
            "units": units,
            "unit": unit,
            "q": q,
            "results": sel.resident_search(unit, q) if unit else [],
            "picked": picked,
        },
    )


@login_required
@require_POST
def representative_end(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = _viewer(request)
    rep = sel.representative_get(actor, public_id)
    form = f.TermEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, "任期结束日期格式不正确")
        return redirect("consultation:representative_list")
    try:
        venue_svc.representative_end(
            actor=actor, representative=rep, term_end=form.cleaned_data["term_end"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{rep.resident.name}的代表任期已结束")
    return redirect("consultation:representative_list")


# --- configuration: meeting types -------------------------------------------------------------


@login_required
@require_GET
def meeting_type_list(request: ActorRequest) -> HttpResponse:
    actor = _viewer(request)
    return render(
        request,
        "consultation/meetings/types.html",
        {"types": sel.meeting_types(), "can_edit": config_svc.can_configure(actor)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_type_edit(request: ActorRequest, code: str) -> HttpResponse:
    """Edit a meeting type: 404 without `consultation.configure`, 403 below county level."""
    actor = cast(Actor, require_any(request, wf.CONFIGURE))
    mtype = sel.meeting_type_get(code)
    if not config_svc.can_configure(actor):
        return render(
            request,
            "403.html",
            {"exception": config_svc.GLOBAL_MESSAGE},
            status=403,
        )
    initial = {
        "name": mtype.name,
        "electorate": mtype.electorate,
        "quorum_rule": mtype.quorum_rule,
        "quorum_share": mtype.quorum_share,
        "quorum_minimum": mtype.quorum_minimum,
        "threshold": mtype.threshold,
        "threshold_share": mtype.threshold_share,
        "base": mtype.base,
        "description": mtype.description,
        "is_active": mtype.is_active,
    }
    form = f.MeetingTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            config_svc.meeting_type_update(actor=actor, meeting_type=mtype, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"会议类型“{mtype.name}”已保存")
            return redirect("consultation:meeting_type_list")
    return render(request, "consultation/meetings/type_form.html", {"form": form, "mtype": mtype})


# --- residents' side --------------------------------------------------------------------------


@require_GET
def meeting_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A public meeting for residents: when, where, the agenda and outcomes, the attendance
    count and the locked minutes (never a draft, never a name)."""
    meeting = sel.public_meeting(public_id)
    minutes = sel.public_minutes(meeting)
    return render(
        request,
        "consultation/public/meeting.html",
        {
            "meeting": meeting,
            "items": sel.agenda(meeting),
            "present": sel.attendances(meeting).count(),
            "minutes": minutes,
            "addenda": sel.addenda(minutes),
            "signin_url": (
                _url_for_meeting("consultation_public:meeting_signin", meeting)
                if meeting.status == Meeting.Status.OPEN
                else ""
            ),
        },
    )
