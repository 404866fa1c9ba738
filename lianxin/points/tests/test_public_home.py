"""The household pages behind the residents' phone login (`resident:login` of cases; the
login itself is tested in lianxin/cases/tests/test_resident_login.py)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from lianxin.cases.services import residents
from lianxin.core.testing import make_household, make_resident
from lianxin.points.services.accounts import account_for_household
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
LOGIN = reverse("resident:login")
VERIFY = reverse("resident:login_verify")
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
    """Through the login pages, as a resident sent there from 我家积分 does."""
    html = client.post(LOGIN, {"phone": phone, "next": HOME}).content.decode()
    response = client.post(VERIFY, {"phone": phone, "code": code_from(html), "next": HOME})
    assert response.status_code == 302 and response["Location"] == HOME


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
    html = client.get(HOME).content.decode()
    assert f'action="{reverse("resident:logout")}"' in html
    assert client.post(reverse("resident:logout")).status_code == 302
    assert client.get(HOME).status_code == 302


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
