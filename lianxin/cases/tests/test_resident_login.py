"""The residents' phone login (one-time code → session), shared by every resident-facing app."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from lianxin.cases.models import OutboundMessage, ResidentLogin
from lianxin.cases.services import residents
from lianxin.cases.services.config import case_settings
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.testing import make_household, make_resident
from lianxin.people.models import Resident

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
LOGIN = reverse("resident:login")
VERIFY = reverse("resident:login_verify")
LOGOUT = reverse("resident:logout")


@pytest.fixture(autouse=True)
def _demo_codes(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = True
    cache.clear()


def resident(unit, *, name: str = "王秀英", phone: str = PHONE) -> Resident:  # noqa: ANN001
    return make_resident(make_household(unit, head_name=name), name=name, phone=phone)


def code_from(html: str) -> str:
    found = re.search(r'class="demo-code">(\d{6})<', html)
    assert found, "the demo page shows the code"
    return found.group(1)


def sign_in(client: Client, phone: str = PHONE, next_url: str = "") -> str:
    """Both steps through the pages; returns where the browser is sent."""
    html = client.post(LOGIN, {"phone": phone, "next": next_url}).content.decode()
    response = client.post(VERIFY, {"phone": phone, "code": code_from(html), "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]
    return str(response["Location"])


def as_request(client: Client) -> HttpRequest:
    """A request carrying the client's session, to read it with the service's helpers."""
    request = HttpRequest()
    request.session = client.session
    return request


# --- asking for a code -----------------------------------------------------------------------


def test_login_page_and_phone_errors_keep_the_input(world) -> None:  # noqa: ANN001
    client = Client()
    page = client.get(LOGIN)
    assert page.status_code == 200 and "获取验证码" in page.content.decode()
    assert "no-store" in page["Cache-Control"] and page["X-Robots-Tag"] == "noindex"
    html = client.post(LOGIN, {"phone": "1391234"}).content.decode()
    assert "请填写11位手机号" in html and 'value="1391234"' in html
    html = client.post(LOGIN, {"phone": ""}).content.decode()
    assert "请填写手机号" in html
    assert not ResidentLogin.objects.exists()


def test_clean_mobile_names_the_field() -> None:
    assert residents.clean_mobile("139 1234-5678") == PHONE
    with pytest.raises(DomainError) as err:
        residents.clean_mobile("12345", field="contact")
    assert err.value.field == "contact"


def test_code_is_sent_and_shown_in_the_demo(world) -> None:  # noqa: ANN001
    resident(world.building)
    html = Client().post(LOGIN, {"phone": "139 1234 5678"}).content.decode()
    code = code_from(html)
    assert "139****5678" in html and f'value="{PHONE}"' in html
    message = OutboundMessage.objects.get(template="resident_login_code")
    assert message.to_masked == "139****5678" and message.case is None
    assert message.payload == {"code": code, "minutes": residents.CODE_MINUTES}
    login = ResidentLogin.objects.get()
    assert code not in login.code_digest and PHONE not in login.phone_digest


def test_code_is_not_shown_outside_the_demo(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = False
    resident(world.building)
    assert residents.login_code_send(PHONE) is None
    html = Client().post(LOGIN, {"phone": PHONE}).content.decode()
    assert 'class="demo-code"' not in html and "139****5678" in html
    assert OutboundMessage.objects.filter(template="resident_login_code").count() == 2


def test_unknown_phone_gets_the_same_answer_and_no_message(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = False
    html = Client().post(LOGIN, {"phone": "13511112222"}).content.decode()
    assert "135****2222" in html and "验证码短信已发出" in html
    assert not OutboundMessage.objects.exists()


def test_codes_per_phone_follow_the_case_settings(world) -> None:  # noqa: ANN001
    row = case_settings()
    row.login_codes_per_phone_hour = 2
    row.save()
    client = Client()
    for _ in range(2):
        assert 'class="demo-code"' in client.post(LOGIN, {"phone": PHONE}).content.decode()
    html = client.post(LOGIN, {"phone": PHONE}).content.decode()
    assert "过于频繁" in html and f'value="{PHONE}"' in html
    assert ResidentLogin.objects.count() == 2
    with clock.travel(clock.now() + dt.timedelta(hours=1, minutes=1)):
        assert 'class="demo-code"' in client.post(LOGIN, {"phone": PHONE}).content.decode()


def test_codes_per_address_are_limited(world) -> None:  # noqa: ANN001
    from lianxin.cases.views.public import LOGIN_CODES_PER_ADDRESS_HOUR

    client = Client()
    for i in range(LOGIN_CODES_PER_ADDRESS_HOUR):
        assert 'class="demo-code"' in client.post(LOGIN, {"phone": f"135{i:08d}"}).content.decode()
    html = client.post(LOGIN, {"phone": "13600000000"}).content.decode()
    assert "过于频繁" in html
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert 'class="demo-code"' in other.post(LOGIN, {"phone": "13600000000"}).content.decode()


# --- typing it back --------------------------------------------------------------------------


def test_wrong_code_then_too_many_attempts(world) -> None:  # noqa: ANN001
    resident(world.building)
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": PHONE}).content.decode())
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(residents.MAX_ATTEMPTS):
        html = client.post(VERIFY, {"phone": PHONE, "code": wrong}).content.decode()
        assert "验证码不正确" in html and f'value="{PHONE}"' in html
    assert ResidentLogin.objects.get().attempts == residents.MAX_ATTEMPTS
    html = client.post(VERIFY, {"phone": PHONE, "code": code}).content.decode()
    assert "验证码已失效" in html
    assert residents.session_phone_digest(as_request(client)) == ""


def test_expired_code(world) -> None:  # noqa: ANN001
    resident(world.building)
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": PHONE}).content.decode())
    later = clock.now() + dt.timedelta(minutes=residents.CODE_MINUTES + 1)
    with clock.travel(later):
        html = client.post(VERIFY, {"phone": PHONE, "code": code}).content.decode()
    assert "验证码已失效" in html


def test_code_is_single_use(world) -> None:  # noqa: ANN001
    resident(world.building)
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": PHONE}).content.decode())
    assert client.post(VERIFY, {"phone": PHONE, "code": code}).status_code == 302
    html = Client().post(VERIFY, {"phone": PHONE, "code": code}).content.decode()
    assert "验证码已失效" in html


def test_unregistered_phone_cannot_sign_in(world) -> None:  # noqa: ANN001
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": "13511112222"}).content.decode())
    html = client.post(VERIFY, {"phone": "13511112222", "code": code}).content.decode()
    assert "未在村（社区）登记" in html
    assert residents.session_phone_digest(as_request(client)) == ""


# --- the session -----------------------------------------------------------------------------


def test_session_holds_the_digest_and_finds_every_resident_of_the_phone(world) -> None:  # noqa: ANN001
    me = resident(world.building)
    mother = resident(world.sibling_building, name="王老太")
    resident(world.building, name="李四海", phone="13800001111")
    client = Client()
    assert sign_in(client) == LOGIN
    request = as_request(client)
    digest = residents.session_phone_digest(request)
    assert digest == me.phone_digest and PHONE not in str(dict(client.session.items()))
    assert client.session[residents.SESSION_KEY] == digest
    assert residents.session_phone_masked(request) == "139****5678"
    assert {r.pk for r in residents.session_residents(request)} == {me.pk, mother.pk}
    assert list(residents.residents_with_phone(digest).order_by("id")) == [me, mother]
    # Someone who moved out loses access at once: the residents are looked up every time.
    Resident.objects.filter(pk__in=[me.pk, mother.pk]).update(is_active=False)
    assert residents.session_residents(request) == []
    html = client.get(LOGIN).content.decode()
    assert "已用手机号 139****5678 登录" in html


def test_next_is_followed_only_on_this_site(world) -> None:  # noqa: ANN001
    resident(world.building)
    assert sign_in(Client(), next_url="https://evil.example/") == LOGIN
    assert sign_in(Client(), next_url="/p/me/?a=1") == "/p/me/?a=1"


def test_next_rides_along_both_steps(world) -> None:  # noqa: ANN001
    resident(world.building)
    client = Client()
    page = client.get(LOGIN, {"next": "/p/store/"}).content.decode()
    assert 'name="next" value="/p/store/"' in page
    assert f'href="{VERIFY}?next=%2Fp%2Fstore%2F"' in page
    html = client.post(LOGIN, {"phone": PHONE, "next": "/p/store/"}).content.decode()
    assert 'name="next" value="/p/store/"' in html
    assert f'href="{LOGIN}?next=%2Fp%2Fstore%2F"' in html
    response = client.post(VERIFY, {"phone": PHONE, "code": code_from(html), "next": "/p/store/"})
    assert response["Location"] == "/p/store/"
    signed_in = client.get(LOGIN, {"next": "/p/store/"}).content.decode()
    assert 'class="btn primary" href="/p/store/"' in signed_in


def test_logout_closes_only_the_phone_session(world) -> None:  # noqa: ANN001
    resident(world.building)
    client = Client()
    sign_in(client)
    session = client.session
    session["lianxin_resident_phone"] = "lookup"  # a request lookup in the same browser
    session.save()
    assert client.get(LOGOUT).status_code == 405
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == LOGIN
    request = as_request(client)
    assert residents.session_phone_digest(request) == ""
    assert residents.session_phone_masked(request) == ""
    assert client.session["lianxin_resident_phone"] == "lookup"
    assert "已用手机号" not in client.get(LOGIN).content.decode()
