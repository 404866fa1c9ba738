"""Collective economy: recording by source, corrections as revisions, refusals naming the
field, the cadre reward rule on the list (one village that qualifies and one per failing
reason), scope, the township filter, the query budget and the Excel export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import make_unit
from lianxin.stars.models import IncomeLine, IncomeStatement
from lianxin.stars.selectors import economy as sel
from lianxin.stars.services import catalog as catalog_svc
from lianxin.stars.services import economy as svc
from lianxin.stars.tests import factories as f

pytestmark = pytest.mark.django_db
YEAR = 2025
NOW = timezone.make_aware(dt.datetime(YEAR + 1, 3, 1, 10, 0))


def village(w: Any, n: int, name: str, parent: Any = None) -> Any:
    parent = parent or w.street
    return make_unit(
        "village", f"{parent.code}{200 + n:03d}", f"{name}村民委员会", parent, display_name=name
    )


def record(w: Any, persona: str = "village_staff", **kw: Any) -> IncomeStatement:
    args: dict[str, Any] = {
        "unit": w.village,
        "year": YEAR,
        "amounts": {"land_transfer": Decimal(40000), "leased_assets": Decimal("25000.50")},
    }
    with clock.travel(NOW):
        return svc.income_record(actor=w.actor(persona), **(args | kw))


def refused(call: Any, field: str | None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value


def html(response: Any) -> str:
    return response.content.decode()


# --- recording ---------------------------------------------------------------------------------


def test_record_computes_the_total_and_keeps_who(world) -> None:  # noqa: ANN001
    st = record(world, note="")
    assert (st.revision, st.total) == (1, Decimal("65000.50"))
    assert st.recorded_by_id == world.users["village_staff"].pk
    assert "village_staff" in st.recorded_by_label
    assert sorted(IncomeLine.objects.filter(statement=st).values_list("source", flat=True)) == [
        "land_transfer",
        "leased_assets",
    ]


def test_a_correction_is_a_new_revision_with_a_reason(world) -> None:  # noqa: ANN001
    first = record(world)
    amounts = {"land_transfer": Decimal(40000), "leased_assets": Decimal(30000)}
    refused(lambda: record(world, amounts=amounts), "note")
    refused(
        lambda: record(
            world,
            amounts={"land_transfer": Decimal(40000), "leased_assets": Decimal("25000.5")},
            note="再报一次",
        ),
        "note",
    )
    second = record(world, amounts=amounts, note="补录租金", expected_revision=1)
    assert second.revision == 2 and second.total == Decimal(70000)
    first.refresh_from_db()
    assert first.total == Decimal("65000.50")  # the first revision is kept as it was
    with pytest.raises(Conflict):
        record(world, amounts={"land_transfer": Decimal(1)}, note="x", expected_revision=1)
    history = sel.village_history(world.village)
    assert [r.statement.revision for r in history.revisions] == [2, 1]
    assert history.rows[0].statement == second


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"amounts": {"land_transfer": Decimal(-1)}}, "amount_land_transfer"),
        ({"amounts": {"services": "abc"}}, "amount_services"),
        ({"amounts": {"services": Decimal("1.001")}}, "amount_services"),
        ({"amounts": {}}, "amount_land_transfer"),
        ({"amounts": {"land_transfer": None, "other": ""}}, "amount_land_transfer"),
        ({"year": YEAR + 2}, "year"),
        ({"year": 1999}, "year"),
        ({"unit": "grid"}, "unit"),
    ],
)
def test_bad_input_names_the_field(world, kw: dict[str, Any], field: str) -> None:  # noqa: ANN001
    if kw.get("unit") == "grid":
        kw = {"unit": world.grid}  # under the village, but not a village
    refused(lambda: record(world, **kw), field)
    assert not IncomeStatement.objects.exists()


def test_only_the_village_records(world) -> None:  # noqa: ANN001
    for persona in ("street_staff", "other_village_staff", "org_department"):
        with pytest.raises(PermissionDenied):
            record(world, persona)
    record(world, "village_secretary")


# --- the list and the reward rule --------------------------------------------------------------


@pytest.fixture
def villages(world):  # noqa: ANN001, ANN201
    """Five villages of 大定街道, one per reward outcome (default settings: 50,000 yuan, 10%,
    a 10% share of the increment)."""
    v = {
        "ok": village(world, 1, "东庄村"),
        "low": village(world, 2, "西庄村"),
        "new": village(world, 3, "南庄村"),
        "slow": village(world, 4, "北庄村"),
        "none": village(world, 5, "中庄村"),
    }
    f.income(v["ok"], YEAR - 1, 60000)
    f.income(v["ok"], YEAR, 50000)
    f.income(v["ok"], YEAR, 70000, revision=2)  # a correction: the list reads it
    f.income(v["low"], YEAR - 1, 30000)
    f.income(v["low"], YEAR, 45000)
    f.income(v["new"], YEAR, 80000)
    f.income(v["slow"], YEAR - 1, 60000)
    f.income(v["slow"], YEAR, 63000)
    return v


def _row(rows: list[sel.IncomeRow], unit: Any) -> sel.IncomeRow:
    return next(r for r in rows if r.unit.pk == unit.pk)


def test_reward_rule_figures(world, villages) -> None:  # noqa: ANN001
    rows = sel.income_rows(list(sel.villages_for(world.actor("street_staff"))), YEAR)
    ok = _row(rows, villages["ok"]).reward
    assert ok is not None and ok.eligible and ok.pool == Decimal("1000.00")
    assert ok.growth == Decimal("0.1667") and ok.previous == Decimal(60000)
    reasons = {k: _row(rows, villages[k]).reward for k in ("low", "new", "slow")}
    assert reasons["low"] and reasons["low"].reason == "经营性收入不足 50,000 元"
    assert reasons["new"] and reasons["new"].reason == "缺少上年收入"
    assert reasons["slow"] and reasons["slow"].reason == "增幅未达 10%"
    assert _row(rows, villages["none"]).reward is None
    summary = sel.year_summary(world.actor("street_staff"), YEAR)
    assert (summary.villages, summary.recorded, summary.eligible) == (6, 4, 1)
    assert summary.pool == Decimal("1000.00") and summary.total == Decimal(258000)


def test_the_countys_settings_of_the_year_apply(world, villages) -> None:  # noqa: ANN001
    settings = catalog_svc.settings_ensure(county=world.county, year=YEAR)
    settings.reward_share = Decimal("0.25")
    settings.reward_min_growth = Decimal("0.05")
    settings.save()
    rows = sel.income_rows(list(sel.villages_for(world.actor("org_department"))), YEAR)
    assert _row(rows, villages["ok"]).reward.pool == Decimal("2500.00")  # type: ignore[union-attr]
    slow = _row(rows, villages["slow"]).reward
    assert slow is not None and slow.eligible and slow.pool == Decimal("750.00")


def test_list_page_shows_the_rule(world, villages) -> None:  # noqa: ANN001
    text = html(world.client("street_staff").get(reverse("stars:income_list"), {"year": YEAR}))
    for expected in (
        "东庄村",
        "70,000.00",
        "60,000.00",
        "+16.7%",
        "奖励资金 1,000.00 元",
        "经营性收入不足 50,000 元",
        "缺少上年收入",
        "增幅未达 10%",
        "未填报",
        "4 / 6",
    ):
        assert expected in text, expected
    assert "西关社区" not in text


def test_list_is_scoped_and_filtered_by_township(world, villages) -> None:  # noqa: ANN001
    f.income(world.other_village, YEAR, 99000)
    own = html(world.client("village_staff").get(reverse("stars:income_list"), {"year": YEAR}))
    assert "迎秀社区" in own and "东庄村" not in own and "99,000.00" not in own
    county = world.client("org_department")
    both = html(county.get(reverse("stars:income_list"), {"year": YEAR}))
    assert "东庄村" in both and "西关社区" in both
    one = html(
        county.get(
            reverse("stars:income_list"), {"year": YEAR, "township": world.other_street.code}
        )
    )
    assert "西关社区" in one and "东庄村" not in one


def _list_queries(client: Any) -> int:
    client.get(reverse("stars:income_list"), {"year": YEAR})  # warm: settings, session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("stars:income_list"), {"year": YEAR}).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant_in_villages(
    world,
    villages,
    django_assert_max_num_queries,  # noqa: ANN001
) -> None:
    client = world.client("org_department")
    few = _list_queries(client)
    for n in range(6, 16):
        unit = village(world, n, f"新{n}村")
        f.income(unit, YEAR - 1, 50000 + n)
        f.income(unit, YEAR, 60000 + n)
    assert _list_queries(client) == few
    with django_assert_max_num_queries(19):
        client.get(reverse("stars:income_list"), {"year": YEAR})


def test_export(world, villages) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    response = world.client("street_staff").get(reverse("stars:income_export"), {"year": YEAR})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "村干部奖励" in header and len(body) == 6
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in body}
    ok = by_name["东庄村"]
    assert ok["版本"] == 2 and ok["村干部奖励"] == "符合" and ok["奖励资金（元）"] == 1000
    assert by_name["西庄村"]["说明"] == "经营性收入不足 50,000 元"
    assert by_name["中庄村"]["村干部奖励"] == "未填报"


# --- the village's pages -----------------------------------------------------------------------


def test_village_page_shows_years_and_revisions(world) -> None:  # noqa: ANN001
    f.income(world.village, YEAR - 2, 52000)
    f.income(world.village, YEAR - 1, 56000)
    record(world)
    record(world, amounts={"land_transfer": Decimal(70000)}, note="更正土地流转")
    text = html(
        world.client("street_staff").get(
            reverse("stars:income_unit", args=[world.village.public_id])
        )
    )
    for expected in (f"{YEAR}年", f"{YEAR - 1}年", f"{YEAR - 2}年", "第2版", "更正土地流转"):
        assert expected in text, expected
    assert "70,000.00" in text and "65,000.50" in text
    assert "填报或更正" not in text  # the township reads only


def test_record_page(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("stars:income_record", args=[world.village.public_id])
    base = {"year": str(YEAR), "revision": "0", "for_year": str(YEAR)}
    with clock.travel(NOW):
        assert "尚未填报" in html(client.get(url, {"year": YEAR}))
        negative = client.post(url, base | {"amount_land_transfer": "-5"})
        assert negative.status_code == 400
        assert "土地流转金额不能为负数" in html(negative) and 'value="-5"' in html(negative)
        text = client.post(url, base | {"amount_services": "abc"})
        assert text.status_code == 400 and "有偿服务金额应为数字" in html(text)
        assert 'value="abc"' in html(text)
        future = client.post(url, base | {"year": str(YEAR + 2), "amount_other": "10"})
        assert future.status_code == 400 and "年度不能晚于今年" in html(future)
        assert 'value="10"' in html(future)
        done = client.post(url, base | {"amount_land_transfer": "48000", "amount_other": "9000"})
        assert done.status_code == 302
        form = html(client.get(url, {"year": YEAR}))
        assert "已填报第1版" in form and 'value="48000.00"' in form
        stale = client.post(url, base | {"amount_land_transfer": "1", "note": "更正"})
        assert stale.status_code == 409 and "刚刚有人填报或更正" in html(stale)
        assert 'name="revision" value="1"' in html(stale)
        fixed = client.post(
            url, base | {"revision": "1", "amount_land_transfer": "50000", "note": "核对账目"}
        )
        assert fixed.status_code == 302
    current = IncomeStatement.objects.get(unit=world.village, year=YEAR, revision=2)
    assert current.total == Decimal(50000) and current.note == "核对账目"
