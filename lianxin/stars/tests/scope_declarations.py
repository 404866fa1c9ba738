"""Scope cases of the declarations part (星级申报, 公示), run by core's URL walk, and the helpers
that bring declarations to any state through the real services (tests/test_declarations*.py,
test_reviews*.py and test_notices*.py use them too).

The public notice page and its PDF are public by design: a notice is the document posted on
the boards for everyone; it names villages and stars, never a person.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public
from lianxin.stars import workflow as wf
from lianxin.stars.models import Declaration, DeclarationEntry, Objection, PublicNotice
from lianxin.stars.services import declarations as decl
from lianxin.stars.services import notices, reviews
from lianxin.stars.services.catalog import settings_ensure

register_public(
    "stars_public:notice_public",
    "the public notice (公示) of a township's proposed stars: villages × stars, the period, "
    "how to object; it is posted on boards for everyone and names no person",
)
register_public(
    "stars_public:notice_public_pdf", "the printable public notice (same content as the page)"
)

PDF_BYTES = b"%PDF-1.4\n% lianxin test evidence\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
CONTACT = "0391-8123456"


def year() -> int:
    return clock.today().year


def pdf_upload(name: str = "记录.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def photo_upload(name: str = "现场.jpg") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def declare(
    w: Any,
    codes: tuple[str, ...] = ("branch",),
    *,
    progress: bool = False,
    unit: Any = None,
    by: str = "village_staff",
) -> list[Declaration]:
    settings_ensure(county=w.county, year=year())
    return decl.declarations_create(
        actor=w.actor(by),
        unit=unit or w.village,
        year=year(),
        star_codes=codes,
        progress=progress,
    )


def entries(d: Declaration) -> list[DeclarationEntry]:
    return list(
        DeclarationEntry.objects.filter(declaration=d, round=d.round)
        .select_related("standard")
        .order_by("standard__sort_order", "id")
    )


def fill(w: Any, d: Declaration, *, by: str = "village_staff", evidence: bool = True) -> None:
    """Every standard filled: manual at its pass score, an evidence PDF where needed (or
    everywhere), a claim each; a progress star's statement and evidence."""
    inputs = []
    for e in entries(d):
        std = e.standard
        if std is None:
            inputs.append(
                decl.EntryInput(
                    None, claim="集体收入增长三成，新建文化广场。", evidence=pdf_upload()
                )
            )
            continue
        inputs.append(
            decl.EntryInput(
                std.pk,
                self_score=std.pass_score if std.kind == wf.MANUAL else None,
                claim=f"{std.name}：已达标",
                evidence=pdf_upload() if evidence and std.kind == wf.EVIDENCE else None,
            )
        )
    decl.declaration_fill(actor=w.actor(by), declaration=d, entries=inputs)


def submitted(w: Any, d: Declaration, *, by: str = "village_staff") -> Declaration:
    fill(w, d, by=by)
    d.refresh_from_db()
    return decl.declaration_submit(actor=w.actor(by), declaration=d)


def passing_scores(d: Declaration) -> list[reviews.ScoreInput]:
    """A judgement that meets every standard of the round under review."""
    out = []
    for std in reviews.review_standards(d):
        if std.kind == wf.MANUAL:
            out.append(reviews.ScoreInput(std.pk, score=std.max_score, comment="扎实"))
        else:
            out.append(reviews.ScoreInput(std.pk, passed=True))
    return out


def township_passed(w: Any, d: Declaration, *, by: str = "street_staff") -> Declaration:
    d.refresh_from_db()
    return reviews.township_review(
        actor=w.actor(by), declaration=d, decision=reviews.PASS, scores=passing_scores(d)
    )


def approved(w: Any, d: Declaration, *, by: str = "org_department") -> Declaration:
    d.refresh_from_db()
    return reviews.county_review(actor=w.actor(by), declaration=d, decision=reviews.PASS)


def to_approved(w: Any, d: Declaration) -> Declaration:
    return approved(w, township_passed(w, submitted(w, d)))


def published(w: Any, codes: tuple[str, ...] = ("branch",), **kw: Any) -> PublicNotice:
    """Declarations of the world's village for `codes`, approved and published (starting
    today) in the street's notice."""
    for d in declare(w, codes, **kw):
        to_approved(w, d)
    return notices.notice_publish(
        actor=w.actor("org_department"),
        township=w.street,
        year=year(),
        contact=CONTACT,
        starts_on=clock.today(),
    )


def objection(w: Any, notice: PublicNotice, *, by: str = "street_staff") -> Objection:
    d = Declaration.objects.filter(notice=notice).select_related("unit", "notice").first()
    assert d is not None
    return notices.objection_record(
        actor=w.actor(by),
        declaration=d,
        channel=Objection.Channel.PHONE,
        received_on=clock.today(),
        content="反映该村会议记录不全。",
    )


def after(notice: PublicNotice, days: int = 1) -> dt.datetime:
    """A moment `days` after the notice's last day (for clock.travel)."""
    at = dt.datetime.combine(notice.ends_on + dt.timedelta(days=days), dt.time(10, 0))
    return at.replace(tzinfo=dt.UTC)


def other_county_org(w: Any) -> str:
    """A task force member of another county (沁阳市), as an outsider persona."""
    from lianxin.accounts.permissions import Role
    from lianxin.core.testing import make_unit, make_user

    county = make_unit("county", "410882", "沁阳市", w.city)
    w.users["other_county_org"] = make_user("other_county_org", Role.ORG_DEPARTMENT, county)
    return "other_county_org"


# --- scope cases -----------------------------------------------------------------------------

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
MARK = "迎秀社区"


def _listed(w: Any) -> ScopeSetup:
    declare(w)
    return ScopeSetup(marker=MARK)


def _export(w: Any) -> ScopeSetup:
    declare(w)
    return ScopeSetup()


def _create(w: Any) -> ScopeSetup:
    # The form offers the insider's village only.
    return ScopeSetup(marker=MARK)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": declare(w)[0].public_id})


def _review(w: Any) -> ScopeSetup:
    d = submitted(w, declare(w)[0])
    return ScopeSetup(kwargs={"public_id": d.public_id, "stage": wf.STAGE_TOWNSHIP})


def _county_review(w: Any) -> ScopeSetup:
    other_county_org(w)
    d = township_passed(w, submitted(w, declare(w)[0]))
    return ScopeSetup(kwargs={"public_id": d.public_id, "stage": wf.STAGE_COUNTY})


def _evidence(w: Any) -> ScopeSetup:
    d = declare(w)[0]
    fill(w, d)
    e = DeclarationEntry.objects.filter(declaration=d).exclude(evidence="").first()
    assert e is not None
    return ScopeSetup(kwargs={"public_id": d.public_id, "entry_id": e.public_id})


def _submit(w: Any) -> ScopeSetup:
    d = declare(w)[0]
    fill(w, d)
    d.refresh_from_db()
    return ScopeSetup(
        kwargs={"public_id": d.public_id, "action": "submit"},
        data={"submit-version": str(d.version)},
    )


def _notices(w: Any) -> ScopeSetup:
    published(w)
    return ScopeSetup(marker="大定街道")


def _publish(w: Any) -> ScopeSetup:
    other_county_org(w)
    to_approved(w, declare(w)[0])
    return ScopeSetup(marker="大定街道")


def _notice(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": published(w).public_id})


def _object(w: Any) -> ScopeSetup:
    notice = published(w)
    d = Declaration.objects.get(notice=notice)
    return ScopeSetup(
        kwargs={"public_id": notice.public_id, "action": "object"},
        data={
            "object-declaration": str(d.public_id),
            "object-channel": "phone",
            "object-received_on": clock.today().isoformat(),
            "object-content": "反映会议记录不全",
        },
    )


def _answer(w: Any) -> ScopeSetup:
    o = objection(w, published(w))
    return ScopeSetup(
        kwargs={"public_id": o.public_id},
        data={f"a{o.pk}-upheld": "no", f"a{o.pk}-answer": "经核查，会议记录齐全。"},
    )


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:declaration_list", _listed, **VILLAGE),
    ScopeCase("stars:declaration_list", _listed, **STREET),
    ScopeCase("stars:declaration_export", _export, **VILLAGE),
    ScopeCase("stars:declaration_create", _create, **VILLAGE),
    ScopeCase("stars:declaration_detail", _detail, **VILLAGE),
    ScopeCase("stars:declaration_detail", _detail, **STREET),
    ScopeCase("stars:declaration_edit", _detail, **VILLAGE),
    ScopeCase("stars:declaration_review", _review, **STREET),
    ScopeCase(
        "stars:declaration_review",
        _county_review,
        insider="org_department",
        outsider="other_county_org",
    ),
    ScopeCase("stars:declaration_evidence", _evidence, **VILLAGE),
    ScopeCase("stars:declaration_act", _submit, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("stars:notice_list", _notices, **VILLAGE),
    ScopeCase("stars:notice_list", _notices, **STREET),
    ScopeCase(
        "stars:notice_publish", _publish, insider="org_department", outsider="other_county_org"
    ),
    ScopeCase("stars:notice_detail", _notice, **VILLAGE),
    ScopeCase("stars:notice_detail", _notice, **STREET),
    ScopeCase("stars:notice_pdf", _notice, **VILLAGE),
    ScopeCase("stars:notice_act", _object, method="post", expect_inside=(302,), **STREET),
    ScopeCase("stars:objection_answer", _answer, method="post", expect_inside=(302,), **STREET),
]
