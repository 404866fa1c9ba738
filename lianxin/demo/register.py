"""Households and residents of the demo grids, written in bulk with protected personal data.

`bulk_create` skips the per-row audit signal on purpose (thousands of rows); the builder writes
one summary audit record instead. ID numbers and phones go through `core.crypto` exactly as
`people.services.resident_create` does: only cipher, keyed digest and mask are stored.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from lianxin.core import crypto
from lianxin.demo.grids import DemoGrid, door_addresses
from lianxin.demo.names import IdNumbers, birth_date, mobile_phone, person_name
from lianxin.people.models import Household, Resident

BATCH = 1000
# Owners, tenants and others in an older urban community.
RESIDENCE_TYPES = ("owner", "tenant", "other")
RESIDENCE_WEIGHTS = (82, 14, 4)


def demo_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from the demo's generator, so public ids repeat from build to build."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


@dataclass
class Member:
    """One person of a household before it is written: (name, sex, birth, relation)."""

    name: str
    sex: str
    birth: dt.date
    relation: str


def _spouse_sex(sex: str) -> str:
    return "F" if sex == "M" else "M"


def _child_relation(sex: str) -> str:
    return "子" if sex == "M" else "女"


def compose_household(rng: random.Random, today: dt.date) -> tuple[str, list[Member]]:
    """A household shape and its people; the shares roughly follow an urban community.

    Returns the shape name (the ledger uses it: living alone, left-behind child, ...) and the
    members, head first. Children carry the father's surname, the head's parents the head's.
    """

    def person(sex: str, lo: int, hi: int, relation: str, surname: str | None = None) -> Member:
        return Member(person_name(rng, sex, surname), sex, birth_date(rng, today, lo, hi), relation)

    def couple(lo: int, hi: int) -> tuple[Member, Member, str]:
        head_sex = "M" if rng.random() < 0.78 else "F"
        head = person(head_sex, lo, hi, "户主")
        age = today.year - head.birth.year
        spouse = person(_spouse_sex(head_sex), max(lo - 3, age - 6), min(hi + 3, age + 4), "配偶")
        father = head if head.sex == "M" else spouse
        return head, spouse, father.name[0]

    roll = rng.random()
    if roll < 0.08:  # an old person living alone
        return "alone_elderly", [person(rng.choice("MF"), 66, 93, "户主")]
    if roll < 0.22:  # an elderly couple, children moved away
        head, spouse, _ = couple(62, 86)
        return "elderly_couple", [head, spouse]
    if roll < 0.26:  # grandparents raising grandchildren whose parents work elsewhere
        head, spouse, surname = couple(58, 74)
        members = [head, spouse]
        for _ in range(rng.choice((1, 1, 2))):
            sex = rng.choice("MF")
            members.append(person(sex, 4, 15, "孙子" if sex == "M" else "孙女", surname))
        return "grandparents", members
    if roll < 0.33:  # a single adult
        return "single", [person(rng.choice("MF"), 22, 58, "户主")]
    head, spouse, surname = couple(27, 56)
    age = today.year - head.birth.year
    members = [head, spouse]
    for _ in range(rng.choice((0, 1, 1, 2, 2))):
        sex = rng.choice("MF")
        members.append(person(sex, 0, max(1, min(26, age - 24)), _child_relation(sex), surname))
    if roll >= 0.70:  # three generations: one or two parents of the head live in
        members.append(person("M", age + 22, min(95, age + 34), "父亲", head.name[0]))
        if rng.random() < 0.6:
            members.append(person("F", age + 20, min(95, age + 32), "母亲"))
        return "three_generations", members
    return "family", members


@dataclass
class RegisterResult:
    households: int
    residents: int
    shapes: dict[int, str]  # household pk → shape


def build_register(rng: random.Random, today: dt.date, grids: list[DemoGrid]) -> RegisterResult:
    """Create the households of every building and their residents."""
    ids = IdNumbers(rng, "410883")
    households: list[Household] = []
    people: list[tuple[Household, Member]] = []
    shapes: dict[int, str] = {}
    shape_of: list[str] = []
    for grid in grids:
        for building in grid.buildings:
            for seq, door in enumerate(door_addresses(rng, building.quota), start=1):
                shape, members = compose_household(rng, today)
                # 户号 within the community: grid, building, door (0103012).
                grid_no, building_no = building.unit.code.split("-")[-2:]
                number = f"{grid_no}{building_no}{seq:03d}"
                household = Household(
                    public_id=demo_uuid(rng),
                    unit=building.unit,
                    number=number,
                    address=door,
                    head_name=members[0].name,
                    residence_type=rng.choices(RESIDENCE_TYPES, weights=RESIDENCE_WEIGHTS)[0],
                )
                households.append(household)
                building.households.append(household)
                shape_of.append(shape)
                people.extend((household, m) for m in members)
    Household.objects.bulk_create(households, batch_size=BATCH)
    for household, shape in zip(households, shape_of, strict=True):
        shapes[household.pk] = shape

    residents: list[Resident] = []
    for household, m in people:
        age = today.year - m.birth.year
        protected_id = crypto.protect_id_number(ids.make(m.birth, m.sex))
        phone = None
        # Most adults have a phone on record; fewer of the very old, no children.
        if age >= 18 and rng.random() < (0.92 if age < 70 else 0.45):
            phone = crypto.protect_phone(mobile_phone(rng))
        residents.append(
            Resident(
                public_id=demo_uuid(rng),
                household=household,
                name=m.name,
                sex=m.sex,
                birth_date=m.birth,
                relation=m.relation,
                id_number_cipher=protected_id.cipher,
                id_number_digest=protected_id.digest,
                id_number_masked=protected_id.masked,
                phone_cipher=phone.cipher if phone else "",
                phone_digest=phone.digest if phone else "",
                phone_masked=phone.masked if phone else "",
            )
        )
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    return RegisterResult(households=len(households), residents=len(residents), shapes=shapes)
