"""Staff pages of residents' proposals: the list (filters, paging, query budget), the detail
with its answer and "put on the agenda"."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lianxin.consultation.models import AgendaItem, ResidentProposal
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests.test_proposals import neighbour, propose
from lianxin.core.testing import build_world

pytestmark = pytest.mark.django_db

LIST = reverse("consultation:proposal_list")


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def many(world: Any, n: int) -> list[ResidentProposal]:
    return [
        propose(world, neighbour(world.building, f"居民{i}"), title=f"议题{i}") for i in range(n)
    ]


def test_list_filters_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    made = many(world, 3)
    svc.proposal_support(proposal=made[0], resident=neighbour(world.building, "支持者"))
    svc.proposal_decline(actor=world.actor("village_staff"), proposal=made[1], answer="答复")
    client = world.client("street_staff")
    with django_assert_max_num_queries(14) as small:
        html = client.get(LIST).content.decode()
    assert all(f"议题{i}" in html for i in range(3))
    many(world, 12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(LIST).status_code == 200
    html = client.get(LIST, {"status": "declined"}).content.decode()
    assert "议题1" in html and "议题2" not in html
    html = client.get(LIST, {"min_support": "1"}).content.decode()
    assert "议题0" in html and "议题2" not in html
    html = client.get(LIST, {"village": world.village.code, "q": "议题2"}).content.decode()
    assert "议题2" in html and "议题0" not in html
    assert "不予采纳" in html  # the status filter's options
    other = world.client("other_village_staff").get(LIST).content.decode()
    assert "议题0" not in other


def test_decline_from_the_detail_page(world) -> None:  # noqa: ANN001
    p = propose(world)
    client = world.client("village_staff")
    url = reverse("consultation:proposal_decline", args=[p.public_id])
    response = client.post(url, {"answer": "", "version": p.version})
    assert response.status_code == 400 and "请填写答复" in response.content.decode()
    stale = client.post(url, {"answer": "已安排", "version": p.version + 5})
    assert stale.status_code == 409 and "已安排" in stale.content.decode()
    response = client.post(url, {"answer": "已纳入亮化工程", "version": p.version})
    assert response.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.answer) == ("declined", "已纳入亮化工程")
    # Street staff see it but cannot act: no forms.
    html = (
        world.client("street_staff")
        .get(reverse("consultation:proposal_detail", args=[p.public_id]))
        .content.decode()
    )
    assert "已纳入亮化工程" in html and "列入议程</button>" not in html


def test_put_on_the_agenda(world) -> None:  # noqa: ANN001
    p = propose(world)
    m = f.meeting(world, title="四月居民议事会")
    client = world.client("village_staff")
    detail = client.get(reverse("consultation:proposal_detail", args=[p.public_id]))
    assert "四月居民议事会" in detail.content.decode()
    url = reverse("consultation:proposal_schedule", args=[p.public_id])
    assert client.post(url, {"meeting": ""}).status_code == 400
    response = client.post(url, {"meeting": "not-a-uuid"})
    assert response.status_code == 400
    response = client.post(url, {"meeting": str(m.public_id)})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == "scheduled"
    item = AgendaItem.objects.get(proposal=p)
    assert (item.meeting, item.source, item.title) == (m, "proposal", p.title)
