"""The catalog's defaults and the indicators every figure standard reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lianxin.stars import indicators
from lianxin.stars import workflow as wf
from lianxin.stars.models import Standard, StarSet
from lianxin.stars.services.catalog import catalog_ensure, catalog_for_unit
from lianxin.stars.tests import factories as f

pytestmark = pytest.mark.django_db


def test_community_and_village_sets_differ_by_one_star(world) -> None:  # noqa: ANN001
    community = catalog_for_unit(world.village, 2026)
    village = catalog_ensure(county=world.county, year=2026, unit_type=wf.VILLAGE)
    assert community.unit_type == wf.COMMUNITY
    assert [s.name for s in community.stars.all()] == [
        "支部过硬星",
        "共建共享星",
        "生态宜居星",
        "平安法治星",
        "文明幸福星",
    ]
    assert [s.name for s in village.stars.all()] == [
        "支部过硬星",
        "产业兴旺星",
        "生态宜居星",
        "平安法治星",
        "文明幸福星",
    ]
    keys = set(Standard.objects.exclude(figure_key="").values_list("figure_key", flat=True))
    assert keys <= set(indicators.INDICATORS)


def test_next_year_copies_the_county_edits(world) -> None:  # noqa: ANN001
    first = catalog_for_unit(world.village, 2025)
    star = first.stars.get(code="branch")
    star.name = "支部过硬星（本地）"
    star.save()
    second = catalog_for_unit(world.village, 2026)
    assert second.pk != first.pk
    assert second.stars.get(code="branch").name == "支部过硬星（本地）"
    assert StarSet.objects.filter(county=world.county).count() == 2


def test_income_indicator_reads_the_latest_revision(world) -> None:  # noqa: ANN001
    f.income(world.village, 2025, 50000)
    f.income(world.village, 2026, 40000)
    f.income(world.village, 2026, 60000, revision=2)
    values = indicators.evaluate(
        world.village, 2026, ["stars.collective_income", "stars.collective_income_growth"]
    )
    assert values["stars.collective_income"].value == Decimal(60000)
    assert values["stars.collective_income_growth"].value == Decimal("0.2000")
    assert values["stars.collective_income"].display == "60,000.00 元"


def test_every_family_computes(world) -> None:  # noqa: ANN001
    values = indicators.evaluate(world.village, 2026, list(indicators.INDICATORS))
    assert set(values) == set(indicators.INDICATORS)
    assert values["consultation.meetings_held"].value == 0
    assert values["cases.mediation_success_rate"].value is None


def test_reward_rule() -> None:
    common = {"min_income": Decimal(50000), "min_growth": Decimal("0.10"), "share": Decimal("0.2")}
    ok = wf.reward_for(income=Decimal(66000), previous=Decimal(60000), **common)
    assert ok.eligible and ok.pool == Decimal("1200.00") and ok.growth == Decimal("0.1000")
    assert not wf.reward_for(income=Decimal(65999), previous=Decimal(60000), **common).eligible
    assert not wf.reward_for(income=Decimal(49000), previous=Decimal(10000), **common).eligible
    assert not wf.reward_for(income=Decimal(90000), previous=None, **common).eligible
