"""The work lists' tab strip (三张清单), on every page under /worklists/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lianxin.core.sections import section_tabs
from lianxin.worklists import workflow as wf

SECTION: list[tuple[str, str, str]] = [
    (wf.VIEW, "worklists:keywork", "重点工作清单"),
    (wf.VIEW, "worklists:project_list", "项目清单"),
    (wf.TRAINING, "worklists:survey_list", "培训清单"),
    (wf.VIEW, "worklists:inspection_list", "手册检查与整改"),
    (wf.VIEW, "worklists:bulletin", "周通报"),
    (wf.VIEW, "worklists:schedule", "月调度"),
]


def worklists_section(request: HttpRequest) -> dict[str, Any]:
    """`worklists_section`: the tabs of the section, on its pages only."""
    tabs = section_tabs(request, "/worklists/", SECTION)
    return {"worklists_section": tabs} if tabs is not None else {}
