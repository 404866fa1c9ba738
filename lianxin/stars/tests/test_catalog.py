"""Catalog editing through the services: who may edit, the standards' validation, the kind
lock once declarations reference a standard, settings, task forces and weak branches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Role
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import make_unit, make_user
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    Declaration,
    DeclarationEntry,
    ReviewStep,
    Standard,
    StandardScore,
    Star,
)
from lianxin.stars.selectors import catalog as sel
from lianxin.stars.services import catalog as svc
from lianxin.stars.services.catalog import StandardDraft
from lianxin.stars.tests import scope_catalog as sc

pytestmark = pytest.mark.django_db
YEAR = sc.YEAR
NOW = timezone.make_aware(dt.datetime(YEAR, 6, 15, 10, 0))


def county(w: Any) -> Actor:
    return w.actor("org_department")


def manual(**kw: Any) -> StandardDraft:
    base: dict[str, Any] = {
        "name": "班子团结",
        "kind": wf.MANUAL,
        "max_score": Decimal(20),
        "pass_score": Decimal(16),
    }
    return StandardDraft(**(base | kw))


def figure(**kw: Any) -> StandardDraft:
    base: dict[str, Any] = {
        "name": "调解成功率",
        "kind": wf.FIGURE,
        "figure_key": "cases.mediation_success_rate",
        "comparator": ">=",
        "threshold": Decimal("0.85"),
    }
    return StandardDraft(**(base | kw))


def refused(call: Any, field: str | None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value


# --- who edits ---------------------------------------------------------------------------------


def test_only_county_level_configure_posts_edit(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    args = {"name": "新名称", "short_name": "新", "description": "", "is_active": True}
    for persona in ("village_staff", "street_staff", "department_staff"):
        with pytest.raises(PermissionDenied):
            svc.star_update(actor=world.actor(persona), star=star, **args)
    # A configure post below county level (an organisation-department post at a township):
    # it holds the permission there, but the catalog applies to the whole county.
    township_org = Actor.for_user(make_user("township_org", Role.ORG_DEPARTMENT, world.street))
    assert township_org.can(wf.CONFIGURE, world.street.path)
    with pytest.raises(PermissionDenied):
        svc.star_update(actor=township_org, star=star, **args)
    assert not svc.can_configure(township_org, world.county)
    # The county's post, and a city-level administrator above it, may.
    svc.star_update(actor=county(world), star=star, **args)
    assert svc.can_configure(world.actor("sysadmin"), world.county)
    star.refresh_from_db()
    assert star.name == "新名称" and star.code == "branch"


def test_another_countys_configure_post_is_refused(world) -> None:  # noqa: ANN001
    other = make_unit("county", "410882", "沁阳市", world.city)
    actor = Actor.for_user(make_user("other_org", Role.ORG_DEPARTMENT, other))
    assert actor.can_deployment_wide(wf.CONFIGURE)
    with pytest.raises(PermissionDenied):
        svc.standard_create(actor=actor, star=sc.branch_star(world), draft=manual())


# --- stars -------------------------------------------------------------------------------------


def test_star_rename_deactivate_and_unique_name(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    refused(
        lambda: svc.star_update(
            actor=county(world),
            star=star,
            name="生态宜居星",
            short_name="x",
            description="",
            is_active=True,
        ),
        "name",
    )
    refused(
        lambda: svc.star_update(
            actor=county(world), star=star, name="", short_name="x", description="", is_active=True
        ),
        "name",
    )
    svc.star_update(
        actor=county(world),
        star=star,
        name="支部过硬星",
        short_name="过硬",
        description="要求",
        is_active=False,
    )
    assert not Star.objects.get(pk=star.pk).is_active


def test_star_move_renumbers_and_swaps(world) -> None:  # noqa: ANN001
    star_set = sc.branch_star(world).star_set
    codes = lambda: list(star_set.stars.order_by("sort_order").values_list("code", flat=True))  # noqa: E731
    before = codes()
    svc.star_move(actor=county(world), star=star_set.stars.get(code="sharing"), offset=-1)
    assert codes() == [before[1], before[0], *before[2:]]
    # Moving the first star up changes nothing.
    svc.star_move(actor=county(world), star=star_set.stars.get(code="sharing"), offset=-1)
    assert codes()[0] == "sharing"
    assert list(star_set.stars.order_by("sort_order").values_list("sort_order", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_star_create_checks_code(world) -> None:  # noqa: ANN001
    star_set = sc.village_set(world)
    create = lambda code, name="宜业兴业星": svc.star_create(  # noqa: E731
        actor=county(world), star_set=star_set, code=code, name=name, short_name="宜业"
    )
    refused(lambda: create("宜业"), "code")
    refused(lambda: create("branch"), "code")
    refused(lambda: create("business", name="支部过硬星"), "name")
    star = create("Business")
    assert star.code == "business" and star.sort_order == 6


# --- standards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (manual(max_score=None), "max_score"),
        (manual(max_score=Decimal(0)), "max_score"),
        (manual(max_score=Decimal(-5)), "max_score"),
        (manual(pass_score=None), "pass_score"),
        (manual(pass_score=Decimal(21)), "pass_score"),
        (manual(pass_score=Decimal(-1)), "pass_score"),
        (manual(max_score=Decimal("10.001")), "max_score"),
        (StandardDraft(name="台账", kind=wf.EVIDENCE, evidence_hint="  "), "evidence_hint"),
        (figure(figure_key="cases.nothing"), "figure_key"),
        (figure(figure_key=""), "figure_key"),
        (figure(comparator="~"), "comparator"),
        (figure(threshold=None), "threshold"),
        (figure(threshold=Decimal("1.5")), "threshold"),
        (figure(figure_key="cases.received", threshold=Decimal("2.5")), "threshold"),
        (figure(figure_key="stars.collective_income", threshold=Decimal(-1)), "threshold"),
        (manual(name=""), "name"),
        (manual(kind="other"), "kind"),
    ],
)
def test_standard_validation(world, draft: StandardDraft, field: str) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    before = star.standards.count()
    refused(lambda: svc.standard_create(actor=county(world), star=star, draft=draft), field)
    assert star.standards.count() == before


def test_standard_kinds_store_only_their_own_columns(world) -> None:  # noqa: ANN001
    star = sc.branch_star(world)
    std = svc.standard_create(actor=county(world), star=star, draft=manual(evidence_hint="x"))
    assert (std.max_score, std.pass_score, std.evidence_hint) == (Decimal(20), Decimal(16), "")
    assert std.code == "s5" and std.sort_order == 5
    changed = svc.standard_update(actor=county(world), standard=std, draft=figure())
    assert changed.kind == wf.FIGURE and changed.max_score is None and changed.pass_score is None
    assert changed.threshold == Decimal("0.85")
    assert sel.requirement_words(changed) == "矛盾纠纷调解成功率 不低于 85%"
    evidence = svc.standard_update(
        actor=county(world),
        standard=std,
        draft=StandardDraft(name="台账", kind=wf.EVIDENCE, evidence_hint="上传台账"),
    )
    assert evidence.figure_key == "" and evidence.threshold is None
    assert evidence.evidence_hint == "上传台账"


def _declare(world: Any, standard: Standard) -> Declaration:
    decl = Declaration.objects.create(
        unit=world.village, year=YEAR, star=standard.star, status=wf.SUBMITTED
    )
    DeclarationEntry.objects.create(declaration=decl, round=1, standard=standard)
    return decl


def _score(world: Any, standard: Standard) -> None:
    decl = Declaration.objects.create(
        unit=world.village, year=YEAR, star=standard.star, status=wf.TOWNSHIP_PASSED
    )
    step = ReviewStep.objects.create(
        declaration=decl,
        round=1,
        stage=ReviewStep.Stage.TOWNSHIP,
        action=ReviewStep.Action.PASSED,
        from_status=wf.SUBMITTED,
        to_status=wf.TOWNSHIP_PASSED,
        actor_label="街道",
        at=clock.now(),
    )
    StandardScore.objects.create(step=step, standard=standard, score=Decimal(25), passed=True)


@pytest.mark.parametrize("reference", [_declare, _score])
def test_kind_is_locked_once_declarations_reference_the_standard(world, reference) -> None:  # noqa: ANN001
    standard = sc.branch_star(world).standards.get(code="team")
    assert not svc.standard_in_use(standard)
    reference(world, standard)
    assert svc.standard_in_use(standard)
    err = refused(
        lambda: svc.standard_update(
            actor=county(world),
            standard=standard,
            draft=StandardDraft(name="班子建设", kind=wf.EVIDENCE, evidence_hint="上传"),
        ),
        "kind",
    )
    assert "不能更改类型" in err.message
    standard.refresh_from_db()
    assert standard.kind == wf.MANUAL
    # The year stays editable: the same kind with new numbers, or deactivation.
    svc.standard_update(
        actor=county(world),
        standard=standard,
        draft=manual(
            name="班子建设与组织生活",
            max_score=Decimal(40),
            pass_score=Decimal(30),
            is_active=False,
        ),
    )
    standard.refresh_from_db()
    assert standard.max_score == Decimal(40) and not standard.is_active


def test_deactivated_standards_carry_over_to_next_year(world) -> None:  # noqa: ANN001
    standard = sc.branch_star(world).standards.get(code="records")
    svc.standard_update(
        actor=county(world),
        standard=standard,
        draft=StandardDraft(
            name=standard.name, kind=wf.EVIDENCE, evidence_hint="x", is_active=False
        ),
    )
    next_year = sc.branch_star(world, YEAR + 1)
    assert not next_year.standards.get(code="records").is_active


# --- words -------------------------------------------------------------------------------------


def test_standards_in_words(world) -> None:  # noqa: ANN001
    blocks, _ = sel.catalog_read(world.county, YEAR)
    words = {
        row.standard.code: row.requirement
        for block in blocks
        for star in block.stars
        for row in star.standards
    }
    assert words["mediation"] == "矛盾纠纷调解成功率 不低于 90%"
    assert words["major"] == "吹哨未解决的重大矛盾 不高于 0 件"
    assert words["income"] == "村集体经济经营性收入 不低于 50,000 元"
    assert words["meetings"] == "召开议事会议 不低于 6 次"
    assert words["team"] == "满分 30 分，24 分及格"
    assert words["photos"] == "佐证：上传整治前后照片"


# --- settings ----------------------------------------------------------------------------------


def _settings_args(**kw: Any) -> dict[str, Any]:
    base = {
        "notice_days": 7,
        "progress_award": Decimal(80000),
        "reward_min_income": Decimal(100000),
        "reward_min_growth": Decimal("0.15"),
        "reward_share": Decimal("0.2"),
        "contest_advance": 3,
    }
    return base | kw


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"notice_days": 0}, "notice_days"),
        ({"notice_days": 31}, "notice_days"),
        ({"progress_award": Decimal(-1)}, "progress_award"),
        ({"reward_min_income": None}, "reward_min_income"),
        ({"reward_share": Decimal("1.5")}, "reward_share"),
        ({"reward_min_growth": Decimal(-0.1)}, "reward_min_growth"),
        ({"contest_advance": 0}, "contest_advance"),
    ],
)
def test_settings_validation(world, change: dict[str, Any], field: str) -> None:  # noqa: ANN001
    s = sc.settings(world)
    refused(
        lambda: svc.settings_update(actor=county(world), settings=s, **_settings_args(**change)),
        field,
    )


def test_settings_update_and_refusal(world) -> None:  # noqa: ANN001
    s = sc.settings(world)
    with pytest.raises(PermissionDenied):
        svc.settings_update(actor=world.actor("street_staff"), settings=s, **_settings_args())
    svc.settings_update(actor=county(world), settings=s, **_settings_args())
    s.refresh_from_db()
    assert (s.notice_days, s.reward_share, s.contest_advance) == (7, Decimal("0.2"), 3)
    assert "不低于 100,000 元且较上年增长不低于 15%" in sel.settings_words(s)
    assert "按 20% 核定" in sel.settings_words(s)


# --- task forces -------------------------------------------------------------------------------


def test_task_forces(world) -> None:  # noqa: ANN001
    sc.branch_star(world)
    create = lambda actor, name="产业兴旺星创建专班", star_code="": svc.task_force_create(  # noqa: E731
        actor=actor, county=world.county, name=name, lead_unit="农业农村局", star_code=star_code
    )
    with pytest.raises(PermissionDenied):
        create(world.actor("street_staff"))
    refused(lambda: create(county(world), star_code="nothing"), "star_code")
    refused(lambda: create(county(world), name=" "), "name")
    row = create(county(world), star_code="branch")
    refused(lambda: create(county(world)), "name")
    svc.task_force_update(
        actor=county(world),
        task_force=row,
        name=row.name,
        lead_unit="市农业农村局",
        leader_name="赵",
        star_code="",
        is_active=False,
    )
    row.refresh_from_db()
    assert not row.is_active and row.lead_unit == "市农业农村局"


# --- weak branches -----------------------------------------------------------------------------


def test_weak_branch_designate_and_lift(world) -> None:  # noqa: ANN001
    with clock.travel(NOW):
        designate = lambda **kw: svc.weak_branch_designate(  # noqa: E731
            **(
                {"actor": county(world), "unit": world.village, "year": YEAR, "reason": "班子软弱"}
                | kw
            ),
        )
        with pytest.raises(PermissionDenied):
            designate(actor=world.actor("street_staff"))
        refused(lambda: designate(unit=world.street), "unit")
        refused(lambda: designate(year=YEAR + 5), "year")
        refused(lambda: designate(reason=""), "reason")
        row = designate(liaison_name="李组工")
        assert row.designated_by_id == world.users["org_department"].pk
        refused(designate, "unit")
        lift = lambda day: svc.weak_branch_lift(  # noqa: E731
            actor=county(world), weak_branch=row, lifted_on=day
        )
        refused(lambda: lift(None), "lifted_on")
        refused(lambda: lift(dt.date(YEAR, 7, 1)), "lifted_on")  # the future
        refused(lambda: lift(dt.date(YEAR - 1, 12, 1)), "lifted_on")
        lift(dt.date(YEAR, 6, 1))
        with pytest.raises(Conflict):
            lift(dt.date(YEAR, 6, 2))
    row.refresh_from_db()
    assert row.lifted_on == dt.date(YEAR, 6, 1)


def test_weak_branches_are_scoped_by_village(world) -> None:  # noqa: ANN001
    sc.weak_branch(world)
    assert sel.weak_branches(world.actor("street_staff"), world.county, YEAR).count() == 1
    assert sel.weak_branches(world.actor("other_street_staff"), world.county, YEAR).count() == 0
    assert sel.weak_branches(world.actor("village_staff"), world.county, YEAR).count() == 1
