"""Staff pages of consultation under /consultation/ (namespace `consultation`); each part of
the app keeps its routes in its own module here (`staff` list)."""

from lianxin.consultation.urls import decisions, matters, meetings, pledges, proposals, votes

app_name = "consultation"

urlpatterns = [
    *meetings.staff,
    *votes.staff,
    *matters.staff,
    *decisions.staff,
    *pledges.staff,
    *proposals.staff,
]
