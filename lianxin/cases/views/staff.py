"""Staff pages of requests (namespace ``cases``): lists, the grid worker's phone queue, the
department queue, supervision (督办), one request with the actions the actor may take now,
filing on a resident's behalf, 吹哨报到, photos, the inbox and the Excel export.

Views are thin: they parse input with a form, call one selector or service, render. Rows
outside the actor's scope are 404 (the selectors start from `cases_for(actor)`); an action
the actor may not take is refused with a message; a stale form (someone acted first) shows
the conflict and the fresh state.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.cases import forms as f
from lianxin.cases import selectors
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Errand, Mediation, Notification, Whistle
from lianxin.cases.services import intake, lifecycle, routing, whistles
from lianxin.cases.services.config import case_settings
from lianxin.cases.workflow import Action, Level, Status
from lianxin.core import clock, crypto
from lianxin.core.clock import local_naive
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, safe_next, url_or_empty
from lianxin.core.paging import page_of as _page
from lianxin.core.paging import querystring_without_page as _querystring_without_page
from lianxin.core.paging import require_any as _require_any

PAGE_SIZE = 50
CONFLICT_MESSAGE = "该诉求刚刚已被他人处理，请查看最新状态后再操作"


# --- lists --------------------------------------------------------------------------------------


def _list_context(request: ActorRequest, actor: Actor, filters: selectors.CaseFilters) -> dict:
    qs = selectors.case_list(actor, filters)
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return {
        "page": _page(request, qs),
        "filters": filters,
        "categories": selectors.categories_active(),
        "units": selectors.filter_units(actor),
        "statuses": [("open", "未办结（全部）"), *Status.choices],
        "levels": [*Level.choices, ("none", "未分流")],
        "channels": wf.Channel.choices,
        "kinds": wf.Kind.choices,
        "querystring_without_page": _querystring_without_page(request),
        "export_query": urlencode(params),
        "has_query": bool(params),
        "now": clock.now(),
        "can_file": actor.can(wf.FILE),
    }


@login_required
def case_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, wf.VIEW, wf.DEPARTMENT)
    filters = selectors.CaseFilters.from_query(request.GET)
    context = _list_context(request, actor, filters)
    context.update(title="诉求", list_url=reverse("cases:list"))
    return render(request, "cases/staff/list.html", context)


@login_required
def supervision(request: ActorRequest) -> HttpResponse:
    """督办: requests put under supervision, overdue, or reopened repeatedly (open ones)."""
    actor = _require_any(request, wf.VIEW, wf.DEPARTMENT)
    filters = selectors.CaseFilters.from_query(request.GET)
    filters.supervision = True
    context = _list_context(request, actor, filters)
    params = dict(request.GET.items())
    params["supervision"] = "1"
    context.update(
        title="督办",
        list_url=reverse("cases:supervision"),
        export_query=urlencode({k: v for k, v in params.items() if k != "page" and v}),
        supervise_reopen_count=case_settings().supervise_reopen_count,
    )
    return render(request, "cases/staff/list.html", context)


EXPORT_HEADERS = (
    "受理编号",
    "标题",
    "诉求内容",
    "地点",
    "具体位置",
    "类别",
    "三事分流",
    "时限类别",
    "状态",
    "来源渠道",
    "类型",
    "反映人",
    "联系电话",
    "承办单位",
    "承办部门",
    "调解组织",
    "承办人",
    "受理时间",
    "响应期限",
    "办结期限",
    "办结时间",
    "时限状态",
    "满意度",
    "退单次数",
    "重办次数",
    "附议人数",
    "已吹哨",
    "督办",
)


def export_row(c: Case) -> list[Any]:
    """One spreadsheet row; personal data leaves only masked (name and phone)."""
    return [
        c.tracking_no,
        c.title,
        c.description,
        c.unit.display_name,
        c.address_text,
        c.category.name if c.category else "",
        c.get_level_display() if c.level else "",
        c.get_urgency_display(),
        c.get_status_display(),
        c.get_channel_display(),
        c.get_kind_display(),
        crypto.mask_name(c.reporter_name) if c.reporter_name else "",
        c.reporter_phone_masked,
        c.handler_unit.display_name if c.handler_unit else "",
        c.handler_department.name if c.handler_department else "",
        c.handler_team.name if c.handler_team else "",
        str(c.assignee) if c.assignee else "",
        local_naive(c.received_at),
        local_naive(c.respond_due_at),
        local_naive(c.resolve_due_at),
        local_naive(c.resolved_at),
        c.get_sla_state_display() if c.sla_state else "",
        c.get_satisfaction_display() if c.satisfaction else "",
        c.return_count,
        c.reopen_count,
        c.support_count,
        "是" if c.is_whistled else "",
        "是" if c.is_supervised else "",
    ]


@login_required
def case_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx (DESIGN.md: every staff list can be exported)."""
    actor = _require_any(request, wf.VIEW, wf.DEPARTMENT)
    filters = selectors.CaseFilters.from_query(request.GET)
    return xlsx_export(
        request,
        sheet="督办" if filters.supervision else "诉求",
        headers=EXPORT_HEADERS,
        rows=(
            export_row(case)
            for case in selectors.case_list(actor, filters).iterator(chunk_size=2000)
        ),
        object_type="cases.case",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


# --- queues -------------------------------------------------------------------------------------


@login_required
def my_queue(request: ActorRequest) -> HttpResponse:
    """The grid worker's phone page: my requests, my grid's new ones, due soon, overdue."""
    actor = _require_any(request, wf.HANDLE)
    queue = selectors.my_queue(actor)
    for c in queue.mine + queue.new + queue.near + queue.overdue:
        c.queue_actions = queue_actions(actor, c)  # type: ignore[attr-defined]
    return render(
        request,
        "cases/staff/my_queue.html",
        {
            "queue": queue,
            "sections": [
                ("mine", "待我办理", queue.mine, "没有待办的诉求。"),
                ("new", "本网格新诉求", queue.new, "没有新诉求。"),
                ("near", "即将超期", queue.near, "没有即将超期的诉求。"),
                ("overdue", "已超期", queue.overdue, "没有超期的诉求。"),
            ],
            "now": clock.now(),
            "unread": selectors.unread_count(actor.user_id),
            "can_file": actor.can(wf.FILE),
            "patrol_url": url_or_empty("cases:patrol_today"),
            "section_size": selectors.QUEUE_SECTION_SIZE,
        },
    )


QUEUE_ACTIONS = (Action.TAKE, Action.PROGRESS, Action.RESOLVE, Action.FOLLOW_UP)


def queue_actions(actor: Actor, case: Case) -> list[str]:
    """The handler's one-tap actions on the phone queue (no queries for frontline staff)."""
    allowed: list[str] = [a for a in QUEUE_ACTIONS if wf.can_take(a, case.status)]
    if not allowed or not lifecycle.actor_may(actor, case, wf.HANDLE):
        return []
    if Action.TAKE in allowed and case.assignee_id in (None, actor.user_id):
        return [Action.TAKE]  # take it first; progress and resolve follow on the next visit
    return [a for a in allowed if a != Action.TAKE]


@login_required
def department_queue(request: ActorRequest) -> HttpResponse:
    """Requests routed to the actor's departments or summoning them, and the summons still
    waiting for a report-in (departments, and units where the actor dispatches)."""
    actor = _require_any(request, wf.DEPARTMENT, wf.DISPATCH)
    return render(
        request,
        "cases/staff/department_queue.html",
        {
            "page": _page(request, selectors.department_queue(actor)),
            "summons": list(selectors.summons_pending(actor)[:100]),
            "querystring_without_page": _querystring_without_page(request),
            "now": clock.now(),
        },
    )


# --- one request: actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    """How the page offers one action and which service it calls."""

    label: str
    form: type[f.ActionForm]
    run: Callable[[Actor, Case, dict[str, Any]], Any]
    done: str
    quick: bool = False  # one button, no fields
    danger: bool = False
    versioned: bool = True


def _v(data: dict[str, Any]) -> int:
    return int(data["version"])


def _merge(actor: Actor, case: Case, d: dict[str, Any]) -> Any:
    into = selectors.case_by_tracking_no(actor, d["into"])
    if into is None:
        raise DomainError("找不到该受理编号的诉求，或不在您的范围内", field="into")
    return lifecycle.case_merge(case=case, into=into, actor=actor, expected_version=_v(d))


def _assign(actor: Actor, case: Case, d: dict[str, Any]) -> Any:
    return lifecycle.case_assign(
        case=case,
        actor=actor,
        handler_unit=d["handler_unit_obj"],
        department=d["department_obj"],
        team=d["team_obj"],
        assignee_id=d["assignee_id"],
        note=d["note"],
        expected_version=_v(d),
    )


L = lifecycle
ACTIONS: dict[str, ActionSpec] = {
    Action.ACCEPT: ActionSpec(
        "受理",
        f.NoteOptionalForm,
        lambda a, c, d: L.case_accept(case=c, actor=a, note=d["note"], expected_version=_v(d)),
        "已受理",
        quick=True,
    ),
    Action.TRIAGE: ActionSpec(
        "三事分流",
        f.TriageForm,
        lambda a, c, d: L.case_triage(
            case=c,
            actor=a,
            level=d["level"],
            category=d["category"],
            urgency=d["urgency"],
            note=d["note"],
            expected_version=_v(d),
        ),
        "已完成三事分流",
    ),
    Action.ASSIGN: ActionSpec("派遣", f.AssignForm, _assign, "已派遣"),
    Action.TAKE: ActionSpec(
        "接单办理",
        f.ActionForm,
        lambda a, c, d: L.case_take(case=c, actor=a, expected_version=_v(d)),
        "已接单",
        quick=True,
    ),
    Action.PROGRESS: ActionSpec(
        "办理进展",
        f.ProgressForm,
        lambda a, c, d: L.case_progress(
            case=c, actor=a, note=d["note"], photos=d["photos"], expected_version=_v(d)
        ),
        "进展已记录",
    ),
    Action.RETURN: ActionSpec(
        "退单",
        f.ReasonForm,
        lambda a, c, d: L.case_return(case=c, actor=a, reason=d["reason"], expected_version=_v(d)),
        "已退单",
        danger=True,
    ),
    Action.RESOLVE: ActionSpec(
        "办结",
        f.ResolveForm,
        lambda a, c, d: L.case_resolve(
            case=c, actor=a, result=d["result"], photos=d["photos"], expected_version=_v(d)
        ),
        "已办结，等待回访",
    ),
    Action.FOLLOW_UP: ActionSpec(
        "回访",
        f.FollowUpForm,
        lambda a, c, d: L.case_follow_up(
            case=c,
            actor=a,
            satisfaction=d["satisfaction"],
            comment=d["comment"],
            expected_version=_v(d),
        ),
        "回访已记录",
    ),
    Action.CLOSE: ActionSpec(
        "结案",
        f.NoteOptionalForm,
        lambda a, c, d: L.case_close(case=c, actor=a, note=d["note"], expected_version=_v(d)),
        "已结案",
        quick=True,
    ),
    Action.GUIDE: ActionSpec(
        "引导办理（私事）",
        f.GuideForm,
        lambda a, c, d: L.case_guide(
            case=c,
            actor=a,
            guidance=d["guidance"],
            referral=d["referral"],
            expected_version=_v(d),
        ),
        "已引导办理并结案",
    ),
    Action.REJECT: ActionSpec(
        "不予受理",
        f.ReasonForm,
        lambda a, c, d: L.case_reject(case=c, actor=a, reason=d["reason"], expected_version=_v(d)),
        "已不予受理",
        danger=True,
    ),
    Action.MERGE: ActionSpec("合并", f.MergeForm, _merge, "已合并"),
    Action.EXTENSION_REQUEST: ActionSpec(
        "申请延期",
        f.ExtensionForm,
        lambda a, c, d: L.case_request_extension(
            case=c, actor=a, days=d["days"], reason=d["reason"], expected_version=_v(d)
        ),
        "延期申请已提交",
    ),
    Action.EXTENSION_APPROVE: ActionSpec(
        "批准延期",
        f.NoteOptionalForm,
        lambda a, c, d: L.case_decide_extension(
            case=c, actor=a, approve=True, note=d["note"], expected_version=_v(d)
        ),
        "已批准延期",
        quick=True,
    ),
    Action.EXTENSION_REFUSE: ActionSpec(
        "不批准延期",
        f.NoteRequiredForm,
        lambda a, c, d: L.case_decide_extension(
            case=c, actor=a, approve=False, note=d["note"], expected_version=_v(d)
        ),
        "已不批准延期",
        danger=True,
    ),
    Action.SUSPEND: ActionSpec(
        "挂起",
        f.ReasonForm,
        lambda a, c, d: L.case_suspend(case=c, actor=a, reason=d["reason"], expected_version=_v(d)),
        "已挂起，计时暂停",
    ),
    Action.RESUME: ActionSpec(
        "恢复办理",
        f.NoteOptionalForm,
        lambda a, c, d: L.case_resume(case=c, actor=a, note=d["note"], expected_version=_v(d)),
        "已恢复办理",
        quick=True,
    ),
    Action.WHISTLE: ActionSpec(
        "吹哨（上报街道）",
        f.ReasonForm,
        lambda a, c, d: whistles.whistle_raise(
            case=c, actor=a, reason=d["reason"], expected_version=_v(d)
        ),
        "已吹哨，街道将召集部门报到",
        danger=True,
    ),
    Action.SUPERVISE: ActionSpec(
        "督办",
        f.ReasonForm,
        lambda a, c, d: L.case_supervise(
            case=c, actor=a, reason=d["reason"], expected_version=_v(d)
        ),
        "已列入督办",
    ),
    Action.NOTE: ActionSpec(
        "内部备注",
        f.NoteRequiredForm,
        lambda a, c, d: L.case_note(case=c, actor=a, note=d["note"]),
        "备注已添加",
        versioned=False,
    ),
    Action.BOARD_HIDE: ActionSpec(
        "不在成果清单公开",
        f.BoardHideForm,
        lambda a, c, d: L.case_board_visibility(case=c, actor=a, hidden=True, reason=d["reason"]),
        "已从成果清单隐藏",
        versioned=False,
    ),
    Action.BOARD_SHOW: ActionSpec(
        "在成果清单公开",
        f.ActionForm,
        lambda a, c, d: L.case_board_visibility(case=c, actor=a, hidden=False),
        "已在成果清单公开",
        quick=True,
        versioned=False,
    ),
}
# Offered elsewhere or by the system: the resident rates, an unsatisfied follow-up reopens,
# the third return escalates.
NOT_OFFERED = frozenset({Action.RATE, Action.REOPEN, Action.ESCALATE})
BOARD_STATUSES = frozenset({Status.RESOLVED, Status.FOLLOWED_UP, Status.CLOSED})


def available_actions(actor: Actor, case: Case, *, open_whistle: bool | None = None) -> list[str]:
    """The actions this actor may take on this request now: the state machine's actions for
    the status, kept when the actor holds the rule's permission for this request."""
    granted: dict[str, bool] = {}

    def may(perm: str) -> bool:
        if perm not in granted:
            granted[perm] = lifecycle.actor_may(actor, case, perm)
        return granted[perm]

    out: list[str] = []
    for action in wf.allowed_actions(case.status):
        if action in NOT_OFFERED or not may(wf.rule_for(action).perm):
            continue
        if action == Action.TAKE and case.assignee_id not in (None, actor.user_id):
            continue
        if action == Action.EXTENSION_REQUEST and case.extension_pending:
            continue
        if action in (Action.EXTENSION_APPROVE, Action.EXTENSION_REFUSE) and not (
            case.extension_pending
        ):
            continue
        if action == Action.ASSIGN and case.level == Level.PRIVATE:
            continue
        if action == Action.SUPERVISE and case.is_supervised:
            continue
        if action == Action.WHISTLE:
            if open_whistle is None:
                open_whistle = case.whistles.filter(outcome="").exists()
            if open_whistle:
                continue
        out.append(action)
    if (
        case.status in BOARD_STATUSES
        and case.outcome in ("", wf.Outcome.RESOLVED)
        and may(wf.DISPATCH)
    ):
        out.append(Action.BOARD_SHOW if case.board_hidden else Action.BOARD_HIDE)
    return out


def _make_form(
    action: str,
    actor: Actor,
    case: Case,
    data: Any = None,
    files: Any = None,
    initial: dict[str, Any] | None = None,
) -> f.ActionForm:
    spec = ACTIONS[action]
    kwargs: dict[str, Any] = {"case": case, "initial": dict(initial or {})}
    if spec.form is f.TriageForm:
        kwargs["categories"] = selectors.categories_active()
    if spec.form is f.AssignForm:
        kwargs["choices"] = selectors.handler_choices(case)
        kwargs["posts"] = selectors.assignee_posts(actor, case)
    return spec.form(data, files, **kwargs)


def _routing_preview(case: Case) -> list[tuple[str, str]]:
    """What the routing rules would pick for this request as 大事 and as 小事."""
    out = []
    for level in (Level.BIG, Level.SMALL):
        handler = routing.route(place_path=case.place_path, category=case.category, level=level)
        out.append((Level(level).label, handler.label))
    out.append((Level.PRIVATE.label, "引导居民自行解决或使用市场服务"))
    return out


def _merge_suggestions(actor: Actor, case: Case) -> list[Any]:
    """Similar open requests at the same place, best first (services.duplicates)."""
    from lianxin.cases.services.duplicates import merge_suggestions

    if case.status not in wf.UNDISPATCHED | wf.WITH_HANDLER:
        return []
    return [s for s in merge_suggestions(actor, case) if s.case.pk != case.pk]


def _detail_context(
    request: ActorRequest,
    case: Case,
    *,
    bound: f.ActionForm | None = None,
    bound_action: str = "",
    conflict: str = "",
    refusal: str = "",
) -> dict[str, Any]:
    actor: Actor = request.actor
    case_whistles = selectors.case_whistles(case)
    open_whistle = next((w for w in case_whistles if not w.outcome), None)
    actions = available_actions(actor, case, open_whistle=open_whistle is not None)
    forms: list[dict[str, Any]] = []
    for action in actions:
        form = bound if action == bound_action and bound is not None else None
        forms.append(
            {
                "action": action,
                "spec": ACTIONS[action],
                "form": form or _make_form(action, actor, case),
                "open": form is not None,
                "url": reverse("cases:act", args=[case.public_id, action]),
            }
        )
    report_forms = []
    for w in case_whistles:
        pending = selectors.summons_reportable(actor, w)
        if pending and not w.outcome:
            report_forms.append((w, f.ReportInForm(summons=pending)))
    events = selectors.case_events(case)
    labels = dict(Status.choices)
    for e in events:
        e.from_label = labels.get(e.from_status, e.from_status)  # type: ignore[attr-defined]
        e.to_label = labels.get(e.to_status, e.to_status)  # type: ignore[attr-defined]
    may_reveal = lifecycle.actor_may(actor, case, wf.REVEAL)
    mediation = Mediation.objects.filter(case=case).first() if case.kind == "mediation" else None
    errand = (
        Errand.objects.filter(case=case).select_related("beneficiary").first()
        if case.kind == "errand"
        else None
    )
    return {
        "case": case,
        "events": events,
        "before_photos": [p for e in events for p in e.photos.all() if p.stage == "before"],
        "quick_forms": [x for x in forms if x["spec"].quick],
        "action_forms": [x for x in forms if not x["spec"].quick],
        "whistles": case_whistles,
        "report_forms": report_forms,
        "mediation": mediation,
        "errand": errand,
        "mediation_url": url_or_empty("cases:mediation_detail", public_id=case.public_id),
        "errand_url": url_or_empty("cases:errand_detail", public_id=case.public_id),
        "suggestions": _merge_suggestions(actor, case) if Action.MERGE in actions else [],
        "routing_preview": _routing_preview(case)
        if {Action.TRIAGE, Action.ASSIGN} & set(actions)
        else [],
        "can_reveal": bool(case.reporter_phone_cipher) and may_reveal,
        # Viewers see the reporter masked (cases.view); those who may call back see the name.
        "reporter_name": case.reporter_name if may_reveal else crypto.mask_name(case.reporter_name),
        "resident_url": url_or_empty(
            "people:resident_detail", public_id=case.reporter_resident.public_id
        )
        if case.reporter_resident_id and case.reporter_resident
        else "",
        "conflict": conflict,
        "refusal": refusal,
        "now": clock.now(),
        "due": case.resolve_due_at if case.assigned_at else case.respond_due_at,
    }


@login_required
def case_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    case = selectors.case_get(request.actor, public_id=public_id)
    # Opening the request reads its inbox items.
    Notification.objects.filter(
        recipient_id=request.actor.user_id, case=case, read_at__isnull=True
    ).update(read_at=clock.now())
    return render(request, "cases/staff/detail.html", _detail_context(request, case))


def _fresh(request: ActorRequest, case: Case) -> Case:
    return selectors.case_get(request.actor, public_id=case.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def case_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """One action on one request: GET draws its form alone (phone pages), POST takes it."""
    actor: Actor = request.actor
    case = selectors.case_get(actor, public_id=public_id)
    if action not in ACTIONS:
        raise Http404("没有这个操作")
    spec = ACTIONS[action]
    standalone = request.method == "GET" or request.POST.get("page") == "act"

    def page(form: f.ActionForm, *, status: int = 200, **extra: Any) -> HttpResponse:
        if standalone:
            url = reverse("cases:act", args=[case.public_id, action])
            ctx = {
                "case": case,
                "spec": spec,
                "act_form": {"action": action, "spec": spec, "form": form, "url": url},
                "routing_preview": _routing_preview(case)
                if action in (Action.TRIAGE, Action.ASSIGN)
                else [],
                **extra,
            }
            return render(request, "cases/staff/act.html", ctx, status=status)
        ctx = _detail_context(request, case, bound=form, bound_action=action, **extra)
        return render(request, "cases/staff/detail.html", ctx, status=status)

    if request.method == "GET":
        form = _make_form(action, actor, case, initial={"next": request.GET.get("next", "")})
        if action not in available_actions(actor, case):
            return page(form, status=403, refusal="您现在不能对该诉求进行此操作")
        return page(form)

    form = _make_form(action, actor, case, request.POST, request.FILES)
    posted_version = request.POST.get("version", "")
    if spec.versioned and posted_version.isdigit() and int(posted_version) != case.version:
        # Someone acted since the page was drawn: show what they did, not our stale form.
        standalone = False
        return page(_make_form(action, actor, case), status=409, conflict=CONFLICT_MESSAGE)
    if action not in available_actions(actor, case):
        standalone = False
        return page(
            _make_form(action, actor, case), status=403, refusal="您没有对该诉求进行此操作的权限"
        )
    if form.is_valid():
        try:
            spec.run(actor, case, form.cleaned_data)
        except Conflict:
            case = _fresh(request, case)
            standalone = False
            return page(_make_form(action, actor, case), status=409, conflict=CONFLICT_MESSAGE)
        except PermissionDenied as exc:
            case = _fresh(request, case)
            standalone = False
            return page(_make_form(action, actor, case), status=403, refusal=exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{case.tracking_no}：{spec.done}")
            target = safe_next(request, form.cleaned_data.get("next") or "")
            return redirect(target or reverse("cases:detail", args=[case.public_id]))
    return page(form)


@login_required
@require_POST
def reveal_phone(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The reporter's full phone number for calling back (cases.reveal), audited."""
    case = selectors.case_get(request.actor, public_id=public_id)
    value, refusal, status = "", "", 200
    try:
        value = lifecycle.case_reveal_phone(case=case, actor=request.actor)
    except PermissionDenied as exc:
        # htmx swaps only successful answers; the page form gets the proper status.
        refusal, status = exc.message, 200 if request.headers.get("HX-Request") else 403
    except DomainError as exc:
        refusal = exc.message
    template = (
        "cases/staff/_reveal.html"
        if request.headers.get("HX-Request")
        else "cases/staff/reveal.html"
    )
    response = render(
        request, template, {"case": case, "value": value, "refusal": refusal}, status=status
    )
    add_never_cache_headers(response)
    return response


@login_required
def photo(request: ActorRequest, public_id: Any) -> FileResponse:
    """A request photo, only for staff who can see the request."""
    item = selectors.photo_get(request.actor, public_id=public_id)
    content_type = mimetypes.guess_type(item.image.name)[0] or "image/jpeg"
    response = FileResponse(item.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- filing ---------------------------------------------------------------------------------------

KIND_LABELS = {"village": "整个村/社区", "grid": "整个网格", "building": ""}


def place_groups(units: list[Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Options grouped by grid (or village): buildings under their grid's name."""
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for u in units:
        if u.kind in ("village", "grid"):
            key, title = u.pk, u.display_name
        else:
            key = u.parent_id or u.pk
            title = u.parent.display_name if u.parent else u.display_name
        label = u.display_name
        if KIND_LABELS.get(u.kind):
            label = f"{u.display_name}（{KIND_LABELS[u.kind]}）"
        groups.setdefault(key, (title, []))[1].append((str(u.public_id), label))
    return list(groups.values())


@login_required
@require_http_methods(["GET", "POST"])
def case_file(request: ActorRequest) -> HttpResponse:
    """Staff or a grid worker files a request for a resident (phone, walk-in, visit, patrol,
    rider, building leader); the tracking number is shown once it is committed."""
    actor = _require_any(request, wf.FILE)
    categories = selectors.categories_active()
    initial = {"channel": request.GET.get("channel") or "phone", "place": request.GET.get("place")}
    form = f.FileForm(
        request.POST or None, request.FILES or None, categories=categories, initial=initial
    )
    chosen_resident = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = selectors.filing_place_get(actor, d["place"])
        resident = selectors.resident_get(actor, d["resident"]) if d["resident"] else None
        chosen_resident = resident
        try:
            if unit is None:
                raise DomainError("请选择您负责范围内的楼栋、网格或村/社区", field="place")
            if d["resident"] and resident is None:
                raise DomainError("关联的居民不存在或不在您的范围内，请重新查找")
            submitted = intake.case_file(
                actor=actor,
                unit=unit,
                description=d["description"],
                channel=d["channel"],
                category=d["category"],
                level=d["level"],
                name=d["name"],
                phone=d["phone"],
                resident_id=resident.pk if resident else None,
                household_id=resident.household_id if resident else None,
                photos=d["photos"],
                address_text=d["address_text"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            case = submitted.case
            messages.success(request, f"已登记，受理编号 {case.tracking_no}")
            return redirect(reverse("cases:detail", args=[case.public_id]) + "?filed=1")
    places = selectors.filing_places(actor, limit=selectors.PLACE_SELECT_MAX + 1)
    many = len(places) > selectors.PLACE_SELECT_MAX
    if many:  # hundreds of buildings: offer villages and grids, find buildings by search
        places = [u for u in places if u.kind != "building"]
        selected = selectors.filing_place_get(actor, form["place"].value() or "")
        if selected is not None and selected not in places:
            places.append(selected)
    return render(
        request,
        "cases/staff/file.html",
        {
            "form": form,
            "place_groups": place_groups(places),
            "many_places": many,
            "selected_place": str(form["place"].value() or ""),
            "chosen_resident": chosen_resident,
            "can_search_residents": actor.can("people.view"),
        },
    )


@login_required
def place_options(request: ActorRequest) -> HttpResponse:
    """<option>s of the places matching the search box (htmx, on the filing form)."""
    actor = _require_any(request, wf.FILE)
    q = request.GET.get("place_q", "").strip()[:40]
    places = selectors.filing_places(actor, q=q, limit=100)
    return render(
        request,
        "cases/staff/_place_options.html",
        {"place_groups": place_groups(places), "selected_place": "", "searched": bool(q)},
    )


@login_required
def resident_search(request: ActorRequest) -> HttpResponse:
    """Residents by name within the actor's register scope, to link to a filed request."""
    actor = _require_any(request, wf.FILE)
    q = request.GET.get("resident_q", "").strip()[:20]
    return render(
        request,
        "cases/staff/_resident_results.html",
        {"residents": selectors.residents_search(actor, q), "q": q},
    )


# --- whistles -------------------------------------------------------------------------------------


@login_required
def whistle_list(request: ActorRequest) -> HttpResponse:
    """吹哨报到 per street for a period: whistles, closed, coordinated, unresolved, open."""
    actor = _require_any(request, wf.WHISTLE)
    today = timezone.localdate()
    date_from = selectors.parse_date(request.GET.get("from")) or today.replace(month=1, day=1)
    date_to = selectors.parse_date(request.GET.get("to")) or today
    outcome = request.GET.get("outcome", "")
    period = selectors.whistle_list(actor, date_from=date_from, date_to=date_to)
    counts = selectors.whistle_counts(period)
    totals = {
        k: sum(r[k] for r in counts)
        for k in ("total", "closed", "coordinated", "unresolved", "open")
    }
    rows = selectors.whistle_rows(
        selectors.whistle_list(actor, date_from=date_from, date_to=date_to, outcome=outcome)
    )
    return render(
        request,
        "cases/staff/whistle_list.html",
        {
            "counts": counts,
            "totals": totals,
            "page": _page(request, rows),
            "date_from": date_from,
            "date_to": date_to,
            "outcome": outcome,
            "outcomes": [("open", "未办结"), *Whistle.Outcome.choices],
            "querystring_without_page": _querystring_without_page(request),
            "now": clock.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def whistle_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """One whistle: who was summoned and who reported in; the street summons and closes it,
    summoned departments and units report in here."""
    actor: Actor = request.actor
    whistle = selectors.whistle_get(actor, public_id=public_id)
    is_street = actor.can(wf.WHISTLE, whistle.street.path)
    choices = selectors.summon_choices(actor, whistle) if is_street else None
    pending = selectors.summons_reportable(actor, whistle)
    op = request.POST.get("op", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    summon_form = (
        f.SummonForm(data if op == "summon" else None, choices=choices) if choices else None
    )
    close_form = f.WhistleCloseForm(data if op == "close" else None) if is_street else None
    report_form = (
        f.ReportInForm(data if op == "report_in" else None, summons=pending) if pending else None
    )
    status = 200
    if request.method == "POST":
        form = {"summon": summon_form, "report_in": report_form, "close": close_form}.get(op)
        if form is None or whistle.outcome:
            messages.error(request, "您现在不能进行此操作")
            status = 403
        elif form.is_valid():
            try:
                done = _whistle_op(op, whistle, actor, form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 200
            else:
                messages.success(request, done)
                return redirect("cases:whistle_detail", public_id=whistle.public_id)
    return render(
        request,
        "cases/staff/whistle_detail.html",
        {
            "whistle": whistle,
            "case": whistle.case,
            "summons": list(whistle.summons.all()),
            "summon_form": summon_form if not whistle.outcome else None,
            "close_form": close_form if not whistle.outcome else None,
            "report_form": report_form if not whistle.outcome else None,
            "now": clock.now(),
        },
        status=status,
    )


def _whistle_op(op: str, whistle: Whistle, actor: Actor, d: dict[str, Any]) -> str:
    if op == "summon":
        whistles.whistle_summon(
            whistle=whistle,
            actor=actor,
            departments=d["department_objs"],
            units=d["unit_objs"],
            report_within_hours=d["hours"],
            note=d["note"],
        )
        return "已召集，等待报到"
    if op == "report_in":
        whistles.whistle_report_in(summons=d["summons"], actor=actor, action_note=d["action_note"])
        return "已报到"
    whistles.whistle_close(whistle=whistle, actor=actor, outcome=d["outcome"], note=d["note"])
    return "吹哨已办结"


# --- inbox ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: ActorRequest) -> HttpResponse:
    """The staff inbox: unread first; mark one or all read."""
    user_id = request.actor.user_id
    if request.method == "POST":
        unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
        if request.POST.get("all"):
            count = unread.update(read_at=clock.now())
            messages.success(request, f"已将 {count} 条消息标为已读")
        elif (item := request.POST.get("id", "")).isdigit():
            unread.filter(pk=int(item)).update(read_at=clock.now())
        target = safe_next(request, request.POST.get("next", ""))
        return redirect(target or reverse("cases:inbox"))
    return render(
        request,
        "cases/staff/inbox.html",
        {
            "page": _page(request, selectors.inbox(user_id)),
            "unread": selectors.unread_count(user_id),
            "querystring_without_page": _querystring_without_page(request),
        },
    )


urlpatterns: list[URLPattern] = [
    path("", case_list, name="list"),
    path("export/", case_export, name="export"),
    path("mine/", my_queue, name="my_queue"),
    path("department/", department_queue, name="department_queue"),
    path("supervision/", supervision, name="supervision"),
    path("inbox/", inbox, name="inbox"),
    path("new/", case_file, name="file"),
    path("new/places/", place_options, name="place_options"),
    path("new/residents/", resident_search, name="resident_search"),
    path("whistles/", whistle_list, name="whistle_list"),
    path("whistles/<uuid:public_id>/", whistle_detail, name="whistle_detail"),
    path("photos/<uuid:public_id>/", photo, name="photo"),
    path("<uuid:public_id>/", case_detail, name="detail"),
    path("<uuid:public_id>/act/<slug:action>/", case_act, name="act"),
    path("<uuid:public_id>/reveal-phone/", reveal_phone, name="reveal_phone"),
]
