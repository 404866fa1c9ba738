"""Open311 GeoReport v2 endpoints (docs/open311.md).

Reads are public and show only published requests without personal data; filing needs an
`api_key` — an API token an administrator issued to an integration account, checked by the
same digest as the JSON API — whose account may file (`cases.file`) at the place. Filing goes
through `services.intake.case_submit_public` with channel `open311`, like a resident's QR
submission, so the same validation, rate limits and all-or-nothing commit apply.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from lianxin.accounts.actor import Actor
from lianxin.accounts.api_auth import TokenAuth
from lianxin.audit.middleware import client_ip
from lianxin.cases import workflow as wf
from lianxin.cases.models import Category
from lianxin.cases.open311 import present, render, selectors
from lianxin.cases.open311.forms import RequestCreateForm, RequestQueryForm, attributes
from lianxin.cases.services import intake
from lianxin.core.errors import DomainError

MAX_REQUESTS = 1000
# Service names of intake's fields, so an error names the Open311 parameter at fault.
PARAMETERS = {
    "description": "description",
    "phone": "phone",
    "unit": "address_id",
    "category": "service_code",
    "address_id": "address_id",
    "address_string": "address_string",
}
View = Callable[..., HttpResponse]


class Problem(Exception):
    """An Open311 error answer: HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions


def open311(*methods: str) -> Callable[[View], View]:
    """Checks the format and `jurisdiction_id`, and turns a `Problem` into the spec's errors."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in render.CONTENT_TYPES:
                return render.errors("xml", 404, f"不支持的格式“{fmt}”：请使用 .xml 或 .json")
            if request.method not in methods:
                return render.errors(fmt, 405, f"不支持 {request.method} 请求")
            params = request.POST if request.method == "POST" else request.GET
            jurisdiction = params.get("jurisdiction_id", "").strip()
            if jurisdiction and not selectors.jurisdiction_known(jurisdiction, request.get_host()):
                return render.errors(
                    fmt, 404, f"jurisdiction_id “{jurisdiction}” 不是本接口服务的辖区"
                )
            try:
                return view(request, fmt, **kwargs)
            except Problem as problem:
                return render.errors(fmt, problem.status, *problem.descriptions)

        return csrf_exempt(wrapper)

    return decorate


def _form_problems(form: forms.Form) -> Problem:
    descriptions = []
    for field, messages in form.errors.items():
        for message in messages:
            text = str(message)
            descriptions.append(text if field == "__all__" else f"参数 {field}：{text}")
    return Problem(400, *descriptions)


def _domain_problem(exc: DomainError) -> Problem:
    parameter = PARAMETERS.get(exc.field or "")
    return Problem(400, f"参数 {parameter}：{exc.message}" if parameter else exc.message)


@open311("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Where the endpoint is, which formats it speaks, how to get a key."""
    from django.conf import settings

    own = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    latest = Category.objects.aggregate(at=Max("updated_at"))["at"]
    changeset = present.w3(latest) or ""
    body = {
        "changeset": changeset,
        "contact": getattr(
            settings, "OPEN311_CONTACT", "请联系本系统的管理员（街道或县区网格化服务管理中心）"
        ),
        "key_service": getattr(
            settings,
            "OPEN311_KEY_SERVICE",
            "api_key 由系统管理员为每个对接系统签发：在“接口令牌”页面为接口账号签发令牌，"
            "该账号须在要提交诉求的地点有可登记诉求的岗位",
        ),
        "endpoints": [
            {
                "specification": present.SPECIFICATION,
                "url": own.rsplit("/", 1)[0],
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(fmt, "discovery", body)


@open311("GET", "HEAD")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service List: one service per category residents can choose."""
    return render.respond(fmt, "services", [present.service(c) for c in selectors.services()])


@open311("GET", "HEAD")
def service_definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    """GET Service Definition: the attributes a request of this service may carry."""
    category = selectors.service(service_code)
    if category is None:
        raise Problem(404, f"service_code “{service_code}” 不存在")
    return render.respond(fmt, "service_definition", present.definition(category))


def _key_actor(request: HttpRequest) -> Actor:
    key = request.POST.get("api_key", "").strip()
    actor = TokenAuth().authenticate(request, key) if key else None
    if actor is None:
        raise Problem(403, "api_key 缺失或无效：请向系统管理员申请接口密钥")
    return actor


def _attributes(post: Any) -> tuple[bool, str]:
    """The `publish` and `location_detail` attributes (see `present.ATTRIBUTES`)."""
    given = attributes(post)
    unknown = sorted(set(given) - {a["code"] for a in present.ATTRIBUTES})
    if unknown:
        raise Problem(400, *(f"未知的属性 attribute[{code}]" for code in unknown))
    publish = given.get(present.PUBLISH, ["yes"])
    if len(publish) != 1 or publish[0] not in {"yes", "no", ""}:
        raise Problem(400, "attribute[publish] 只能是 yes 或 no")
    detail = " ".join(given.get(present.LOCATION_DETAIL, [])).strip()
    if len(detail) > present.LOCATION_DETAIL_MAX:
        raise Problem(400, f"attribute[location_detail] 不能超过{present.LOCATION_DETAIL_MAX}字")
    return publish[0] != "no", detail


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST Service Request: a resident's request relayed by an integration."""
    actor = _key_actor(request)
    form = RequestCreateForm(request.POST)
    if not form.is_valid():
        raise _form_problems(form)
    data = form.cleaned_data
    if not data["service_code"]:
        raise Problem(400, "缺少参数 service_code")
    category = selectors.service(data["service_code"])
    if category is None:
        raise Problem(404, f"service_code “{data['service_code']}” 不存在")
    publish, detail = _attributes(request.POST)
    try:
        unit = selectors.find_place(
            actor=actor, address_id=data["address_id"], address_string=data["address_string"]
        )
    except DomainError as exc:
        raise _domain_problem(exc) from exc
    if not actor.can(wf.FILE, unit.path):
        raise Problem(403, f"该 api_key 无权在“{unit.display_name}”提交诉求")
    latitude, longitude = form.coordinates()
    # Rate limits count per reporting device or account when the client names one, not per
    # integration server (which relays many residents from one address).
    device = data["device_id"] or data["account_id"] or client_ip(request)
    try:
        submitted = intake.case_submit_public(
            unit=unit,
            description=present.with_media(data["description"], data["media_url"]),
            category=category,
            name=form.reporter_name(),
            phone=data["phone"],
            address_text=" ".join(p for p in (data["address_string"], detail) if p),
            latitude=latitude,
            longitude=longitude,
            source=f"open311:{device}",
            channel=wf.Channel.OPEN311,
            allow_publish=publish,
            filed_via=actor,
        )
    except DomainError as exc:
        raise _domain_problem(exc) from exc
    case = submitted.case
    body = [
        {
            "service_request_id": case.tracking_no,
            # We create synchronously; the token is for clients that follow the batch flow.
            "token": str(case.public_id),
            "service_notice": present.notice(case),
            "account_id": data["account_id"] or None,
        }
    ]
    return render.respond(fmt, "service_requests", body)


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET Service Requests with the spec's filters; 90 days and 1000 requests at most."""
    form = RequestQueryForm(request.GET)
    if not form.is_valid():
        raise _form_problems(form)
    data = form.cleaned_data
    qs = selectors.for_display(selectors.public_requests())
    if data["service_request_id"]:  # overrides all other filters (spec)
        qs = qs.filter(tracking_no__in=data["service_request_id"])
    else:
        qs = qs.filter(received_at__gte=data["start_date"], received_at__lte=data["end_date"])
        if data["service_code"]:
            qs = qs.filter(category__code__in=data["service_code"])
        statuses = set(data["status"])
        if statuses == {"open"}:
            qs = qs.filter(status__in=wf.OPEN_STATUSES)
        elif statuses == {"closed"}:
            qs = qs.exclude(status__in=wf.OPEN_STATUSES)
    cases = list(qs.order_by("-received_at", "-id")[:MAX_REQUESTS])
    units = selectors.place_names(cases)
    return render.respond(fmt, "service_requests", [present.request(c, units) for c in cases])


@open311("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


@open311("GET", "HEAD")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    """GET Service Request: always an array of one."""
    case = (
        selectors.for_display(selectors.public_requests())
        .filter(tracking_no=service_request_id.upper())
        .first()
    )
    if case is None:
        raise Problem(404, f"service_request_id “{service_request_id}” 不存在或未公开")
    units = selectors.place_names([case])
    return render.respond(fmt, "service_requests", [present.request(case, units)])


@open311("GET", "HEAD")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """GET service_request_id from a token (each POST answered with one)."""
    case = selectors.open311_case_by_token(token)
    if case is None:
        raise Problem(404, f"token “{token}” 不存在")
    return render.respond(
        fmt, "service_requests", [{"service_request_id": case.tracking_no, "token": token}]
    )
