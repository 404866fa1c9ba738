"""Households, residents and the livelihood ledger (民生台账)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager


class Household(Audited, PublicModel):
    """A household hangs on a building, or on a grid/village where buildings are not used."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = "people.view"
    # Set on some instances by the code that loads them, not columns: the number of active
    # residents (list annotations, exports) and the residents (API household detail).
    resident_count: int
    residents_list: list[Resident]

    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="所在楼栋/网格",
        on_delete=models.PROTECT,
        related_name="households",
    )
    number = models.CharField("户号", max_length=40, blank=True)
    address = models.CharField("门牌（单元/室）", max_length=120)
    head_name = models.CharField("户主姓名", max_length=50, blank=True)
    residence_type = models.CharField(
        "居住类型",
        max_length=12,
        blank=True,
        choices=[("owner", "自有住房"), ("tenant", "租住"), ("other", "其他")],
    )
    note = models.CharField("备注", max_length=300, blank=True)
    is_active = models.BooleanField("在册", default=True, db_index=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)
    moved_out_reason = models.CharField("迁出原因", max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering: ClassVar[list[str]] = ["unit__path", "address", "id"]
        indexes: ClassVar[list[models.Index]] = [
            # Finding a household by its door in a building: imports (reuse or create) and the
            # duplicate-address check of household_create.
            models.Index(fields=["unit", "address"], name="people_household_unit_addr"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.display_name} {self.address}"

    def audit_scope_path(self) -> str:
        return self.unit.path


class Resident(Audited, PublicModel):
    """A person. ID number and phone are stored encrypted, digested and masked (core.crypto)."""

    SCOPE_PATH = "household__unit__path"
    SCOPE_VIEW_PERM = "people.view"
    AUDIT_SECRET_FIELDS = frozenset(
        {"id_number_cipher", "id_number_digest", "phone_cipher", "phone_digest"}
    )

    class Sex(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField("姓名", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    relation = models.CharField("与户主关系", max_length=20, blank=True)
    id_number_cipher = models.TextField("身份证号（密文）", blank=True)
    id_number_digest = models.CharField("身份证号摘要", max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号", max_length=24, blank=True)
    phone_cipher = models.TextField("手机号（密文）", blank=True)
    phone_digest = models.CharField("手机号摘要", max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    is_active = models.BooleanField("在册", default=True, db_index=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering: ClassVar[list[str]] = ["household_id", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # One person, one record: the ID digest is unique where present.
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=~Q(id_number_digest=""),
                name="people_resident_unique_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.household.unit.path

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class VulnerabilityTag(models.Model):
    """A class of the livelihood ledger (configurable catalog with defaults)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    default_visit_interval_days = models.PositiveSmallIntegerField("默认走访周期（天）", default=30)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "民生台账类别"
        verbose_name_plural = "民生台账类别"
        ordering: ClassVar[list[str]] = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class LedgerEntry(Audited, PublicModel):
    """A resident registered in the livelihood ledger under a tag, with helper and schedule."""

    SCOPE_PATH = "resident__household__unit__path"
    SCOPE_VIEW_PERM = "ledger.view"

    resident = models.ForeignKey(
        Resident, verbose_name="居民", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    tag = models.ForeignKey(VulnerabilityTag, verbose_name="类别", on_delete=models.PROTECT)
    helper_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮扶人（工作人员）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helped_entries",
    )
    # A party member helper is recorded through the member's own resident record.
    helper_resident = models.ForeignKey(
        Resident,
        verbose_name="帮扶人（党员/居民）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helping_entries",
    )
    visit_interval_days = models.PositiveSmallIntegerField("走访周期（天）", default=30)
    started_on = models.DateField("登记日期")
    last_visit_on = models.DateField("最近走访", null=True, blank=True)
    next_visit_due = models.DateField("下次走访截止", db_index=True)
    note = models.CharField("情况说明", max_length=300, blank=True)
    is_active = models.BooleanField("在册", default=True, db_index=True)
    ended_on = models.DateField("销号日期", null=True, blank=True)
    end_reason = models.CharField("销号原因", max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "民生台账"
        verbose_name_plural = "民生台账"
        ordering: ClassVar[list[str]] = ["next_visit_due", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["resident", "tag"],
                condition=Q(is_active=True),
                name="people_ledger_one_active_per_tag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.tag}"

    def audit_scope_path(self) -> str:
        return self.resident.household.unit.path

    @property
    def helper_label(self) -> str:
        if self.helper_user_id:
            return str(self.helper_user)
        if self.helper_resident_id:
            return str(self.helper_resident)
        return ""


class Visit(AppendOnlyModel, Audited, PublicModel):
    """One visit to a ledger resident: what was found and what was done. Never edited."""

    SCOPE_PATH = "entry__resident__household__unit__path"
    SCOPE_VIEW_PERM = "ledger.view"

    entry = models.ForeignKey(
        LedgerEntry, verbose_name="台账", on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField("走访日期")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="走访人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found = models.TextField("发现情况")
    done = models.TextField("处理情况", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering: ClassVar[list[str]] = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.entry} {self.visited_on}"

    def audit_scope_path(self) -> str:
        return self.entry.resident.household.unit.path


class VisitPhoto(models.Model):
    visit = models.ForeignKey(
        Visit, verbose_name="走访", on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField("照片", upload_to="visits/%Y/%m/")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "走访照片"
        verbose_name_plural = "走访照片"

    def __str__(self) -> str:
        return self.image.name


class ImportJob(PublicModel):
    """One Excel import: the kept (encrypted) file, its progress and every rejected row.

    Not `Audited`: progress is written many times while the job runs; the import itself lands
    in the audit trail once, as a summary (`audit_record(action=IMPORT)`), when it finishes.
    """

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = "people.import"

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "全部正确才导入"
        VALID_ONLY = "valid_only", "只导入正确的行"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        VALIDATING = "validating", "校验中"
        WRITING = "writing", "写入中"
        DONE = "done", "已完成"
        REJECTED = "rejected", "有错误，未导入"
        FAILED = "failed", "失败"

    FINISHED = frozenset({Status.DONE, Status.REJECTED, Status.FAILED})

    kind = models.CharField("导入类型", max_length=20)
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="导入到",
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    mode = models.CharField(
        "导入方式", max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    # The user's file, kept for review; encrypted at rest because it holds ID numbers and phones.
    file = models.FileField("上传文件", upload_to="imports/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_done = models.PositiveIntegerField("已校验行数", default=0)
    rows_valid = models.PositiveIntegerField("正确行数", default=0)
    rows_invalid = models.PositiveIntegerField("错误行数", default=0)
    rows_written = models.PositiveIntegerField("已导入行数", default=0)
    # [{"row": 7, "column": "身份证号", "reason": "身份证号校验位错误"}, ...]; never cell values.
    errors = models.JSONField("错误明细", default=list, blank=True)
    summary = models.JSONField("结果", default=dict, blank=True)
    message = models.CharField("说明", max_length=300, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def kind_label(self) -> str:
        from lianxin.people.imports import get_importer

        importer = get_importer(self.kind)
        return importer.label if importer else self.kind

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
