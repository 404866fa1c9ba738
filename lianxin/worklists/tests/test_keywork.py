"""The key-work list through its services: six open items at most (the smallest free slot),
done and dropped items leave the list and free their slot, carrying over to the next month,
months, permissions, compare-and-set and the append-only history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.stars.models import TaskForce
from lianxin.worklists.models import KeyWorkEvent, KeyWorkItem
from lianxin.worklists.services import keywork as svc
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = pytest.mark.django_db
MARCH = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))
FULL = "本月重点工作推进清单已有 6 项推进中事项，请先完成或移出一项再添加"


def _fill(w, n: int, **kw) -> list[KeyWorkItem]:  # noqa: ANN001
    return [kf.add(w, f"事项{i}", **kw) for i in range(1, n + 1)]


def test_six_open_items_and_the_seventh_is_refused(world) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        items = _fill(world, 6)
        assert [i.slot for i in items] == [1, 2, 3, 4, 5, 6]
        assert {i.month for i in items} == {"2026-03"}
        with pytest.raises(DomainError) as refused:
            kf.add(world, "第七项")
    assert refused.value.message == FULL
    assert refused.value.field == "title"
    assert KeyWorkItem.objects.filter(status="open").count() == 6


def test_done_frees_its_slot_for_a_new_item(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with clock.travel(MARCH):
        items = _fill(world, 6)
        svc.keywork_done(actor=staff, item=items[2], result="已安装路灯12盏")
        done = KeyWorkItem.objects.get(pk=items[2].pk)
        assert done.status == "done" and done.result == "已安装路灯12盏"
        assert done.done_on == dt.date(2026, 3, 10)
        new = kf.add(world, "新增事项")
        assert new.slot == 3
        svc.keywork_drop(actor=staff, item=items[0], reason="并入第2项推进")
        assert kf.add(world, "又一项").slot == 1
        with pytest.raises(DomainError, match="已有 6 项"):
            kf.add(world, "放不下")
    dropped = KeyWorkItem.objects.get(pk=items[0].pk)
    assert dropped.status == "dropped" and dropped.result == "并入第2项推进"
    actions = list(KeyWorkEvent.objects.filter(item=items[2]).values_list("action", flat=True))
    assert actions == ["added", "done"]


def test_lists_are_separate_per_owner_and_month(world) -> None:  # noqa: ANN001
    tf = TaskForce.objects.create(county=world.county, name="产业兴旺星专班", star_code="industry")
    force = svc.KeyList(unit=world.county, task_force=tf)
    county = svc.KeyList(unit=world.county)
    with clock.travel(MARCH):
        _fill(world, 6)
        next_month = kf.add(world, "下月事项", month="2026-04")
        assert next_month.slot == 1 and next_month.month == "2026-04"
        a = kf.add(world, "专班事项", owner=force, persona="org_department")
        b = kf.add(world, "县级事项", owner=county, persona="org_department")
    assert (a.slot, a.list_key, a.task_force_id) == (1, f"t{tf.pk}", tf.pk)
    assert (b.slot, b.list_key) == (1, f"u{world.county.pk}")


def test_months_and_fields_are_checked(world) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        with pytest.raises(DomainError) as past:
            kf.add(world, month="2026-02")
        assert past.value.field == "month"
        with pytest.raises(DomainError) as far:
            kf.add(world, month="2026-05")
        assert far.value.field == "month"
        with pytest.raises(DomainError) as bad:
            kf.add(world, month="2026-3x", due_on=dt.date(2026, 3, 20))
        assert bad.value.field == "month"
        with pytest.raises(DomainError) as empty:
            kf.add(world, "  ")
        assert empty.value.field == "title"
        with pytest.raises(DomainError) as who:
            kf.add(world, responsible="")
        assert who.value.field == "responsible"
        with pytest.raises(DomainError) as early:
            kf.add(world, due_on=dt.date(2026, 2, 20))
        assert early.value.field == "due_on"
        with pytest.raises(DomainError) as star:
            kf.add(world, star_code="moon")
        assert star.value.field == "star_code"
        item = kf.add(world, star_code="ecology", detail="东区先装")
    assert item.star_code == "ecology" and item.detail == "东区先装"
    assert KeyWorkItem.objects.count() == 1


def test_who_keeps_a_list(world) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        with pytest.raises(PermissionDenied):
            kf.add(world, persona="other_village_staff")
        with pytest.raises(PermissionDenied):
            kf.add(world, persona="grid_worker")
        with pytest.raises(PermissionDenied):
            kf.add(world, owner=svc.KeyList(unit=world.street), persona="village_staff")
        # The township keeps its own list and may add to its villages' lists (in its scope).
        assert kf.add(world, owner=svc.KeyList(unit=world.street), persona="street_staff").slot == 1
        assert kf.add(world, persona="street_staff").slot == 1
        with pytest.raises(DomainError) as grid:
            kf.add(world, owner=svc.KeyList(unit=world.grid), persona="village_staff")
        assert grid.value.field == "list"
        item = kf.add(world, "第二项")
        with pytest.raises(PermissionDenied):
            svc.keywork_done(actor=world.actor("other_street_staff"), item=item, result="完成")


def test_moves_are_compare_and_set(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    with clock.travel(MARCH):
        item = kf.add(world)
        stale = KeyWorkItem.objects.get(pk=item.pk)
        svc.keywork_update(
            actor=staff, item=item, draft=kf.draft("加装路灯（东区）"), expected_version=1
        )
        with pytest.raises(Conflict):
            svc.keywork_done(actor=staff, item=stale, result="完成", expected_version=1)
        svc.keywork_done(actor=staff, item=item, result="完成", expected_version=2)
        with pytest.raises(DomainError, match="该事项已完成"):
            svc.keywork_drop(actor=staff, item=item, reason="重复", expected_version=3)
        with pytest.raises(DomainError, match="不能再修改"):
            svc.keywork_update(actor=staff, item=stale, draft=kf.draft("再改"))
        with pytest.raises(DomainError) as late:
            svc.keywork_done(
                actor=staff, item=kf.add(world), result="完成", done_on=dt.date(2026, 3, 11)
            )
        assert late.value.field == "done_on"
        with pytest.raises(DomainError) as empty:
            svc.keywork_drop(actor=staff, item=kf.add(world, "三"), reason=" ")
        assert empty.value.field == "reason"
    notes = list(KeyWorkEvent.objects.filter(item=item).values_list("action", "note"))
    assert notes[1] == ("updated", "修改了事项")


def test_carry_over_moves_unfinished_items_into_the_new_month(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    owner = kf.village_list(world)
    with clock.travel(MARCH):
        a, b, c = _fill(world, 3)
        svc.keywork_done(actor=staff, item=b, result="完成")
    april = timezone.make_aware(dt.datetime(2026, 4, 2, 9, 0))
    with clock.travel(april):
        kf.add(world, "四月新事项")
        assert [i.pk for i in svc.carry_candidates(owner, "2026-04")] == [a.pk, c.pk]
        carried = svc.keywork_carry_over(actor=staff, owner=owner, month="2026-04")
        assert [(i.slot, i.title, i.carried_from_id) for i in carried] == [
            (2, "事项1", a.pk),
            (3, "事项3", c.pk),
        ]
        assert svc.carry_candidates(owner, "2026-04") == []
        with pytest.raises(DomainError) as again:
            svc.keywork_carry_over(actor=staff, owner=owner, month="2026-04")
        assert again.value.field == "items"
        # The March item stays as it was at the end of March, handled in April's list.
        with pytest.raises(DomainError, match="已转入2026年4月清单"):
            svc.keywork_done(actor=staff, item=a, result="完成")
        svc.keywork_done(actor=staff, item=carried[0], result="四月完成")
    assert KeyWorkItem.objects.get(pk=a.pk).status == "open"
    assert list(KeyWorkEvent.objects.filter(item=a).values_list("action", flat=True)) == [
        "added",
        "carried_out",
    ]
    assert KeyWorkEvent.objects.get(item=carried[1], action="carried").note == "自2026年3月清单转入"


def test_carry_over_refused_when_it_does_not_fit(world) -> None:  # noqa: ANN001
    staff = world.actor("village_staff")
    owner = kf.village_list(world)
    with clock.travel(MARCH):
        old = _fill(world, 3)
    with clock.travel(timezone.make_aware(dt.datetime(2026, 4, 2, 9, 0))):
        _fill(world, 4)
        with pytest.raises(DomainError, match="还可添加 2 项，所选 3 项放不下") as refused:
            svc.keywork_carry_over(actor=staff, owner=owner, month="2026-04")
        assert refused.value.field == "items"
        assert KeyWorkItem.objects.filter(month="2026-04").count() == 4
        done = svc.keywork_carry_over(actor=staff, owner=owner, month="2026-04", items=old[:2])
        assert [i.slot for i in done] == [5, 6]
        with pytest.raises(PermissionDenied):
            svc.keywork_carry_over(
                actor=world.actor("other_village_staff"), owner=owner, month="2026-04"
            )


def test_the_partial_unique_index_holds_the_bound(world) -> None:  # noqa: ANN001
    """Each slot once among a list's open items of a month; done items do not count."""
    with clock.travel(MARCH):
        item = kf.add(world)
    done = kf.stored(world, "2026-04", "四月的同一位置", slot=item.slot)
    KeyWorkItem.objects.filter(pk=done.pk).update(month="2026-03", status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        kf.stored(world, "2026-03", "同一位置", slot=item.slot)
    assert KeyWorkItem.objects.filter(month="2026-03").count() == 2


def test_free_slot_taken_meanwhile_is_retried(world, monkeypatch) -> None:  # noqa: ANN001
    """Someone takes the free slot between our look and our insert: the index refuses, the
    service looks again and takes the next free one."""
    with clock.travel(MARCH):
        _fill(world, 4)
        real = svc._free_slots
        calls = {"n": 0}

        def racing(owner, month):  # noqa: ANN001, ANN202
            calls["n"] += 1
            slots = real(owner, month)
            if calls["n"] == 1:
                kf.stored(world, month, "别人刚加的", slot=slots[0])
            return slots

        monkeypatch.setattr(svc, "_free_slots", racing)
        item = kf.add(world, "我的事项")
        assert item.slot == 6 and calls["n"] == 2
        with pytest.raises(DomainError, match="已有 6 项"):
            kf.add(world, "第七项")


def test_events_are_append_only(world) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        kf.add(world)
    event = KeyWorkEvent.objects.get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011 - the DB trigger
        KeyWorkEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017, PT011
        KeyWorkEvent.objects.filter(pk=event.pk).delete()
