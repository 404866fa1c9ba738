"""Creation plans through the services: draft, stars, measures and milestones, submit, confirm
and return, with every refusal; quotas set by the county."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.stars.models import CreationPlan, PlanMeasure, PlanStar, Quota
from lianxin.stars.services import plans as svc
from lianxin.stars.services import quotas as qsvc
from lianxin.stars.tests import factories_plans as fp

pytestmark = pytest.mark.django_db


def test_draft_has_one_row_per_star_and_the_target_level_follows_the_ticks(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, targets=("branch", "sharing", "safety"))
    assert plan.status == "draft" and plan.target_level == 3
    codes = list(plan.stars.order_by("star__sort_order").values_list("star__code", flat=True))
    assert codes == ["branch", "sharing", "ecology", "safety", "civility"]
    row = PlanStar.objects.get(plan=plan, star__code="sharing")
    assert row.is_target and row.strengths == "sharing优势" and row.weaknesses == "sharing短板"
    actor = world.actor("village_staff")
    with clock.travel(fp.at(2, 2)):
        plan = svc.plan_update(
            actor=actor,
            plan=plan,
            summary="调整",
            stars=[svc.StarDraft(code="safety", is_target=False, weaknesses="矛盾纠纷多")],
            expected_version=plan.version,
        )
    assert plan.target_level == 2
    plan.refresh_from_db()
    assert plan.target_level == 2 and plan.summary == "调整"
    # Stars not named keep what they had.
    assert PlanStar.objects.get(plan=plan, star__code="sharing").is_target


def test_one_plan_per_village_and_year_and_only_the_village_drafts(world) -> None:  # noqa: ANN001
    fp.plan(world)
    with clock.travel(fp.at(2, 1)), pytest.raises(DomainError) as again:
        svc.plan_create(actor=world.actor("village_staff"), unit=world.village, year=2026)
    assert again.value.field == "year" and "已经建立" in again.value.message
    with clock.travel(fp.at(2, 1)), pytest.raises(PermissionDenied):
        svc.plan_create(actor=world.actor("street_staff"), unit=world.village, year=2027)
    with clock.travel(fp.at(2, 1)), pytest.raises(PermissionDenied):
        svc.plan_create(actor=world.actor("other_village_staff"), unit=world.village, year=2027)
    with clock.travel(fp.at(2, 1)), pytest.raises(DomainError) as far:
        svc.plan_create(actor=world.actor("village_staff"), unit=world.village, year=2030)
    assert far.value.field == "year"
    with clock.travel(fp.at(2, 1)), pytest.raises(DomainError) as street:
        svc.plan_create(actor=world.actor("village_staff"), unit=world.street, year=2026)
    assert street.value.field == "unit"
    assert CreationPlan.objects.count() == 1


def test_bad_input_names_the_field_and_changes_nothing(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, measures=0)
    actor = world.actor("village_staff")
    with clock.travel(fp.at(2, 3)):
        with pytest.raises(DomainError) as long_text:
            svc.plan_update(
                actor=actor,
                plan=plan,
                summary="",
                stars=[svc.StarDraft(code="branch", strengths="优" * 1001)],
            )
        assert long_text.value.field == "branch-strengths"
        with pytest.raises(DomainError) as unknown:
            svc.plan_update(
                actor=actor, plan=plan, summary="", stars=[svc.StarDraft(code="industry")]
            )
        assert unknown.value.field == "stars"
        bad = {
            "title": svc.MeasureDraft(title="", responsible="张", deadline=dt.date(2026, 5, 1)),
            "responsible": svc.MeasureDraft(
                title="修路", responsible="", deadline=dt.date(2026, 5, 1)
            ),
            "deadline": svc.MeasureDraft(
                title="修路", responsible="张", deadline=dt.date(2027, 1, 1)
            ),
            "star": svc.MeasureDraft(
                title="修路", responsible="张", deadline=dt.date(2026, 5, 1), star_code="x"
            ),
        }
        for field, draft in bad.items():
            with pytest.raises(DomainError) as refused:
                svc.plan_measure_add(actor=actor, plan=plan, draft=draft)
            assert refused.value.field == field
        with pytest.raises(DomainError) as no_date:
            svc.plan_milestone_add(
                actor=actor, plan=plan, draft=svc.MilestoneDraft(title="七一前", due_on=None)
            )
        assert no_date.value.field == "due_on"
    plan.refresh_from_db()
    assert plan.summary == "巩固提升，争创新星" and not plan.measures.exists()
    assert not plan.milestones.exists()


def test_submit_needs_a_target_and_a_measure(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    empty = fp.plan(world, targets=(), measures=0)
    with clock.travel(fp.at(2, 5)):
        with pytest.raises(DomainError) as no_target:
            svc.plan_submit(actor=actor, plan=empty)
        assert no_target.value.field == "stars"
        svc.plan_update(actor=actor, plan=empty, summary="", stars=[svc.StarDraft("branch", True)])
        with pytest.raises(DomainError) as no_measure:
            svc.plan_submit(actor=actor, plan=empty)
        assert no_measure.value.field == "measures"


def test_submit_confirm_return_and_resubmit(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, status="submitted")
    assert plan.status == "submitted" and plan.submitted_at is not None
    village, street = world.actor("village_staff"), world.actor("street_staff")
    with clock.travel(fp.at(2, 10)):
        # Frozen while submitted: the village edits nothing, only marks work done.
        with pytest.raises(DomainError, match="已报乡镇"):
            svc.plan_update(actor=village, plan=plan, summary="改", stars=[])
        with pytest.raises(DomainError, match="已报乡镇"):
            svc.plan_milestone_add(
                actor=village,
                plan=plan,
                draft=svc.MilestoneDraft(title="七一前完成", due_on=dt.date(2026, 7, 1)),
            )
        with pytest.raises(PermissionDenied):
            svc.plan_confirm(actor=village, plan=plan)
        with pytest.raises(PermissionDenied):
            svc.plan_confirm(actor=world.actor("other_street_staff"), plan=plan)
        with pytest.raises(DomainError) as no_reason:
            svc.plan_return(actor=street, plan=plan, reason=" ")
        assert no_reason.value.field == "reason"
        plan = svc.plan_return(actor=street, plan=plan, reason="产业兴旺星举措不具体")
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.return_reason == "产业兴旺星举措不具体"
    with clock.travel(fp.at(2, 12)):
        with pytest.raises(DomainError, match="无需退回"):
            svc.plan_return(actor=street, plan=plan, reason="再退")
        plan = svc.plan_submit(actor=village, plan=plan)
        assert plan.return_reason == ""
        plan = svc.plan_confirm(actor=street, plan=plan)
    plan.refresh_from_db()
    assert plan.status == "confirmed" and plan.confirmed_at is not None
    with clock.travel(fp.at(7, 1)):
        # After the measures contest the township may send a confirmed plan back.
        plan = svc.plan_return(actor=street, plan=plan, reason="按举措大比武意见调整")
    assert plan.status == "draft" and plan.confirmed_at is None


def test_stale_versions_are_refused_with_conflict(world) -> None:  # noqa: ANN001
    plan = fp.plan(world)
    stale = plan.version
    actor = world.actor("village_staff")
    with clock.travel(fp.at(2, 3)):
        svc.plan_update(actor=actor, plan=plan, summary="甲改", stars=[], expected_version=stale)
        fresh = CreationPlan.objects.get(pk=plan.pk)
        with pytest.raises(Conflict):
            svc.plan_update(
                actor=actor, plan=fresh, summary="乙改", stars=[], expected_version=stale
            )
        with pytest.raises(Conflict):
            svc.plan_submit(actor=actor, plan=fresh, expected_version=stale)
        # A second writer holding the same row in memory loses the compare-and-set.
        other = CreationPlan.objects.get(pk=plan.pk)
        svc.plan_submit(actor=actor, plan=fresh)
        with pytest.raises(Conflict):
            svc.plan_measure_add(
                actor=actor,
                plan=other,
                draft=svc.MeasureDraft(
                    title="修路", responsible="张", deadline=dt.date(2026, 5, 1)
                ),
            )
    plan.refresh_from_db()
    assert plan.summary == "甲改" and plan.status == "submitted"


def test_measures_and_milestones_are_edited_in_draft_and_marked_done_any_time(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, measures=2)
    actor = world.actor("village_staff")
    first, second = plan.measures.order_by("sort_order")
    with clock.travel(fp.at(2, 3)):
        svc.plan_measure_update(
            actor=actor,
            measure=first,
            draft=svc.MeasureDraft(
                title="建设党群服务中心",
                responsible="李主任",
                deadline=dt.date(2026, 9, 30),
                star_code="branch",
            ),
        )
        svc.plan_measure_remove(actor=actor, measure=second)
        milestone = svc.plan_milestone_add(
            actor=actor,
            plan=CreationPlan.objects.get(pk=plan.pk),
            draft=svc.MilestoneDraft(title="七一前完成举措大比武", due_on=dt.date(2026, 6, 30)),
        )
        plan = svc.plan_submit(actor=actor, plan=CreationPlan.objects.get(pk=plan.pk))
    first.refresh_from_db()
    assert first.title == "建设党群服务中心" and first.star.code == "branch"
    assert list(plan.measures.all()) == [first]
    with clock.travel(fp.at(5, 20)):
        with pytest.raises(DomainError) as future:
            svc.plan_measure_done(actor=actor, measure=first, done_on=dt.date(2026, 6, 1))
        assert future.value.field == "done_on"
        with pytest.raises(PermissionDenied):
            svc.plan_measure_done(actor=world.actor("street_staff"), measure=first)
        svc.plan_measure_done(actor=actor, measure=first)
        svc.plan_milestone_done(actor=actor, milestone=milestone, done_on=dt.date(2026, 5, 18))
    assert PlanMeasure.objects.get(pk=first.pk).done_on == dt.date(2026, 5, 20)
    milestone.refresh_from_db()
    assert milestone.done_on == dt.date(2026, 5, 18)
    with clock.travel(fp.at(5, 21)):
        svc.plan_measure_undone(actor=actor, measure=first)
        with pytest.raises(DomainError, match="已报乡镇"):
            svc.plan_milestone_remove(actor=actor, milestone=milestone)
    assert PlanMeasure.objects.get(pk=first.pk).done_on is None


def test_edits_are_audited(world) -> None:  # noqa: ANN001
    from lianxin.audit.models import AuditEvent

    plan = fp.plan(world)
    assert AuditEvent.objects.filter(object_type__icontains="planmeasure").exists()
    assert AuditEvent.objects.filter(object_id=str(plan.public_id)).exists()


# --- quotas --------------------------------------------------------------------------------


def _villages(w, n: int) -> None:  # noqa: ANN001
    for i in range(n):
        fp.village(w, f"4108830012{i:02d}", f"东{i}")


def test_county_sets_a_townships_quota_level_by_level(world) -> None:  # noqa: ANN001
    _villages(world, 5)  # 6 villages with 迎秀社区
    county = world.actor("org_department")
    with clock.travel(fp.at(1, 10)):
        rows = qsvc.quota_set(actor=county, township=world.street, year=2026, counts={5: 1, 4: 4})
        assert [(q.level, q.count) for q in rows] == [(5, 1), (4, 4)]
        rows = qsvc.quota_set(actor=county, township=world.street, year=2026, counts={4: 2, 3: 1})
        assert [(q.level, q.count) for q in rows] == [(5, 1), (4, 2), (3, 1)]
        rows = qsvc.quota_set(actor=county, township=world.street, year=2026, counts={3: 0})
        assert [(q.level, q.count) for q in rows] == [(5, 1), (4, 2)]
        assert rows[0].set_by_id == world.users["org_department"].pk
        with pytest.raises(DomainError) as too_many:
            qsvc.quota_set(actor=county, township=world.street, year=2026, counts={4: 7})
        assert too_many.value.field == "level_4"
        with pytest.raises(DomainError) as total:
            qsvc.quota_set(actor=county, township=world.street, year=2026, counts={3: 4})
        assert total.value.field is not None and "合计" in total.value.message
        with pytest.raises(DomainError) as negative:
            qsvc.quota_set(actor=county, township=world.street, year=2026, counts={2: -1})
        assert negative.value.field == "level_2"
        with pytest.raises(PermissionDenied):
            qsvc.quota_set(
                actor=world.actor("street_staff"), township=world.street, year=2026, counts={5: 1}
            )
        with pytest.raises(DomainError) as not_township:
            qsvc.quota_set(actor=county, township=world.village, year=2026, counts={5: 1})
        assert not_township.value.field == "township"
    assert sorted(Quota.objects.values_list("level", "count")) == [(4, 2), (5, 1)]


def test_defaults_fill_townships_without_a_quota(world) -> None:  # noqa: ANN001
    _villages(world, 5)
    county = world.actor("org_department")
    with clock.travel(fp.at(1, 10)):
        qsvc.quota_set(actor=county, township=world.other_street, year=2026, counts={3: 1})
        assert qsvc.quota_apply_defaults(actor=county, county=world.county, year=2026) == 1
        assert qsvc.quota_apply_defaults(actor=county, county=world.county, year=2026) == 0
        with pytest.raises(PermissionDenied):
            qsvc.quota_apply_defaults(
                actor=world.actor("street_staff"), county=world.county, year=2026
            )
    street = dict(Quota.objects.filter(township=world.street).values_list("level", "count"))
    other = dict(Quota.objects.filter(township=world.other_street).values_list("level", "count"))
    assert street == {5: 1, 4: 4} and other == {3: 1}
