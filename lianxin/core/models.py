"""Base models shared by every domain app."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class PublicModel(TimeStampedModel):
    """A row reachable from a URL: URLs carry `public_id`, never the sequential primary key."""

    public_id = models.UUIDField("公开编号", default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class AppendOnlyModel(models.Model):
    """History rows (DESIGN.md invariant 2): written once, never updated or deleted.

    A correction is a new row. The audit table is also guarded by database triggers.
    """

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{self._meta.label} rows are append-only")


class CalendarDay(TimeStampedModel):
    """An exception to the weekly rhythm of the working calendar (core.calendar): a public
    holiday on a weekday (is_workday=False) or a make-up working day on a weekend (调休,
    is_workday=True). Days not listed follow Monday–Friday."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("说明", max_length=40, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["day"]  # noqa: RUF012

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.is_workday else '休息'} {self.name}"
