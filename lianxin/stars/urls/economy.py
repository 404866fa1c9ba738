"""Routes of the economy part: `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import economy as v

staff: list[URLPattern] = [
    path("income/", v.income_list, name="income_list"),
    path("income/export/", v.income_export, name="income_export"),
    path("income/units/<uuid:unit_id>/", v.income_unit, name="income_unit"),
    path("income/units/<uuid:unit_id>/record/", v.income_record, name="income_record"),
]
public: list[URLPattern] = []
