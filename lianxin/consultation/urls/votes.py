"""Routes of the votes part: `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import votes as v

staff: list[URLPattern] = [
    path("m/<uuid:public_id>/items/new/", v.item_add, name="item_add"),
    path("i/<uuid:public_id>/", v.item_detail, name="item_detail"),
    path("i/<uuid:public_id>/open/", v.item_vote_open, name="item_vote_open"),
    path("i/<uuid:public_id>/roll/", v.item_roll, name="item_roll"),
    path("i/<uuid:public_id>/ballot/", v.item_ballot, name="item_ballot"),
    path("i/<uuid:public_id>/links/", v.item_links_send, name="item_links_send"),
    path("i/<uuid:public_id>/close/", v.item_vote_close, name="item_vote_close"),
    path("i/<uuid:public_id>/conclude/", v.item_conclude, name="item_conclude"),
]
public: list[URLPattern] = [
    path("m/<uuid:public_id>/signin/", v.meeting_signin, name="meeting_signin"),
    path("vote/<str:token>/", v.vote_link, name="vote_link"),
    path("i/<uuid:public_id>/vote/", v.item_vote, name="item_vote"),
]
