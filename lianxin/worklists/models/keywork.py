"""The key-work list (重点工作推进清单): per unit (or county task force) per month, at most six
open items; a done item leaves the list and frees its place for a new one.

The bound holds under concurrency through `slot`: an open item takes one of the slots 1–6,
and a partial unique index allows each slot once among a list's open items, so a seventh
open item cannot be stored even when two staff add at the same moment."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager
from lianxin.worklists import workflow as wf


class KeyWorkItem(Audited, PublicModel):
    SCOPE_PATH = "owner__path"
    SCOPE_VIEW_PERM = wf.VIEW

    class Status(models.TextChoices):
        OPEN = "open", "推进中"
        DONE = "done", "已完成"
        DROPPED = "dropped", "已移出"

    owner = models.ForeignKey(
        "territory.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+"
    )
    task_force = models.ForeignKey(
        "stars.TaskForce",
        verbose_name="专班",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # ``u<unit id>`` or ``t<task force id>``: one list per owner (NULL-free, so the unique
    # index below holds on both databases).
    list_key = models.CharField("清单", max_length=24)
    month = models.CharField("月份", max_length=7, help_text="YYYY-MM")
    slot = models.PositiveSmallIntegerField(
        "位置", validators=[MinValueValidator(1), MaxValueValidator(wf.KEYWORK_MAX)]
    )
    title = models.CharField("事项", max_length=120)
    detail = models.TextField("推进要求", blank=True)
    responsible = models.CharField("责任人", max_length=60)
    due_on = models.DateField("完成时限")
    star_code = models.SlugField("关联星", max_length=30, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField("完成日期", null=True, blank=True)
    result = models.CharField("完成情况", max_length=300, blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name="上月延续",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager()

    class Meta:
        verbose_name = "重点工作"
        verbose_name_plural = "重点工作推进清单"
        ordering: ClassVar[list[str]] = ["-month", "list_key", "status", "slot"]
        indexes: ClassVar[list[models.Index]] = [
            # A list's month (the list page: list_key and month) and every list's counts of
            # a month (the creation office's overview, the figures' months).
            models.Index(fields=["month", "list_key"], name="worklists_keywork_month"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # At most KEYWORK_MAX open items per list and month: each slot once.
            models.UniqueConstraint(
                fields=["list_key", "month", "slot"],
                condition=Q(status="open"),
                name="worklists_keywork_open_slot",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_scope_path(self) -> str:
        return self.owner.path


class KeyWorkEvent(AppendOnlyModel):
    """What happened to an item: added, updated, done, dropped, carried over."""

    SCOPE_PATH = "item__owner__path"
    SCOPE_VIEW_PERM = wf.VIEW

    item = models.ForeignKey(
        KeyWorkItem, verbose_name="事项", on_delete=models.PROTECT, related_name="events"
    )
    action = models.CharField("动作", max_length=12)
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间")

    objects = ScopedManager()

    class Meta:
        verbose_name = "清单记录"
        verbose_name_plural = "清单记录"
        ordering: ClassVar[list[str]] = ["item", "at", "id"]

    def __str__(self) -> str:
        return f"{self.item} {self.action}"
