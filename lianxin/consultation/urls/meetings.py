"""Routes of the meetings part: `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import meetings as v

staff: list[URLPattern] = [
    path("", v.meeting_list, name="meeting_list"),
    path("export.xlsx", v.meeting_export, name="meeting_export"),
    path("m/new/", v.meeting_create, name="meeting_create"),
    path("m/<uuid:public_id>/", v.meeting_detail, name="meeting_detail"),
    path("m/<uuid:public_id>/edit/", v.meeting_edit, name="meeting_edit"),
    path("m/<uuid:public_id>/cancel/", v.meeting_cancel, name="meeting_cancel"),
    path("m/<uuid:public_id>/do/<slug:action>/", v.meeting_action, name="meeting_action"),
    path("m/<uuid:public_id>/quorum/", v.meeting_quorum, name="meeting_quorum"),
    path("m/<uuid:public_id>/roll/", v.meeting_roll, name="meeting_roll"),
    path("m/<uuid:public_id>/screen/", v.meeting_screen, name="meeting_screen"),
    path("m/<uuid:public_id>/minutes/", v.meeting_minutes, name="meeting_minutes"),
    path("m/<uuid:public_id>/minutes.pdf", v.meeting_minutes_pdf, name="meeting_minutes_pdf"),
    path("venues/", v.venue_list, name="venue_list"),
    path("venues/new/", v.venue_create, name="venue_create"),
    path("venues/<uuid:public_id>/", v.venue_edit, name="venue_edit"),
    path("venues/<uuid:public_id>/deactivate/", v.venue_deactivate, name="venue_deactivate"),
    path("representatives/", v.representative_list, name="representative_list"),
    path("representatives/new/", v.representative_add, name="representative_add"),
    path("representatives/<uuid:public_id>/end/", v.representative_end, name="representative_end"),
    path("types/", v.meeting_type_list, name="meeting_type_list"),
    path("types/<slug:code>/", v.meeting_type_edit, name="meeting_type_edit"),
]
public: list[URLPattern] = [
    path("m/<uuid:public_id>/", v.meeting_public, name="meeting_public"),
]
