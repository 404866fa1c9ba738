"""Scope cases of the pledges part (run by core's URL walk), and the factories that build a
pledge at each stage (test_pledges*.py use them too).

Staff pages: the village secretary (inside) and another village's staff (outside: 404 on a
pledge, the list without it). Residents' pages are public by design: they show published
pledges only, the secretary's name masked, and no evaluator.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianxin.consultation.models import Pledge, Representative
from lianxin.consultation.services import pledges as svc
from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public
from lianxin.core.testing import make_household, make_resident

YEAR = 2026
TITLES = ("修缮村东排水沟", "道路白变黑", "建设幸福院")


def at(month: int, day: int, year: int = YEAR) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 10, 0))


def photo(name: str = "evidence.jpg", *, exif: bool = False) -> SimpleUploadedFile:
    from PIL import Image

    image = Image.new("RGB", (40, 30), (200, 120, 40))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {2: (34.0, 54.0, 0.0)}  # GPSInfo: a latitude
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def draft(w: Any, titles: Sequence[str] = TITLES, *, year: int = YEAR) -> Pledge:
    with clock.travel(at(2, 1, year)):
        return svc.pledge_create(
            actor=w.actor("village_secretary"),
            unit=w.village,
            year=year,
            items=[svc.ItemDraft(title=t, measure=f"{t}，年内完成") for t in titles],
        )


def published(w: Any, **kw: Any) -> Pledge:
    pledge = draft(w, **kw)
    with clock.travel(at(2, 10, pledge.year)):
        return svc.pledge_publish(actor=w.actor("village_secretary"), pledge=pledge)


def reported(w: Any, *, evidence: bool = False, **kw: Any) -> Pledge:
    pledge = published(w, **kw)
    with clock.travel(at(7, 1, pledge.year)):
        for item in pledge.items.order_by("order"):
            svc.pledge_report(
                actor=w.actor("village_secretary"),
                item=item,
                stage="midyear",
                fulfilment="in_progress",
                note=f"{item.title}已开工",
                evidence=photo() if evidence else None,
            )
    pledge.refresh_from_db()
    return pledge


def evaluators(w: Any, reps: int = 2, members: int = 2) -> list[str]:
    """Representatives and full party members of the village; their elector keys."""
    from lianxin.party.tests.factories import make_member, make_org

    keys = []
    for i in range(reps):
        r = make_resident(make_household(w.grid), name=f"代表{i}")
        Representative.objects.create(unit=w.village, resident=r, term_start=dt.date(2024, 1, 1))
        keys.append(f"resident:{r.pk}")
    org = make_org(w.village)
    for i in range(members):
        keys.append(f"member:{make_member(org, name=f'党员{i}').pk}")
    return keys


def evaluating(w: Any, **kw: Any) -> Pledge:
    pledge = reported(w, **kw)
    with clock.travel(at(11, 5, pledge.year)):
        return svc.pledge_evaluation_open(actor=w.actor("street_staff"), pledge=pledge)


def evaluated(w: Any, scores: Sequence[int] = (90, 85), **kw: Any) -> Pledge:
    keys = evaluators(w)
    pledge = evaluating(w, **kw)
    with clock.travel(at(12, 1, pledge.year)):
        for key, score in zip(keys, scores, strict=False):
            svc.pledge_score(
                actor=w.actor("street_staff"), pledge=pledge, elector_key=key, score=score
            )
        return svc.pledge_evaluation_close(actor=w.actor("street_staff"), pledge=pledge)


# --- scope cases -----------------------------------------------------------------------------

SECRETARY = {"insider": "village_secretary", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
MARK = "修缮村东排水沟"


def _list(w: Any) -> ScopeSetup:
    draft(w)
    return ScopeSetup(marker="迎秀社区", query={"year": str(YEAR)})


def _create(w: Any) -> ScopeSetup:
    # Only a village's secretary gets the form; anyone else reads why not.
    return ScopeSetup(marker="建立草稿")


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": draft(w).public_id}, marker=MARK)


def _act(w: Any) -> ScopeSetup:
    p = draft(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id}, data={"action": "publish", "version": p.version}
    )


def _item_add(w: Any) -> ScopeSetup:
    p = draft(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id}, data={"title": "安装路灯", "version": p.version}
    )


def _item_edit(w: Any) -> ScopeSetup:
    p = draft(w)
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "number": 1},
        data={"op": "save", "i1-title": "修缮排水沟（东段）", "i1-version": p.version},
    )


def _item_report(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": published(w).public_id, "number": 1}, marker=MARK)


def _scores(w: Any) -> ScopeSetup:
    evaluators(w)
    return ScopeSetup(kwargs={"public_id": evaluating(w).public_id}, marker="代表0")


def _evidence(w: Any) -> ScopeSetup:
    p = reported(w, evidence=True)
    report = p.items.get(order=1).reports.get()
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "name": report.evidence.name.rsplit("/", 1)[-1]}
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("consultation:pledge_list", _list, **SECRETARY),
    ScopeCase("consultation:pledge_list", _list, **STREET),
    ScopeCase("consultation:pledge_create", _create, **SECRETARY),
    ScopeCase(
        "consultation:pledge_create",
        _create,
        insider="village_secretary",
        outsider="street_staff",
        note="the street organises the evaluation but does not draft a secretary's pledges",
    ),
    ScopeCase("consultation:pledge_detail", _detail, **SECRETARY),
    ScopeCase("consultation:pledge_detail", _detail, **STREET),
    ScopeCase("consultation:pledge_act", _act, method="post", expect_inside=(302,), **SECRETARY),
    ScopeCase(
        "consultation:pledge_item_add", _item_add, method="post", expect_inside=(302,), **SECRETARY
    ),
    ScopeCase(
        "consultation:pledge_item_edit",
        _item_edit,
        method="post",
        expect_inside=(302,),
        **SECRETARY,
    ),
    ScopeCase("consultation:pledge_item_report", _item_report, **SECRETARY),
    ScopeCase("consultation:pledge_scores", _scores, **STREET),
    ScopeCase("consultation:pledge_evidence", _evidence, **SECRETARY),
]

register_public(
    "consultation_public:pledge_public",
    "residents' page of a village's published pledges (三诺): drafts never, secretary's name "
    "masked, evaluation as average and count without evaluators",
)
register_public(
    "consultation_public:pledge_public_evidence",
    "evidence photo of a published pledge report (EXIF removed on upload), by a random name",
)
