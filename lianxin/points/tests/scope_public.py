"""The residents' URLs of points (namespace ``points_public``) are public by design.

What each reveals is bounded by its own key: a village code (published proposals and scores,
subjects by their masked public label), or the phone proven by a one-time code (cases'
`resident:login`; only that phone's households). lianxin/points/tests/test_public*.py prove those bounds: no head names
or phone digits on the boards, other households' statements 404, nothing without the
session."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase, register_public

PUBLIC = {
    "points_public:board": "积分公示栏 of a village: approved proposals on notice and recently "
    "booked ones, masked subjects, no phones or doors",
    "points_public:board_qr": "QR code (PNG) of a village's public notice board URL",
    "points_public:ranking": "积分榜 of a village: top scores with masked names",
    "points_public:object": "objection to a proposal on notice (POST, CSRF, rate-limited per "
    "client address); answers with the public board",
    "points_public:home": "households of the phone proven by a one-time code (session of "
    "resident:login); redirects to that login without it",
    "points_public:statement": "statement of one household of the session's phone; 404 for "
    "any other household",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)

SCOPE_CASES: list[ScopeCase] = []
