"""Pages of the contests (三次大比武, /stars/contests/...).

The list of a year's contests (heats per township and the county finals), the county's forms
to open a round and create a final, a contest's page (entries with rank and scores; the
host's actions: date and place, registration, start scoring, ranking; the judges' score
inputs), the registration form (all the township's villages at once), an entry's page (its
material, scores and comments, corrections while registration is open), the material itself
(served through the scope, never a media URL), and the rankings of a round per township with
its Excel export. Reads go through `selectors.contests` (outside the scope: 404); each write is
one call of `services.contests`; a refusal redraws the page with the reason next to the field.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, safe_next
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.stars import forms_contests as forms
from lianxin.stars import workflow as wf
from lianxin.stars.models import Contest, ContestEntry
from lianxin.stars.models.contests import ContestRound
from lianxin.stars.selectors import contests as sel
from lianxin.stars.services import contests as svc
from lianxin.territory.models import Unit

Status = Contest.Status
CONFLICT = "比武刚刚有变化，下面显示的是最新状态，请确认后再操作"
ROUNDS = dict(ContestRound.choices)
DONE = {
    "scoring_start": "报名已截止，评委可以打分",
    "close": "已按平均分排名",
}


def _detail_url(contest: Contest) -> str:
    return reverse("stars:contest_detail", args=[contest.public_id])


def _entry_url(entry: ContestEntry) -> str:
    return reverse("stars:contest_entry", args=[entry.public_id])


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def _round(value: str | None) -> str:
    return value if value in ROUNDS else ""


def _status_for(exc: DomainError) -> int:
    if isinstance(exc, Conflict):
        return 409
    return 403 if isinstance(exc, PermissionDenied) else 400


# --- list, open a round, create a final -------------------------------------------------------


@login_required
@require_GET
def contest_list(request: ActorRequest) -> HttpResponse:
    """The year's contests in scope: each round's township heats and the county final."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"), clock.today().year)
    round_ = _round(request.GET.get("round"))
    qs = sel.contests_for(actor).filter(year=year)
    if round_:
        qs = qs.filter(round=round_)
    counties = sel.counties_for(actor)
    context = {
        "year": year,
        "round": round_,
        "years": sel.contest_years(actor),
        "rounds": ContestRound.choices,
        "page": page_of(request, qs),
        "qs": querystring_without_page(request),
        "can_open": bool(counties),
    }
    return render(request, "stars/contests/list.html", context)


def _county_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(u.code, u.display_name) for u in sel.counties_for(actor)]


def _round_form_page(
    request: ActorRequest, *, final: bool, template: str, done: str
) -> HttpResponse:
    actor = request.actor
    require_any(request, wf.VIEW)
    counties = sel.counties_for(actor)
    if not counties:
        return render(request, template, {"form": None})
    choices = [(u.code, u.display_name) for u in counties]
    initial = {
        "county": counties[0].code,
        "year": _year(request.GET.get("year"), clock.today().year),
        "round": _round(request.GET.get("round")) or ContestRound.IDEAS,
    }
    form = forms.RoundForm(request.POST or None, initial=initial, counties=choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            county = next(u for u in counties if u.code == d["county"])
            try:
                if final:
                    contest = svc.contest_final_create(
                        actor=actor,
                        county=county,
                        year=d["year"],
                        round=d["round"],
                        held_on=d["held_on"],
                        place=d["place"],
                    )
                    messages.success(request, done.format(n=contest.entries.count()))
                    return redirect(_detail_url(contest))
                heats = svc.contest_round_open(
                    actor=actor,
                    county=county,
                    year=d["year"],
                    round=d["round"],
                    held_on=d["held_on"],
                    place=d["place"],
                )
            except DomainError as exc:
                status = _status_for(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, done.format(n=len(heats)))
                url = reverse("stars:contest_list")
                return redirect(f"{url}?year={d['year']}&round={d['round']}")
    return render(request, template, {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contest_open(request: ActorRequest) -> HttpResponse:
    """The county opens a round: one heat per township, with date and place."""
    return _round_form_page(
        request,
        final=False,
        template="stars/contests/open.html",
        done="已开启比武：{n}个乡镇（街道）初赛，请各乡镇组织报名",
    )


@login_required
@require_http_methods(["GET", "POST"])
def contest_final_create(request: ActorRequest) -> HttpResponse:
    """The county creates the final of a round; the advanced entries join it."""
    return _round_form_page(
        request,
        final=True,
        template="stars/contests/final.html",
        done="已建立决赛，{n}个晋级参赛已进入决赛名单",
    )


# --- a contest -------------------------------------------------------------------------------


def _actions(actor: Actor, contest: Contest, entries: list[ContestEntry]) -> dict[str, bool]:
    """What the page offers (the services decide for good)."""
    manage = svc.can_manage(actor, contest)
    status = contest.status
    return {
        "manage": manage,
        "edit": manage and status != Status.CLOSED,
        "register": manage and not contest.is_final and status == Status.OPEN,
        "scoring_start": manage and status == Status.OPEN and bool(entries),
        "close": manage and status == Status.SCORING,
        "judge": svc.can_judge(actor, contest) and status == Status.SCORING,
        "live_scores": manage or svc.can_judge(actor, contest),
    }


def _render_detail(
    request: ActorRequest,
    contest: Contest,
    *,
    status: int = 200,
    edit_form: forms.ContestEditForm | None = None,
    failed: tuple[int, forms.ScoreForm] | None = None,
    refusal: str = "",
    conflict: str = "",
) -> HttpResponse:
    actor = request.actor
    entries = sel.contest_entries(actor, contest)
    actions = _actions(actor, contest, entries)
    judged = sel.judged_entry_ids(actor, contest) if actions["judge"] else set()
    rows = []
    for e in entries:
        form = failed[1] if failed and failed[0] == e.pk else None
        rows.append({"entry": e, "judged": e.pk in judged, "failed": form})
    final = sel.final_of(contest) if not contest.is_final else None
    context = {
        "contest": contest,
        "rows": rows,
        "actions": actions,
        "sees_all": sel.sees_all_entries(actor, contest),
        "advance": sel.advance_places(contest) if not contest.is_final else 0,
        "final": final,
        "final_visible": final is not None and sel.contests_for(actor).filter(pk=final.pk).exists(),
        "heats": sel.heats_of(contest) if contest.is_final and actions["manage"] else [],
        "edit_form": edit_form
        or forms.ContestEditForm(
            initial={"held_on": contest.held_on, "place": contest.place, "version": contest.version}
        ),
        "refusal": refusal,
        "conflict": conflict,
        "scored": sum(1 for e in entries if e.score_count),
    }
    return render(request, "stars/contests/detail.html", context, status=status)


@login_required
@require_GET
def contest_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A contest with the entries the actor sees and what may be done now."""
    return _render_detail(request, sel.contest_get(request.actor, public_id))


def _refused(request: ActorRequest, public_id: Any, exc: DomainError) -> HttpResponse:
    contest = sel.contest_get(request.actor, public_id)
    if isinstance(exc, Conflict):
        return _render_detail(request, contest, status=409, conflict=CONFLICT)
    return _render_detail(request, contest, status=_status_for(exc), refusal=exc.message)


@login_required
@require_POST
def contest_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The host changes the date and place."""
    contest = sel.contest_get(request.actor, public_id)
    form = forms.ContestEditForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, contest, status=400, edit_form=form)
    try:
        svc.contest_update(
            actor=request.actor,
            contest=contest,
            held_on=form.cleaned_data["held_on"],
            place=form.cleaned_data["place"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        if isinstance(exc, Conflict | PermissionDenied):
            return _refused(request, public_id, exc)
        add_domain_error(form, exc)
        return _render_detail(request, contest, status=400, edit_form=form)
    messages.success(request, "已修改比武日期和地点")
    return redirect(_detail_url(contest))


@login_required
@require_POST
def contest_act(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A state move: scoring_start (报名截止、开始评分) or close (排名)."""
    contest = sel.contest_get(request.actor, public_id)
    action = request.POST.get("action", "")
    moves = {"scoring_start": svc.contest_scoring_start, "close": svc.contest_close}
    move = moves.get(action)
    form = forms.VersionForm(request.POST)
    if move is None or not form.is_valid():
        return _render_detail(request, contest, status=400, refusal="请从页面上的按钮操作")
    try:
        move(actor=request.actor, contest=contest, expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        return _refused(request, public_id, exc)
    messages.success(request, DONE[action])
    return redirect(_detail_url(contest))


@dataclass
class RegisterRow:
    unit: Unit
    form: forms.EntryRowForm


@login_required
@require_http_methods(["GET", "POST"])
def contest_register(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The township registers its villages: one row per village not yet entered, all ticked;
    the presenter is the secretary on record. All ticked rows are registered, or none."""
    contest = sel.contest_get(request.actor, public_id)
    if not svc.can_manage(request.actor, contest) or contest.is_final:
        raise Http404("没有组织该场比武的权限")
    candidates = sel.candidates(contest)
    label = svc.ROUND_SHORT[contest.round]
    rows = []
    for c in candidates:
        initial = {
            "include": True,
            "presenter": c.secretary,
            "title": f"{c.unit.display_name}{label}汇报",
        }
        form = forms.EntryRowForm(
            request.POST or None, request.FILES or None, prefix=c.unit.code, initial=initial
        )
        rows.append(RegisterRow(c.unit, form))
    refusal = ""
    status = 200
    if request.method == "POST":
        status = 400
        if all(r.form.is_valid() for r in rows):
            drafts = [
                svc.EntryDraft(
                    unit=r.unit,
                    presenter=r.form.cleaned_data["presenter"],
                    title=r.form.cleaned_data["title"],
                    material=r.form.cleaned_data.get("material") or None,
                )
                for r in rows
                if r.form.cleaned_data["include"]
            ]
            try:
                entries = svc.contest_entries_register(
                    actor=request.actor, contest=contest, drafts=drafts
                )
            except svc.EntryRefused as exc:
                row = next((r for r in rows if r.unit.code == exc.unit_code), None)
                if row is not None:
                    add_domain_error(row.form, exc)
                refusal = exc.message
            except DomainError as exc:
                status = _status_for(exc)
                refusal = exc.message
            else:
                messages.success(request, f"已报名{len(entries)}个村（社区）")
                return redirect(_detail_url(contest))
        else:
            refusal = "请检查标出的行"
    context = {"contest": contest, "rows": rows, "refusal": refusal, "help": forms.MATERIAL_HELP}
    return render(request, "stars/contests/register.html", context, status=status)


# --- an entry --------------------------------------------------------------------------------


def _render_entry(
    request: ActorRequest,
    entry: ContestEntry,
    *,
    status: int = 200,
    form: forms.EntryEditForm | None = None,
    refusal: str = "",
) -> HttpResponse:
    actor = request.actor
    contest = entry.contest
    may_edit = svc.can_edit_entry(actor, entry) and contest.status == Status.OPEN
    context = {
        "entry": entry,
        "contest": contest,
        "scores": sel.entry_scores(entry),
        "judges_named": svc.can_manage(actor, contest) or svc.can_judge(actor, contest),
        "show_average": contest.status == Status.CLOSED
        or svc.can_manage(actor, contest)
        or svc.can_judge(actor, contest),
        "may_edit": may_edit,
        "may_withdraw": svc.can_manage(actor, contest) and contest.status == Status.OPEN,
        "is_pdf": svc.is_pdf(entry),
        "form": form
        or (
            forms.EntryEditForm(initial={"presenter": entry.presenter, "title": entry.title})
            if may_edit
            else None
        ),
        "refusal": refusal,
    }
    return render(request, "stars/contests/entry.html", context, status=status)


@login_required
@require_GET
def contest_entry(request: ActorRequest, public_id: Any) -> HttpResponse:
    """An entry: presenter, title, material, the judges' scores and comments, the rank."""
    return _render_entry(request, sel.entry_get(request.actor, public_id))


@login_required
@require_POST
def contest_entry_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Correct the presenter or title, replace or remove the material (registration open)."""
    entry = sel.entry_get(request.actor, public_id)
    form = forms.EntryEditForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_entry(request, entry, status=400, form=form)
    d = form.cleaned_data
    try:
        svc.contest_entry_update(
            actor=request.actor,
            entry=entry,
            presenter=d["presenter"],
            title=d["title"],
            material=d.get("material") or None,
            remove_material=d["remove_material"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_entry(request, entry, status=_status_for(exc), form=form)
    messages.success(request, "已保存参赛信息")
    return redirect(_entry_url(entry))


@login_required
@require_POST
def contest_entry_withdraw(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Take the entry off the contest (registration open)."""
    entry = sel.entry_get(request.actor, public_id)
    try:
        svc.contest_entry_withdraw(actor=request.actor, entry=entry)
    except DomainError as exc:
        return _render_entry(request, entry, status=_status_for(exc), refusal=exc.message)
    messages.success(request, f"已撤销{entry.unit.display_name}的报名")
    return redirect(_detail_url(entry.contest))


@login_required
@require_POST
def contest_entry_score(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A judge's score (0–100) and comment; refused scores come back next to the input."""
    entry = sel.entry_get(request.actor, public_id)
    contest = sel.contest_get(request.actor, entry.contest.public_id)
    form = forms.ScoreForm(request.POST)
    if form.is_valid():
        try:
            row = svc.contest_score(
                actor=request.actor,
                entry=entry,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = _status_for(exc)
        else:
            messages.success(request, f"已为{entry.unit.display_name}打分：{row.score}分")
            target = f"{_detail_url(contest)}#entry-{entry.public_id}"
            return redirect(safe_next(request, request.POST.get("next", ""), target))
    else:
        status = 400
    return _render_detail(request, contest, status=status, failed=(entry.pk, form))


@login_required
@require_GET
def contest_entry_material(request: ActorRequest, public_id: Any) -> FileResponse:
    """The entry's presentation material (PDF or photo), for those who see the entry."""
    entry = sel.entry_get(request.actor, public_id)
    if not entry.material:
        raise Http404("没有展示材料")
    content_type = mimetypes.guess_type(entry.material.name)[0] or "application/octet-stream"
    response = FileResponse(
        entry.material.open("rb"),
        content_type=content_type,
        filename=entry.material_name or entry.material.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- rankings --------------------------------------------------------------------------------


def _ranking_args(request: ActorRequest) -> tuple[int, str]:
    year = _year(request.GET.get("year"), clock.today().year)
    return year, _round(request.GET.get("round")) or ContestRound.IDEAS


@login_required
@require_GET
def contest_rankings(request: ActorRequest) -> HttpResponse:
    """A round's rankings: each township's heat in rank order, then the county final."""
    actor = require_any(request, wf.VIEW)
    year, round_ = _ranking_args(request)
    context = {
        "year": year,
        "round": round_,
        "round_label": ROUNDS[round_],
        "years": sel.contest_years(actor),
        "rounds": ContestRound.choices,
        "groups": sel.rankings(actor, year, round_),
    }
    return render(request, "stars/contests/rankings.html", context)


EXPORT_HEADERS = [
    "轮次",
    "比武",
    "主办",
    "比武日期",
    "状态",
    "名次",
    "村（社区）",
    "演讲人",
    "题目",
    "评委数",
    "平均分",
    "晋级决赛",
]


@login_required
@require_GET
def contest_rankings_export(request: ActorRequest) -> FileResponse:
    """The rankings of the round as .xlsx."""
    actor = require_any(request, wf.VIEW)
    year, round_ = _ranking_args(request)
    rows = []
    for g in sel.rankings(actor, year, round_):
        c = g.contest
        ranked = c.status == Status.CLOSED
        for e in g.entries:
            rows.append(
                [
                    ROUNDS[c.round],
                    "决赛" if c.is_final else "乡镇初赛",
                    c.host.display_name,
                    c.held_on,
                    c.get_status_display(),
                    e.rank if ranked else None,
                    e.unit.display_name,
                    e.presenter,
                    e.title,
                    e.score_count,
                    e.average_score if ranked else None,
                    ("是" if e.advanced else "否") if ranked and not c.is_final else "",
                ]
            )
    return xlsx_export(
        request,
        sheet=f"{year}年{ROUNDS[round_]}排名",
        headers=EXPORT_HEADERS,
        rows=rows,
        object_type="stars.contestentry",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )
