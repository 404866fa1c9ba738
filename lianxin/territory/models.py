"""The territory tree: county → township/street → village/community → grid → building."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager


class UnitKind(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县/区"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"
    GRID = "grid", "网格"
    BUILDING = "building", "楼栋/楼院"


# Permission names (lianxin.accounts.permissions maps roles to them; territory comes before
# accounts in the dependency order, so it names them instead of importing them).
PERM_VIEW = "territory.view"
PERM_MANAGE = "territory.manage"

# Depth order of kinds; a child is always of a later kind than its parent.
KIND_ORDER: list[str] = [k.value for k in UnitKind]
# Kinds staff create by hand (no public data has them).
LOCAL_KINDS = frozenset({UnitKind.GRID, UnitKind.BUILDING})
# Which kinds a unit of each kind may hang under. Townships sit directly under a city where the
# city has no counties (东莞-style); buildings hang on a grid, or on the village itself where
# the village does not use grids.
ALLOWED_PARENT_KINDS: dict[str, frozenset[str]] = {
    UnitKind.PROVINCE: frozenset(),
    UnitKind.CITY: frozenset({UnitKind.PROVINCE}),
    UnitKind.COUNTY: frozenset({UnitKind.CITY}),
    UnitKind.TOWNSHIP: frozenset({UnitKind.COUNTY, UnitKind.CITY}),
    UnitKind.VILLAGE: frozenset({UnitKind.TOWNSHIP}),
    UnitKind.GRID: frozenset({UnitKind.VILLAGE}),
    UnitKind.BUILDING: frozenset({UnitKind.GRID, UnitKind.VILLAGE}),
}


class Unit(Audited, PublicModel):
    """A node of the tree. `path` is the materialised path of codes: ``/41/4108/410883/``."""

    SCOPE_PATH = "path"
    SCOPE_VIEW_PERM = PERM_VIEW
    # Set by territory.views.browse for display, not a column.
    household_count: int

    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices, db_index=True)
    code = models.CharField("编码", max_length=40, unique=True)
    stat_code = models.CharField("统计用区划代码", max_length=12, blank=True, db_index=True)
    name = models.CharField("规范名称", max_length=100)
    display_name = models.CharField("简称", max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField("层级", default=0)
    is_active = models.BooleanField("在用", default=True, db_index=True)
    retired_at = models.DateTimeField("撤销时间", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    sort_order = models.IntegerField("排序", default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = "区划单元"
        verbose_name_plural = "区划单元"
        ordering: ClassVar[list[str]] = ["path"]
        indexes: ClassVar[list[models.Index]] = [
            # Children listing in the tree browser: parent + active + order.
            models.Index(
                fields=["parent", "is_active", "sort_order"], name="territory_unit_children"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def audit_scope_path(self) -> str:
        return self.path

    @property
    def is_official(self) -> bool:
        """Imported from the statistical division data (not a grid or building staff made)."""
        return self.kind not in LOCAL_KINDS

    @property
    def path_codes(self) -> list[str]:
        """Codes from the root down to this unit, read from the materialised path."""
        return [p for p in self.path.split("/") if p]

    @property
    def county_code(self) -> str:
        """The county key every governed row can be distributed by (docs/scale.md)."""
        parts = [p for p in self.path.split("/") if p]
        return parts[2] if len(parts) > 2 else ""


class UnitChange(AppendOnlyModel):
    """Append-only history of a unit: created, renamed, moved, merged, retired, restored."""

    class Kind(models.TextChoices):
        CREATED = "created", "新建"
        RENAMED = "renamed", "更名"
        MOVED = "moved", "调整隶属"
        MERGED = "merged", "合并"
        RETIRED = "retired", "撤销"
        RESTORED = "restored", "恢复"
        IMPORTED = "imported", "导入"

    unit = models.ForeignKey(
        Unit, verbose_name="单元", on_delete=models.PROTECT, related_name="changes"
    )
    kind = models.CharField("变更", max_length=16, choices=Kind.choices)
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    before = models.JSONField("变更前", default=dict, blank=True)
    after = models.JSONField("变更后", default=dict, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "区划变更"
        verbose_name_plural = "区划变更"
        ordering: ClassVar[list[str]] = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()}"
