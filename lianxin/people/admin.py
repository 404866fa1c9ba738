"""Django admin: only the configuration catalog of the people app (the ledger classes)."""

from __future__ import annotations

from django.contrib import admin

from lianxin.people.models import VulnerabilityTag


@admin.register(VulnerabilityTag)
class VulnerabilityTagAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "default_visit_interval_days", "sort_order", "is_active")
    list_editable = ("default_visit_interval_days", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    ordering = ("sort_order", "id")
