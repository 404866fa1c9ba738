"""Routes of the declarations part: `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
public: list[URLPattern] = []
