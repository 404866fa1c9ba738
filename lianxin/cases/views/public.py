"""Residents' pages (namespace ``resident``, no account).

- QR intake (码上办) at a building, grid or village, and the 楼院有话 submit form
- the private page behind the link given at submission (督: every public step; 评: rating)
- lookup by tracking number + phone, then the list of one's own requests (session)
- the phone login (one-time code, services.residents): one identity for the residents' pages
  of every app (points, consultation, ...), which send the unsigned here with ``next``
- similar open requests while typing (htmx) and support (附议) instead of a duplicate
- the 楼院有话 column and the results board (示), which never show personal data

Reads here are the public boundary: requests reached by the private token, by the phone
digest kept in the session, or through `duplicates.public_listed()` (the reporter agreed to
publish and staff did not hide them). Nothing else about a request leaves this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.cases import workflow as wf
from lianxin.cases.forms_public import (
    CodeForm,
    ColumnRequestForm,
    LookupForm,
    PhoneForm,
    RatingForm,
    RequestForm,
    SupportForm,
)
from lianxin.cases.models import Case, CaseEvent, CasePhoto
from lianxin.cases.qrsheet import place_label
from lianxin.cases.services import duplicates, intake, lifecycle, residents
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.photos import gps_from_upload
from lianxin.cases.workflow import Action, Channel, Outcome, Satisfaction, Status
from lianxin.core import crypto
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import safe_next
from lianxin.territory.models import Unit

R = TypeVar("R", bound=HttpResponseBase)
PER_PAGE = 20
LOOKUPS_PER_HOUR = 20
# Login codes asked for from one client address per hour (the service also limits per phone).
LOGIN_CODES_PER_ADDRESS_HOUR = 20
SESSION_PHONE_KEY = "lianxin_resident_phone"
RESIDENT_ACTIONS = frozenset({Action.SUBMIT, Action.RATE, Action.SUPPORT, Action.FOLLOW_UP})
# Ordinary requests only: mediations and errands are about named people.
BOARD_Q = Q(kind=wf.Kind.ORDINARY) & (
    Q(status__in=[Status.RESOLVED, Status.FOLLOWED_UP])
    | Q(status=Status.CLOSED, outcome=Outcome.RESOLVED)
)
BOARD_STAGES = (CasePhoto.Stage.BEFORE, CasePhoto.Stage.AFTER)
# 7+ digits, possibly split by spaces or dashes (138 1234 5678): phone, ID and card numbers.
_LONG_DIGITS = re.compile(r"\d(?:[\s\-－]?\d){6,}")


def mask_digits(text: str) -> str:
    """Hide runs of 7+ digits in text shown on public pages (phone numbers typed into a
    description or a result)."""
    return _LONG_DIGITS.sub("＊＊＊", text or "")


def _private(response: R, *, referrer: str = "strict-origin") -> R:
    """Headers for pages reached by a private link: the token must not leak through a
    Referer, search engines or shared caches.

    Pages send `strict-origin` (a Referer carries the origin at most, never the path with
    the token) rather than `no-referrer`: under `no-referrer` browsers send `Origin: null`
    with a form POST, which Django's CSRF check rightly refuses, and the rating and lookup
    forms would stop working. Images, which post nothing, send `no-referrer`."""
    response["Referrer-Policy"] = referrer
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response


def _client_ip(request: HttpRequest) -> str:
    # Behind a proxy the server puts the client in REMOTE_ADDR (docs/deploy.md).
    return str(request.META.get("REMOTE_ADDR", ""))


def _public_unit(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, kind__in=intake.PUBLIC_UNIT_KINDS, is_active=True).first()
    if unit is None:
        raise Http404("二维码无效或地点已撤销")
    return unit


def _village(code: str) -> Unit:
    village = Unit.objects.filter(code=code, kind="village", is_active=True).first()
    if village is None:
        raise Http404("没有找到该村/社区")
    return village


def _village_of(unit: Unit) -> Unit | None:
    from lianxin.cases.services.routing import ancestor_of_kind

    return unit if unit.kind == "village" else ancestor_of_kind(unit.path, "village")


# --- intake ----------------------------------------------------------------------------------


def _submit(
    request: HttpRequest, form: RequestForm, *, unit: Unit, channel: str
) -> HttpResponse | None:
    """Call the intake service; on success redirect (PRG) to the private page."""
    data = form.cleaned_data
    photos = data["photos"]
    # Read the position before the service re-encodes the photos (which drops EXIF), and
    # only when the resident ticked the box.
    position = gps_from_upload(photos[0]) if data["share_location"] and photos else None
    try:
        submitted = intake.case_submit_public(
            unit=unit,
            description=data["description"],
            category=data["category"],
            name=data["name"],
            phone=data["phone"],
            photos=photos,
            latitude=position[0] if position else None,
            longitude=position[1] if position else None,
            source=_client_ip(request),
            channel=channel,
            allow_publish=data["allow_publish"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return None
    except OSError:  # the photo store failed: the transaction left no request behind
        form.add_error(None, "照片保存失败，诉求没有提交成功。请稍后重试，您填写的内容已保留。")
        return None
    return redirect(reverse("resident:track", args=[submitted.token]) + "?new=1")


def _limit(text: str) -> int:
    # Before anything is typed the list is "what is being handled here": keep it short on a
    # phone so the form stays near the top.
    return 5 if duplicates.bigrams(text) else 3


def _intake_page(
    request: HttpRequest, form: RequestForm, *, unit: Unit | None, village: Unit | None, **ctx: Any
) -> HttpResponse:
    text = str(form.data.get("description", "")) if form.is_bound else ""
    # While typing: a category hint and similar requests (htmx; the form works without it).
    # Only the place, the category and the text are sent, never the name or phone.
    hints = {
        "hx-get": reverse("resident:similar"),
        "hx-target": "#similar",
        "hx-include": "[name='unit'],[name='place'],[name='category']",
    }
    form.fields["description"].widget.attrs.update(
        hints, **{"hx-trigger": "input changed delay:700ms, change"}
    )
    if "place" in form.fields:
        hints["hx-include"] = "[name='description'],[name='category']"
        form.fields["place"].widget.attrs.update(hints, **{"hx-trigger": "change"})
    similar = (
        duplicates.similar_open_cases(unit=unit, text=text, limit=_limit(text))
        if unit is not None
        else []
    )
    for s in similar:
        s.case.public_title = mask_digits(s.case.title)  # type: ignore[attr-defined]
    chose_photos = form.is_bound and bool(request.FILES.getlist("photos"))
    response = render(
        request,
        "cases/public/intake.html",
        {
            "form": form,
            "unit": unit,
            "village": village,
            "similar": similar,
            "photos_lost": chose_photos and bool(form.errors),
            "next": request.get_full_path(),
            **ctx,
        },
    )
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def qr_intake(request: HttpRequest, code: str) -> HttpResponse:
    """码上办: the page behind a building's (grid's, village's) QR code."""
    unit = _public_unit(code)
    village = _village_of(unit)
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form, unit=unit, channel=Channel.QR)
        if done is not None:
            return done
    return _intake_page(
        request,
        form,
        unit=unit,
        village=village,
        place=place_label(unit, village),
        channel=Channel.QR,
    )


def _village_places(village: Unit) -> list[Unit]:
    """The village itself, then its active grids and buildings in tree order."""
    rows = Unit.objects.filter(
        path__startswith=village.path, kind__in=["grid", "building"], is_active=True
    ).order_by("path")
    return [village, *rows]


@require_http_methods(["GET", "POST"])
def column_submit(request: HttpRequest, code: str) -> HttpResponse:
    """楼院有话: a community's online form (the place is chosen from a list)."""
    village = _village(code)
    form = ColumnRequestForm(
        request.POST or None, request.FILES or None, places=_village_places(village)
    )
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form, unit=form.cleaned_data["place"], channel=Channel.COLUMN)
        if done is not None:
            return done
    unit = form.cleaned_data.get("place") if form.is_bound and form.is_valid() else None
    return _intake_page(
        request,
        form,
        unit=unit,
        village=village,
        place=f"{village.display_name} · 楼院有话",
        channel=Channel.COLUMN,
    )


@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """htmx partial: a category hint and similar open requests for what is being typed."""
    code = request.GET.get("unit") or request.GET.get("place") or ""
    unit = Unit.objects.filter(code=code, kind__in=intake.PUBLIC_UNIT_KINDS, is_active=True).first()
    text = request.GET.get("description", "")[: intake.MAX_DESCRIPTION]
    chosen = request.GET.get("category", "")
    suggestion = None if chosen else intake.suggest_category(text)
    rows = (
        duplicates.similar_open_cases(unit=unit, text=text, limit=_limit(text))
        if unit is not None
        else []
    )
    for s in rows:
        s.case.public_title = mask_digits(s.case.title)  # type: ignore[attr-defined]
    return render(
        request,
        "cases/public/_similar.html",
        {
            "similar": rows,
            "suggestion": suggestion,
            "typed": bool(text.strip()),
        },
    )


@require_POST
def support(request: HttpRequest) -> HttpResponse:
    """附议: "我也遇到了" on a similar open request instead of filing a duplicate."""
    form = SupportForm(request.POST)
    if not form.is_valid():
        raise Http404("没有找到该问题")
    case = (
        duplicates.public_listed()
        .filter(public_id=form.cleaned_data["case"], status__in=wf.OPEN_STATUSES)
        .first()
    )
    if case is None:
        raise Http404("没有找到该问题，可能已经办结")
    back = safe_next(
        request, form.cleaned_data["next"], reverse("resident:qr", args=[case.unit.code])
    )
    try:
        duplicates.case_support(
            case=case, source=_client_ip(request), phone=form.cleaned_data["phone"]
        )
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request, f"已附议“{mask_digits(case.title)}”，感谢您的反映，我们会一并加快处理"
        )
    return redirect(back)


# --- the private page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: Any
    label: str
    who: str
    note: str


def _who(event: CaseEvent) -> str:
    """The actor as residents see it: a post ("迎秀社区第一网格 网格员"), never a resident's
    name; "居民" for residents' own steps, "系统" for the clock."""
    if event.actor_id is None:
        return "居民" if event.action in RESIDENT_ACTIONS else "系统"
    role, _, unit = event.post_label.partition("@")
    return f"{unit} {role}".strip() or "工作人员"


def _steps(case: Case) -> list[Step]:
    events = case.events.filter(is_public=True).order_by("created_at", "id")
    return [
        Step(at=e.created_at, label=Action(e.action).label, who=_who(e), note=e.note)
        for e in events
    ]


def _rating_open(case: Case) -> bool:
    """Whether the resident may still rate the latest result (mirrors the service's rule)."""
    if case.status == Status.RESOLVED:
        return True
    if case.status not in {Status.FOLLOWED_UP, Status.CLOSED}:
        return False
    events = list(
        case.events.filter(action__in=[Action.RESOLVE, Action.RATE, Action.FOLLOW_UP])
        .order_by("created_at", "id")
        .values("action", "data")
    )
    rated = False
    for e in events:
        if e["action"] == Action.RESOLVE:
            rated = False
        elif e["action"] == Action.RATE or (e["data"] or {}).get("by") == "resident":
            rated = True
    return not rated


def _photos(case: Case, stages: tuple[str, ...] | None = None) -> list[CasePhoto]:
    qs = case.photos.filter(Q(event__isnull=True) | Q(event__is_public=True))
    if stages is not None:
        qs = qs.filter(stage__in=stages)
    return list(qs.order_by("id"))


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    photo_url: Callable[[CasePhoto], str],
    self_url: str,
    is_new: bool = False,
) -> HttpResponse:
    """The private page (督 and 评), behind the token or the session's phone."""
    form = RatingForm(request.POST or None)
    rating_open = _rating_open(case)
    if request.method == "POST" and not rating_open:
        # One rating per result (the resident's follow-up counts as the rating too).
        form.add_error(
            None, "您已评价过本次办理结果" if case.satisfaction else "诉求办结后才能评价"
        )
    elif request.method == "POST" and form.is_valid():
        try:
            lifecycle.case_rate_by_resident(
                case=case,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "感谢您的评价！")
            return _private(redirect(self_url))
    photos = _photos(case)
    survivor = case.merged_into
    survivor_steps: list[Step] = []
    if survivor is not None:
        _publicise(survivor)  # another resident's words
        survivor_steps = _steps(survivor)
        # The result of the surviving request is this resident's result too.
        photos += _photos(survivor, (CasePhoto.Stage.PROGRESS, CasePhoto.Stage.AFTER))
    for p in photos:
        p.url = photo_url(p)  # type: ignore[attr-defined]
    response = render(
        request,
        "cases/public/track.html",
        {
            "case": case,
            "steps": _steps(case),
            "survivor": survivor,
            "survivor_steps": survivor_steps,
            "before": [p for p in photos if p.stage == CasePhoto.Stage.BEFORE],
            "later": [p for p in photos if p.stage != CasePhoto.Stage.BEFORE],
            "rating_form": form if rating_open else None,
            "rating_refused": form.non_field_errors() if not rating_open else None,
            "is_new": is_new,
            "link": request.build_absolute_uri(self_url),
        },
    )
    return _private(response)


def _photo_response(photo: CasePhoto, *, cache_control: str) -> FileResponse:
    name = photo.image.name or ""
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(photo.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _case_photo(case: Case, photo_id: Any) -> CasePhoto:
    """A photo of this request, or a progress/after photo of the request it was merged into."""
    ok = Q(case_id=case.pk)
    if case.merged_into_id:
        ok |= Q(
            case_id=case.merged_into_id, stage__in=[CasePhoto.Stage.PROGRESS, CasePhoto.Stage.AFTER]
        )
    photo = (
        CasePhoto.objects.filter(ok, public_id=photo_id)
        .filter(Q(event__isnull=True) | Q(event__is_public=True))
        .first()
    )
    if photo is None:
        raise Http404("照片不存在")
    return photo


def _by_token(token: str) -> Case:
    case = intake.case_by_token(token)
    if case is None:
        raise Http404("链接无效，请核对后重试")
    return case


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, token: str) -> HttpResponse:
    case = _by_token(token)
    return _case_page(
        request,
        case,
        photo_url=lambda p: reverse("resident:track_photo", args=[token, p.public_id]),
        self_url=reverse("resident:track", args=[token]),
        is_new=request.GET.get("new") == "1",
    )


@require_GET
def track_photo(request: HttpRequest, token: str, photo_id: Any) -> FileResponse:
    photo = _case_photo(_by_token(token), photo_id)
    return _private(
        _photo_response(photo, cache_control="private, no-store"), referrer="no-referrer"
    )


# --- lookup by phone -------------------------------------------------------------------------


def _lookup_allowed(request: HttpRequest) -> bool:
    """At most LOOKUPS_PER_HOUR attempts per client address (guessing numbers is slow)."""
    key = "lianxin:cases:lookup:" + intake.source_digest(_client_ip(request) or "-")
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= LOOKUPS_PER_HOUR


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Tracking number + phone → the list of one's requests (kept in the session)."""
    form = LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _lookup_allowed(request):
            form.add_error(None, "查询次数过多，请一小时后再试")
        else:
            digest = crypto.phone_digest(form.cleaned_data["phone"])
            found = Case.objects.filter(
                tracking_no=form.cleaned_data["tracking_no"], reporter_phone_digest=digest
            ).exists()
            if found:
                request.session[SESSION_PHONE_KEY] = digest
                if not request.user.is_authenticated:
                    request.session.set_expiry(0)  # forgotten when the browser closes
                return _private(redirect("resident:mine"))
            # The same words whether the number exists or not.
            form.add_error(None, "没有找到匹配的诉求，请核对受理编号和手机号")
    return _private(render(request, "cases/public/lookup.html", {"form": form}))


def _session_digest(request: HttpRequest) -> str:
    return str(request.session.get(SESSION_PHONE_KEY, ""))


def _mine_qs(digest: str) -> QuerySet[Case]:
    return Case.objects.filter(reporter_phone_digest=digest).select_related("category", "unit")


@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    """The requests filed with the phone found by `lookup`; POST forgets it."""
    digest = _session_digest(request)
    if request.method == "POST":
        request.session.pop(SESSION_PHONE_KEY, None)
        messages.info(request, "已退出查询")
        return _private(redirect("resident:lookup"))
    if not digest:
        return _private(redirect("resident:lookup"))
    page = Paginator(_mine_qs(digest).order_by("-received_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return _private(render(request, "cases/public/mine.html", {"page": page}))


def _mine_case(request: HttpRequest, tracking_no: str) -> Case:
    digest = _session_digest(request)
    case = (
        _mine_qs(digest).select_related("merged_into").filter(tracking_no=tracking_no).first()
        if digest
        else None
    )
    if case is None:
        raise Http404("没有找到该诉求")
    return case


@require_http_methods(["GET", "POST"])
def mine_case(request: HttpRequest, tracking_no: str) -> HttpResponse:
    case = _mine_case(request, tracking_no)
    return _case_page(
        request,
        case,
        photo_url=lambda p: reverse("resident:mine_photo", args=[tracking_no, p.public_id]),
        self_url=reverse("resident:mine_case", args=[tracking_no]),
    )


@require_GET
def mine_photo(request: HttpRequest, tracking_no: str, photo_id: Any) -> FileResponse:
    photo = _case_photo(_mine_case(request, tracking_no), photo_id)
    return _private(
        _photo_response(photo, cache_control="private, no-store"), referrer="no-referrer"
    )


# --- the phone login --------------------------------------------------------------------------


def _login_send_allowed(request: HttpRequest) -> bool:
    """At most LOGIN_CODES_PER_ADDRESS_HOUR code requests per client address (many phones
    from one place is someone sending texts to strangers)."""
    key = "lianxin:resident:login:" + intake.source_digest(_client_ip(request) or "-")
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count <= LOGIN_CODES_PER_ADDRESS_HOUR


def _with_next(name: str, target: str) -> str:
    """The URL of a login step that carries `next` on (links between the two steps)."""
    url = reverse(name)
    return f"{url}?{urlencode({'next': target})}" if target else url


def _login_page(request: HttpRequest, form: PhoneForm) -> HttpResponse:
    target = str(form["next"].value() or "")
    return _private(
        render(
            request,
            "cases/public/login.html",
            {
                "form": form,
                "signed_in_as": residents.session_phone_masked(request),
                "continue_url": safe_next(request, target),
                "verify_url": _with_next("resident:login_verify", target),
            },
        )
    )


def _verify_page(
    request: HttpRequest, form: CodeForm, *, sent_to: str = "", shown_code: str | None = None
) -> HttpResponse:
    target = str(form["next"].value() or "")
    return _private(
        render(
            request,
            "cases/public/login_verify.html",
            {
                "form": form,
                "sent_to": sent_to,
                "shown_code": shown_code,
                "minutes": residents.CODE_MINUTES,
                "login_url": _with_next("resident:login", target),
            },
        )
    )


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Phone number → a one-time code (shown on the page in the demo)."""
    form = PhoneForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if not _login_send_allowed(request):
            form.add_error("phone", "获取验证码过于频繁，请一小时后再试")
        else:
            try:
                shown = residents.login_code_send(form.cleaned_data["phone"])
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                digits = crypto.normalise_phone(form.cleaned_data["phone"])
                # Rendered, not redirected: the typed phone goes on to the next form without
                # being kept in the session or a URL.
                code_form = CodeForm(initial={"phone": digits, "next": form.cleaned_data["next"]})
                return _verify_page(
                    request, code_form, sent_to=crypto.mask_phone(digits), shown_code=shown
                )
    return _login_page(request, form)


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Phone + code → the session opens and `next` (a page of this site) follows."""
    form = CodeForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            digest = residents.login_code_verify(phone, form.cleaned_data["code"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            residents.session_open(request, phone_digest=digest, phone=phone)
            target = safe_next(request, form.cleaned_data["next"], reverse("resident:login"))
            return _private(redirect(target))
    return _verify_page(request, form)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Close the phone session (a request lookup in the same browser stays)."""
    residents.session_close(request)
    messages.info(request, "已退出")
    return _private(redirect("resident:login"))


# --- 楼院有话 and the results board ------------------------------------------------------------


def column_cases(village: Unit) -> QuerySet[Case]:
    """Published requests of a community (merged duplicates are shown by their survivor)."""
    return (
        duplicates.public_listed()
        .filter(place_path__startswith=village.path)
        .exclude(status=Status.MERGED)
        .select_related("category", "unit")
        .order_by("-received_at", "-id")
    )


def _publicise(case: Case) -> Case:
    """Masked texts for public pages (attributes, so templates never touch raw fields)."""
    case.public_title = mask_digits(case.title)  # type: ignore[attr-defined]
    case.public_result = mask_digits(case.result)  # type: ignore[attr-defined]
    case.public_guidance = mask_digits(case.guidance)  # type: ignore[attr-defined]
    case.public_rejection = mask_digits(case.rejection_reason)  # type: ignore[attr-defined]
    return case


@require_GET
def column(request: HttpRequest, code: str) -> HttpResponse:
    """楼院有话: the community's public page of published requests and their answers."""
    village = _village(code)
    page = Paginator(column_cases(village), PER_PAGE).get_page(request.GET.get("page"))
    for case in page.object_list:
        _publicise(case)
    return render(
        request,
        "cases/public/column.html",
        {"village": village, "page": page, "querystring_without_page": ""},
    )


def board_cases(village: Unit) -> QuerySet[Case]:
    """问题清单 → 成果清单: resolved requests of a community that staff did not hide."""
    photos = CasePhoto.objects.filter(stage__in=BOARD_STAGES).filter(
        Q(event__isnull=True) | Q(event__is_public=True)
    )
    return (
        Case.objects.filter(BOARD_Q, board_hidden=False, place_path__startswith=village.path)
        .select_related("category", "unit")
        .prefetch_related(
            Prefetch("photos", queryset=photos.order_by("id"), to_attr="board_photos")
        )
        .order_by("-resolved_at", "-id")
    )


@dataclass(frozen=True)
class Satisfactions:
    satisfied: int
    basic: int
    unsatisfied: int
    rate: float | None  # 满意率 = (满意 + w × 基本满意) / rated

    @property
    def rated(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    @property
    def percent(self) -> str:
        return "" if self.rate is None else f"{self.rate * 100:.1f}"


def board_satisfaction(village: Unit) -> Satisfactions:
    row = Case.objects.filter(
        BOARD_Q, board_hidden=False, place_path__startswith=village.path
    ).aggregate(
        satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        basic=Count("pk", filter=Q(satisfaction=Satisfaction.BASIC)),
        unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
    )
    rated = row["satisfied"] + row["basic"] + row["unsatisfied"]
    weight = float(case_settings().basic_satisfied_weight)
    rate = (row["satisfied"] + weight * row["basic"]) / rated if rated else None
    return Satisfactions(row["satisfied"], row["basic"], row["unsatisfied"], rate)


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The public results board (示): what was solved, where, and how, with photos."""
    village = _village(code)
    page = Paginator(board_cases(village), PER_PAGE).get_page(request.GET.get("page"))
    for case in page.object_list:
        _publicise(case)
        # The resident's own words and photos only with their consent to publish.
        case.shown_photos = [  # type: ignore[attr-defined]
            p
            for p in case.board_photos  # type: ignore[attr-defined]
            if p.stage == CasePhoto.Stage.AFTER or case.allow_publish
        ]
    return render(
        request,
        "cases/public/board.html",
        {
            "village": village,
            "page": page,
            "summary": board_satisfaction(village),
            "querystring_without_page": "",
        },
    )


@require_GET
def board_photo(request: HttpRequest, code: str, photo_id: Any) -> FileResponse:
    """A before/after photo of a request on the board; 404 once staff hide the request."""
    village = _village(code)
    photo = (
        CasePhoto.objects.filter(
            public_id=photo_id,
            stage__in=BOARD_STAGES,
            case__in=Case.objects.filter(
                BOARD_Q, board_hidden=False, place_path__startswith=village.path
            ),
        )
        .filter(Q(event__isnull=True) | Q(event__is_public=True))
        .filter(Q(stage=CasePhoto.Stage.AFTER) | Q(case__allow_publish=True))
        .first()
    )
    if photo is None:
        raise Http404("照片不存在")
    return _photo_response(photo, cache_control="public, max-age=300")


urlpatterns: list[URLPattern] = [
    path("q/<str:code>/", qr_intake, name="qr"),
    path("similar/", similar, name="similar"),
    path("support/", support, name="support"),
    path("t/<str:token>/", track, name="track"),
    path("t/<str:token>/photo/<uuid:photo_id>/", track_photo, name="track_photo"),
    path("find/", lookup, name="lookup"),
    path("mine/", mine, name="mine"),
    path("mine/<str:tracking_no>/", mine_case, name="mine_case"),
    path("mine/<str:tracking_no>/photo/<uuid:photo_id>/", mine_photo, name="mine_photo"),
    path("login/", login, name="login"),
    path("login/verify/", login_verify, name="login_verify"),
    path("logout/", logout, name="logout"),
    path("v/<str:code>/", column, name="column"),
    path("v/<str:code>/new/", column_submit, name="column_submit"),
    path("v/<str:code>/board/", board, name="board"),
    path("v/<str:code>/board/photo/<uuid:photo_id>/", board_photo, name="board_photo"),
]
