"""Routes of the training part under /worklists/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
