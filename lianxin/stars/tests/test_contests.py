"""The contests (三次大比武) through their services: opening a round, registration, scoring
refusals, ranking with ties, advancing, the county final and what each scope reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import make_unit
from lianxin.stars.evidence import MAX_PDF_BYTES
from lianxin.stars.models import Contest, ContestEntry, ContestScore, CreationSettings
from lianxin.stars.selectors import contests as sel
from lianxin.stars.services import contests as svc
from lianxin.stars.services.catalog import settings_ensure
from lianxin.stars.tests import scope_contests as b

pytestmark = pytest.mark.django_db
YEAR = b.YEAR


def test_competition_ranks_share_and_skip() -> None:
    d = Decimal
    assert svc.competition_ranks([d(90), d(95), d(90), d(80)]) == [2, 1, 2, 4]
    assert svc.competition_ranks([d(90), d(90), d(85)]) == [1, 1, 3]
    assert svc.competition_ranks([]) == []
    assert svc.average(Decimal("261.5"), 3) == Decimal("87.17")
    assert svc.average(0, 0) is None


# --- opening a round -------------------------------------------------------------------------


def test_opening_a_round_creates_one_heat_per_township(world) -> None:  # noqa: ANN001
    heats = b.opened(world)
    assert {h.host for h in heats} == {world.street, world.other_street}
    assert all(h.held_on == b.HELD and h.place == "镇党群服务中心" for h in heats)
    assert all(not h.is_final and h.status == Contest.Status.OPEN for h in heats)
    titles = {h.title for h in heats}
    assert f"{YEAR}年大定街道创建思路大比武" in titles
    # The same round again: refused, naming the round.
    with pytest.raises(DomainError) as exc:
        b.opened(world)
    assert exc.value.field == "round"
    # A township created later gets its heat when the round is opened again.
    new = make_unit("township", "410883003", "西虢镇人民政府", world.county, display_name="西虢镇")
    again = b.opened(world)
    assert [h.host for h in again] == [new]
    assert Contest.objects.filter(year=YEAR, round="ideas").count() == 3


def test_opening_is_the_countys_and_dates_follow_the_round(world) -> None:  # noqa: ANN001
    county = world.actor("org_department")
    with pytest.raises(PermissionDenied):
        svc.contest_round_open(
            actor=world.actor("street_staff"),
            county=world.county,
            year=YEAR,
            round="ideas",
            held_on=b.HELD,
        )
    cases = [
        ("measures", dt.date(YEAR, 7, 2), "held_on"),  # 举措 before 1 July
        ("results", dt.date(YEAR, 6, 1), "held_on"),  # 成效 at year end
        ("ideas", None, "held_on"),
        ("bogus", b.HELD, "round"),
    ]
    for round_, day, field in cases:
        with pytest.raises(DomainError) as exc:
            svc.contest_round_open(
                actor=county, county=world.county, year=YEAR, round=round_, held_on=day
            )
        assert exc.value.field == field, round_
    with pytest.raises(DomainError) as exc:
        svc.contest_round_open(
            actor=county, county=world.street, year=YEAR, round="ideas", held_on=b.HELD
        )
    assert exc.value.field == "county"
    # 成效 may be held in January of the next year.
    heats = svc.contest_round_open(
        actor=county,
        county=world.county,
        year=YEAR,
        round="results",
        held_on=dt.date(YEAR + 1, 1, 15),
    )
    assert len(heats) == 2
    assert Contest.objects.count() == 2


def test_host_changes_date_and_place_with_version(world) -> None:  # noqa: ANN001
    contest = b.heat(world)
    v = contest.version
    svc.contest_update(
        actor=world.actor("street_staff"),
        contest=contest,
        held_on=dt.date(YEAR, 3, 1),
        place="大定街道会议室",
        expected_version=v,
    )
    contest.refresh_from_db()
    assert contest.held_on == dt.date(YEAR, 3, 1) and contest.version == v + 1
    with pytest.raises(Conflict):
        svc.contest_update(
            actor=world.actor("street_staff"),
            contest=contest,
            held_on=dt.date(YEAR, 3, 2),
            place="",
            expected_version=v,
        )
    with pytest.raises(PermissionDenied):
        svc.contest_update(
            actor=world.actor("other_street_staff"), contest=contest, held_on=b.HELD, place=""
        )


# --- registration ----------------------------------------------------------------------------


def test_township_registers_all_its_villages_at_once(world) -> None:  # noqa: ANN001
    extra = b.villages(world, 2)
    entries = b.entered(world, extra, material=b.pdf())
    assert [e.unit for e in entries] == [world.village, *extra]
    first = entries[0]
    assert first.presenter == "迎秀社区书记" and first.title == "迎秀社区创建思路"
    assert first.material.name.startswith("stars/contests/") and first.material.name.endswith(
        ".pdf"
    )
    assert "思路" not in first.material.name  # stored under a random name
    assert first.material_name == "思路.pdf"
    # The candidates left: none (all three villages entered).
    assert sel.candidates(first.contest) == []


def test_registration_is_all_or_nothing_and_names_the_row(world) -> None:  # noqa: ANN001
    contest = b.heat(world)
    (extra,) = b.villages(world, 1)
    staff = world.actor("street_staff")
    drafts = [
        svc.EntryDraft(unit=world.village, presenter="王书记", title="思路"),
        svc.EntryDraft(unit=extra, presenter="  ", title="思路"),
    ]
    with pytest.raises(svc.EntryRefused) as exc:
        svc.contest_entries_register(actor=staff, contest=contest, drafts=drafts)
    assert exc.value.field == "presenter" and exc.value.unit_code == extra.code
    assert extra.display_name in exc.value.message
    assert not ContestEntry.objects.exists()
    # A village of another township.
    with pytest.raises(svc.EntryRefused) as exc:
        svc.contest_entries_register(
            actor=staff,
            contest=contest,
            drafts=[svc.EntryDraft(unit=world.other_village, presenter="张", title="思路")],
        )
    assert exc.value.unit_code == world.other_village.code
    # Twice the same village.
    b.entered(world)
    with pytest.raises(svc.EntryRefused) as exc:
        svc.contest_entries_register(
            actor=staff,
            contest=contest,
            drafts=[svc.EntryDraft(unit=world.village, presenter="王", title="再报")],
        )
    assert "已经报名" in exc.value.message
    with pytest.raises(DomainError) as exc:
        svc.contest_entries_register(actor=staff, contest=contest, drafts=[])
    assert exc.value.field == "units"


def test_only_the_host_registers(world) -> None:  # noqa: ANN001
    contest = b.heat(world)
    draft = svc.EntryDraft(unit=world.village, presenter="王", title="思路")
    for persona in ("village_staff", "village_secretary", "other_street_staff"):
        with pytest.raises(PermissionDenied):
            svc.contest_entries_register(
                actor=world.actor(persona), contest=contest, drafts=[draft]
            )
    # The county may step in for a township.
    svc.contest_entries_register(
        actor=world.actor("org_department"), contest=contest, drafts=[draft]
    )


def test_material_is_a_pdf_or_a_photo(world) -> None:  # noqa: ANN001
    (entry,) = b.entered(world)
    village = world.actor("village_staff")
    svc.contest_entry_update(
        actor=village, entry=entry, presenter="王书记", title="新题目", material=b.photo()
    )
    entry.refresh_from_db()
    assert entry.material.name.endswith(".jpg") and entry.material_name == "展示.jpg"
    ppt = SimpleUploadedFile("汇报.pptx", b"PK\x03\x04 not an image", content_type="x")
    with pytest.raises(DomainError) as exc:
        svc.contest_entry_update(
            actor=village, entry=entry, presenter="王", title="题", material=ppt
        )
    assert exc.value.field == "material" and "PDF" in exc.value.message
    big = SimpleUploadedFile("大.pdf", b"%PDF-" + b"0" * (MAX_PDF_BYTES + 1))
    with pytest.raises(DomainError) as exc:
        svc.contest_entry_update(
            actor=village, entry=entry, presenter="王", title="题", material=big
        )
    assert exc.value.field == "material" and "10MB" in exc.value.message
    entry.refresh_from_db()
    assert entry.title == "新题目"  # the refused changes left the entry as it was
    svc.contest_entry_update(
        actor=village, entry=entry, presenter="王", title="题", remove_material=True
    )
    entry.refresh_from_db()
    assert not entry.material and entry.material_name == ""
    with pytest.raises(PermissionDenied):
        svc.contest_entry_update(
            actor=world.actor("other_village_staff"), entry=entry, presenter="x", title="y"
        )


def test_withdraw_only_while_registration_is_open(world) -> None:  # noqa: ANN001
    e1, e2 = b.entered(world, b.villages(world, 1))
    staff = world.actor("street_staff")
    with pytest.raises(PermissionDenied):
        svc.contest_entry_withdraw(actor=world.actor("village_staff"), entry=e1)
    svc.contest_entry_withdraw(actor=staff, entry=e1)
    assert list(ContestEntry.objects.all()) == [e2]
    svc.contest_scoring_start(actor=staff, contest=e2.contest)
    with pytest.raises(DomainError):
        svc.contest_entry_withdraw(actor=staff, entry=e2)
    with pytest.raises(DomainError):
        svc.contest_entries_register(
            actor=staff,
            contest=e2.contest,
            drafts=[svc.EntryDraft(unit=world.village, presenter="王", title="晚报")],
        )


# --- scoring ---------------------------------------------------------------------------------


def test_scoring_refusals(world) -> None:  # noqa: ANN001
    (entry,) = b.entered(world)
    judge = world.actor("street_staff")
    with pytest.raises(DomainError) as exc:
        svc.contest_score(actor=judge, entry=entry, score=Decimal(80))
    assert "尚未开始评分" in exc.value.message
    svc.contest_scoring_start(actor=judge, contest=entry.contest)
    for value in ("100.5", "-1", "abc", "", "88.123"):
        with pytest.raises(DomainError) as exc:
            svc.contest_score(actor=judge, entry=entry, score=value)
        assert exc.value.field == "score", value
    with pytest.raises(DomainError) as exc:
        svc.contest_score(actor=judge, entry=entry, score=80, comment="好" * 301)
    assert exc.value.field == "comment"
    for persona in ("village_staff", "village_secretary", "other_street_staff"):
        with pytest.raises(PermissionDenied):
            svc.contest_score(actor=world.actor(persona), entry=entry, score=80)
    row = svc.contest_score(actor=judge, entry=entry, score="88.5", comment="思路清晰")
    assert row.score == Decimal("88.50") and row.judge_label.startswith("street_staff")
    with pytest.raises(DomainError) as exc:
        svc.contest_score(actor=judge, entry=entry, score=90)
    assert exc.value.field == "score" and "只打一次" in exc.value.message
    svc.contest_score(actor=b.judge(world, 1), entry=entry, score=100)
    svc.contest_score(actor=b.judge(world, 2), entry=entry, score=0)
    entry.refresh_from_db()
    assert entry.score_count == 3 and entry.average_score == Decimal("62.83")
    assert ContestScore.objects.count() == 3


def test_ranking_with_ties_and_advancing(world) -> None:  # noqa: ANN001
    extra = b.villages(world, 4)
    # Averages: 90, 90, 85.5, 80, and one entry nobody scored.
    entries = b.scoring(world, extra)
    table = [[90, 95, 85, 80], [90, 85, 86, 80]]
    b.score_all(world, entries[:4], table)
    contest = svc.contest_close(actor=world.actor("street_staff"), contest=entries[0].contest)
    assert contest.status == Contest.Status.CLOSED and contest.closed_at is not None
    ranked = {e.unit_id: e for e in ContestEntry.objects.all()}
    got = [
        (ranked[e.unit_id].average_score, ranked[e.unit_id].rank, ranked[e.unit_id].advanced)
        for e in entries
    ]
    assert got == [
        (Decimal("90.00"), 1, True),
        (Decimal("90.00"), 1, True),
        (Decimal("85.50"), 3, False),
        (Decimal("80.00"), 4, False),
        (None, None, False),
    ]
    with pytest.raises(DomainError) as exc:
        svc.contest_score(actor=b.judge(world, 9), entry=entries[4], score=99)
    assert "已经排名" in exc.value.message


def test_a_tie_at_the_cut_advances_both(world) -> None:  # noqa: ANN001
    entries = b.closed(world, b.villages(world, 2), table=[[95, 88, 88]])
    assert [(e.rank, e.advanced) for e in entries] == [(1, True), (2, True), (2, True)]


def test_the_countys_setting_decides_how_many_advance(world) -> None:  # noqa: ANN001
    s = settings_ensure(county=world.county, year=YEAR)
    CreationSettings.objects.filter(pk=s.pk).update(contest_advance=1)
    entries = b.closed(world, b.villages(world, 2), table=[[95, 90, 85]])
    assert [e.advanced for e in entries] == [True, False, False]


def test_closing_rules(world) -> None:  # noqa: ANN001
    (entry,) = b.scoring(world)
    staff = world.actor("street_staff")
    contest = entry.contest
    with pytest.raises(DomainError) as exc:
        svc.contest_close(actor=staff, contest=contest)
    assert "还没有评委打分" in exc.value.message
    svc.contest_score(actor=staff, entry=entry, score=90)
    with pytest.raises(PermissionDenied):
        svc.contest_close(actor=world.actor("village_staff"), contest=contest)
    contest.refresh_from_db()
    with pytest.raises(Conflict):
        svc.contest_close(actor=staff, contest=contest, expected_version=contest.version - 1)
    entry.refresh_from_db()
    assert entry.rank is None  # the refused close left nothing behind
    svc.contest_close(actor=staff, contest=contest, expected_version=contest.version)
    with pytest.raises(DomainError):
        svc.contest_close(actor=staff, contest=contest)


# --- the final -------------------------------------------------------------------------------


def _final(world, **kw) -> Contest:  # noqa: ANN001
    return svc.contest_final_create(
        actor=world.actor("org_department"),
        county=world.county,
        year=YEAR,
        round="ideas",
        held_on=dt.date(YEAR, 3, 20),
        place="市委党校",
        **kw,
    )


def test_the_final_receives_advanced_entries(world) -> None:  # noqa: ANN001
    with pytest.raises(DomainError) as exc:
        _final(world)
    assert exc.value.field == "round"  # no heats yet
    entries = b.closed(world, b.villages(world, 2), table=[[95, 90, 85]], material=b.pdf())
    final = _final(world)
    assert final.is_final and final.host == world.county
    got = list(final.entries.order_by("heat_entry_id"))
    assert [e.heat_entry for e in got] == entries[:2]
    assert got[0].material.name == entries[0].material.name  # the same file
    assert got[0].presenter == entries[0].presenter
    with pytest.raises(DomainError) as exc:
        _final(world)
    assert exc.value.field == "round"
    # 会昌街道 closes its heat later: its winners join the final that still takes entries.
    other = b.heat(world, township=world.other_street)
    hui = svc.contest_entries_register(
        actor=world.actor("other_street_staff"),
        contest=other,
        drafts=[svc.EntryDraft(unit=world.other_village, presenter="赵书记", title="西关思路")],
    )
    svc.contest_scoring_start(actor=world.actor("other_street_staff"), contest=other)
    svc.contest_score(actor=world.actor("other_street_staff"), entry=hui[0], score=91)
    svc.contest_close(actor=world.actor("other_street_staff"), contest=other)
    assert final.entries.count() == 3
    # Only the county's judges score the final; it is ranked without advancing anyone.
    svc.contest_scoring_start(actor=world.actor("org_department"), contest=final)
    f_entries = list(final.entries.order_by("id"))
    with pytest.raises(PermissionDenied):
        svc.contest_score(actor=world.actor("street_staff"), entry=f_entries[0], score=90)
    with pytest.raises(PermissionDenied):
        svc.contest_close(actor=world.actor("street_staff"), contest=final)
    for e, value in zip(f_entries, (88, 92, 88), strict=True):
        svc.contest_score(actor=world.actor("org_department"), entry=e, score=value)
    svc.contest_close(actor=world.actor("org_department"), contest=final)
    assert [(e.rank, e.advanced) for e in final.entries.order_by("id")] == [
        (2, False),
        (1, False),
        (2, False),
    ]


def test_the_final_cannot_register_entries_by_hand(world) -> None:  # noqa: ANN001
    b.closed(world)
    final = _final(world)
    with pytest.raises(DomainError):
        svc.contest_entries_register(
            actor=world.actor("org_department"),
            contest=final,
            drafts=[svc.EntryDraft(unit=world.other_village, presenter="赵", title="插队")],
        )


# --- what each scope reads -------------------------------------------------------------------


def test_each_scope_reads_its_own(world) -> None:  # noqa: ANN001
    (extra,) = b.villages(world, 1)
    entries = b.closed(world, [extra], table=[[95, 90]])
    final = _final(world)
    heat = entries[0].contest
    village = world.actor("village_staff")
    # The village sees its heat and the final, with its own entries only.
    assert set(sel.contests_for(village)) == {heat, final}
    assert [e.unit for e in sel.contest_entries(village, heat)] == [world.village]
    assert [e.unit for e in sel.contest_entries(village, final)] == [world.village]
    with pytest.raises(Exception) as exc:
        sel.entry_get(village, entries[1].public_id)
    assert exc.typename == "Http404"
    # The township sees its whole heat and its villages in the final.
    street = world.actor("street_staff")
    assert len(sel.contest_entries(street, heat)) == 2
    assert len(sel.contest_entries(street, final)) == 2
    # Another township's staff and village see neither.
    assert not sel.contests_for(world.actor("other_village_staff")).exists()
    other_street = world.actor("other_street_staff")
    assert set(sel.contests_for(other_street)) == {b.heat(world, township=world.other_street)}
    # The county sees everything.
    county = world.actor("org_department")
    assert sel.contests_for(county).count() == 3
    groups = sel.rankings(county, YEAR, "ideas")
    assert [g.contest.is_final for g in groups] == [False, False, True]
    assert [e.rank for e in groups[0].entries] == [1, 2]
