"""The phone login (one-time code) and the household pages behind it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from lianxin.cases.models import OutboundMessage
from lianxin.core import clock
from lianxin.core.testing import make_household, make_resident
from lianxin.points.models import ResidentLogin
from lianxin.points.services import residents
from lianxin.points.services.accounts import account_for_household
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
LOGIN = reverse("points_public:login")
VERIFY = reverse("points_public:login_verify")
HOME = reverse("points_public:home")


@pytest.fixture(autouse=True)
def _demo_codes(settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = True
    cache.clear()


def household(unit, *, head: str, door: str, phone: str = PHONE, extra: str = ""):  # noqa: ANN001, ANN201
    """A household whose resident `head` has `phone`; `extra` adds a second resident."""
    h = make_household(unit, address=door, head_name=head)
    make_resident(h, name=head, phone=phone)
    if extra:
        make_resident(h, name=extra, phone="13700000000")
    return account_for_household(h)


def code_from(html: str) -> str:
    found = re.search(r'class="demo-code">(\d{6})<', html)
    assert found, "the demo page shows the code"
    return found.group(1)


def sign_in(client: Client, phone: str = PHONE) -> None:
    html = client.post(LOGIN, {"phone": phone}).content.decode()
    response = client.post(VERIFY, {"phone": phone, "code": code_from(html)})
    assert response.status_code == 302, response.content.decode()[:500]


def test_login_page_and_phone_errors_keep_the_input(world) -> None:  # noqa: ANN001
    client = Client()
    assert client.get(LOGIN).status_code == 200
    html = client.post(LOGIN, {"phone": "1391234"}).content.decode()
    assert "请填写11位手机号" in html and 'value="1391234"' in html
    html = client.post(LOGIN, {"phone": ""}).content.decode()
    assert "请填写手机号" in html
    assert not ResidentLogin.objects.exists()


def test_code_is_sent_and_shown_in_the_demo(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
    html = Client().post(LOGIN, {"phone": "139 1234 5678"}).content.decode()
    code = code_from(html)
    assert "139****5678" in html and f'value="{PHONE}"' in html
    message = OutboundMessage.objects.get(template="points_login_code")
    assert message.to_masked == "139****5678"
    assert message.payload["code"] == code  # the gateway needs the code to send it
    login = ResidentLogin.objects.get()
    assert code not in login.code_digest and PHONE not in login.phone_digest


def test_code_is_not_shown_outside_the_demo(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = False
    household(world.building, head="王秀英", door="3单元501室")
    html = Client().post(LOGIN, {"phone": PHONE}).content.decode()
    assert 'class="demo-code"' not in html and "139****5678" in html


def test_unknown_phone_gets_the_same_answer_and_no_message(world, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_SHOW_LOGIN_CODES = False
    html = Client().post(LOGIN, {"phone": "13511112222"}).content.decode()
    assert "135****2222" in html and "验证码短信已发出" in html
    assert not OutboundMessage.objects.exists()


def test_wrong_code_then_too_many_attempts(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": PHONE}).content.decode())
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(residents.MAX_ATTEMPTS):
        html = client.post(VERIFY, {"phone": PHONE, "code": wrong}).content.decode()
        assert "验证码不正确" in html and f'value="{PHONE}"' in html
    assert ResidentLogin.objects.get().attempts == residents.MAX_ATTEMPTS
    html = client.post(VERIFY, {"phone": PHONE, "code": code}).content.decode()
    assert "验证码已失效" in html
    assert client.get(HOME).status_code == 302


def test_expired_code(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
    client = Client()
    code = code_from(client.post(LOGIN, {"phone": PHONE}).content.decode())
    later = clock.now() + dt.timedelta(minutes=residents.CODE_MINUTES + 1)
    with clock.travel(later):
        html = client.post(VERIFY, {"phone": PHONE, "code": code}).content.decode()
    assert "验证码已失效" in html


def test_code_is_single_use(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
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
    assert client.get(HOME).status_code == 302


def test_codes_per_phone_are_limited(world) -> None:  # noqa: ANN001
    client = Client()
    from lianxin.points.services.config import points_settings

    for _ in range(points_settings().login_codes_per_phone_hour):
        assert 'class="demo-code"' in client.post(LOGIN, {"phone": PHONE}).content.decode()
    html = client.post(LOGIN, {"phone": PHONE}).content.decode()
    assert "过于频繁" in html and f'value="{PHONE}"' in html


def test_codes_per_address_are_limited(world) -> None:  # noqa: ANN001
    from lianxin.points.views.public import LOGIN_CODES_PER_ADDRESS_HOUR

    client = Client()
    for i in range(LOGIN_CODES_PER_ADDRESS_HOUR):
        assert 'class="demo-code"' in client.post(LOGIN, {"phone": f"135{i:08d}"}).content.decode()
    html = client.post(LOGIN, {"phone": "13600000000"}).content.decode()
    assert "过于频繁" in html
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert 'class="demo-code"' in other.post(LOGIN, {"phone": "13600000000"}).content.decode()


def test_pages_behind_login_show_nothing_without_the_session(world) -> None:  # noqa: ANN001
    account = household(world.building, head="王秀英", door="3单元501室")
    f.credit(account, 7)
    client = Client()
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next=%2Fp%2Fme%2F"
    assert f'value="{HOME}"' in client.get(response["Location"]).content.decode()
    url = reverse("points_public:statement", args=[account.public_id])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "王" not in response.content.decode()


def test_home_shows_only_the_phones_households(world) -> None:  # noqa: ANN001
    mine = household(world.building, head="王秀英", door="3单元501室", extra="王小明")
    parents = household(world.sibling_building, head="王老根", door="9单元901室")
    other = household(world.building, head="李四海", door="5单元101室", phone="13800001111")
    f.credit(mine, 8)
    f.credit(parents, 3)
    f.credit(other, 99)
    f.approved(world, mine)  # a proposal on notice
    client = Client()
    sign_in(client)
    html = client.get(HOME).content.decode()
    # Random tokens (CSRF) may hold any digits: look at the page without them.
    visible = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    assert "王**家 · 迎秀小区1号楼" in html and "王**家 · 迎秀小区9号楼" in html
    assert "139****5678" in html
    assert "李" not in visible and "余额 99" not in visible and ">99<" not in visible
    assert "测试加分" in html and "余额 8" in html and "公示中" in html
    assert "庭院整洁、物品摆放有序" in html
    assert "王秀英" not in html and "3单元501室" not in html and PHONE not in html
    assert client.session[residents.SESSION_KEY] != PHONE
    statement = reverse("points_public:statement", args=[other.public_id])
    assert client.get(statement).status_code == 404
    assert client.get(reverse("points_public:statement", args=[mine.public_id])).status_code == 200


def test_contributions_mark_the_phones_resident(world) -> None:  # noqa: ANN001
    account = household(world.building, head="王秀英", door="3单元501室", extra="王小明")
    me, son = account.household.residents.order_by("id")
    from lianxin.points.models import EntryKind
    from lianxin.points.services import ledger

    for who, amount in ((me, 5), (son, 3), (None, 2)):
        ledger.entry_append(
            account=account,
            kind=EntryKind.EARN,
            amount=amount,
            occurred_on=f.today(),
            reason="参加义务劳动",
            source_key=f"t:{amount}",
            resident_id=who.pk if who else None,
        )
    client = Client()
    sign_in(client)
    html = client.get(HOME).content.decode()
    assert "王**（本人）" in html and "王*" in html and "全户" in html
    assert "王小明" not in html
    assert ">10</strong>" in html  # this year's score and the balance


def test_statement_pages(world) -> None:  # noqa: ANN001
    account = household(world.building, head="王秀英", door="3单元501室")
    for i in range(35):
        f.credit(account, 1 + i)
    client = Client()
    sign_in(client)
    html = client.get(HOME).content.decode()
    assert "查看全部 35 条明细" in html
    url = reverse("points_public:statement", args=[account.public_id])
    page1 = client.get(url).content.decode()
    assert "第 1 / 2 页" in page1 and "余额 630" in page1
    assert "余额 1<" in client.get(url, {"page": 2}).content.decode()


def test_logout_closes_the_session(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
    client = Client()
    sign_in(client)
    assert client.get(HOME).status_code == 200
    assert client.post(reverse("points_public:logout")).status_code == 302
    assert client.get(HOME).status_code == 302


def test_next_is_followed_only_on_this_site(world) -> None:  # noqa: ANN001
    household(world.building, head="王秀英", door="3单元501室")
    client = Client()
    html = client.post(LOGIN, {"phone": PHONE, "next": "https://evil.example/"}).content.decode()
    response = client.post(
        VERIFY, {"phone": PHONE, "code": code_from(html), "next": "https://evil.example/"}
    )
    assert response["Location"] == HOME
    html = client.post(LOGIN, {"phone": PHONE, "next": "/p/v/x/"}).content.decode()
    response = client.post(VERIFY, {"phone": PHONE, "code": code_from(html), "next": "/p/v/x/"})
    assert response["Location"] == "/p/v/x/"


def test_home_query_count_is_constant(world, django_assert_max_num_queries, settings) -> None:  # noqa: ANN001
    settings.LIANXIN_CONFIG_RECHECK_SECONDS = 3600  # no snapshot freshness check mid-count
    first = household(world.building, head="王秀英", door="1室")
    f.credit(first, 5)
    f.approved(world, first)
    client = Client()
    sign_in(client)
    client.get(HOME)
    with django_assert_max_num_queries(6) as few:
        client.get(HOME)
    for i in range(4):
        more = household(world.building, head=f"王{i}", door=f"{i + 2}室")
        for _ in range(12):
            f.credit(more, 2)
        f.approved(world, more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(HOME).content.decode()
    assert html.count("可用积分") == 5
