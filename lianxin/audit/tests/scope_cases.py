"""Scope cases for the audit URLs: events carry the territory path of the object they concern."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase, ScopeSetup


def event_list(world) -> ScopeSetup:  # noqa: ANN001
    from lianxin.audit.services import audit_record

    audit_record(
        action="other",
        object_type="test.marker",
        object_repr="迎秀网格巡查记录",
        scope_path=world.grid.path,
    )
    return ScopeSetup(marker="迎秀网格巡查记录")


SCOPE_CASES: list[ScopeCase] = [
    # other_street_staff holds audit.view in the other street: the case proves scope, not permission.
    ScopeCase(
        "audit:event_list", event_list, insider="village_secretary", outsider="other_street_staff"
    ),
]
