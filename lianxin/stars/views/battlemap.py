"""The battle map (挂图作战, the section's root page /stars/) and the figures page (创建统计),
each with its Excel export.

Thin views: `selectors.battlemap.battle_map` builds the grid of the villages the reader sees
(a constant number of queries), `figures.unit_figures` the numbers of a unit the reader sees
(a unit outside the scope: 404).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.http import ActorRequest
from lianxin.core.paging import require_any
from lianxin.stars import workflow as wf
from lianxin.stars.figures import unit_figures
from lianxin.stars.models import Declaration
from lianxin.stars.models.contests import ContestRound
from lianxin.stars.selectors import battlemap as sel
from lianxin.stars.selectors import plans as plan_sel
from lianxin.territory.models import UnitKind

TYPE_LABELS = {wf.VILLAGE: "村", wf.COMMUNITY: "社区"}


def _year(value: str | None) -> int:
    default = clock.today().year
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if sel.FIRST_YEAR <= year <= default + 1 else default


def _scope_path(actor: Actor) -> str:
    return actor.primary_post.unit_path if actor.primary_post else ""


# --- battle map ------------------------------------------------------------------------------


@login_required
@require_GET
def battle_map(request: ActorRequest) -> HttpResponse:
    """The year's grid of villages × stars in the reader's scope, with the quota rows."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"))
    township = (request.GET.get("township") or "").strip() or None
    data = sel.battle_map(actor, year=year, township=township)
    context = {
        "map": data,
        "year": year,
        "years": sel.map_years(),
        "legend": [s for s in sel.STATES.values()],
        "type_labels": TYPE_LABELS,
        "own": plan_sel.own_plan(actor, year),
        "can_draft": bool(plan_sel.drafting_units(actor)),
        "query": request.GET.urlencode(),
    }
    return render(request, "stars/battlemap/map.html", context)


def _level(n: int | None) -> str:
    return f"{n}星" if n else ("—" if n is None else "0")


@login_required
@require_GET
def battle_map_xlsx(request: ActorRequest) -> FileResponse:
    """The grid as .xlsx: one row per village, one column per star (the state's name)."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"))
    township = (request.GET.get("township") or "").strip() or None
    data = sel.battle_map(actor, year=year, township=township)
    headers = [
        "乡镇（街道）",
        "村（社区）",
        "类型",
        *[c.name for c in data.columns],
        "上年星级",
        "今年星级",
        "目标星级",
        "规划状态",
        "进步星",
    ]
    rows = (
        [
            r.township.display_name if r.township else "",
            r.unit.display_name,
            TYPE_LABELS.get(r.unit_type, ""),
            *[c.state.label for c in r.cells],
            r.last_level,
            r.level,
            r.target_level if r.target_level is not None else "",
            r.plan.status_label if r.plan else "未建立",
            "是" if r.progress else "",
        ]
        for r in data.rows
    )
    return xlsx_export(
        request,
        sheet=f"{year}年挂图作战",
        headers=headers,
        rows=rows,
        object_type="stars.battlemap",
        scope_path=_scope_path(actor),
    )


# --- figures ---------------------------------------------------------------------------------


STATUS_LABELS = dict(Declaration.Status.choices)
ROUND_LABELS = dict(ContestRound.choices)


def _display(data: dict[str, Any]) -> dict[str, Any]:
    """What the page shows, all read from the figures dict."""
    share = data["share_3plus"]
    five = next(r for r in data["levels"] if r["level"] == 5)
    four = next(r for r in data["levels"] if r["level"] == 4)
    headline = [
        {"label": "村（社区）支部", "value": data["branches"]},
        {"label": "三星以上占比", "value": f"{share * 100:.2f}%" if share is not None else "—"},
        {"label": "五星支部", "value": five["achieved"], "sub": f"计划 {five['planned']}"},
        {"label": "四星支部", "value": four["achieved"], "sub": f"计划 {four['planned']}"},
        {"label": "进步星", "value": data["progress"]["count"]},
        {"label": "进步星奖励（元）", "value": f"{data['progress']['amount']:,.0f}"},
    ]
    declarations = [
        (STATUS_LABELS[k], n) for k, n in data["declarations"]["by_status"].items() if n
    ]
    contests = [
        {"label": ROUND_LABELS.get(k, k), "entries": v} for k, v in data["contests"].items()
    ]
    return {"headline": headline, "declarations": declarations, "contests": contests}


@login_required
@require_GET
def figures(request: ActorRequest) -> HttpResponse:
    """A unit's figures for the year, with a row per child unit (townships of a county)."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"))
    unit = sel.figures_unit(actor, request.GET.get("unit"))
    data = unit_figures(unit, year)
    context = {
        "unit": unit,
        "year": year,
        "years": sel.map_years(),
        "units": sel.figure_units(actor),
        "data": data,
        "children": data.get("children", []),
        "child_links": unit.kind in (UnitKind.CITY, UnitKind.COUNTY),
        **_display(data),
    }
    return render(request, "stars/battlemap/figures.html", context)


FIGURE_HEADERS = [
    "单位",
    "村（社区）支部",
    "三星以上占比",
    *[f"{lv}星（已评）" for lv in (5, 4, 3, 2, 1)],
    "无星",
    *[f"{lv}星（计划）" for lv in (5, 4, 3)],
    *[f"{lv}星（名额）" for lv in (5, 4, 3)],
    "申报数",
    "进步星",
    "进步星奖励（元）",
]


def _figure_row(name: str, d: dict[str, Any]) -> list[Any]:
    levels = {r["level"]: r for r in d["levels"]}
    return [
        name,
        d["branches"],
        float(d["share_3plus"]) if d["share_3plus"] is not None else "",
        *[levels[lv]["achieved"] for lv in (5, 4, 3, 2, 1, 0)],
        *[levels[lv]["planned"] for lv in (5, 4, 3)],
        *[levels[lv]["quota"] for lv in (5, 4, 3)],
        d["declarations"]["total"],
        d["progress"]["count"],
        float(d["progress"]["amount"]),
    ]


@login_required
@require_GET
def figures_xlsx(request: ActorRequest, code: str) -> FileResponse:
    """The figures as .xlsx: a row per child unit, then the unit's total."""
    actor = require_any(request, wf.VIEW)
    unit = sel.figures_unit(actor, code)
    year = _year(request.GET.get("year"))
    data = unit_figures(unit, year)
    rows = [_figure_row(c["name"], c) for c in data.get("children", [])]
    rows.append(_figure_row(f"{unit.display_name}（合计）", data))
    return xlsx_export(
        request,
        sheet=f"{unit.display_name}{year}年五星支部创建统计"[:31],
        headers=FIGURE_HEADERS,
        rows=rows,
        object_type="stars.figures",
        scope_path=unit.path,
    )
