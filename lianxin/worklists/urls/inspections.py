"""Routes of the inspections part under /worklists/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
