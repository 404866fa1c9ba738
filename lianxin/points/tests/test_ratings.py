"""三类户 ratings: thresholds, re-computing replaces only unpublished ratings, publishing,
permissions, the rating page and the door plaques (PDF with Chinese text checked)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess  # noqa: S404
from pathlib import Path

import pytest
from django.urls import reverse

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.testing import make_household
from lianxin.party.tests.factories import make_org
from lianxin.points.models import HouseholdRating, PointsSettings
from lianxin.points.services import ratings
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture(autouse=True)
def _settings_row(db) -> None:  # noqa: ANN001
    # Thresholds set here, not taken from the model defaults (those are the lead's to tune).
    cfg, _ = PointsSettings.objects.get_or_create()
    cfg.rating_top_min, cfg.rating_mid_min = 80, 40
    cfg.save()


def _year() -> int:
    return clock.now().year


@pytest.fixture
def village_accounts(world):  # noqa: ANN001, ANN201
    """Four households of 迎秀社区 scoring 95, 80 (top boundary), 40 (mid boundary), 39."""
    accounts = {}
    for name, points in (("甲户", 95), ("乙户", 80), ("丙户", 40), ("丁户", 39)):
        account = f.household_account(world.building, head_name=name)
        f.credit(account, points, day=dt.date(_year(), 3, 1))
        accounts[name] = account
    return accounts


def _compute(world, **kw):  # noqa: ANN001, ANN003, ANN202
    kw.setdefault("year", _year())
    return ratings.ratings_compute(
        actor=world.actor("village_secretary"), village=world.village, **kw
    )


def _levels() -> dict[str, tuple[str, str, int]]:
    return {
        r.account.household.head_name: (r.level, r.label, r.score)
        for r in HouseholdRating.objects.select_related("account__household")
    }


def test_thresholds_rate_each_household(world, village_accounts) -> None:  # noqa: ANN001
    other = f.household_account(world.other_village, head_name="西关户")
    f.credit(other, 100)
    summary = _compute(world)
    assert summary.created == 4 and summary.by_level == {"top": 2, "mid": 1, "low": 1}
    assert _levels() == {
        "甲户": ("top", "示范户", 95),
        "乙户": ("top", "示范户", 80),
        "丙户": ("mid", "达标户", 40),
        "丁户": ("low", "整改户", 39),
    }


def test_configured_thresholds_and_labels(world, village_accounts) -> None:  # noqa: ANN001
    cfg = PointsSettings.objects.get()
    cfg.rating_top_min, cfg.rating_mid_min = 90, 39
    cfg.rating_top_label, cfg.rating_mid_label, cfg.rating_low_label = "星级户", "合格户", "帮扶户"
    cfg.save()
    _compute(world)
    assert {k: v[1] for k, v in _levels().items()} == {
        "甲户": "星级户",
        "乙户": "合格户",
        "丙户": "合格户",
        "丁户": "合格户",
    }


def test_recompute_replaces_unpublished_and_keeps_published(world, village_accounts) -> None:  # noqa: ANN001
    _compute(world)
    first = HouseholdRating.objects.get(account=village_accounts["丁户"])
    ratings.ratings_publish(actor=world.actor("village_staff"), village=world.village, year=_year())
    # After publishing, 丁户 earns enough to be top and a new household joins.
    f.credit(village_accounts["丁户"], 60, day=dt.date(_year(), 4, 1))
    newcomer = f.household_account(world.building, head_name="戊户")
    f.credit(newcomer, 45)
    summary = _compute(world)
    assert (summary.created, summary.updated, summary.kept_published) == (1, 0, 4)
    kept = HouseholdRating.objects.get(account=village_accounts["丁户"])
    assert (kept.pk, kept.level, kept.score) == (first.pk, "low", 39)  # the plaque stays
    assert HouseholdRating.objects.get(account=newcomer).published_at is None


def test_recompute_updates_unpublished_rows_in_place(world, village_accounts) -> None:  # noqa: ANN001
    _compute(world)
    before = HouseholdRating.objects.get(account=village_accounts["丁户"])
    f.credit(village_accounts["丁户"], 1, day=dt.date(_year(), 5, 1))
    summary = _compute(world)
    assert (summary.created, summary.updated) == (0, 4)
    after = HouseholdRating.objects.get(account=village_accounts["丁户"])
    assert after.public_id == before.public_id and (after.level, after.score) == ("mid", 40)


def test_household_gone_loses_its_unpublished_rating(world, village_accounts) -> None:  # noqa: ANN001
    _compute(world)
    household = village_accounts["甲户"].household
    household.is_active = False
    household.save()
    summary = _compute(world)
    assert summary.removed == 1
    assert not HouseholdRating.objects.filter(account=village_accounts["甲户"]).exists()


def test_reversed_points_lower_the_rating(world, village_accounts) -> None:  # noqa: ANN001
    from lianxin.points.services import ledger

    entry = village_accounts["乙户"].entries.get()
    ledger.entry_reverse(entry=entry, reason="核实有误", booked_by_id=None)
    _compute(world)
    assert _levels()["乙户"] == ("low", "整改户", 0)


def test_permissions_and_bad_input(world, village_accounts) -> None:  # noqa: ANN001
    year = _year()
    with pytest.raises(PermissionDenied):
        ratings.ratings_compute(actor=world.actor("grid_worker"), village=world.village, year=year)
    with pytest.raises(PermissionDenied):
        ratings.ratings_compute(
            actor=world.actor("other_village_staff"), village=world.village, year=year
        )
    with pytest.raises(DomainError) as err:
        _compute(world, year=year + 1)
    assert err.value.field == "year"
    with pytest.raises(DomainError) as err:
        ratings.ratings_compute(
            actor=world.actor("village_secretary"), village=world.grid, year=year
        )
    assert err.value.field == "village"
    with pytest.raises(DomainError, match="没有待公布"):
        ratings.ratings_publish(
            actor=world.actor("village_staff"), village=world.village, year=year
        )
    assert not HouseholdRating.objects.exists()
    # The street holds points.talk over its villages.
    assert _compute(world).created == 4
    assert (
        ratings.ratings_compute(
            actor=world.actor("street_staff"), village=world.village, year=year
        ).updated
        == 4
    )


def test_rating_page_compute_and_publish(
    world, village_accounts, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("points:rating_list")
    year = str(_year())
    page = client.get(url, {"village": world.village.code, "year": year})
    assert "还没有评定" in page.content.decode()
    done = client.post(url, {"village": world.village.code, "year": year, "op": "compute"})
    assert done.status_code == 302
    with django_assert_max_num_queries(14):
        page = client.get(done["Location"])
    html = page.content.decode()
    assert page.context["counts"] == {"total": 4, "published": 0, "top": 2, "mid": 1, "low": 1}
    assert "甲户家" in html and "示范户" in html and "挂牌公布（4 户待公布）" in html
    client.post(url, {"village": world.village.code, "year": year, "op": "publish"})
    page = client.get(url, {"village": world.village.code, "year": year})
    assert page.context["counts"]["published"] == 4
    assert "打印门牌" in page.content.decode()
    # Bad input keeps the page with the reason.
    refused = client.post(url, {"village": world.village.code, "year": year, "op": "publish"})
    assert refused.status_code == 200 and "没有待公布的评定" in refused.content.decode()


def test_rating_page_query_count_does_not_grow(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("points:rating_list")
    query = {"village": world.village.code, "year": str(_year())}
    for i in range(3):
        f.credit(f.household_account(world.building, head_name=f"甲{i}"), 50)
    _compute(world)
    client.get(url, query)
    with django_assert_max_num_queries(14) as few:
        client.get(url, query)
    for i in range(20):
        f.credit(f.household_account(world.sibling_building, head_name=f"乙{i}"), 90)
    _compute(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, query)
    assert len(response.context["page"].object_list) == 23


def test_grid_worker_sees_own_grid_ratings_without_buttons(world, village_accounts) -> None:  # noqa: ANN001
    f.credit(f.household_account(world.sibling_building, head_name="邻格户"), 10)
    _compute(world)
    page = world.client("grid_worker").get(reverse("points:rating_list"))
    html = page.content.decode()
    assert page.context["village"] == world.village  # the village above the grid
    assert "甲户家" in html and "邻格户" not in html
    assert not page.context["can_rate"] and "重新评定" not in html


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the Chinese text of PDFs")
    path = tmp_path / "plaque.pdf"
    path.write_bytes(content)
    command = [PDFTOTEXT, "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603


def test_plaque_pdf_prints_the_household_in_chinese(world, village_accounts, tmp_path) -> None:  # noqa: ANN001
    make_org(world.village, name="中共迎秀社区委员会", kind="committee")
    _compute(world)
    ratings.ratings_publish(actor=world.actor("village_staff"), village=world.village, year=_year())
    rating = HouseholdRating.objects.get(account=village_accounts["甲户"])
    response = world.client("grid_worker").get(
        reverse("points:plaque_pdf", args=[rating.public_id])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    household = rating.account.household
    for words in (
        "示范户",
        f"{_year()}年度",
        "迎秀社区",
        "甲户家",
        f"迎秀小区1号楼 {household.address}",
        "中共迎秀社区委员会",
        "迎秀居民委员会",
    ):
        assert words in text, words


def test_unpublished_rating_has_no_plaque(world, village_accounts) -> None:  # noqa: ANN001
    _compute(world)
    rating = HouseholdRating.objects.first()
    url = reverse("points:plaque_pdf", args=[rating.public_id])
    assert world.client("village_staff").get(url).status_code == 404


def test_village_plaques_one_per_page(world, village_accounts, tmp_path) -> None:  # noqa: ANN001
    _compute(world)
    ratings.ratings_publish(actor=world.actor("village_staff"), village=world.village, year=_year())
    # Rated after publishing: not published, so not printed.
    f.credit(f.household_account(world.building, head_name="己户"), 10)
    _compute(world)
    url = reverse("points:plaques_pdf", args=[world.village.code, _year()])
    response = world.client("village_staff").get(url, {"size": "a4"})
    assert response.status_code == 200
    text = _pdf_text(response.content, tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) == 4
    for label, name in (
        ("示范户", "甲户家"),
        ("示范户", "乙户家"),
        ("达标户", "丙户家"),
        ("整改户", "丁户家"),
    ):
        assert any(label in p and name in p for p in pages), name
    assert "己户家" not in text
    empty = reverse("points:plaques_pdf", args=[world.village.code, _year() - 1])
    assert world.client("village_staff").get(empty).status_code == 404


def test_household_without_account_is_not_rated(world) -> None:  # noqa: ANN001
    make_household(world.building, head_name="无账户")
    assert _compute(world).rated == 0
