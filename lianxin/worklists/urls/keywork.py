"""Routes of the keywork part under /worklists/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
