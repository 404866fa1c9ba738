"""三诺 through its services: the secretary drafts and publishes (亮诺), reports on each item
(践诺), the township opens the evaluation from 1 November, records one score per evaluator
and closes it (评诺); refusals name the field and change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from PIL import Image

from lianxin.consultation.models import Pledge, PledgeItem, PledgeReport, PledgeScore
from lianxin.consultation.services import pledges as svc
from lianxin.consultation.tests import scope_pledges as pf
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


def test_draft_publish_report_evaluate(world) -> None:  # noqa: ANN001
    sec = world.actor("village_secretary")
    pledge = pf.draft(world, titles=["修缮村东排水沟", "道路白变黑"])
    assert (pledge.stage, pledge.secretary_name, pledge.secretary_id) == (
        "draft",
        "village_secretary",
        world.users["village_secretary"].pk,
    )
    with clock.travel(pf.at(2, 2)):
        svc.pledge_item_add(actor=sec, pledge=pledge, item=svc.ItemDraft("建设幸福院"))
        pledge.refresh_from_db()
        pledge = svc.pledge_publish(actor=sec, pledge=pledge)
    assert pledge.stage == "published" and pledge.published_at is not None
    items = list(pledge.items.order_by("order"))
    assert [i.order for i in items] == [1, 2, 3]
    with pytest.raises(DomainError, match="不能再修改"):
        svc.pledge_item_add(actor=sec, pledge=pledge, item=svc.ItemDraft("又一项"))
    with clock.travel(pf.at(7, 1)):
        for item in items[:2]:
            svc.pledge_report(
                actor=sec, item=item, stage="midyear", fulfilment="in_progress", note="已开工"
            )
        pledge.refresh_from_db()
        assert pledge.stage == "published"  # one item still without a mid-year report
        svc.pledge_report(actor=sec, item=items[2], stage="midyear", fulfilment="done", note="完工")
    pledge.refresh_from_db()
    assert pledge.stage == "reported" and pledge.reported_at is not None
    items[2].refresh_from_db()
    assert items[2].fulfilment == "done"
    keys = pf.evaluators(world, reps=2, members=1)
    street = world.actor("street_staff")
    with clock.travel(pf.at(11, 2)):
        pledge = svc.pledge_evaluation_open(actor=street, pledge=pledge)
        svc.pledge_report(
            actor=sec, item=items[0], stage="yearend", fulfilment="done", note="全部完工"
        )
        for key, score in zip(keys, (90, 85, 96), strict=True):
            svc.pledge_score(actor=street, pledge=pledge, elector_key=key, score=score)
        pledge = svc.pledge_evaluation_close(actor=street, pledge=pledge)
    assert pledge.stage == "evaluated"
    pledge.refresh_from_db()
    assert (pledge.score_count, pledge.average_score) == (3, Decimal("90.33"))
    assert PledgeReport.objects.filter(item__pledge=pledge).count() == 4


def test_one_pledge_per_unit_and_year_and_history(world) -> None:  # noqa: ANN001
    pf.evaluated(world)
    with pytest.raises(DomainError) as exc:
        pf.draft(world)
    assert exc.value.field == "year"
    with clock.travel(pf.at(1, 5, 2027)):
        svc.pledge_create(actor=world.actor("village_secretary"), unit=world.village, year=2027)
    assert list(Pledge.objects.values_list("year", "stage")) == [
        (2027, "draft"),
        (2026, "evaluated"),
    ]


def test_only_the_secretary_drafts_and_reports(world) -> None:  # noqa: ANN001
    for persona in ("street_staff", "village_staff", "org_department"):
        with pytest.raises(PermissionDenied), clock.travel(pf.at(2, 1)):
            svc.pledge_create(actor=world.actor(persona), unit=world.village, year=2026)
    pledge = pf.published(world)
    with pytest.raises(PermissionDenied):
        svc.pledge_report(
            actor=world.actor("street_staff"),
            item=pledge.items.first(),
            stage="midyear",
            fulfilment="done",
            note="代报",
        )
    assert not Pledge.objects.exclude(pk=pledge.pk).exists()
    assert not PledgeReport.objects.exists()


def test_bad_input_names_the_field(world) -> None:  # noqa: ANN001
    sec = world.actor("village_secretary")
    with clock.travel(pf.at(2, 1)):
        with pytest.raises(DomainError) as exc:
            svc.pledge_create(actor=sec, unit=world.village, year=2031)
        assert exc.value.field == "year"
        with pytest.raises(DomainError) as exc:
            svc.pledge_create(actor=sec, unit=world.village, year=2026, items=[svc.ItemDraft("")])
        assert exc.value.field == "title"
    assert not Pledge.objects.exists()
    pledge = pf.draft(world)
    with pytest.raises(DomainError, match="至少") as exc:
        for item in list(pledge.items.all()):
            pledge.refresh_from_db()
            svc.pledge_item_remove(actor=sec, item=item)
        pledge.refresh_from_db()
        svc.pledge_publish(actor=sec, pledge=pledge)
    assert exc.value.field == "items"
    pledge = pf.published(world, year=2025)
    item = pledge.items.first()
    for kwargs, field in (
        ({"stage": "later", "fulfilment": "done", "note": "x"}, "stage"),
        ({"stage": "midyear", "fulfilment": "maybe", "note": "x"}, "fulfilment"),
        ({"stage": "midyear", "fulfilment": "done", "note": "  "}, "note"),
    ):
        with pytest.raises(DomainError) as exc:
            svc.pledge_report(actor=sec, item=item, **kwargs)
        assert exc.value.field == field
    with pytest.raises(DomainError) as exc:
        svc.pledge_report(
            actor=sec,
            item=item,
            stage="midyear",
            fulfilment="done",
            note="见照片",
            evidence=pf.SimpleUploadedFile("a.jpg", b"not an image"),
        )
    assert exc.value.field == "evidence"
    assert not PledgeReport.objects.exists()


def test_year_end_waits_for_november(world) -> None:  # noqa: ANN001
    pledge = pf.reported(world)
    sec = world.actor("village_secretary")
    with clock.travel(pf.at(10, 31)):
        with pytest.raises(DomainError, match="2026年11月1日"):
            svc.pledge_evaluation_open(actor=world.actor("street_staff"), pledge=pledge)
        with pytest.raises(DomainError, match="11月1日") as exc:
            svc.pledge_report(
                actor=sec, item=pledge.items.first(), stage="yearend", fulfilment="done", note="x"
            )
        assert exc.value.field == "stage"
    with clock.travel(pf.at(11, 1)):
        # The secretary may open the evaluation too.
        svc.pledge_evaluation_open(actor=sec, pledge=pledge)
        with pytest.raises(DomainError, match="评诺开始前"):
            svc.pledge_report(
                actor=sec, item=pledge.items.first(), stage="midyear", fulfilment="done", note="x"
            )


def test_scores_one_each_from_representatives_and_members(world) -> None:  # noqa: ANN001
    from lianxin.party.tests.factories import make_member, make_org

    keys = pf.evaluators(world, reps=1, members=1)
    pledge = pf.evaluating(world)
    street = world.actor("street_staff")
    rep_key = keys[0]
    svc.pledge_score(actor=street, pledge=pledge, elector_key=rep_key, score=80, comment="实在")
    with pytest.raises(DomainError, match="已经评过分") as exc:
        svc.pledge_score(actor=street, pledge=pledge, elector_key=rep_key, score=100)
    assert exc.value.field == "elector_key"
    # The same representative, also a party member, still scores once.
    resident_id = int(rep_key.split(":")[1])
    from lianxin.people.models import Resident

    member = make_member(make_org(world.village), resident=Resident.objects.get(pk=resident_id))
    with pytest.raises(DomainError, match="已经评过分"):
        svc.pledge_score(actor=street, pledge=pledge, elector_key=f"member:{member.pk}", score=70)
    # Probationary members and people of another village are not evaluators.
    probationary = make_member(make_org(world.village), status="probationary")
    outsider = make_member(make_org(world.other_village))
    for key in (f"member:{probationary.pk}", f"member:{outsider.pk}", "household:1", "bogus"):
        with pytest.raises(DomainError) as exc:
            svc.pledge_score(actor=street, pledge=pledge, elector_key=key, score=60)
        assert exc.value.field == "elector_key"
    for bad in (-1, 101, None):
        with pytest.raises(DomainError) as exc:
            svc.pledge_score(actor=street, pledge=pledge, elector_key=keys[1], score=bad)
        assert exc.value.field == "score"
    # The secretary does not score their own pledges, nor close the evaluation.
    with pytest.raises(PermissionDenied):
        svc.pledge_score(
            actor=world.actor("village_secretary"), pledge=pledge, elector_key=keys[1], score=99
        )
    with pytest.raises(PermissionDenied):
        svc.pledge_evaluation_close(actor=world.actor("village_secretary"), pledge=pledge)
    pledge.refresh_from_db()
    assert (pledge.score_count, pledge.average_score) == (1, Decimal("80.00"))


def test_close_needs_scores_and_scores_are_append_only(world) -> None:  # noqa: ANN001
    keys = pf.evaluators(world, reps=1, members=0)
    pledge = pf.evaluating(world)
    street = world.actor("street_staff")
    with pytest.raises(DomainError, match="还没有登记任何评分"):
        svc.pledge_evaluation_close(actor=street, pledge=pledge)
    score = svc.pledge_score(actor=street, pledge=pledge, elector_key=keys[0], score=88)
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgeScore.objects.filter(pk=score.pk).update(score=100)
    with pytest.raises(RuntimeError):
        score.delete()
    svc.pledge_evaluation_close(actor=street, pledge=pledge)
    with pytest.raises(DomainError, match="评诺未在进行中"):
        svc.pledge_score(actor=street, pledge=pledge, elector_key=keys[0], score=90)


def test_stale_version_is_a_conflict(world) -> None:  # noqa: ANN001
    pledge = pf.draft(world)
    seen = pledge.version
    svc.pledge_item_update(
        actor=world.actor("village_secretary"),
        item=pledge.items.get(order=1),
        change=svc.ItemDraft("修缮村东排水沟（含西段）"),
        expected_version=seen,
    )
    with pytest.raises(Conflict):
        svc.pledge_publish(
            actor=world.actor("village_secretary"), pledge=pledge, expected_version=seen
        )
    pledge.refresh_from_db()
    assert pledge.stage == "draft"
    assert PledgeItem.objects.get(pledge=pledge, order=1).title == "修缮村东排水沟（含西段）"


def test_evidence_photo_loses_exif(world) -> None:  # noqa: ANN001
    pledge = pf.published(world)
    upload = pf.photo(exif=True)
    assert Image.open(upload).getexif()
    upload.seek(0)
    with clock.travel(pf.at(7, 1)):
        report = svc.pledge_report(
            actor=world.actor("village_secretary"),
            item=pledge.items.first(),
            stage="midyear",
            fulfilment="in_progress",
            note="见照片",
            evidence=upload,
        )
    with report.evidence.open("rb") as fh:
        stored = Image.open(fh)
        assert not stored.getexif()
    assert len(report.evidence.name.rsplit("/", 1)[-1].split(".")[0]) == 32
