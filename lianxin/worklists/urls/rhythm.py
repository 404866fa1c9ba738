"""Routes of the rhythm part under /worklists/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
