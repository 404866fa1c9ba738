"""Routes of the assessments part (日常考核): `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import assessments as v

staff: list[URLPattern] = [
    path("assessments/", v.assessment_list, name="assessment_list"),
    path("assessments/new/", v.assessment_create, name="assessment_create"),
    path("assessments/export/", v.assessment_export, name="assessment_export"),
    path("assessments/year/", v.assessment_year, name="assessment_year"),
    path("assessments/year/export/", v.assessment_year_export, name="assessment_year_export"),
    path("assessments/<uuid:public_id>/", v.assessment_detail, name="assessment_detail"),
]
public: list[URLPattern] = []
