"""Residents' pages of consultation under /c/ (namespace `consultation_public`): no account
needed; what a resident does (propose, support, sign in, vote) needs the phone session."""

from lianxin.consultation.urls import decisions, matters, meetings, pledges, proposals, votes

app_name = "consultation_public"

urlpatterns = [
    *meetings.public,
    *votes.public,
    *matters.public,
    *decisions.public,
    *pledges.public,
    *proposals.public,
]
