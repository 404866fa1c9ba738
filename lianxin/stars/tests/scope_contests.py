"""Scope cases of the contests part (三次大比武, run by core's URL walk), and the factories
that build a round at each stage (test_contests*.py use them too).

Heats belong to their township: 大定街道's staff run theirs, 会昌街道's staff never see it (404,
lists without it). A village sees the contests it has an entry in, with its own entry only:
迎秀社区 reads its entry and material, 西关社区 (another township) gets 404.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_unit, make_user
from lianxin.stars.models import Contest, ContestEntry
from lianxin.stars.services import contests as svc

# The current year: the services accept last year to next year, and the pages run on the
# real clock.
YEAR = clock.today().year
HELD = dt.date(YEAR, 2, 20)


def pdf(name: str = "思路.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def photo(name: str = "展示.jpg") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def opened(w: Any, round_: str = "ideas", held_on: dt.date = HELD) -> list[Contest]:
    """The county opens a round: one heat per township (大定街道, 会昌街道)."""
    return svc.contest_round_open(
        actor=w.actor("org_department"),
        county=w.county,
        year=YEAR,
        round=round_,
        held_on=held_on,
        place="镇党群服务中心",
    )


def heat(w: Any, round_: str = "ideas", township: Any = None) -> Contest:
    """大定街道's heat of the round (the round opened if need be)."""
    township = township or w.street
    found = Contest.objects.filter(host=township, year=YEAR, round=round_).first()
    if found is None:
        opened(w, round_)
        found = Contest.objects.get(host=township, year=YEAR, round=round_)
    return found


def villages(w: Any, n: int, township: Any = None) -> list[Any]:
    """`n` more villages under a township (大定街道 by default)."""
    township = township or w.street
    base = township.children.count() + 10
    return [
        make_unit(
            "village",
            f"{township.code}{base + i:03d}",
            f"测试{base + i}村民委员会",
            township,
            display_name=f"测试{base + i}村",
        )
        for i in range(n)
    ]


def entered(
    w: Any,
    units: Sequence[Any] = (),
    *,
    material: Any = None,
    round_: str = "ideas",
) -> list[ContestEntry]:
    """Entries of 大定街道's heat: 迎秀社区 plus `units`, registered by the township."""
    contest = heat(w, round_)
    drafts = [
        svc.EntryDraft(
            unit=u,
            presenter=f"{u.display_name}书记",
            title=f"{u.display_name}创建思路",
            material=material if i == 0 else None,
        )
        for i, u in enumerate([w.village, *units])
    ]
    return svc.contest_entries_register(
        actor=w.actor("street_staff"), contest=contest, drafts=drafts
    )


def scoring(w: Any, units: Sequence[Any] = (), **kw: Any) -> list[ContestEntry]:
    entries = entered(w, units, **kw)
    svc.contest_scoring_start(actor=w.actor("street_staff"), contest=entries[0].contest)
    return entries


def judge(w: Any, n: int) -> Any:
    """Another judge of 大定街道 (a township staff member)."""
    from lianxin.accounts.actor import Actor
    from lianxin.accounts.permissions import Role

    user = make_user(f"judge{n}", Role.STREET_STAFF, w.street, full_name=f"评委{n}")
    return Actor.for_user(user)


def score_all(
    w: Any, entries: Sequence[ContestEntry], table: Sequence[Sequence[int | str]]
) -> None:
    """Judge i gives entries their scores from row i of `table`."""
    for i, row in enumerate(table):
        actor = w.actor("street_staff") if i == 0 else judge(w, i)
        for entry, value in zip(entries, row, strict=True):
            svc.contest_score(actor=actor, entry=entry, score=Decimal(str(value)))


def closed(
    w: Any,
    units: Sequence[Any] = (),
    table: Sequence[Sequence[int | str]] | None = None,
    **kw: Any,
) -> list[ContestEntry]:
    entries = scoring(w, units, **kw)
    score_all(w, entries, table or [[90 - 5 * i for i in range(len(entries))]])
    svc.contest_close(actor=w.actor("street_staff"), contest=entries[0].contest)
    for e in entries:
        e.refresh_from_db()
    return entries


# --- scope cases -----------------------------------------------------------------------------

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
COUNTY = {"insider": "org_department", "outsider": "street_staff"}
MARK = "大定街道创建思路"


def _list(w: Any) -> ScopeSetup:
    entered(w)
    return ScopeSetup(marker=MARK, query={"year": str(YEAR)})


def _form(w: Any) -> ScopeSetup:
    # Only the county opens rounds and finals; a township reads why not.
    return ScopeSetup(marker="比武日期", query={"year": str(YEAR)})


def _rankings(w: Any) -> ScopeSetup:
    closed(w)
    return ScopeSetup(marker="迎秀社区", query={"year": str(YEAR), "round": "ideas"})


def _export(w: Any) -> ScopeSetup:
    # Exports are files: both get 200; the rows' scope is proven in test_contests_pages.
    closed(w)
    return ScopeSetup(query={"year": str(YEAR), "round": "ideas"})


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": entered(w)[0].contest.public_id}, marker="迎秀社区")


def _edit(w: Any) -> ScopeSetup:
    c = heat(w)
    return ScopeSetup(
        kwargs={"public_id": c.public_id},
        data={"held_on": HELD.isoformat(), "place": "大定街道党群服务中心", "version": c.version},
    )


def _act(w: Any) -> ScopeSetup:
    c = entered(w)[0].contest
    return ScopeSetup(
        kwargs={"public_id": c.public_id}, data={"action": "scoring_start", "version": c.version}
    )


def _register(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": heat(w).public_id}, marker="迎秀社区")


def _entry(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": entered(w)[0].public_id}, marker="迎秀社区书记")


def _entry_edit(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"public_id": entered(w)[0].public_id},
        data={"presenter": "王书记", "title": "迎秀社区创建思路（修改）"},
    )


def _withdraw(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": entered(w)[0].public_id})


def _score(w: Any) -> ScopeSetup:
    return ScopeSetup(
        kwargs={"public_id": scoring(w)[0].public_id}, data={"score": "88.5", "comment": "思路清晰"}
    )


def _material(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": entered(w, material=pdf())[0].public_id})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:contest_list", _list, **VILLAGE),
    ScopeCase("stars:contest_list", _list, **STREET),
    ScopeCase("stars:contest_open", _form, **COUNTY),
    ScopeCase("stars:contest_final_create", _form, **COUNTY),
    ScopeCase("stars:contest_rankings", _rankings, **VILLAGE),
    ScopeCase("stars:contest_rankings", _rankings, **STREET),
    ScopeCase("stars:contest_rankings_export", _export, **STREET),
    ScopeCase("stars:contest_detail", _detail, **VILLAGE),
    ScopeCase("stars:contest_detail", _detail, **STREET),
    ScopeCase("stars:contest_edit", _edit, method="post", expect_inside=(302,), **STREET),
    ScopeCase("stars:contest_act", _act, method="post", expect_inside=(302,), **STREET),
    ScopeCase("stars:contest_register", _register, **STREET),
    ScopeCase(
        "stars:contest_register",
        _register,
        insider="street_staff",
        outsider="village_staff",
        note="a village sees its heat but registration is the township's",
    ),
    ScopeCase("stars:contest_entry", _entry, **VILLAGE),
    ScopeCase("stars:contest_entry", _entry, **STREET),
    ScopeCase(
        "stars:contest_entry_edit", _entry_edit, method="post", expect_inside=(302,), **VILLAGE
    ),
    ScopeCase(
        "stars:contest_entry_withdraw", _withdraw, method="post", expect_inside=(302,), **STREET
    ),
    ScopeCase("stars:contest_entry_score", _score, method="post", expect_inside=(302,), **STREET),
    ScopeCase("stars:contest_entry_material", _material, **VILLAGE),
]
