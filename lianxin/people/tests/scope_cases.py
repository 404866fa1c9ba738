"""Scope cases for every people URL (pages and API): who is inside, who is outside."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_household
from lianxin.people.tests import factories
from lianxin.people.tests.factories import make_resident

MARK_ADDRESS = "SCOPE-MARK-Door-808"
MARK_NAME = "ScopeMarkResident"


def _household(w: Any) -> ScopeSetup:
    h = make_household(w.building, address=MARK_ADDRESS)
    return ScopeSetup(kwargs={"public_id": h.public_id})


def _household_list(w: Any) -> ScopeSetup:
    make_household(w.building, address=MARK_ADDRESS)
    return ScopeSetup(marker=MARK_ADDRESS)


def _resident(w: Any) -> ScopeSetup:
    r = make_resident(make_household(w.building), name=MARK_NAME)
    return ScopeSetup(kwargs={"public_id": r.public_id})


def _resident_list(w: Any) -> ScopeSetup:
    make_resident(make_household(w.building), name=MARK_NAME)
    return ScopeSetup(marker=MARK_NAME)


def _reveal(w: Any) -> ScopeSetup:
    r = make_resident(make_household(w.building), name=MARK_NAME)
    return ScopeSetup(kwargs={"public_id": r.public_id}, data={"field": "phone"})


def _household_create(w: Any) -> ScopeSetup:
    # The insider's form offers its building; the other village's staff sees only its own units.
    return ScopeSetup(marker=w.building.display_name)


def _entry(w: Any) -> ScopeSetup:
    e = factories.ledger_entry(w)
    return ScopeSetup(kwargs={"public_id": e.public_id})


def _visit_photo(w: Any) -> ScopeSetup:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lianxin.people.selectors import local_today
    from lianxin.people.services import visit_record

    entry = factories.ledger_entry(w)
    photo = SimpleUploadedFile("p.jpg", factories.png_bytes(), content_type="image/jpeg")
    visit = visit_record(
        actor=w.actor("grid_worker"),
        entry=entry,
        visited_on=local_today(),
        found="正常",
        photos=[photo],
    )
    return ScopeSetup(kwargs={"public_id": visit.public_id, "number": 1})


def _ledger_list(w: Any) -> ScopeSetup:
    factories.ledger_entry(w, name="台账标记人")
    return ScopeSetup(marker="台账标记人")


def _job(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": factories.import_job(w).public_id})


def _import_list(w: Any) -> ScopeSetup:
    factories.import_job(w, filename="范围标记导入.xlsx")
    return ScopeSetup(marker="范围标记导入.xlsx")


def _import_create(w: Any) -> ScopeSetup:
    return ScopeSetup(marker=w.grid.display_name)


def _template(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"kind": "residents"})


def _export(w: Any) -> ScopeSetup:
    make_household(w.building, address=MARK_ADDRESS)
    return ScopeSetup(kwargs={"kind": "households"}, query={"unit": str(w.village.public_id)})


VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("people:household_list", _household_list),
    ScopeCase("people:household_detail", _household),
    ScopeCase("people:household_create", _household_create, **VILLAGE),
    ScopeCase("people:household_edit", _household, **VILLAGE),
    ScopeCase("people:household_move_out", _household, **VILLAGE),
    ScopeCase("people:resident_create", _household, **VILLAGE),
    ScopeCase("people:resident_list", _resident_list),
    ScopeCase("people:resident_detail", _resident),
    ScopeCase("people:resident_edit", _resident, **VILLAGE),
    ScopeCase("people:resident_move", _resident, **VILLAGE),
    ScopeCase("people:resident_reveal", _reveal, method="post"),
    ScopeCase("people:ledger_create", _resident, **VILLAGE),
    ScopeCase("people:ledger_list", _ledger_list),
    ScopeCase("people:ledger_detail", _entry),
    ScopeCase("people:ledger_end", _entry, **VILLAGE),
    ScopeCase("people:visit_create", _entry),
    ScopeCase("people:visit_photo", _visit_photo),
    ScopeCase("people:import_list", _import_list, **VILLAGE),
    ScopeCase("people:import_create", _import_create, **VILLAGE),
    ScopeCase("people:import_detail", _job, **VILLAGE),
    ScopeCase("people:import_errors", _job, **VILLAGE),
    ScopeCase("people:import_file", _job, **VILLAGE),
    ScopeCase(
        "people:import_template",
        _template,
        insider="village_staff",
        outsider="building_leader",
        note="a blank template; roles without the import permission get 404 like any page",
    ),
    ScopeCase("people:export", _export, **VILLAGE),
    ScopeCase("api:people_household_list", _household_list, api=True),
    ScopeCase("api:people_household_detail", _household, api=True),
    ScopeCase("api:people_resident_list", _resident_list, api=True),
    ScopeCase("api:people_resident_detail", _resident, api=True),
]
