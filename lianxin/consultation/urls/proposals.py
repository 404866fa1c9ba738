"""Routes of the proposals part: `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import proposals as v
from lianxin.consultation.views import public_home

staff: list[URLPattern] = [
    path("proposals/", v.proposal_list, name="proposal_list"),
    path("proposals/<uuid:public_id>/", v.proposal_detail, name="proposal_detail"),
    path("proposals/<uuid:public_id>/decline/", v.proposal_decline, name="proposal_decline"),
    path("proposals/<uuid:public_id>/schedule/", v.proposal_schedule, name="proposal_schedule"),
    path("figures/", v.figures, name="figures"),
]
public: list[URLPattern] = [
    path("v/<str:code>/", public_home.unit_home, name="unit_home"),
    path("v/<str:code>/proposals/new/", v.proposal_new, name="proposal_new"),
    path("pr/<uuid:public_id>/", v.proposal_public, name="proposal_public"),
    path("pr/<uuid:public_id>/support/", v.proposal_support, name="proposal_support"),
    path("pr/<uuid:public_id>/withdraw/", v.proposal_withdraw, name="proposal_withdraw"),
]
