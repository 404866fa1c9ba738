"""The shared test world: a small real tree and one persona per role and position.

Personas (STYLE.md): someone in scope, someone in a sibling grid, someone in the street above,
someone in another street, a department user. Every scope test uses them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.test import Client

from lianxin.core.idnumber import make_id_number

if TYPE_CHECKING:
    # Only for annotations: core does not import accounts at runtime.
    from lianxin.accounts.models import User

PASSWORD = "Lianxin-Test-2026"

_seq = itertools.count(1)


def next_seq() -> int:
    return next(_seq)


def make_unit(kind: str, code: str, name: str, parent=None, *, display_name: str | None = None):  # noqa: ANN001, ANN201
    from lianxin.territory.models import Unit

    path = (parent.path if parent else "/") + code + "/"
    return Unit.objects.create(
        kind=kind,
        code=code,
        stat_code=code.ljust(12, "0") if code.isdigit() else "",
        name=name,
        display_name=display_name or name,
        parent=parent,
        path=path,
        depth=(parent.depth + 1) if parent else 0,
    )


def make_user(
    username: str, role: str | None = None, unit=None, *, full_name: str = "", department=None
):  # noqa: ANN001, ANN201
    from lianxin.accounts.models import Post, User

    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=full_name or username
    )
    if role is not None:
        Post.objects.create(user=user, role=role, unit=unit, department=department)
    return user


def make_household(unit, *, address: str | None = None, head_name: str = "张建国"):  # noqa: ANN001, ANN201
    from lianxin.people.models import Household

    return Household.objects.create(
        unit=unit, address=address or f"{next_seq()}号", head_name=head_name
    )


def make_resident(
    household, *, name: str = "张建国", birth: dt.date | None = None, phone: str | None = None
):  # noqa: ANN001, ANN201
    from lianxin.people.services import resident_create

    birth = birth or dt.date(1950, 1, 1) + dt.timedelta(days=next_seq() * 37 % 20000)
    id_number = make_id_number("410883", birth, next_seq() % 1000)
    return resident_create(
        household=household,
        name=name,
        id_number=id_number,
        phone=phone if phone is not None else f"138{next_seq():08d}",
        relation="户主",
    )


@dataclass
class World:
    province: object
    city: object
    county: object
    street: object
    other_street: object
    village: object
    other_village: object
    grid: object
    sibling_grid: object
    building: object
    sibling_building: object
    department: object
    users: dict[str, User] = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        c = Client()
        c.force_login(self.users[persona])
        return c

    def actor(self, persona: str):  # noqa: ANN201
        from lianxin.accounts.actor import Actor

        return Actor.for_user(self.users[persona])


def build_world() -> World:
    from lianxin.accounts.models import Department
    from lianxin.accounts.permissions import Role

    province = make_unit("province", "41", "河南省")
    city = make_unit("city", "4108", "焦作市", province)
    county = make_unit("county", "410883", "孟州市", city)
    street = make_unit("township", "410883001", "大定街道办事处", county, display_name="大定街道")
    other_street = make_unit(
        "township", "410883002", "会昌街道办事处", county, display_name="会昌街道"
    )
    village = make_unit(
        "village", "410883001002", "迎秀居民委员会", street, display_name="迎秀社区"
    )
    other_village = make_unit(
        "village", "410883002001", "西关居民委员会", other_street, display_name="西关社区"
    )
    grid = make_unit("grid", "G410883001002-01", "迎秀社区第一网格", village)
    sibling_grid = make_unit("grid", "G410883001002-02", "迎秀社区第二网格", village)
    building = make_unit("building", "B410883001002-01-01", "迎秀小区1号楼", grid)
    sibling_building = make_unit("building", "B410883001002-02-01", "迎秀小区9号楼", sibling_grid)
    department = Department.objects.create(name="孟州市住房和城乡建设局", kind="住建", unit=county)
    w = World(
        province,
        city,
        county,
        street,
        other_street,
        village,
        other_village,
        grid,
        sibling_grid,
        building,
        sibling_building,
        department,
    )
    w.users = {
        "building_leader": make_user("building_leader", Role.BUILDING_LEADER, building),
        "grid_worker": make_user("grid_worker", Role.GRID_WORKER, grid),
        "sibling_grid_worker": make_user("sibling_grid_worker", Role.GRID_WORKER, sibling_grid),
        "village_staff": make_user("village_staff", Role.VILLAGE_STAFF, village),
        "village_secretary": make_user("village_secretary", Role.VILLAGE_SECRETARY, village),
        "other_village_staff": make_user("other_village_staff", Role.VILLAGE_STAFF, other_village),
        "street_staff": make_user("street_staff", Role.STREET_STAFF, street),
        "other_street_staff": make_user("other_street_staff", Role.STREET_STAFF, other_street),
        "department_staff": make_user(
            "department_staff", Role.DEPARTMENT_STAFF, county, department=department
        ),
        "org_department": make_user("org_department", Role.ORG_DEPARTMENT, county),
        "sysadmin": make_user("sysadmin", Role.SYSADMIN, city),
        "nobody": make_user("nobody"),
    }
    return w


def rerun_data_migrations() -> None:
    """Apply the data migrations again (default schemes and catalogs, case categories,
    holidays, tags: the RunPython operations with a no-op reverse). A transactional test
    ends by emptying every table, these rows too; the `restore_migration_data` fixture puts
    them back for the tests that follow."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.operations.special import RunPython

    executor = MigrationExecutor(connection)
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    for migration, _backwards in plan:
        for op in migration.operations:
            if isinstance(op, RunPython) and op.reverse_code is RunPython.noop:
                state = loader.project_state((migration.app_label, migration.name), at_end=False)
                with connection.schema_editor() as editor:
                    op.code(state.apps, editor)
