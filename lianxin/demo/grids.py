"""Grids and buildings under the real communities of 孟州市大定街道.

No public data has grids or buildings (DOMAIN.md §1: staff create them), so the demo lays out
grids of 300–500 households, each with 6–12 buildings named after a residential compound.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from lianxin.territory.models import Unit, UnitChange, UnitKind

CHINESE_NUMERALS = "一二三四五六七八九十"
# Compound names per grid of a community: 迎秀小区, 迎秀花园, ...
COMPOUND_SUFFIXES = ("小区", "花园", "家园", "新村", "佳苑", "华庭")


@dataclass
class DemoBuilding:
    unit: Unit
    quota: int  # households to place in it
    households: list = field(default_factory=list)


@dataclass
class DemoGrid:
    unit: Unit
    community: Unit
    buildings: list[DemoBuilding] = field(default_factory=list)

    @property
    def households(self) -> list:
        return [h for b in self.buildings for h in b.households]


def short_name(community: Unit) -> str:
    """迎秀社区 → 迎秀, 东张王庄村 → 东张王庄 (the stem that compound names are built from)."""
    name = community.display_name
    for suffix in ("社区", "村"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def plan_grids(
    rng: random.Random, communities: list[Unit], *, first: Unit, target_households: int
) -> list[tuple[Unit, int, int]]:
    """(community, grid number in the community, households) until about `target` households.

    Each community gets two grids, `first` (迎秀) first so its grid workers have a sibling
    grid; the round starts again if the street has too few communities for the target.
    """
    others = [c for c in communities if c.pk != first.pk]
    order = [c for c in [first, *others] for _ in range(2)]
    counts: dict[int, int] = {}
    plan: list[tuple[Unit, int, int]] = []
    total = 0
    while total < target_households - 150:
        community = order[len(plan) % len(order)]
        counts[community.pk] = counts.get(community.pk, 0) + 1
        size = rng.randint(350, 470)
        plan.append((community, counts[community.pk], size))
        total += size
    return plan


def _child(parent: Unit, *, kind: str, code: str, name: str, order: int) -> Unit:
    """A grid or building with the code scheme of `territory.services.unit_create`
    (G<village>-NN, B<village>-<grid>-NN), so units staff add later continue the numbering;
    audited like any unit save, and its history starts with a "created" entry."""
    unit = Unit.objects.create(
        kind=kind,
        code=code,
        name=name,
        display_name=name,
        parent=parent,
        path=f"{parent.path}{code}/",
        depth=parent.depth + 1,
        sort_order=order,
    )
    UnitChange.objects.create(
        unit=unit,
        kind=UnitChange.Kind.CREATED,
        after={"kind": kind, "code": code, "name": name, "parent": parent.code},
        note="演示数据",
    )
    return unit


def create_grids(rng: random.Random, plan: list[tuple[Unit, int, int]]) -> list[DemoGrid]:
    """Create the grid and building units of the plan; split each grid's households over buildings."""
    grids: list[DemoGrid] = []
    for community, number, size in plan:
        stem = short_name(community)
        numeral = CHINESE_NUMERALS[number - 1] if number <= len(CHINESE_NUMERALS) else str(number)
        grid_unit = _child(
            community,
            kind=UnitKind.GRID,
            code=f"G{community.code}-{number:02d}",
            name=f"{community.display_name}第{numeral}网格",
            order=number,
        )
        grid = DemoGrid(unit=grid_unit, community=community)
        compound = stem + COMPOUND_SUFFIXES[(number - 1) % len(COMPOUND_SUFFIXES)]
        count = rng.randint(6, 12)
        # Uneven building sizes, as in real compounds: weights 0.6–1.4 around the mean.
        weights = [rng.uniform(0.6, 1.4) for _ in range(count)]
        quotas = [max(12, int(size * w / sum(weights))) for w in weights]
        quotas[-1] += size - sum(quotas)
        for b, quota in enumerate(quotas, start=1):
            unit = _child(
                grid_unit,
                kind=UnitKind.BUILDING,
                code=f"B{community.code}-{number:02d}-{b:02d}",
                name=f"{compound}{b}号楼",
                order=b,
            )
            grid.buildings.append(DemoBuilding(unit=unit, quota=quota))
        grids.append(grid)
    return grids


def door_addresses(rng: random.Random, quota: int) -> list[str]:
    """Door labels of one building, stairwell by stairwell and floor by floor: 2单元301室."""
    stairwells = rng.choice((2, 3, 4))
    per_floor = 2
    floors = max(3, -(-quota // (stairwells * per_floor)))
    doors = [
        f"{s}单元{f}{r:02d}室"
        for s in range(1, stairwells + 1)
        for f in range(1, floors + 1)
        for r in range(1, per_floor + 1)
    ]
    return doors[:quota]
