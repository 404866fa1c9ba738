"""Scope cases of the inspection pages (run by core's URL walk), and the factories the
test_inspections*.py modules use too.

The street (大定街道) inspects its villages: its staff are inside, another street's staff get
404 on its inspections and notices and lists without them. The inspected village's staff see
and report on their own notices; another village's staff do not.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.worklists.models import Inspection, Rectification
from lianxin.worklists.services import inspections as svc
from lianxin.worklists.workflow import quarter_key

STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
PROBLEMS = (
    ("meetings", "三会一课记录缺少第二季度支部委员会会议"),
    ("linkage", "党员联户走访记录不全"),
)


def photo(name: str = "evidence.jpg") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def pdf_file(name: str = "整改报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def inspection(
    w: Any,
    *,
    unit: Any = None,
    problems: tuple[tuple[str, str], ...] = PROBLEMS,
    notice: bool = True,
    quarter: str | None = None,
    on: dt.date | None = None,
    deadline: dt.date | None = None,
    persona: str = "street_staff",
) -> Inspection:
    """A check recorded by the street, with problems and (by default) the notice at once."""
    on = on or clock.today()
    return svc.inspection_record(
        actor=w.actor(persona),
        unit=unit or w.village,
        quarter=quarter or quarter_key(on),
        inspected_on=on,
        manual_complete=False,
        summary="查阅了工作手册和三会一课记录",
        problems=[svc.ProblemDraft(category=c, description=d) for c, d in problems],
        notice=svc.NoticeDraft(
            requirements="补齐会议记录，逐户补走访", deadline=deadline or on + dt.timedelta(days=30)
        )
        if notice
        else None,
    )


def notice(w: Any, **kw: Any) -> Rectification:
    return Rectification.objects.select_related("inspection__unit").get(
        inspection=inspection(w, **kw)
    )


def reported(w: Any, *, evidence: Any = None, **kw: Any) -> Rectification:
    rect = notice(w, **kw)
    return svc.rectification_report(
        actor=w.actor("village_staff"),
        rectification=rect,
        note="已补齐记录",
        evidence=evidence,
    )


# --- scope cases -----------------------------------------------------------------------------


def _list(w: Any) -> ScopeSetup:
    inspection(w)
    return ScopeSetup(marker="迎秀社区")


def _create(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="迎秀社区")


def _export(w: Any) -> ScopeSetup:
    inspection(w)
    return ScopeSetup()


def _rects(w: Any) -> ScopeSetup:
    rect = notice(w)
    return ScopeSetup(marker=rect.number)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": inspection(w).public_id}, marker="党员联户走访记录不全")


def _notice(w: Any) -> ScopeSetup:
    i = inspection(w, notice=False)
    deadline = clock.today() + dt.timedelta(days=20)
    return ScopeSetup(
        kwargs={"public_id": i.public_id},
        data={"requirements": "限期补齐记录", "deadline": deadline.isoformat()},
    )


def _report(w: Any) -> ScopeSetup:
    rect = notice(w)
    return ScopeSetup(
        kwargs={"public_id": rect.public_id},
        data={"note": "已补齐会议记录", "version": rect.version},
    )


def _review(w: Any) -> ScopeSetup:
    rect = reported(w)
    return ScopeSetup(
        kwargs={"public_id": rect.public_id}, data={"action": "verify", "version": rect.version}
    )


def _pdf(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": notice(w).public_id})


def _evidence(w: Any) -> ScopeSetup:
    rect = reported(w, evidence=photo())
    event = rect.events.exclude(evidence="").get()
    return ScopeSetup(
        kwargs={"public_id": rect.public_id, "name": event.evidence.name.rsplit("/", 1)[-1]}
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("worklists:inspection_list", _list, **STREET),
    ScopeCase("worklists:inspection_list", _list, **VILLAGE),
    ScopeCase("worklists:inspection_create", _create, **STREET),
    ScopeCase("worklists:inspection_export", _export, **STREET),
    ScopeCase("worklists:rectification_list", _rects, **STREET),
    ScopeCase("worklists:rectification_list", _rects, **VILLAGE),
    ScopeCase("worklists:rectification_export", _export, **STREET),
    ScopeCase("worklists:inspection_detail", _detail, **STREET),
    ScopeCase("worklists:inspection_detail", _detail, **VILLAGE),
    ScopeCase(
        "worklists:inspection_notice", _notice, method="post", expect_inside=(302,), **STREET
    ),
    ScopeCase(
        "worklists:rectification_report", _report, method="post", expect_inside=(302,), **VILLAGE
    ),
    ScopeCase(
        "worklists:rectification_review", _review, method="post", expect_inside=(302,), **STREET
    ),
    ScopeCase("worklists:rectification_pdf", _pdf, **STREET),
    ScopeCase("worklists:rectification_evidence", _evidence, **VILLAGE),
]
