"""Base models shared by every domain app."""

from __future__ import annotations

import uuid

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
