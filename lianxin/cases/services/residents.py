"""Residents on the phone, without an account: a one-time code to the registered phone.

One identity for every resident-facing app (points, consultation, ...): the page is
`resident:login` (views/public.py, `/r/login/?next=...`); later apps read who is signed in
with `session_residents` / `session_phone_digest` and send the unsigned to that page.

A resident types the phone number recorded in the register (居民档案); a six-digit code goes
to that phone through the outbound channel (`notify.outbound_channel`, template
``resident_login_code``); typing it back opens the browser session for `SESSION_DAYS`. The
session holds only the phone's keyed digest (and its masked form); the residents (and so the
households) behind it are looked up on each request, so a resident who moved out loses
access at once. The login table keeps only digests of codes (the outbound record holds the
code, since the gateway sends it); a code is good for `CODE_MINUTES` and `MAX_ATTEMPTS`
tries, and wrong tries are counted in their own transaction. Codes per phone and hour:
`CaseSettings.login_codes_per_phone_hour`.

With `LIANXIN_SHOW_LOGIN_CODES` (on in the demo, off in production) the page shows the code,
since the demo has no SMS gateway.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest

from lianxin.cases.models import ResidentLogin
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.notify import outbound_channel
from lianxin.core import clock, crypto
from lianxin.core.errors import DomainError
from lianxin.people.models import Resident

SESSION_KEY = "resident_phone_digest"
SESSION_MASK_KEY = "resident_phone_masked"
LOGIN_TEMPLATE = "resident_login_code"
SESSION_DAYS = 30
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def clean_mobile(phone: str, *, field: str = "phone") -> str:
    """An 11-digit mainland mobile number, or a DomainError naming the field."""
    digits = crypto.normalise_phone(phone or "")
    if not _MOBILE.match(digits):
        raise DomainError("请填写11位手机号", field=field)
    return digits


def _code_digest(phone_digest: str, code: str) -> str:
    return crypto.digest("login", f"{phone_digest}:{code}")


def residents_with_phone(phone_digest: str) -> QuerySet[Resident]:
    """Active residents of active households registered with the phone (with their unit)."""
    return Resident.objects.filter(
        phone_digest=phone_digest, is_active=True, household__is_active=True
    ).select_related("household__unit")


@transaction.atomic
def login_code_send(phone: str) -> str | None:
    """Send a code to a registered phone. Returns the code only when the deployment shows
    codes on the page (demo); the answer is the same whether the phone is registered or not,
    so the page cannot be used to find out who lives here."""
    digits = clean_mobile(phone)
    digest = crypto.phone_digest(digits)
    now = clock.now()
    limit = case_settings().login_codes_per_phone_hour
    recent = ResidentLogin.objects.filter(
        phone_digest=digest, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= limit:
        raise DomainError("获取验证码过于频繁，请一小时后再试", field="phone")
    code = f"{secrets.randbelow(10**6):06d}"
    ResidentLogin.objects.create(
        phone_digest=digest,
        code_digest=_code_digest(digest, code),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
    )
    if not residents_with_phone(digest).exists():
        return code if getattr(settings, "LIANXIN_SHOW_LOGIN_CODES", False) else None
    outbound_channel().send(
        to_digest=digest,
        to_masked=crypto.mask_phone(digits),
        template=LOGIN_TEMPLATE,
        # The gateway needs the code to send it; the record lives as long as SMS logs do.
        payload={"code": code, "minutes": CODE_MINUTES},
        case=None,
    )
    return code if getattr(settings, "LIANXIN_SHOW_LOGIN_CODES", False) else None


@transaction.atomic
def _code_consume(digest: str, code: str) -> str:
    """Check the latest live code of the phone under a row lock: a wrong code counts an
    attempt, a right one is used up. Returns the refusal ("" when the code is right); the
    caller raises after this transaction commits, so a wrong attempt is counted for good."""
    now = clock.now()
    login = (
        ResidentLogin.objects.select_for_update()
        .filter(phone_digest=digest, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if login is None or login.attempts >= MAX_ATTEMPTS:
        return "验证码已失效，请重新获取"
    if not secrets.compare_digest(login.code_digest, _code_digest(digest, code)):
        ResidentLogin.objects.filter(pk=login.pk).update(attempts=F("attempts") + 1)
        return "验证码不正确"
    ResidentLogin.objects.filter(pk=login.pk).update(used_at=now)
    return ""


def login_code_verify(phone: str, code: str) -> str:
    """Check the code; returns the phone digest to keep in the session.

    Not one transaction on purpose: raising inside it would roll back the attempt count,
    and a code could then be guessed without limit."""
    digits = clean_mobile(phone)
    digest = crypto.phone_digest(digits)
    refusal = _code_consume(digest, (code or "").strip())
    if refusal:
        raise DomainError(refusal, field="code")
    if not residents_with_phone(digest).exists():
        raise DomainError("该手机号未在村（社区）登记，请联系网格员核实", field="phone")
    return digest


def session_open(request: HttpRequest, *, phone_digest: str, phone: str) -> None:
    """Sign the browser in for the phone (a new session key: no fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = phone_digest
    request.session[SESSION_MASK_KEY] = crypto.mask_phone(crypto.normalise_phone(phone))
    request.session.set_expiry(SESSION_DAYS * 24 * 3600)


def session_close(request: HttpRequest) -> None:
    """Sign the browser out (the rest of the session, e.g. a request lookup, stays)."""
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SESSION_MASK_KEY, None)


def session_phone_digest(request: HttpRequest) -> str:
    """The digest of the phone proven by a code in this session ("" when not signed in)."""
    return str(request.session.get(SESSION_KEY) or "")


def session_phone_masked(request: HttpRequest) -> str:
    """The signed-in phone, masked (138****5678), for "signed in as" lines; "" when not."""
    if not session_phone_digest(request):
        return ""
    return str(request.session.get(SESSION_MASK_KEY) or "")


def session_residents(request: HttpRequest) -> list[Resident]:
    """The residents behind the session's phone (empty when not signed in, or when nobody
    lives behind the phone any more)."""
    digest = session_phone_digest(request)
    if not digest:
        return []
    return list(residents_with_phone(digest))
