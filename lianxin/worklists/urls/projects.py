"""Routes of the projects part under /worklists/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
