"""Pages of the votes part.

Staff (namespace `consultation`):
- `item_add`: put an item on a meeting's agenda from staff text, a request (typed tracking
  number, resolved through cases' own scoped selector) or an open resident proposal.
- `item_detail`: the item with its vote: open it, the ballot roll, one-time links, close it
  (the quorum refusal shown on the page), conclude without a vote, the outcome, the ballots.
- `item_roll` / `item_ballot`: the in-person ballot sheet; each row's three buttons post with
  htmx and get the row back, so staff click through the room on a phone.
  `item_ballot` with `many` records one choice for the page's electors without a ballot
  (a show of hands: "the rest agree"), one single-ballot service call each.

Residents (namespace `consultation_public`, phone first):
- `meeting_signin`: the six-digit code shown in the room, with the phone session.
- `vote_link`: a one-time link sent by SMS; `item_vote`: vote with the phone session.

Each action POST carries the version the page showed; a stale one gets a clear message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.cases.services.residents import session_phone_masked, session_residents
from lianxin.consultation import forms_votes as f
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Choice, Electorate, Meeting, Threshold
from lianxin.consultation.selectors import votes as sel
from lianxin.consultation.services import meetings as meeting_svc
from lianxin.consultation.services import votes as svc
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, url_or_empty
from lianxin.core.paging import page_of

ItemStatus = AgendaItem.Status
BALLOTS_PER_PAGE = 50


def _status_for(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 400


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


# --- staff: adding an item -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def item_add(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add an agenda item to a meeting that has not ended."""
    actor = request.actor
    meeting = sel.meeting_to_run(actor, public_id)
    mtype = meeting.meeting_type
    proposals = sel.open_proposals(actor, meeting)
    kwargs: dict[str, Any] = {
        "proposals": [
            (str(p.public_id), f"{p.title}（{p.support_count}人支持）") for p in proposals
        ],
        "default_electorate": mtype.electorate,
    }
    if request.method == "POST":
        form = f.ItemForm(request.POST, **kwargs)
        if form.is_valid():
            item = _item_add(actor, meeting, form)
            if item is not None:
                messages.success(request, f"已增加议题：{item.title}")
                return redirect("consultation:item_detail", public_id=item.public_id)
        status = 400
    else:
        initial: dict[str, Any] = {
            "source": request.GET.get("source", AgendaItem.Source.STAFF),
            "tracking_no": request.GET.get("case", ""),
            "proposal": request.GET.get("proposal", ""),
            "threshold": mtype.threshold,
            "threshold_share": mtype.threshold_share,
            "base": mtype.base,
        }
        if initial["proposal"] or initial["tracking_no"]:
            initial["source"] = (
                AgendaItem.Source.PROPOSAL if initial["proposal"] else AgendaItem.Source.CASE
            )
        form = f.ItemForm(initial=initial, **kwargs)
        status = 200
    context = {
        "meeting": meeting,
        "form": form,
        "has_proposals": bool(proposals),
        "meeting_url": url_or_empty("consultation:meeting_detail", public_id=meeting.public_id),
    }
    return render(request, "consultation/votes/item_add.html", context, status=status)


def _item_add(actor: Any, meeting: Meeting, form: f.ItemForm) -> AgendaItem | None:
    data = form.cleaned_data
    source = data["source"]
    case = proposal = None
    if source == AgendaItem.Source.CASE:
        case = sel.case_for_item(actor, data["tracking_no"])
        if case is None:
            form.add_error("tracking_no", "未找到该诉求编号，或该诉求不在您的查看范围内")
            return None
    elif source == AgendaItem.Source.PROPOSAL:
        proposal = sel.proposal_for_item(actor, meeting, data["proposal"])
        if proposal is None:
            form.add_error("proposal", "该居民议题已不在待议状态，请重新选择")
            return None
    try:
        return svc.item_add(
            actor=actor,
            meeting=meeting,
            title=data["title"],
            description=data["description"],
            case=case,
            proposal=proposal,
            electorate=data["electorate"],
            threshold=data["threshold"],
            threshold_share=data["threshold_share"]
            if data["threshold"] == Threshold.SHARE
            else None,
            base=data["base"],
            allow_online=data["allow_online"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


# --- staff: the item and its vote ------------------------------------------------------------


def _detail(
    request: ActorRequest,
    item: AgendaItem,
    *,
    close_form: f.CloseForm | None = None,
    conclude_form: f.ConcludeForm | None = None,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    meeting = item.meeting
    can_run = actor.can(wf.RUN, meeting.unit.path)
    quorum = meeting_svc.meeting_quorum(meeting) if meeting.status == Meeting.Status.OPEN else None
    ballots = page_of(request, sel.item_ballots(item), per_page=BALLOTS_PER_PAGE)
    sent, used = sel.link_counts(item) if item.allow_online else (0, 0)
    context = {
        "item": item,
        "meeting": meeting,
        "can_run": can_run,
        "quorum": quorum,
        "page": ballots,
        "links_sent": sent,
        "links_used": used,
        "refusal": refusal,
        "close_form": close_form or f.CloseForm(initial={"version": item.version}),
        "conclude_form": conclude_form or f.ConcludeForm(initial={"version": item.version}),
        "electorate_label": Electorate(svc.item_electorate(item)).label,
        "meeting_url": url_or_empty("consultation:meeting_detail", public_id=meeting.public_id),
        "case_url": url_or_empty("cases:detail", public_id=item.case.public_id)
        if item.case
        else "",
        "vote_url": request.build_absolute_uri(
            reverse("consultation_public:item_vote", args=[item.public_id])
        )
        if item.allow_online
        else "",
    }
    return render(request, "consultation/votes/item_detail.html", context, status=status)


@login_required
def item_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The item, its vote and outcome, and the ballots (names: staff only)."""
    return _detail(request, sel.item_get(request.actor, public_id))


def _act(
    request: ActorRequest, public_id: Any, done: str, act: Any, *, form_name: str = ""
) -> HttpResponse:
    item = sel.item_get(request.actor, public_id)
    try:
        act(item)
    except DomainError as exc:
        item = sel.item_get(request.actor, public_id)
        if isinstance(exc, Conflict):
            return _detail(request, item, refusal=exc.message, status=409)
        return _detail(request, item, refusal=exc.message, status=_status_for(exc))
    messages.success(request, done)
    return redirect("consultation:item_detail", public_id=item.public_id)


@login_required
@require_POST
def item_vote_open(request: ActorRequest, public_id: Any) -> HttpResponse:
    return _act(
        request,
        public_id,
        "已开始表决",
        lambda item: svc.item_vote_open(
            actor=request.actor, item=item, expected_version=_version(request)
        ),
    )


@login_required
@require_POST
def item_links_send(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Send one-time links to the electors with a phone who have neither link nor ballot."""
    item = sel.item_get(request.actor, public_id)
    base = request.build_absolute_uri(
        reverse("consultation_public:vote_link", args=["x"])
    ).removesuffix("x/")
    try:
        sent, without = svc.vote_links_send(actor=request.actor, item=item, base_url=base)
    except DomainError as exc:
        return _detail(request, item, refusal=exc.message, status=_status_for(exc))
    text = f"已向{sent}人发送一次性表决链接"
    if without:
        text += f"；{without}人没有登记手机号，请现场表决"
    messages.success(request, text)
    return redirect("consultation:item_detail", public_id=item.public_id)


@login_required
@require_POST
def item_vote_close(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Close the vote; without the quorum the page says so next to the button."""
    item = sel.item_get(request.actor, public_id)
    form = f.CloseForm(request.POST)
    if form.is_valid():
        try:
            item = svc.item_vote_close(
                actor=request.actor,
                item=item,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            item = sel.item_get(request.actor, public_id)
            return _detail(request, item, close_form=form, status=_status_for(exc))
        messages.success(request, f"表决结束：{ItemStatus(item.status).label}")
        return redirect("consultation:item_detail", public_id=item.public_id)
    return _detail(request, item, close_form=form, status=400)


@login_required
@require_POST
def item_conclude(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Conclude without a vote: discussed or deferred, with a note."""
    item = sel.item_get(request.actor, public_id)
    form = f.ConcludeForm(request.POST)
    if form.is_valid():
        try:
            item = svc.item_conclude(
                actor=request.actor,
                item=item,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            item = sel.item_get(request.actor, public_id)
            return _detail(request, item, conclude_form=form, status=_status_for(exc))
        messages.success(request, f"议题已{ItemStatus(item.status).label}")
        return redirect("consultation:item_detail", public_id=item.public_id)
    return _detail(request, item, conclude_form=form, status=400)


# --- staff: the ballot sheet -----------------------------------------------------------------


def _int(value: str, default: int = 1) -> int:
    return int(value) if value.isdigit() else default


@login_required
def item_roll(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The electors of the item with a button per choice (paged, searchable)."""
    item = sel.item_get(request.actor, public_id, wf.RUN)
    q = request.GET.get("q", "").strip()[:30]
    roll = sel.ballot_roll(item, q=q, page=_int(request.GET.get("page", "")))
    context = {
        "item": item,
        "roll": roll,
        "q": q,
        "qs": urlencode({"q": q}) + "&" if q else "",
        "choices": Choice.choices,
        # The page's electors without a ballot: "the rest of this page agree" in one post.
        "unvoted": [row.key for row in roll.rows if not row.choice],
    }
    return render(request, "consultation/votes/roll.html", context)


def _ballots_many(request: ActorRequest, item: AgendaItem) -> None:
    """The page's remaining electors at once (one `ballot_record` each); the outcome as
    messages."""
    choice = request.POST.get("choice", "")
    try:
        done, refused = svc.ballots_record_many(
            actor=request.actor,
            item=item,
            elector_keys=request.POST.getlist("elector"),
            choice=choice,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return
    label = dict(Choice.choices).get(choice, "")
    if done:
        messages.success(request, f"已登记 {done} 票{label}")
    for message in refused:
        messages.warning(request, f"未登记：{message}")


@login_required
@require_POST
def item_ballot(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Record one elector's vote; htmx gets the row back (with the refusal in it)."""
    item = sel.item_get(request.actor, public_id, wf.RUN)
    back = reverse("consultation:item_roll", args=[item.public_id])
    params = {k: request.POST[k] for k in ("q", "page") if request.POST.get(k)}
    if request.POST.get("many"):
        _ballots_many(request, item)
        return redirect(back + ("?" + urlencode(params) if params else ""))
    key = request.POST.get("elector", "")
    refusal = ""
    try:
        svc.ballot_record(
            actor=request.actor, item=item, elector_key=key, choice=request.POST.get("choice", "")
        )
    except DomainError as exc:
        refusal = exc.message
    if request.headers.get("HX-Request"):
        row = sel.roll_row(item, key)
        if row is None:
            raise Http404("不存在或无权访问")
        item.refresh_from_db(fields=["ballot_count", "status"])
        context = {"item": item, "row": row, "refusal": refusal, "oob": True}
        return render(request, "consultation/votes/_roll_row.html", context)
    if refusal:
        messages.error(request, refusal)
    return redirect(back + ("?" + urlencode(params) if params else ""))


# --- residents ------------------------------------------------------------------------------


def _login_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("resident:login") + "?next=" + quote(request.get_full_path()))


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    # A vote link carries its token in the path: a Referer carries the origin at most.
    # Not `no-referrer`: under it browsers post forms with `Origin: null`, which Django's
    # CSRF check refuses (the sign-in and vote forms would stop working; as in cases).
    response["Referrer-Policy"] = "strict-origin"
    return response


@require_http_methods(["GET", "POST"])
def meeting_signin(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Sign in at a meeting with the code shown in the room (phone session needed)."""
    meeting = sel.meeting_public(public_id)
    if meeting is None:
        raise Http404("会议不存在")
    residents = session_residents(request)
    if not residents:
        return _login_redirect(request)
    elector, signed = sel.signin_state(meeting, residents)
    form = f.SigninForm(request.POST or None)
    done = ""
    status = 200
    if request.method == "POST" and form.is_valid() and not signed:
        try:
            attendance = meeting_svc.attendance_by_code(
                meeting=meeting, code=form.cleaned_data["code"], residents=residents
            )
        except DomainError as exc:
            if exc.message.endswith("已签到"):
                signed = True
            else:
                add_domain_error(form, exc)
                status = 400
        else:
            done, signed = attendance.label, True
    elif request.method == "POST" and not form.is_valid():
        status = 400
    context = {
        "meeting": meeting,
        "form": form,
        "elector": elector,
        "signed": signed,
        "done": done,
        "phone_masked": session_phone_masked(request),
        "is_open": meeting.status == Meeting.Status.OPEN,
    }
    return _private(render(request, "consultation/public/signin.html", context, status=status))


@require_http_methods(["GET", "POST"])
def vote_link(request: HttpRequest, token: str) -> HttpResponse:
    """Vote once through a one-time link (no session needed: the link is the key)."""
    link = svc.vote_link_for(token)
    if link is None:
        return _private(render(request, "consultation/public/vote_gone.html", status=410))
    item = link.item
    form = f.ChoiceForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ballot = svc.ballot_by_link(token=token, choice=form.cleaned_data["choice"])
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 400
        else:
            done: dict[str, Any] = {"item": item, "ballot": ballot}
            return _private(render(request, "consultation/public/vote_done.html", done))
    elif request.method == "POST":
        status = 400
    context: dict[str, Any] = {
        "item": item,
        "form": form,
        "who": link.label,
        "eligible": True,
        "ballot": None,
        "action": request.path,
        "voting": item.status == ItemStatus.VOTING,
    }
    return _private(render(request, "consultation/public/vote.html", context, status=status))


@require_http_methods(["GET", "POST"])
def item_vote(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Vote with the phone session on an item open for online votes."""
    item = sel.item_online(public_id)
    if item is None:
        raise Http404("该议题不存在或不接受线上表决")
    residents = session_residents(request)
    if not residents:
        return _login_redirect(request)
    key, ballot = sel.resident_ballot(item, residents)
    form = f.ChoiceForm(request.POST or None)
    status = 200
    if request.method == "POST" and ballot is None and form.is_valid():
        try:
            ballot = svc.ballot_by_resident(
                item=item, residents=residents, choice=form.cleaned_data["choice"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 400
        else:
            done: dict[str, Any] = {"item": item, "ballot": ballot}
            return _private(render(request, "consultation/public/vote_done.html", done))
    elif request.method == "POST" and ballot is None:
        status = 400
    context: dict[str, Any] = {
        "item": item,
        "form": form,
        "ballot": ballot,
        "eligible": bool(key),
        "who": "",
        "action": request.path,
        "voting": item.status == ItemStatus.VOTING,
        "phone_masked": session_phone_masked(request),
    }
    return _private(render(request, "consultation/public/vote.html", context, status=status))
