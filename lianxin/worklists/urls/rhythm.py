"""Routes of the rhythm part (周通报、月调度) under /worklists/."""

from django.urls import URLPattern, path

from lianxin.worklists.views import rhythm as v

staff: list[URLPattern] = [
    path("bulletin/", v.bulletin, name="bulletin"),
    path("bulletin.pdf", v.bulletin_pdf, name="bulletin_pdf"),
    path("schedule/", v.schedule, name="schedule"),
    path("schedule.pdf", v.schedule_pdf, name="schedule_pdf"),
]
