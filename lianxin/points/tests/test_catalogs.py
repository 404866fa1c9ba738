"""Catalog services: schemes, catalogs per year and unit, aspects, indicators and their
append-only revisions, settings, award rules, the yearly rollover."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.points.models import (
    Catalog,
    Indicator,
    IndicatorRevision,
    PointEntry,
    Proposal,
    Scheme,
)
from lianxin.points.services import catalogs, proposals
from lianxin.points.services.config import catalog_for, points_settings, scheme_get
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db


def default_catalog(code: str = "household") -> Catalog:
    return Catalog.objects.get(scheme__code=code, year=f.today().year, unit=None)


# --- schemes ---------------------------------------------------------------------------------


def test_county_admin_adds_a_scheme_street_staff_may_not(world) -> None:  # noqa: ANN001
    admin, street = world.actor("sysadmin"), world.actor("street_staff")
    scheme = catalogs.scheme_create(
        actor=admin, code="women", name="巾帼积分", subject_kind="household", notice_days=5
    )
    assert scheme.notice_days == 5 and scheme.is_active
    with pytest.raises(PermissionDenied, match="县级及以上"):
        catalogs.scheme_create(
            actor=street, code="youth", name="青年积分", subject_kind="household"
        )
    with pytest.raises(DomainError) as err:
        catalogs.scheme_create(actor=admin, code="women", name="重复", subject_kind="household")
    assert err.value.field == "code"
    with pytest.raises(DomainError) as err:
        catalogs.scheme_create(actor=admin, code="9bad", name="坏代码", subject_kind="household")
    assert err.value.field == "code"
    with pytest.raises(DomainError) as err:
        catalogs.scheme_create(actor=admin, code="odd", name="怪", subject_kind="alien")
    assert err.value.field == "subject_kind"
    with pytest.raises(DomainError) as err:
        catalogs.scheme_create(
            actor=admin, code="slow", name="慢", subject_kind="grid", notice_days=99
        )
    assert err.value.field == "notice_days"


def test_the_only_household_scheme_cannot_be_stopped(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    scheme = scheme_get("household")
    with pytest.raises(DomainError) as err:
        catalogs.scheme_update(
            actor=admin, scheme=scheme, name=scheme.name, spendable=True, notice_days=3,
            is_active=False,
        )  # fmt: skip
    assert err.value.field == "is_active"
    grid = scheme_get("grid")
    catalogs.scheme_update(
        actor=admin, scheme=grid, name="网格积分", spendable=False, notice_days=0, is_active=False
    )
    grid.refresh_from_db()
    assert not grid.is_active and grid.notice_days == 0
    with pytest.raises(DomainError) as err:
        catalogs.scheme_update(
            actor=admin, scheme=grid, name="网格", spendable=True, notice_days=0, is_active=True
        )
    assert err.value.field == "spendable"


# --- catalogs --------------------------------------------------------------------------------


def test_copy_to_a_new_year_gives_fresh_revisions_from_jan_1(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    source = default_catalog()
    year = source.year + 1
    retired = source.indicators.get(code="clutter")
    catalogs.indicator_set_active(actor=admin, indicator=retired, active=False)
    new = catalogs.catalog_copy(actor=admin, catalog=source, year=year)
    assert (new.year, new.unit, new.scheme_id) == (year, None, source.scheme_id)
    assert [a.name for a in new.aspects.all()] == [a.name for a in source.aspects.all()]
    codes = set(new.indicators.values_list("code", flat=True))
    assert "clutter" not in codes  # a retired indicator stays retired
    assert len(codes) == source.indicators.count() - 1
    revs = IndicatorRevision.objects.filter(indicator__catalog=new)
    assert {r.number for r in revs} == {1}
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    assert {r.effective_from for r in revs} == {start}
    courtyard = new.indicators.get(code="courtyard_clean")
    assert (courtyard.points, courtyard.cap_points, courtyard.revision) == (5, 5, 1)
    assert courtyard.aspect.catalog_id == new.pk
    with pytest.raises(DomainError) as err:
        catalogs.catalog_copy(actor=admin, catalog=source, year=year)
    assert err.value.field == "year"
    with pytest.raises(PermissionDenied):
        catalogs.catalog_copy(actor=world.actor("street_staff"), catalog=source, year=year + 1)


def test_a_street_keeps_its_own_catalog_which_applies_under_it(world) -> None:  # noqa: ANN001
    street = world.actor("street_staff")
    scheme = scheme_get("household")
    year = f.today().year
    default = default_catalog()
    with pytest.raises(PermissionDenied):
        catalogs.catalog_create(actor=street, scheme=scheme, year=year, unit=None, name="通用")
    with pytest.raises(PermissionDenied) as denied:
        catalogs.catalog_create(
            actor=world.actor("other_street_staff"), scheme=scheme, year=year,
            unit=world.street, name="大定街道群众积分",
        )  # fmt: skip
    assert denied.value.field == "unit"
    with pytest.raises(DomainError) as err:
        catalogs.catalog_create(
            actor=street, scheme=scheme, year=year, unit=world.village, name="社区目录"
        )
    assert err.value.field == "unit"
    own = catalogs.catalog_create(
        actor=street, scheme=scheme, year=year, unit=world.street, name="大定街道群众积分",
        copy_from=default,
    )  # fmt: skip
    assert own.indicators.count() == default.indicators.count()
    assert catalog_for(scheme=scheme, path=world.building.path, year=year) == own
    assert catalog_for(scheme=scheme, path=world.other_village.path, year=year) == default
    # The street edits its own catalog but not the default one.
    ind = own.indicators.get(code="courtyard_clean")
    catalogs.indicator_revise(
        actor=street, indicator=ind, name=ind.name, points=6, cap_points=6, cap_period="month",
        evidence="photo", reason="街道加大人居环境权重",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        catalogs.aspect_create(actor=street, catalog=default, name="新方面")
    # A proposal for a household in the street uses the street's catalog.
    account = f.household_account(world.building)
    with pytest.raises(DomainError) as err:
        f.propose(world, account)  # the default catalog's indicator no longer applies here
    assert err.value.field == "indicator"
    p = proposals.proposal_create(
        actor=world.actor("grid_worker"), account=account, indicator=ind,
        occurred_on=f.today(), photos=[f.photo()],
    )  # fmt: skip
    assert p.points == 6 and p.indicator_revision.number == 2
    # Stopping the own catalog hands the street back to the default one.
    catalogs.catalog_update(actor=street, catalog=own, name=own.name, is_active=False)
    assert catalog_for(scheme=scheme, path=world.building.path, year=year) == default


def test_rollover_copies_missing_default_catalogs_once(world) -> None:  # noqa: ANN001
    year = f.today().year + 1
    defaults = Catalog.objects.filter(year=year - 1, unit=None, is_active=True).count()
    made = catalogs.catalogs_roll_over(year)
    assert len(made) == defaults == Scheme.objects.filter(is_active=True).count()
    assert catalogs.catalogs_roll_over(year) == []
    assert Catalog.objects.filter(year=year, unit=None).count() == defaults


# --- aspects and indicators ------------------------------------------------------------------


def test_aspects_are_created_renamed_and_reordered(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    catalog = default_catalog("grid")
    extra = catalogs.aspect_create(actor=admin, catalog=catalog, name="平安建设")
    with pytest.raises(DomainError) as err:
        catalogs.aspect_create(actor=admin, catalog=catalog, name="平安建设")
    assert err.value.field == "name"
    catalogs.aspect_rename(actor=admin, aspect=extra, name="平安网格")
    catalogs.aspect_move(actor=admin, aspect=extra, offset=-1)
    assert [a.name for a in catalog.aspects.order_by("sort_order")] == ["平安网格", "网格履职"]
    catalogs.aspect_move(actor=admin, aspect=extra, offset=+1)
    assert [a.name for a in catalog.aspects.order_by("sort_order")] == ["网格履职", "平安网格"]


def test_indicator_create_checks_every_value(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    catalog = default_catalog("grid")
    aspect = catalog.aspects.get()
    good = {
        "code": "fire_check",
        "name": "消防安全检查",
        "points": 3,
        "cap_points": 6,
        "cap_period": "month",
        "evidence": "photo",
    }
    for bad, field in [
        ({"code": "检查"}, "code"),
        ({"code": "patrol"}, "code"),  # taken in this catalog
        ({"name": " "}, "name"),
        ({"points": 0}, "points"),
        ({"points": "三"}, "points"),
        ({"cap_points": 2}, "cap_points"),
        ({"cap_period": ""}, "cap_period"),
        ({"cap_points": 0}, "cap_points"),
        ({"evidence": "dna"}, "evidence"),
    ]:
        with pytest.raises(DomainError) as err:
            catalogs.indicator_create(actor=admin, catalog=catalog, aspect=aspect, **(good | bad))
        assert err.value.field == field, bad
    other_aspect = default_catalog().aspects.first()
    with pytest.raises(DomainError) as err:
        catalogs.indicator_create(actor=admin, catalog=catalog, aspect=other_aspect, **good)
    assert err.value.field == "aspect"
    ind = catalogs.indicator_create(actor=admin, catalog=catalog, aspect=aspect, **good)
    assert ind.revision == 1 and ind.revisions.get().points == 3


def test_revision_never_rewrites_booked_or_pending_points(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    account = f.household_account(world.building)
    booked = f.booked(world, account, code="cleanup_labour")  # 3 points, photo
    pending = f.propose(world, account, code="cleanup_labour")
    ind = f.indicator("cleanup_labour")
    rev = catalogs.indicator_revise(
        actor=admin, indicator=ind, name="参加环境整治义务劳动（每次）", points=4,
        cap_points=12, cap_period="month", evidence="photo_or_link", reason="县里调整分值",
    )  # fmt: skip
    assert rev.number == 2 and rev.changed_by_id == world.users["sysadmin"].pk
    ind.refresh_from_db()
    assert (ind.points, ind.cap_points, ind.revision) == (4, 12, 2)
    assert [r.number for r in ind.revisions.order_by("number")] == [1, 2]
    # Booked points are untouched; the pending proposal keeps revision 1 and its 3 points.
    entry = PointEntry.objects.get(pk=booked.entry_id)
    assert entry.amount == 3 and entry.indicator_revision.number == 1
    pending.refresh_from_db()
    assert pending.points == 3 and pending.indicator_revision.number == 1
    # A new proposal uses the new values, and booking the old one still pays 3.
    fresh = f.propose(world, account, code="cleanup_labour")
    assert fresh.points == 4 and fresh.indicator_revision == rev
    proposals.proposal_approve(actor=world.actor("village_secretary"), proposal=pending)
    pending = Proposal.objects.get(pk=pending.pk)
    proposals.proposal_book(proposal=pending)
    pending.refresh_from_db()
    assert pending.entry.amount == 3
    account.refresh_from_db()
    assert account.balance == 6


def test_revise_needs_a_reason_and_a_change(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    ind = f.indicator("courtyard_clean")
    same = {
        "name": ind.name,
        "points": ind.points,
        "cap_points": ind.cap_points,
        "cap_period": ind.cap_period,
        "evidence": ind.evidence,
    }
    with pytest.raises(DomainError) as err:
        catalogs.indicator_revise(actor=admin, indicator=ind, reason="", **same)
    assert err.value.field == "reason"
    with pytest.raises(DomainError, match="没有修改"):
        catalogs.indicator_revise(actor=admin, indicator=ind, reason="看看", **same)
    with pytest.raises(PermissionDenied):
        catalogs.indicator_revise(
            actor=world.actor("street_staff"), indicator=ind, reason="x", **(same | {"points": 9})
        )
    assert Indicator.objects.get(pk=ind.pk).revision == 1


def test_deactivated_indicator_takes_no_new_proposals(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    account = f.household_account(world.building)
    catalogs.indicator_set_active(actor=admin, indicator=f.indicator(), active=False)
    with pytest.raises(DomainError) as err:
        f.propose(world, account)
    assert err.value.field == "indicator"


# --- settings and rules ----------------------------------------------------------------------


def _settings(**over: object) -> dict[str, object]:
    return {
        "low_score_threshold": 50,
        "member_own_weight": "0.6",
        "member_linked_weight": "0.4",
        "rating_top_label": "示范户",
        "rating_top_min": 90,
        "rating_mid_label": "达标户",
        "rating_mid_min": 45,
        "rating_low_label": "整改户",
        "objections_per_source_hour": 10,
    } | over


def test_settings_are_checked_and_saved(world) -> None:  # noqa: ANN001
    admin = world.actor("sysadmin")
    for bad, field in [
        ({"member_linked_weight": "0.5"}, "member_linked_weight"),
        ({"member_own_weight": "1.5"}, "member_own_weight"),
        ({"member_own_weight": "x"}, "member_own_weight"),
        ({"rating_mid_min": 90}, "rating_mid_min"),
        ({"rating_low_label": "达标户"}, "rating_low_label"),
        ({"rating_top_label": ""}, "rating_top_label"),
        ({"low_score_threshold": "六十"}, "low_score_threshold"),
    ]:
        with pytest.raises(DomainError) as err:
            catalogs.settings_update(actor=admin, **_settings(**bad))
        assert err.value.field == field, bad
    with pytest.raises(PermissionDenied):
        catalogs.settings_update(actor=world.actor("street_staff"), **_settings())
    catalogs.settings_update(actor=admin, **_settings())
    row = points_settings()
    assert row.member_own_weight == Decimal("0.60") and row.rating_top_min == 90
    assert row.low_score_threshold == 50


def test_award_rule_points_at_an_existing_indicator(world) -> None:  # noqa: ANN001
    from lianxin.points.models import AwardRule

    admin = world.actor("sysadmin")
    rule = AwardRule.objects.get(source="linkage_visit")
    with pytest.raises(DomainError) as err:
        catalogs.award_rule_update(
            actor=admin, rule=rule, scheme=rule.scheme, indicator_code="nope", is_active=True
        )
    assert err.value.field == "indicator_code"
    catalogs.award_rule_update(
        actor=admin, rule=rule, scheme=rule.scheme, indicator_code="policy", is_active=True
    )
    rule.refresh_from_db()
    assert rule.is_active and rule.indicator_code == "policy"
