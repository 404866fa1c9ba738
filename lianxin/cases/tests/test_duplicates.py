"""Duplicates: similarity, same place and window, support (附议), merge suggestions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianxin.cases.models import Case, CaseEvent, CaseSupporter
from lianxin.cases.services import duplicates, lifecycle
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.duplicates import bigrams, similarity
from lianxin.cases.tests.factories import make_case, resolved_case
from lianxin.cases.workflow import Action
from lianxin.core import clock
from lianxin.core.errors import DomainError

pytestmark = pytest.mark.django_db

LIGHT = "3号楼2单元楼道灯不亮好几天了，晚上上下楼很危险"


def test_bigram_similarity_separates_same_and_different_matters() -> None:
    same = similarity(bigrams(LIGHT), bigrams("2单元楼道的灯坏了，晚上上下楼看不见"))
    other = similarity(bigrams(LIGHT), bigrams("小区门口垃圾堆了三天没人清运"))
    assert same >= duplicates.MIN_SCORE > other
    assert other + duplicates.CATEGORY_BONUS < duplicates.MIN_SCORE
    assert similarity(bigrams(""), bigrams(LIGHT)) == 0.0
    assert bigrams("，。！") == frozenset()


def test_similar_open_cases_same_grid_recent_and_ranked(world) -> None:
    close = make_case(world.building, text="2单元楼道的灯坏了，晚上上下楼看不见")
    also = make_case(world.grid, text="楼道灯不亮，请尽快修")
    make_case(world.building, text="小区门口垃圾堆了三天没人清运", code="sanitation")
    make_case(world.sibling_building, text="2单元楼道的灯坏了，晚上上下楼看不见")
    make_case(world.other_village, text="2单元楼道的灯坏了，晚上上下楼看不见")
    rows = duplicates.similar_open_cases(unit=world.building, text=LIGHT)
    assert [r.case for r in rows][:1] == [close]
    assert {r.case for r in rows} == {close, also}
    assert rows == sorted(rows, key=lambda r: -r.score)


def test_closed_unpublished_and_old_requests_are_not_candidates(world) -> None:
    resolved_case(world, text="2单元楼道的灯坏了，晚上上下楼看不见")
    make_case(world.building, text="2单元楼道的灯坏了，晚上上下楼看不见", allow_publish=False)
    with clock.travel(
        timezone.now() - dt.timedelta(days=case_settings().duplicate_window_days + 1)
    ):
        make_case(world.building, text="2单元楼道的灯坏了，晚上上下楼看不见")
    assert duplicates.similar_open_cases(unit=world.building, text=LIGHT) == []


def test_empty_text_lists_recent_open_requests_at_the_place(world) -> None:
    a = make_case(world.building, text="楼道堆放杂物很多，影响通行")
    b = make_case(world.building, text="电梯经常停运，老人上下楼困难")
    rows = duplicates.similar_open_cases(unit=world.building, text="")
    assert [r.case for r in rows] == [b, a]


def test_category_bonus_lifts_the_same_category(world) -> None:
    near = make_case(world.building, text="楼道很黑，晚上走路看不清", code="lighting")
    plain = duplicates.similar_open_cases(unit=world.building, text=LIGHT)
    bonus = duplicates.similar_open_cases(unit=world.building, text=LIGHT, category=near.category)
    score = {r.case.pk: r.score for r in bonus}
    assert near.pk in score
    assert all(
        r.score + duplicates.CATEGORY_BONUS == pytest.approx(score[r.case.pk]) for r in plain
    )


def test_support_adds_a_supporter_a_count_and_a_public_event(world) -> None:
    case = make_case(world.building, phone="13812345678")
    duplicates.case_support(case=case, source="10.0.0.9", phone="13900000000")
    case.refresh_from_db()
    assert case.support_count == 1
    supporter = CaseSupporter.objects.get(case=case)
    assert supporter.source_digest and "10.0.0.9" not in supporter.source_digest
    event = CaseEvent.objects.get(case=case, action=Action.SUPPORT)
    assert event.is_public and event.actor_id is None
    # The same address or the same phone cannot support twice; the reporter cannot either.
    with pytest.raises(DomainError):
        duplicates.case_support(case=case, source="10.0.0.9")
    with pytest.raises(DomainError):
        duplicates.case_support(case=case, source="10.0.0.10", phone="139 0000 0000")
    with pytest.raises(DomainError):
        duplicates.case_support(case=case, source="10.0.0.11", phone="13812345678")
    assert Case.objects.get(pk=case.pk).support_count == 1


def test_support_refused_for_closed_requests_and_rate_limited(world) -> None:
    done = resolved_case(world)
    with pytest.raises(DomainError, match="已办结"):
        duplicates.case_support(case=done, source="10.0.0.1")
    row = case_settings()
    row.public_per_source_hour = 2
    row.save()
    cases = [make_case(world.building, text=f"楼道堆放杂物{i}号，影响通行") for i in range(3)]
    duplicates.case_support(case=cases[0], source="10.3.3.3")
    duplicates.case_support(case=cases[1], source="10.3.3.3")
    with pytest.raises(DomainError, match="频繁"):
        duplicates.case_support(case=cases[2], source="10.3.3.3")
    with pytest.raises(DomainError) as bad_phone:
        duplicates.case_support(case=cases[2], source="10.4.4.4", phone="123")
    assert bad_phone.value.field == "phone"


def test_merge_suggestions_stay_in_the_actors_scope(world) -> None:
    case = make_case(world.building, text=LIGHT)
    twin = make_case(
        world.building, text="2单元楼道的灯坏了，晚上上下楼看不见", allow_publish=False
    )
    staff = world.actor("village_staff")
    rows = duplicates.merge_suggestions(staff, case)
    assert [r.case for r in rows] == [twin]  # unpublished requests are suggested to staff
    assert duplicates.merge_suggestions(world.actor("other_village_staff"), case) == []
    lifecycle.case_merge(case=twin, into=case, actor=staff)
    assert duplicates.merge_suggestions(staff, case) == []
