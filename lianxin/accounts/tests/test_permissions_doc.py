"""docs/permissions.md carries the generated permission table; it must match the code."""

from __future__ import annotations

import os
import re
from pathlib import Path

from lianxin.accounts.permissions import (
    PERM_LABELS,
    ROLE_PERMISSIONS,
    Role,
    render_permission_table,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
BLOCK = re.compile(
    r"(<!-- BEGIN permission-table \(generated\) -->\n)(.*?)(<!-- END permission-table -->)", re.S
)


def test_docs_permission_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, "docs/permissions.md lost its generated block markers"
    expected = render_permission_table()
    if match.group(2) != expected and os.environ.get("LIANXIN_REGENERATE_DOCS") == "1":
        DOC.write_text(text[: match.start(2)] + expected + text[match.end(2) :], encoding="utf-8")
        return
    assert match.group(2) == expected, (
        "docs/permissions.md is out of date with ROLE_PERMISSIONS; regenerate with "
        "LIANXIN_REGENERATE_DOCS=1 python -m pytest lianxin/accounts/tests/test_permissions_doc.py"
    )


def test_every_permission_has_a_label_and_every_role_a_row() -> None:
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted <= set(PERM_LABELS)
    assert set(ROLE_PERMISSIONS) == set(Role)
    table = render_permission_table()
    for role in Role:
        assert role.label in table
    # One row per permission, one tick per grant.
    assert table.count("✓") == sum(len(p) for p in ROLE_PERMISSIONS.values())
