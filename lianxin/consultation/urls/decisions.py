"""Routes of the decisions part: `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern

staff: list[URLPattern] = []
public: list[URLPattern] = []
