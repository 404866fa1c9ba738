"""Mediation pages through the Django client: register, sessions, conclusion, revisit; names
masked for those who neither handle nor may reveal; phone numbers never in plain text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.cases.models import Case, Mediation
from lianxin.cases.tests.factories import mediation_team, open_mediation
from lianxin.cases.workflow import Satisfaction, Status

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def _new_data(world, **over) -> dict:  # noqa: ANN001
    data = {
        "unit": str(world.building.public_id),
        "dispute_kind": "neighbour_dispute",
        "description": "2号楼楼上漏水到楼下，两户多次争吵",
        "channel": "visit",
        "team": "",
        "parties-TOTAL_FORMS": "3",
        "parties-INITIAL_FORMS": "3",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "10",
        "parties-0-role": "applicant",
        "parties-0-name": "张建国",
        "parties-0-phone": PHONE,
        "parties-1-role": "respondent",
        "parties-1-name": "李秀兰",
        "parties-1-phone": "",
        "parties-2-role": "respondent",
        "parties-2-name": "",
        "parties-2-phone": "",
    }
    data.update(over)
    return data


def test_register_through_the_form_and_dispatch(world) -> None:
    team = mediation_team(world.village)
    client = world.client("village_staff")
    page = client.get(reverse("cases:mediation_new"))
    assert page.status_code == 200 and team.name in page.content.decode()
    response = client.post(
        reverse("cases:mediation_new"), _new_data(world, team=str(team.public_id))
    )
    assert response.status_code == 302
    m = Mediation.objects.select_related("case").get()
    assert response["Location"] == reverse(
        "cases:mediation_detail", kwargs={"public_id": m.case.public_id}
    )
    assert m.case.handler_team == team and m.case.status == Status.ASSIGNED
    assert m.parties.count() == 2 and m.dispute_kind == "邻里纠纷"
    html = client.get(response["Location"]).content.decode()
    assert "138****5678" in html and PHONE not in html


def test_grid_worker_form_has_no_team_choice(world) -> None:
    mediation_team(world.village)
    html = world.client("grid_worker").get(reverse("cases:mediation_new")).content.decode()
    assert 'name="team"' not in html


def test_form_errors_stay_next_to_the_party_and_keep_input(world) -> None:
    client = world.client("village_staff")
    response = client.post(
        reverse("cases:mediation_new"), _new_data(world, **{"parties-1-phone": "12345"})
    )
    assert response.status_code == 200
    parties = response.context["parties"]
    assert "phone" in parties.forms[1].errors
    html = response.content.decode()
    assert "2号楼楼上漏水到楼下" in html
    assert not Case.objects.exists()
    response = client.post(
        reverse("cases:mediation_new"), _new_data(world, **{"parties-1-name": ""})
    )
    assert response.status_code == 200
    assert "申请方和一位被申请方" in response.content.decode()


def test_outsider_cannot_file_at_a_foreign_place(world) -> None:
    client = world.client("other_village_staff")
    response = client.post(reverse("cases:mediation_new"), _new_data(world))
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not Case.objects.exists()


def test_detail_session_conclude_and_revisit(world) -> None:
    m = open_mediation(world, team=mediation_team(world.village))
    url = reverse("cases:mediation_detail", kwargs={"public_id": m.case.public_id})
    client = world.client("village_staff")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "登记调解记录" in html and "回访" not in html.split("调解结果")[-1]
    response = client.post(
        url,
        {
            "op": "session",
            "s-mode": "meeting",
            "s-held_at": "",
            "s-mediators": "王调解",
            "s-note": "召开协调会",
        },
    )
    assert response.status_code == 200 and "held_at" in response.context["forms"]["session"].errors
    from django.utils import timezone

    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url,
        {
            "op": "session",
            "s-mode": "meeting",
            "s-held_at": now,
            "s-mediators": "王调解",
            "s-note": "召开协调会",
        },
    )
    assert response.status_code == 302
    assert m.sessions.count() == 1
    version = Case.objects.get(pk=m.case_id).version
    stale = client.post(
        url,
        {
            "op": "conclude",
            "c-version": version - 1,
            "c-agreement_reached": "yes",
            "c-agreement": "和解",
        },
    )
    assert stale.status_code == 200 and "刷新" in stale.content.decode()
    response = client.post(
        url,
        {
            "op": "conclude",
            "c-version": version,
            "c-agreement_reached": "yes",
            "c-agreement": "楼上维修防水，赔偿800元",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=m.case_id)
    assert case.status == Status.RESOLVED
    html = client.get(url).content.decode()
    assert "记录回访" in html and "召开协调会" in html
    response = client.post(
        url,
        {
            "op": "revisit",
            "r-version": case.version,
            "r-stable": "yes",
            "r-satisfaction": "",
            "r-note": "",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.FOLLOWED_UP and case.satisfaction == Satisfaction.SATISFIED


def test_dispatch_from_the_detail_page(world) -> None:
    m = open_mediation(world, persona="grid_worker")
    team = mediation_team(world.village)
    url = reverse("cases:mediation_detail", kwargs={"public_id": m.case.public_id})
    assert "派至调解组织" not in world.client("grid_worker").get(url).content.decode()
    client = world.client("village_staff")
    assert "派至调解组织" in client.get(url).content.decode()
    response = client.post(
        url, {"op": "dispatch", "d-version": m.case.version, "d-team": str(team.public_id)}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=m.case_id).handler_team == team


def test_sibling_cannot_post_to_a_foreign_mediation(world) -> None:
    m = open_mediation(world)
    url = reverse("cases:mediation_detail", kwargs={"public_id": m.case.public_id})
    response = world.client("sibling_grid_worker").post(
        url, {"op": "session", "s-mode": "home", "s-mediators": "x", "s-note": "y"}
    )
    assert response.status_code == 404
    assert not m.sessions.exists()


def test_names_are_masked_for_non_handlers_and_phones_always(world) -> None:
    m = open_mediation(world, applicant="张建国", respondent="李秀兰")
    detail = reverse("cases:mediation_detail", kwargs={"public_id": m.case.public_id})
    listing = reverse("cases:mediation_list")
    for persona in ("grid_worker", "village_staff", "street_staff"):
        client = world.client(persona)
        for url in (detail, listing):
            html = client.get(url).content.decode()
            assert "张建国" in html and PHONE not in html, (persona, url)
    org = world.client("org_department")  # sees requests, neither handles nor reveals
    for url in (detail, listing):
        html = org.get(url).content.decode()
        assert "张**" in html and "张建国" not in html and "李秀兰" not in html
        assert PHONE not in html


def test_list_filters_and_constant_queries(world) -> None:
    team = mediation_team(world.village)
    client = world.client("village_staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cases:mediation_list")).status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        open_mediation(world, team=team, text=f"第{i}号楼楼上漏水到楼下发生争吵")
    few = count()
    for i in range(27):
        open_mediation(world, text=f"第{i + 10}号楼邻里噪声纠纷需要调解")
    assert count() == few
    html = client.get(reverse("cases:mediation_list") + "?state=revisit").content.decode()
    assert "没有符合条件的调解" in html
