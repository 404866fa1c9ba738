"""Party-member import (kind ``members``), registered into the people app's import framework.

A row names a member by ID number: when a resident with that ID is already registered (and in
the importer's scope) the member is linked to that resident record; otherwise a resident is
created in the household at 楼栋 + 门牌 (the household too, when missing). The organisation is
named in 所在党组织, or left empty for the branch of the target unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from lianxin.accounts.permissions import Perm
from lianxin.core import crypto
from lianxin.party.models import OrgKind, PartyMember, PartyOrganisation
from lianxin.people.imports import (
    BULK_BATCH,
    LOOKUP_CHUNK,
    MISSING,
    BuildingIndex,
    Column,
    ImportContext,
    Importer,
    ParsedId,
    Row,
    RowRejected,
    bulk_create_returning,
    duplicates_in_file,
    households_for,
    merge_errors,
    new_resident,
    parse_date_cell,
    parse_id_cell,
    parse_phone_cell,
    parse_place,
    register,
)
from lianxin.people.models import Resident

STATUS_LABELS = {
    "": PartyMember.Status.FULL,
    "正式": PartyMember.Status.FULL,
    "正式党员": PartyMember.Status.FULL,
    "预备": PartyMember.Status.PROBATIONARY,
    "预备党员": PartyMember.Status.PROBATIONARY,
}
# Which organisation at the target unit takes members whose 所在党组织 is left empty.
DEFAULT_ORG_PREFERENCE = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)
MIN_JOIN_AGE = 18


@dataclass
class MemberRecord:
    row: int
    name: str
    organisation_id: int
    status: str
    joined_on: dt.date | None
    birth_date: dt.date
    sex: str
    id_cipher: str
    id_digest: str
    id_masked: str
    phone: crypto.Protected | None
    unit_id: int
    address: str
    resident_id: int | None = None  # set by check_file when the resident already exists
    resident_phone_digest: str = ""


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


@register
class MemberImporter(Importer):
    kind = "members"
    label = "党员"
    order = 30
    perms = (Perm.PEOPLE_IMPORT, Perm.PARTY_MANAGE)
    columns = (
        Column("姓名", "name", required=True, help="党员姓名", example="李红梅", width=12),
        Column(
            "身份证号",
            "id_number",
            required=True,
            help="18位居民身份证号；已登记的居民按身份证号关联，未登记的据楼栋、门牌新建居民档案",
            example="410883197503150020",
            width=22,
        ),
        Column("手机号", "phone", help="11位手机号，可不填", example="13900000000", width=14),
        Column(
            "所在党组织",
            "organisation",
            help="党组织名称（须在导入单元或其上级）；不填则为导入单元的党支部",
            example="迎秀社区第一网格党支部",
            width=24,
        ),
        Column("党员类别", "status", help="正式或预备，不填为正式", example="正式", width=10),
        Column(
            "入党日期", "joined_on", help="如 2001-07-01，可不填", example="2001-07-01", width=12
        ),
        Column(
            "楼栋",
            "building",
            help="居住的楼栋名称或编码（导入单元下）；居民未登记时与门牌一起用于建档",
            example="迎秀小区1号楼",
        ),
        Column("门牌", "address", help="居住的门牌；居民未登记时必填", example="1单元101"),
    )
    notes = (
        "同一居民只能登记为一名党员；身份证号已登记在其他辖区的，须由该辖区办理。",
        "入党日期不能晚于今天，也不能早于年满18岁。",
    )

    def begin(self, ctx: ImportContext) -> None:
        ctx.cache["buildings"] = BuildingIndex(ctx.unit)
        ancestors = _ancestor_paths(ctx.unit.path)
        orgs = list(
            PartyOrganisation.objects.visible_to(ctx.actor, Perm.PARTY_MANAGE)
            .filter(
                Q(unit__path__startswith=ctx.unit.path) | Q(unit__path__in=ancestors),
                is_active=True,
            )
            .select_related("unit")
            .only("id", "name", "kind", "unit__path")
        )
        by_name: dict[str, list[PartyOrganisation]] = {}
        for org in orgs:
            by_name.setdefault(org.name, []).append(org)
        ctx.cache["orgs_by_name"] = by_name
        default = None
        for path in ancestors:  # the target unit first, then upwards
            here = [o for o in orgs if o.unit.path == path]
            if here:
                default = min(here, key=lambda o: (_preference(o.kind), o.pk))
                break
        ctx.cache["default_org"] = default

    def _organisation(self, ctx: ImportContext, text: str) -> PartyOrganisation:
        if not text:
            org = ctx.cache["default_org"]
            if org is None:
                raise ValueError(f"“{ctx.unit.display_name}”没有党组织，请填写所在党组织")
            return org
        found = ctx.cache["orgs_by_name"].get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValueError(f"有多个名为“{text}”的党组织")
        raise ValueError(f"导入单元及其上级没有党组织“{text}”")

    def parse_row(self, ctx: ImportContext, row: Row) -> MemberRecord:
        problems: list[tuple[str, str]] = []
        h = self.header
        name = row.text("name")
        if not name:
            problems.append((h("name"), MISSING))
        elif len(name) > 50:
            problems.append((h("name"), "姓名不能超过50个字"))
        parsed: ParsedId | None = None
        if not row.text("id_number"):
            problems.append((h("id_number"), MISSING))
        else:
            try:
                parsed = parse_id_cell(row.raw("id_number"))
            except ValueError as exc:
                problems.append((h("id_number"), str(exc)))
        phone = None
        try:
            phone = parse_phone_cell(row.raw("phone"))
        except ValueError as exc:
            problems.append((h("phone"), str(exc)))
        org = None
        try:
            org = self._organisation(ctx, row.text("organisation"))
        except ValueError as exc:
            problems.append((h("organisation"), str(exc)))
        status = STATUS_LABELS.get(row.text("status"))
        if status is None:
            problems.append((h("status"), "党员类别只能是正式或预备"))
        joined_on = None
        try:
            joined_on = parse_date_cell(row.raw("joined_on"))
        except ValueError as exc:
            problems.append((h("joined_on"), str(exc)))
        if joined_on is not None:
            if joined_on > ctx.today:
                problems.append((h("joined_on"), "入党日期不能晚于今天"))
            elif parsed is not None and _age_on(parsed.info.birth_date, joined_on) < MIN_JOIN_AGE:
                problems.append((h("joined_on"), "入党日期早于年满18岁"))
        unit, address = parse_place(self, ctx, row, problems, address_required=False)
        if problems:
            raise RowRejected(problems)
        assert parsed is not None and org is not None and unit is not None and status is not None
        return MemberRecord(
            row=row.number,
            name=name,
            organisation_id=org.pk,
            status=status,
            joined_on=joined_on,
            birth_date=parsed.info.birth_date,
            sex=parsed.info.sex,
            id_cipher=parsed.protected.cipher,
            id_digest=parsed.protected.digest,
            id_masked=parsed.protected.masked,
            phone=phone,
            unit_id=unit.pk,
            address=address,
        )

    def check_file(
        self, ctx: ImportContext, records: list[MemberRecord]
    ) -> dict[int, list[tuple[str, str]]]:
        id_col, addr_col = self.header("id_number"), self.header("address")
        dup = duplicates_in_file(records, lambda r: r.id_digest, id_col, "身份证号")
        digests = sorted({r.id_digest for r in records})
        known: dict[str, dict[str, Any]] = {}
        for i in range(0, len(digests), LOOKUP_CHUNK):
            rows = Resident.objects.filter(
                id_number_digest__in=digests[i : i + LOOKUP_CHUNK]
            ).values(
                "pk",
                "id_number_digest",
                "phone_digest",
                "household__unit__path",
                "party_member__id",
            )
            for r in rows:
                known[r["id_number_digest"]] = r
        scope = ctx.actor.scope_paths(Perm.PEOPLE_VIEW)
        problems: dict[int, list[tuple[str, str]]] = {}
        for rec in records:
            hit = known.get(rec.id_digest)
            if hit is None:
                if not rec.address:
                    problems.setdefault(rec.row, []).append(
                        (addr_col, "系统中没有该居民，须填写门牌以便建档")
                    )
                continue
            if not any(hit["household__unit__path"].startswith(p) for p in scope):
                problems.setdefault(rec.row, []).append(
                    (id_col, "该身份证号已登记在其他辖区的居民名下")
                )
            elif hit["party_member__id"] is not None:
                problems.setdefault(rec.row, []).append((id_col, "该居民已登记为党员"))
            else:
                rec.resident_id = hit["pk"]
                rec.resident_phone_digest = hit["phone_digest"]
        return merge_errors(dup, problems)

    def write(self, ctx: ImportContext, records: list[MemberRecord]) -> dict[str, int]:
        new_people = [r for r in records if r.resident_id is None]
        household_ids, households_created = households_for(
            {(r.unit_id, r.address): "" for r in new_people}
        )
        residents = [new_resident(r, household_ids[(r.unit_id, r.address)]) for r in new_people]
        bulk_create_returning(Resident, residents)
        for rec, resident in zip(new_people, residents, strict=True):
            rec.resident_id = resident.pk
            rec.resident_phone_digest = resident.phone_digest
        members = []
        for r in records:
            member = PartyMember(
                organisation_id=r.organisation_id,
                resident_id=r.resident_id,
                name=r.name,
                status=r.status,
                joined_on=r.joined_on,
            )
            # A contact phone differing from the resident record's is kept on the member.
            if r.phone is not None and r.phone.digest != r.resident_phone_digest:
                crypto.assign(member, "phone", r.phone)
            members.append(member)
        PartyMember.objects.bulk_create(members, batch_size=BULK_BATCH)
        return {
            "members_created": len(members),
            "residents_created": len(residents),
            "residents_linked": len(records) - len(residents),
            "households_created": households_created,
        }

    def summary_text(self, summary: dict[str, int]) -> str:
        return (
            f"新增党员 {summary.get('members_created', 0)} 名（关联已有居民 {summary.get('residents_linked', 0)} 人，"
            f"新建居民档案 {summary.get('residents_created', 0)} 人、户 {summary.get('households_created', 0)} 户）"
        )


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _preference(kind: str) -> int:
    return (
        DEFAULT_ORG_PREFERENCE.index(kind)
        if kind in DEFAULT_ORG_PREFERENCE
        else len(DEFAULT_ORG_PREFERENCE)
    )
