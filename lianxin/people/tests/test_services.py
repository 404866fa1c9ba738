"""Services of the register: validation messages, duplicates, reveal, ledger and visits."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.idnumber import make_id_number
from lianxin.core.testing import make_household
from lianxin.party.models import OrgKind, PartyMember, PartyOrganisation
from lianxin.people import selectors, services
from lianxin.people.models import LedgerEntry, Resident, Visit, VulnerabilityTag
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident

_GOOD = make_id_number("410883", dt.date(1980, 1, 1), 1)
BAD_CHECK = _GOOD[:-1] + ("1" if _GOOD[-1] == "0" else "0")


def _domain_error(fn, **kwargs) -> DomainError:  # noqa: ANN001
    with pytest.raises(DomainError) as exc:
        fn(**kwargs)
    return exc.value


# --- residents ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("41088319800101001", "身份证号应为18位，实际为17位"),
        ("41088319800101001A", "身份证号只能包含数字，最后一位可以是X"),
        ("410883198002300010", "身份证号中的出生日期不存在"),
        ("410883299001010010", "身份证号中的出生日期不合理"),
        (BAD_CHECK, "身份证号校验位错误"),
    ],
)
def test_resident_id_number_is_validated_with_the_field_named(world, id_number, message) -> None:  # noqa: ANN001
    err = _domain_error(
        services.resident_create,
        household=make_household(world.building),
        name="甲",
        id_number=id_number,
    )
    assert (err.field, err.message) == ("id_number", message)


@pytest.mark.django_db
@pytest.mark.parametrize("phone", ["12345", "2380000000", "138000000001", "电话"])
def test_resident_phone_is_validated(world, phone) -> None:  # noqa: ANN001
    err = _domain_error(
        services.resident_create, household=make_household(world.building), name="甲", phone=phone
    )
    assert err.field == "phone" and "11位" in err.message


@pytest.mark.django_db
def test_phone_forms_are_normalised(world) -> None:  # noqa: ANN001
    r = services.resident_create(
        household=make_household(world.building), name="甲", phone="+86 138-0013-8000"
    )
    assert r.phone_masked == "138****8000"
    assert r.phone_digest == crypto.phone_digest("13800138000")
    landline = services.resident_create(
        household=make_household(world.building), name="乙", phone="0391-8123456"
    )
    assert crypto.decrypt(landline.phone_cipher) == "03918123456"


@pytest.mark.django_db
def test_resident_fields_are_derived_and_protected(world) -> None:  # noqa: ANN001
    number = make_id_number("410883", dt.date(1952, 6, 7), 123)
    r = services.resident_create(
        household=make_household(world.building), name="甲", id_number=number.lower()
    )
    assert r.birth_date == dt.date(1952, 6, 7) and r.sex == "M"
    assert r.id_number_masked == number[:3] + "*" * 11 + number[-4:]
    assert number not in r.id_number_cipher and crypto.decrypt(r.id_number_cipher) == number


@pytest.mark.django_db
def test_duplicate_id_number_is_refused_on_create_and_update(world) -> None:  # noqa: ANN001
    number = factories.id_number()
    services.resident_create(household=make_household(world.building), name="甲", id_number=number)
    err = _domain_error(
        services.resident_create,
        household=make_household(world.sibling_building),
        name="乙",
        id_number=number,
    )
    assert (err.field, err.message) == ("id_number", "该身份证号已登记在其他居民名下")
    other = make_resident(make_household(world.building), name="丙")
    err = _domain_error(services.resident_update, resident=other, name="丙", id_number=number)
    assert err.field == "id_number"
    # Saving the same person with their own number is fine.
    own = crypto.decrypt(other.id_number_cipher)
    services.resident_update(resident=other, name="丙二", id_number=own)
    assert Resident.objects.get(pk=other.pk).name == "丙二"


@pytest.mark.django_db
def test_resident_update_keeps_id_and_phone_when_not_given(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building), phone="13800000009")
    cipher = r.id_number_cipher
    services.resident_update(resident=r, name="新名字", id_number=None, phone=None)
    r.refresh_from_db()
    assert r.id_number_cipher == cipher and r.phone_masked == "138****0009"
    services.resident_update(resident=r, name="新名字", phone="")
    r.refresh_from_db()
    assert r.phone_masked == "" and r.phone_digest == ""


@pytest.mark.django_db
def test_resident_writes_need_manage_permission_in_scope(world) -> None:  # noqa: ANN001
    household = make_household(world.building)
    with pytest.raises(PermissionDenied):
        services.resident_create(
            actor=world.actor("sibling_grid_worker"), household=household, name="甲"
        )
    with pytest.raises(PermissionDenied):
        services.resident_create(
            actor=world.actor("building_leader"), household=household, name="甲"
        )
    assert services.resident_create(
        actor=world.actor("grid_worker"), household=household, name="甲"
    ).pk


@pytest.mark.django_db
def test_reveal_needs_permission_and_is_audited(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building), phone="13811112222")
    with pytest.raises(PermissionDenied):
        services.resident_reveal(actor=world.actor("building_leader"), resident=r, field="phone")
    with pytest.raises(PermissionDenied):
        services.resident_reveal(
            actor=world.actor("sibling_grid_worker"), resident=r, field="phone"
        )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).exists()
    from lianxin.audit.context import AuditContext, acting

    with acting(AuditContext(user_id=world.users["grid_worker"].pk, post_label="网格员@一网格")):
        assert (
            services.resident_reveal(actor=world.actor("grid_worker"), resident=r, field="phone")
            == "13811112222"
        )
        number = services.resident_reveal(
            actor=world.actor("grid_worker"), resident=r, field="id_number"
        )
    assert number == crypto.decrypt(r.id_number_cipher)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).order_by("id")
    assert [list(e.changes) for e in events] == [["phone"], ["id_number"]]
    assert all(
        e.actor_id == world.users["grid_worker"].pk and e.object_id == str(r.public_id)
        for e in events
    )
    assert "13811112222" not in str([e.changes for e in events])
    with pytest.raises(DomainError):
        services.resident_reveal(actor=world.actor("grid_worker"), resident=r, field="name")


# --- households ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_household_create_refuses_duplicate_door_and_wrong_unit(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    services.household_create(actor=actor, unit=world.building, address="1单元101")
    err = _domain_error(
        services.household_create, actor=actor, unit=world.building, address=" 1单元101 "
    )
    assert err.field == "address"
    err = _domain_error(services.household_create, actor=actor, unit=world.street, address="x")
    assert err.field == "unit"
    err = _domain_error(services.household_create, actor=actor, unit=world.building, address=" ")
    assert (err.field, err.message) == ("address", "门牌不能为空")
    with pytest.raises(PermissionDenied):
        services.household_create(
            actor=world.actor("other_village_staff"), unit=world.building, address="2"
        )


@pytest.mark.django_db
def test_household_update_moves_it_within_scope_only(world) -> None:  # noqa: ANN001
    h = make_household(world.building, address="1号")
    services.household_update(
        actor=world.actor("village_staff"), household=h, unit=world.sibling_building, address="9号"
    )
    h.refresh_from_db()
    assert (h.unit, h.address) == (world.sibling_building, "9号")
    with pytest.raises(PermissionDenied):
        services.household_update(
            actor=world.actor("grid_worker"), household=h, unit=world.building, address="9号"
        )


@pytest.mark.django_db
def test_household_move_out_closes_residents_and_ledger(world) -> None:  # noqa: ANN001
    h = make_household(world.building)
    r = make_resident(h)
    entry = factories.ledger_entry(world, resident=r)
    err = _domain_error(
        services.household_move_out, actor=world.actor("village_staff"), household=h, reason=""
    )
    assert err.field == "reason"
    services.household_move_out(actor=world.actor("village_staff"), household=h, reason="迁往外地")
    h.refresh_from_db()
    r.refresh_from_db()
    entry.refresh_from_db()
    assert (
        not h.is_active
        and h.moved_out_on == timezone.localdate()
        and h.moved_out_reason == "迁往外地"
    )
    assert not r.is_active and not entry.is_active and entry.end_reason == "随户迁出"
    assert not selectors.household_list(actor=world.actor("grid_worker")).filter(pk=h.pk).exists()
    with pytest.raises(DomainError):
        services.resident_create(household=h, name="新人")


@pytest.mark.django_db
def test_resident_move_between_households(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building))
    target = make_household(world.sibling_building)
    with pytest.raises(PermissionDenied):  # the grid worker does not manage the sibling grid
        services.resident_move(actor=world.actor("grid_worker"), resident=r, to_household=target)
    services.resident_move(
        actor=world.actor("village_staff"), resident=r, to_household=target, relation="配偶"
    )
    r.refresh_from_db()
    assert r.household == target and r.relation == "配偶"
    err = _domain_error(
        services.resident_move, actor=world.actor("village_staff"), resident=r, to_household=target
    )
    assert err.field == "household"


# --- ledger -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_default_tags_are_seeded() -> None:
    names = set(VulnerabilityTag.objects.values_list("name", flat=True))
    assert {
        "高龄老人（70岁以上）",
        "独居老人",
        "事实无人抚养儿童",
        "监测户（防返贫）",
        "残疾人",
        "退役军人",
    } <= names
    assert VulnerabilityTag.objects.get(code="elderly_alone").default_visit_interval_days == 7


@pytest.mark.django_db
def test_ledger_entry_interval_defaults_from_tag(world) -> None:  # noqa: ANN001
    r = make_resident(make_household(world.building))
    entry = services.ledger_entry_create(
        actor=world.actor("village_staff"),
        resident=r,
        tag=factories.tag("veteran"),
        helper_user=world.users["grid_worker"],
        started_on=dt.date(2025, 1, 1),
    )
    assert entry.visit_interval_days == 90 and entry.next_visit_due == dt.date(2025, 4, 1)
    custom = services.ledger_entry_create(
        actor=world.actor("village_staff"),
        resident=r,
        tag=factories.tag("disabled"),
        helper_user=world.users["grid_worker"],
        visit_interval_days=10,
        started_on=dt.date(2025, 1, 1),
    )
    assert custom.next_visit_due == dt.date(2025, 1, 11)


@pytest.mark.django_db
def test_ledger_entry_rules(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    r = make_resident(make_household(world.building))
    tag = factories.tag()
    kw = {"actor": actor, "resident": r, "tag": tag}
    assert _domain_error(services.ledger_entry_create, **kw).field == "helper"
    # A staff member of another village is no helper here.
    err = _domain_error(
        services.ledger_entry_create, **kw, helper_user=world.users["other_village_staff"]
    )
    assert (err.field, err.message) == ("helper", "帮扶人须为本辖区在岗的工作人员")
    # A street cadre above the resident may help.
    services.ledger_entry_create(**kw, helper_user=world.users["street_staff"])
    err = _domain_error(services.ledger_entry_create, **kw, helper_user=world.users["grid_worker"])
    assert err.field == "tag" and "已在" in err.message
    with pytest.raises(PermissionDenied):
        services.ledger_entry_create(
            actor=world.actor("grid_worker"),
            resident=r,
            tag=factories.tag("disabled"),
            helper_user=world.users["grid_worker"],
        )
    err = _domain_error(
        services.ledger_entry_create,
        actor=actor,
        resident=r,
        tag=factories.tag("disabled"),
        helper_user=world.users["grid_worker"],
        visit_interval_days=400,
    )
    assert err.field == "visit_interval_days"


@pytest.mark.django_db
def test_party_member_resident_can_be_helper(world) -> None:  # noqa: ANN001
    actor = world.actor("village_staff")
    r = make_resident(make_household(world.building), name="被帮扶人")
    plain = make_resident(make_household(world.building), name="普通居民")
    err = _domain_error(
        services.ledger_entry_create,
        actor=actor,
        resident=r,
        tag=factories.tag(),
        helper_resident=plain,
    )
    assert err.message == "居民帮扶人须为在册党员"
    org = PartyOrganisation.objects.create(name="支部", kind=OrgKind.BRANCH, unit=world.grid)
    PartyMember.objects.create(organisation=org, resident=plain, name=plain.name)
    entry = services.ledger_entry_create(
        actor=actor, resident=r, tag=factories.tag(), helper_resident=plain
    )
    assert entry.helper_label == "普通居民"
    assert ("r:" + str(plain.public_id)) in dict(selectors.helper_choices(actor=actor, resident=r))
    assert ("u:" + str(world.users["grid_worker"].public_id)) in dict(
        selectors.helper_choices(actor=actor, resident=r)
    )
    assert ("u:" + str(world.users["other_village_staff"].public_id)) not in dict(
        selectors.helper_choices(actor=actor, resident=r)
    )


@pytest.mark.django_db
def test_ledger_entry_end(world) -> None:  # noqa: ANN001
    entry = factories.ledger_entry(world)
    assert (
        _domain_error(
            services.ledger_entry_end, actor=world.actor("village_staff"), entry=entry, reason=""
        ).field
        == "reason"
    )
    with pytest.raises(PermissionDenied):
        services.ledger_entry_end(actor=world.actor("grid_worker"), entry=entry, reason="去世")
    services.ledger_entry_end(actor=world.actor("village_staff"), entry=entry, reason="已搬离")
    entry.refresh_from_db()
    assert not entry.is_active and entry.end_reason == "已搬离"
    assert AuditEvent.objects.filter(
        object_id=str(entry.public_id), action=AuditEvent.Action.UPDATE
    ).exists()
    with pytest.raises(DomainError):
        services.ledger_entry_end(actor=world.actor("village_staff"), entry=entry, reason="again")
    with pytest.raises(DomainError):
        services.visit_record(
            actor=world.actor("grid_worker"),
            entry=entry,
            visited_on=timezone.localdate(),
            found="x",
        )


# --- visits -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_visits_move_the_schedule_and_never_pull_it_back(world) -> None:  # noqa: ANN001
    today = timezone.localdate()
    entry = factories.ledger_entry(world, started_on=today - dt.timedelta(days=60))  # weekly visits
    actor = world.actor("grid_worker")
    services.visit_record(
        actor=actor, entry=entry, visited_on=today - dt.timedelta(days=3), found="身体尚好"
    )
    entry.refresh_from_db()
    assert entry.last_visit_on == today - dt.timedelta(days=3)
    assert entry.next_visit_due == today + dt.timedelta(days=4)
    # A late-entered older visit is recorded but does not move the schedule backwards.
    services.visit_record(
        actor=actor, entry=entry, visited_on=today - dt.timedelta(days=20), found="补录"
    )
    entry.refresh_from_db()
    assert entry.next_visit_due == today + dt.timedelta(days=4)
    assert Visit.objects.filter(entry=entry).count() == 2
    visit = Visit.objects.filter(entry=entry).first()
    with pytest.raises(RuntimeError):
        visit.save()  # append-only: a visit is never edited
    with pytest.raises(RuntimeError):
        visit.delete()


@pytest.mark.django_db
def test_visit_validation(world) -> None:  # noqa: ANN001
    today = timezone.localdate()
    entry = factories.ledger_entry(world, started_on=today - dt.timedelta(days=10))
    kw = {"actor": world.actor("grid_worker"), "entry": entry}
    assert _domain_error(services.visit_record, **kw, visited_on=today, found=" ").field == "found"
    assert (
        _domain_error(
            services.visit_record, **kw, visited_on=today + dt.timedelta(days=1), found="x"
        ).field
        == "visited_on"
    )
    assert (
        _domain_error(
            services.visit_record, **kw, visited_on=today - dt.timedelta(days=11), found="x"
        ).field
        == "visited_on"
    )
    with pytest.raises(PermissionDenied):
        services.visit_record(
            actor=world.actor("sibling_grid_worker"), entry=entry, visited_on=today, found="x"
        )


def _upload(content: bytes, name: str = "p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.mark.django_db
def test_visit_photos_are_real_images_with_exif_stripped(world) -> None:  # noqa: ANN001
    entry = factories.ledger_entry(world)
    jpeg = factories.png_bytes(exif_gps=True)
    assert b"LeakyCam" in jpeg
    visit = services.visit_record(
        actor=world.actor("grid_worker"),
        entry=entry,
        visited_on=timezone.localdate(),
        found="x",
        photos=[_upload(jpeg), _upload(factories.png_bytes(), "b.png")],
    )
    photos = list(visit.photos.order_by("id"))
    assert len(photos) == 2
    stored = photos[0].image.read()
    assert b"LeakyCam" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG" and not img.getexif()
    assert photos[0].image.name.startswith("visits/") and "p.jpg" not in photos[0].image.name
    assert photos[1].image.name.endswith(".png")


@pytest.mark.django_db
def test_visit_photo_checks(world, monkeypatch) -> None:  # noqa: ANN001
    entry = factories.ledger_entry(world)
    kw = {
        "actor": world.actor("grid_worker"),
        "entry": entry,
        "visited_on": timezone.localdate(),
        "found": "x",
    }
    err = _domain_error(
        services.visit_record, **kw, photos=[_upload(b"not an image at all", "x.jpg")]
    )
    assert (err.field, err.message) == ("photos", "文件“x.jpg”不是有效的图片")
    err = _domain_error(
        services.visit_record, **kw, photos=[_upload(factories.png_bytes()) for _ in range(10)]
    )
    assert err.message == "最多上传9张照片"
    monkeypatch.setattr(services, "MAX_PHOTO_BYTES", 100)
    err = _domain_error(
        services.visit_record, **kw, photos=[_upload(factories.png_bytes((200, 200)), "big.png")]
    )
    assert err.message == "照片“big.png”超过5MB"
    assert not Visit.objects.exists()


# --- overdue ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_per_grid_and_per_helper(world) -> None:  # noqa: ANN001
    today = timezone.localdate()
    long_ago = today - dt.timedelta(days=100)
    a = factories.ledger_entry(world, name="甲", started_on=long_ago)  # weekly: overdue
    factories.ledger_entry(world, name="乙", code="veteran", started_on=today)  # not due yet
    sibling = make_resident(make_household(world.sibling_building), name="丙")
    factories.ledger_entry(
        world, resident=sibling, started_on=long_ago, helper_user=world.users["village_staff"]
    )
    summary = selectors.ledger_overdue(actor=world.actor("village_staff"))
    grids = {row.label: (row.total, row.overdue) for row in summary.by_grid}
    assert grids == {"迎秀社区第一网格": (2, 1), "迎秀社区第二网格": (1, 1)}
    helpers = {row.label: (row.total, row.overdue) for row in summary.by_helper}
    assert helpers == {"grid_worker": (2, 1), "village_staff": (1, 1)}
    assert (summary.total_active, summary.total_overdue) == (3, 2)
    # The grid worker sees only their grid.
    mine = selectors.ledger_overdue(actor=world.actor("grid_worker"))
    assert [(r.label, r.overdue) for r in mine.by_grid] == [("迎秀社区第一网格", 1)]
    overdue = selectors.ledger_list(actor=world.actor("village_staff"), overdue=True)
    assert {e.resident.name for e in overdue} == {"甲", "丙"}
    by_helper = selectors.ledger_list(
        actor=world.actor("village_staff"), helper=f"u:{world.users['grid_worker'].public_id}"
    )
    assert {e.resident.name for e in by_helper} == {"甲", "乙"}
    by_grid = selectors.ledger_list(
        actor=world.actor("village_staff"), grid_public_id=world.sibling_grid.public_id
    )
    assert [e.resident.name for e in by_grid] == ["丙"]
    # A visit clears the overdue state.
    services.visit_record(actor=world.actor("grid_worker"), entry=a, visited_on=today, found="ok")
    assert selectors.ledger_overdue(actor=world.actor("grid_worker")).total_overdue == 0
    assert LedgerEntry.objects.get(pk=a.pk).next_visit_due == today + dt.timedelta(days=7)


# --- selectors ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_household_search_by_id_phone_and_text(world) -> None:  # noqa: ANN001
    h = make_household(world.building, address="7单元701", head_name="钱多多")
    r = make_resident(h, phone="13755556666")
    other = make_household(world.building, address="7单元702")
    actor = world.actor("grid_worker")
    number = crypto.decrypt(r.id_number_cipher)
    assert list(selectors.household_list(actor=actor, q=number)) == [h]
    assert list(selectors.household_list(actor=actor, q=number.lower())) == [h]
    assert list(selectors.household_list(actor=actor, q="137 5555 6666")) == [h]
    assert list(selectors.household_list(actor=actor, q="钱多")) == [h]
    assert set(selectors.household_list(actor=actor, q="7单元")) == {h, other}
    assert list(selectors.household_list(actor=world.actor("sibling_grid_worker"), q=number)) == []
    assert list(
        selectors.household_list(actor=actor, unit_public_id=world.grid.public_id, q="钱")
    ) == [h]
    assert selectors.household_list(actor=actor, q=number)[0].resident_count == 1


@pytest.mark.django_db
def test_resident_list_filters(world) -> None:  # noqa: ANN001
    today = timezone.localdate()
    h = make_household(world.building)
    old = make_resident(h, name="老人", birth=dt.date(today.year - 75, 1, 1))
    child = make_resident(h, name="孩子", birth=dt.date(today.year - 5, 1, 1))
    factories.ledger_entry(world, resident=old, code="elderly_70")
    actor = world.actor("grid_worker")
    assert [r.name for r in selectors.resident_list(actor=actor, age_band="elderly70")] == ["老人"]
    assert [r.name for r in selectors.resident_list(actor=actor, age_band="child")] == ["孩子"]
    assert [r.name for r in selectors.resident_list(actor=actor, tag_code="elderly_70")] == ["老人"]
    assert [r.name for r in selectors.resident_list(actor=actor, q="孩")] == ["孩子"]
    assert [
        r.name
        for r in selectors.resident_list(actor=actor, q=crypto.decrypt(child.id_number_cipher))
    ] == ["孩子"]
    assert list(selectors.resident_list(actor=world.actor("sibling_grid_worker"))) == []


@pytest.mark.django_db
def test_unit_filter_outside_scope_is_404(world) -> None:  # noqa: ANN001
    from django.http import Http404

    with pytest.raises(Http404):
        list(
            selectors.household_list(
                actor=world.actor("grid_worker"), unit_public_id=world.sibling_grid.public_id
            )
        )
    with pytest.raises(Http404):
        list(
            selectors.household_list(actor=world.actor("grid_worker"), unit_public_id="not-a-uuid")
        )
