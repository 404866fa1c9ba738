"""The residents' URLs (namespace ``resident``) are public by design: no account.

What each reveals is bounded by its own key (a private token, the phone found by lookup,
the phone proven by a one-time code, or the reporter's consent to publish);
lianxin/cases/tests/test_public*.py and test_resident_login.py prove those bounds (wrong
token 404, other requests' photos 404, hidden items absent, personal data masked)."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase, register_public

PUBLIC = {
    "resident:qr": "码上办 intake page of a building/grid/village QR code; shows only published "
    "open requests at the place",
    "resident:similar": "htmx partial: published open requests similar to the typed text",
    "resident:support": "附议 (POST, CSRF): adds support to a published open request",
    "resident:track": "private page behind the unguessable token given at submission",
    "resident:track_photo": "photos of the request behind the private token only",
    "resident:lookup": "tracking number + phone lookup (rate-limited, generic error)",
    "resident:mine": "requests of the phone proven by lookup, kept in the session",
    "resident:mine_case": "one request of the phone proven by lookup (session)",
    "resident:mine_photo": "photos of one request of the phone proven by lookup (session)",
    "resident:column": "楼院有话: published requests and answers, no personal data",
    "resident:column_submit": "楼院有话 submit form of a community",
    "resident:board": "成果清单: resolved requests not hidden by staff, no personal data",
    "resident:board_photo": "before/after photos of requests shown on the results board",
    "resident:login": "phone → one-time code (same answer for unknown phones; limited per "
    "phone and per client address); reveals only the session's own masked phone",
    "resident:login_verify": "phone + one-time code → session (5 tries per code)",
    "resident:logout": "closes the phone session (POST)",
}
for _name, _reason in PUBLIC.items():
    register_public(_name, _reason)

SCOPE_CASES: list[ScopeCase] = []
