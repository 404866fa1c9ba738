"""Demo departments and one account per role, all with the documented demo password."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from lianxin.accounts.models import Department, Post, User
from lianxin.accounts.permissions import Role
from lianxin.demo.grids import DemoGrid
from lianxin.demo.names import person_name
from lianxin.territory.models import Unit

DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("孟州市住房和城乡建设局", "住建"),
    ("孟州市水利局", "水利"),
    ("孟州市公安局", "公安"),
)


@dataclass
class AccountsResult:
    users: dict[str, User] = field(default_factory=dict)
    workers_by_grid: dict[int, User] = field(default_factory=dict)
    extra_workers: list[tuple[str, str]] = field(default_factory=list)


def build_accounts(
    rng: random.Random,
    *,
    password: str,
    city: Unit,
    county: Unit,
    street: Unit,
    community: Unit,
    grids: list[DemoGrid],
) -> AccountsResult:
    """Departments at the county and the demo accounts; `grids[0:2]` are 迎秀's two grids."""
    departments = [Department.objects.create(name=n, kind=k, unit=county) for n, k in DEPARTMENTS]
    # One hash for every demo account: hashing is deliberately slow and they share one
    # documented password anyway.
    hashed = make_password(password)
    result = AccountsResult()

    def account(
        username: str,
        role: str,
        unit: Unit,
        *,
        title: str = "",
        department: Department | None = None,
        name_rng: random.Random | None = None,
        **extra: bool,
    ) -> User:
        draw = name_rng or rng
        user = User.objects.create(
            username=username,
            full_name=person_name(draw, draw.choice("MF")),
            password=hashed,
            # Undated on purpose: the 90-day rotation rule skips undated passwords, so a demo
            # built once keeps working with the documented password months later.
            password_changed_at=None,
            **extra,
        )
        Post.objects.create(user=user, role=role, unit=unit, title=title, department=department)
        result.users[username] = user
        return user

    first, sibling = grids[0], grids[1]
    result.workers_by_grid[first.unit.pk] = account(
        "wangge", Role.GRID_WORKER, first.unit, title="专职网格员"
    )
    result.workers_by_grid[sibling.unit.pk] = account(
        "wangge2", Role.GRID_WORKER, sibling.unit, title="专职网格员"
    )
    account("loudong", Role.BUILDING_LEADER, first.buildings[0].unit, title="楼栋长")
    account("shequ", Role.VILLAGE_STAFF, community, title="社区工作人员")
    account("shuji", Role.VILLAGE_SECRETARY, community, title="社区党委书记")
    account("jiedao", Role.STREET_STAFF, street, title="街道党建办")
    account("bumen", Role.DEPARTMENT_STAFF, county, title="科员", department=departments[0])
    account("zuzhibu", Role.ORG_DEPARTMENT, county, title="组织部组织科")
    account("admin", Role.SYSADMIN, city, title="系统管理员", is_staff=True, is_superuser=True)
    # Added after the others, with its own generator, so every other name stays as it was.
    account(
        "weizhuli",
        Role.MICRO_ASSISTANT,
        community,
        title="党群积分微助理",
        name_rng=random.Random(20261123),
    )
    # Every other grid has its own full-time grid worker too (wangge3, wangge4, ...).
    for n, grid in enumerate(grids[2:], start=3):
        username = f"wangge{n}"
        result.workers_by_grid[grid.unit.pk] = account(
            username, Role.GRID_WORKER, grid.unit, title="专职网格员"
        )
        result.extra_workers.append((username, f"网格员（{grid.unit.display_name}）"))
    return result
