"""Contests pages: the list, opening a round and a final, registration of all villages at
once, judges' scores with refusals, the host's moves, entries and material, rankings and the
Excel export; query budgets on the lists."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from lianxin.stars.models import Contest, ContestEntry, ContestScore
from lianxin.stars.tests import scope_contests as b

pytestmark = pytest.mark.django_db
YEAR = b.YEAR


def _detail(contest: Contest) -> str:
    return reverse("stars:contest_detail", args=[contest.public_id])


def test_county_opens_a_round_on_the_page(world) -> None:  # noqa: ANN001
    client = world.client("org_department")
    url = reverse("stars:contest_open")
    assert "比武日期" in client.get(url).content.decode()
    bad = client.post(
        url,
        {
            "county": world.county.code,
            "year": YEAR,
            "round": "measures",
            "held_on": f"{YEAR}-08-01",
            "place": "党校礼堂",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 400 and "创建举措大比武应在" in html and "党校礼堂" in html
    assert not Contest.objects.exists()
    done = client.post(
        url,
        {
            "county": world.county.code,
            "year": YEAR,
            "round": "measures",
            "held_on": f"{YEAR}-06-10",
            "place": "党校礼堂",
        },
    )
    assert done.status_code == 302
    assert Contest.objects.filter(round="measures").count() == 2
    # A township reads why it cannot.
    page = world.client("street_staff").get(url)
    assert page.status_code == 200 and "比武日期" not in page.content.decode()


def test_list_in_scope_with_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    b.entered(world, b.villages(world, 3))
    b.opened(world, "measures", held_on=dt.date(YEAR, 6, 1))
    client = world.client("org_department")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("stars:contest_list"), {"year": YEAR})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<tr>") == 1 + 4  # head + 4 heats
    assert "开启比武" in html
    village = world.client("village_staff").get(reverse("stars:contest_list"), {"year": YEAR})
    vhtml = village.content.decode()
    assert "大定街道创建思路" in vhtml and "会昌街道" not in vhtml and "开启比武" not in vhtml
    filtered = client.get(reverse("stars:contest_list"), {"year": YEAR, "round": "measures"})
    assert filtered.content.decode().count("<tr>") == 1 + 2


def test_registration_page_enters_all_villages_at_once(world) -> None:  # noqa: ANN001
    extra = b.villages(world, 2)
    contest = b.heat(world)
    client = world.client("street_staff")
    url = reverse("stars:contest_register", args=[contest.public_id])
    form = client.get(url).content.decode()
    assert "迎秀社区" in form and "测试11村" in form
    assert 'value="village_secretary"' in form  # the secretary on record presents
    data = {
        f"{world.village.code}-include": "on",
        f"{world.village.code}-presenter": "王书记",
        f"{world.village.code}-title": "迎秀社区创建思路",
        f"{world.village.code}-material": b.pdf(),
        f"{extra[0].code}-include": "on",
        f"{extra[0].code}-presenter": "",
        f"{extra[0].code}-title": "测试11村思路",
        f"{extra[1].code}-presenter": "不报名",
        f"{extra[1].code}-title": "不报名",
    }
    refused = client.post(url, data)
    html = refused.content.decode()
    assert refused.status_code == 400 and "请填写演讲人" in html
    assert "测试11村思路" in html and "王书记" in html  # what was typed stays
    assert not ContestEntry.objects.exists()
    data[f"{extra[0].code}-presenter"] = "李书记"
    data[f"{world.village.code}-material"] = b.pdf()
    done = client.post(url, data)
    assert done.status_code == 302 and done["Location"] == _detail(contest)
    entries = ContestEntry.objects.order_by("unit__path")
    assert [e.presenter for e in entries] == ["王书记", "李书记"]
    assert entries[0].material_name == "思路.pdf"
    # The village left over is the only candidate now.
    again = client.get(url).content.decode()
    assert "测试12村" in again and "测试11村思路" not in again


def test_judges_score_on_the_contest_page(world) -> None:  # noqa: ANN001
    entries = b.scoring(world, b.villages(world, 1))
    contest = entries[0].contest
    client = world.client("street_staff")
    page = client.get(_detail(contest)).content.decode()
    assert page.count('name="score"') == 2
    url = reverse("stars:contest_entry_score", args=[entries[0].public_id])
    over = client.post(url, {"score": "101", "comment": "很好"})
    html = over.content.decode()
    assert over.status_code == 400 and "得分应在0至100分之间" in html
    assert 'value="101"' in html and 'value="很好"' in html
    typo = client.post(url, {"score": "八十"})
    assert typo.status_code == 400
    done = client.post(url, {"score": "92.5", "comment": "思路清晰"})
    assert done.status_code == 302 and f"#entry-{entries[0].public_id}" in done["Location"]
    twice = client.post(url, {"score": "60"})
    assert twice.status_code == 400 and "只打一次" in twice.content.decode()
    assert ContestScore.objects.get().score == 92.5
    page = client.get(_detail(contest)).content.decode()
    assert page.count('name="score"') == 1 and "已打分" in page
    # A village is no judge: no inputs, and a post is refused.
    vpage = world.client("village_staff").get(_detail(contest)).content.decode()
    assert 'name="score"' not in vpage and "92.50" not in vpage  # no live average either
    assert world.client("village_staff").post(url, {"score": "99"}).status_code == 403


def test_host_moves_and_ranking_on_the_pages(world) -> None:  # noqa: ANN001
    entries = b.entered(world, b.villages(world, 2))
    contest = entries[0].contest
    client = world.client("street_staff")
    act = reverse("stars:contest_act", args=[contest.public_id])
    assert client.post(act, {"action": "close", "version": contest.version}).status_code == 400
    stale = client.post(act, {"action": "scoring_start", "version": contest.version - 1})
    assert stale.status_code == 409 and "刚刚有变化" in stale.content.decode()
    assert (
        client.post(act, {"action": "scoring_start", "version": contest.version}).status_code == 302
    )
    b.score_all(world, entries, [[90, 90, 70]])
    contest.refresh_from_db()
    assert client.post(act, {"action": "close", "version": contest.version}).status_code == 302
    html = client.get(_detail(contest)).content.decode()
    assert html.count("晋级决赛") >= 2 and "结束评分，排名" not in html
    edit = reverse("stars:contest_edit", args=[contest.public_id])
    contest.refresh_from_db()
    closed = client.post(
        edit, {"held_on": f"{YEAR}-03-01", "place": "x", "version": contest.version}
    )
    assert closed.status_code == 400


def test_entry_page_material_and_edit(world) -> None:  # noqa: ANN001
    (entry,) = b.entered(world, material=b.pdf())
    village = world.client("village_staff")
    page = village.get(reverse("stars:contest_entry", args=[entry.public_id]))
    html = page.content.decode()
    assert page.status_code == 200 and "思路.pdf" in html and "修改参赛信息" in html
    assert "撤销报名" not in html  # withdrawing is the township's
    material = village.get(reverse("stars:contest_entry_material", args=[entry.public_id]))
    assert material.status_code == 200 and material["Content-Type"] == "application/pdf"
    assert b"".join(material.streaming_content).startswith(b"%PDF-")
    assert "inline" in material["Content-Disposition"]
    edit = reverse("stars:contest_entry_edit", args=[entry.public_id])
    bad = village.post(edit, {"presenter": "王书记", "title": "", "material": b.photo()})
    assert bad.status_code == 400 and "王书记" in bad.content.decode()
    ok = village.post(edit, {"presenter": "王书记", "title": "新思路", "material": b.photo()})
    assert ok.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "新思路" and entry.material.name.endswith(".jpg")
    html = village.get(reverse("stars:contest_entry", args=[entry.public_id])).content.decode()
    assert '<img class="ct-photo"' in html
    # Withdrawing on the township's page.
    street = world.client("street_staff")
    gone = street.post(reverse("stars:contest_entry_withdraw", args=[entry.public_id]))
    assert gone.status_code == 302 and not ContestEntry.objects.exists()


def test_entry_scores_show_judges_to_the_host_only(world) -> None:  # noqa: ANN001
    entries = b.closed(world)
    url = reverse("stars:contest_entry", args=[entries[0].public_id])
    host = world.client("street_staff").get(url).content.decode()
    assert "street_staff" in host
    village = world.client("village_staff").get(url).content.decode()
    assert "street_staff" not in village and "评委1" in village and "90.00" in village


def test_final_on_the_pages(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    b.closed(world, b.villages(world, 2), table=[[95, 90, 85]])
    client = world.client("org_department")
    url = reverse("stars:contest_final_create")
    done = client.post(
        url,
        {
            "county": world.county.code,
            "year": YEAR,
            "round": "ideas",
            "held_on": f"{YEAR}-03-25",
            "place": "市委党校",
        },
    )
    final = Contest.objects.get(is_final=True)
    assert done.status_code == 302 and done["Location"] == _detail(final)
    with django_assert_max_num_queries(20):
        page = client.get(_detail(final))
    html = page.content.decode()
    assert "乡镇初赛" in html and "迎秀社区" in html and "测试11村" in html
    assert "测试12村" not in html  # not advanced
    heat_page = world.client("street_staff").get(
        _detail(ContestEntry.objects.filter(contest__is_final=False).first().contest)
    )
    assert "市（县）级决赛" in heat_page.content.decode()


def test_rankings_and_export_are_scoped(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    b.closed(world, b.villages(world, 3), table=[[95, 90, 90, 80]])
    client = world.client("street_staff")
    url = reverse("stars:contest_rankings")
    with django_assert_max_num_queries(12):
        page = client.get(url, {"year": YEAR, "round": "ideas"})
    html = page.content.decode()
    assert page.status_code == 200 and "大定街道初赛" in html and "会昌街道" not in html
    export = client.get(reverse("stars:contest_rankings_export"), {"year": YEAR, "round": "ideas"})
    assert export.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][5] == "名次" and [r[5] for r in rows[1:]] == [1, 2, 2, 4]
    assert [r[11] for r in rows[1:]] == ["是", "是", "是", "否"]
    # A village: its own row only.
    vexp = world.client("village_staff").get(
        reverse("stars:contest_rankings_export"), {"year": YEAR, "round": "ideas"}
    )
    vrows = list(load_workbook(io.BytesIO(b"".join(vexp.streaming_content))).active.values)
    assert [r[6] for r in vrows[1:]] == ["迎秀社区"]
    vpage = world.client("village_staff").get(url, {"year": YEAR, "round": "ideas"})
    assert "测试11村" not in vpage.content.decode()
