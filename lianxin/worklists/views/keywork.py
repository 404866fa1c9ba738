"""Pages of the key-work list (重点工作推进清单), the section root /worklists/.

- The list page: one list (the actor's own by default; ``?unit=<code>`` or ``?tf=<id>``) for
  a month, its open items by slot, what was done or dropped this month, the form to add an
  item, and last month's unfinished items to carry over.
- An item's page: its history and the forms to correct, complete or drop it.
- The overview (市级创建办 reviews the lists): every list under the actor with its counts for a
  month, filtered by township or task force; and the Excel export.

Reads go through `selectors.keywork` (outside the scope: 404), writes are one call of
`services.keywork`; a refusal redraws the page with the reason next to the field (400), a
stale version with the fresh state (409).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.territory.models import UnitKind
from lianxin.worklists import forms_keywork as forms
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import KeyWorkItem
from lianxin.worklists.selectors import keywork as sel
from lianxin.worklists.services import keywork as svc

CONFLICT = "该事项刚刚有变化，下面显示的是最新状态，请确认后再操作"


def _month(value: str | None) -> str:
    try:
        return svc.parse_month(value)
    except DomainError:
        return svc.this_month()


def _owner(actor: Actor, params: QueryDict) -> svc.KeyList | None:
    """The list named by ?unit= or ?tf= (404 outside the scope), else the actor's own."""
    unit, tf = (params.get("unit") or "").strip(), (params.get("tf") or "").strip()
    if unit or tf:
        return sel.list_get(actor, unit_code=unit, task_force_id=tf)
    own = sel.own_lists(actor)
    return own[0] if own else None


def _owner_ref(actor: Actor, ref: str) -> svc.KeyList:
    """The list named in a URL: a unit code or a task force's public id (404 outside)."""
    try:
        tf = str(uuid.UUID(ref))
    except ValueError:
        return sel.list_get(actor, unit_code=ref)
    return sel.list_get(actor, task_force_id=tf)


def list_url(owner: svc.KeyList, month: str | None = None) -> str:
    query = dict(owner.query)
    if month:
        query["month"] = month
    return reverse("worklists:keywork") + "?" + urlencode(query)


def _editable_month(month: str) -> bool:
    now = svc.this_month()
    return month in (now, svc.shift_month(now, 1))


def _stars(owner: svc.KeyList, month: str) -> list[tuple[str, str]]:
    return svc.star_choices(owner.unit, svc.month_start(month).year)


def _sees_overview(actor: Actor) -> bool:
    return any(
        p.unit_kind not in (UnitKind.VILLAGE, UnitKind.GRID, UnitKind.BUILDING)
        for p in actor.posts_with(wf.VIEW)
    )


def _render_list(
    request: ActorRequest,
    owner: svc.KeyList | None,
    month: str,
    *,
    status: int = 200,
    add_form: forms.AddForm | None = None,
    carry_error: str = "",
) -> HttpResponse:
    actor = request.actor
    context: dict[str, Any] = {
        "owner": owner,
        "month": month,
        "month_label": svc.month_label(month),
        "months": [(m, svc.month_label(m)) for m in sel.months_for_picker()],
        "own_lists": sel.own_lists(actor),
        "sees_overview": _sees_overview(actor),
        "max": wf.KEYWORK_MAX,
        "nudge_text": svc.NUDGE_MESSAGE,
        "carry_error": carry_error,
        "ref": "",
    }
    if owner is not None:
        can_edit = svc.can_keep(actor, owner) and _editable_month(month)
        stars = _stars(owner, month)
        data = sel.month_list(owner, month)
        names = dict(stars)
        for item in data.open:
            item.star_name = names.get(item.star_code, item.star_code)  # type: ignore[attr-defined]
        if add_form is None and can_edit and data.free > 0:
            add_form = forms.AddForm(initial={"month": month}, stars=stars)
        context.update(
            {
                "ref": owner.ref,
                "data": data,
                "can_edit": can_edit,
                "add_form": add_form if can_edit else None,
                "full_text": svc.full_message(month),
                # Carrying over needs a free place on this month's list.
                "carry": sel.carry_from_last_month(owner, month)
                if can_edit and data.free > 0
                else [],
                "last_month_label": svc.month_label(svc.shift_month(month, -1)),
                "is_current": month == svc.this_month(),
                "export_url": reverse("worklists:keywork_export")
                + "?"
                + urlencode({**owner.query, "month": month}),
            }
        )
    return render(request, "worklists/keywork/list.html", context, status=status)


@login_required
@require_GET
def keywork(request: ActorRequest) -> HttpResponse:
    """A key-work list for a month (the actor's own unit's by default)."""
    actor = require_any(request, wf.VIEW)
    owner = _owner(actor, request.GET)
    return _render_list(request, owner, _month(request.GET.get("month")))


@login_required
@require_POST
def keywork_add(request: ActorRequest, ref: str) -> HttpResponse:
    """Add an item to a list (the smallest free slot; refused when six are open)."""
    actor = require_any(request, wf.VIEW)
    owner = _owner_ref(actor, ref)
    month = _month(request.POST.get("month"))
    form = forms.AddForm(request.POST, stars=_stars(owner, month))
    if not form.is_valid():
        return _render_list(request, owner, month, status=400, add_form=form)
    try:
        item = svc.keywork_add(actor=actor, owner=owner, month=month, draft=form.draft())
    except DomainError as exc:
        add_domain_error(form, exc)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _render_list(request, owner, month, status=status, add_form=form)
    messages.success(request, f"已添加第{item.slot}项：{item.title}")
    return redirect(list_url(owner, month))


@login_required
@require_POST
def keywork_carry(request: ActorRequest, ref: str) -> HttpResponse:
    """Carry last month's unfinished items (those ticked) into this list's month."""
    actor = require_any(request, wf.VIEW)
    owner = _owner_ref(actor, ref)
    month = _month(request.POST.get("month"))
    wanted = set(request.POST.getlist("items"))
    candidates = sel.carry_from_last_month(owner, month)
    chosen = [i for i in candidates if str(i.public_id) in wanted]
    try:
        if not chosen:
            raise DomainError("请勾选要转入的事项", field="items")
        carried = svc.keywork_carry_over(actor=actor, owner=owner, month=month, items=chosen)
    except DomainError as exc:
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _render_list(request, owner, month, status=status, carry_error=exc.message)
    messages.success(request, f"已将{len(carried)}项转入{svc.month_label(month)}清单")
    return redirect(list_url(owner, month))


# --- one item --------------------------------------------------------------------------------


def _render_item(
    request: ActorRequest,
    item: KeyWorkItem,
    *,
    status: int = 200,
    edit_form: forms.EditForm | None = None,
    done_form: forms.DoneForm | None = None,
    drop_form: forms.DropForm | None = None,
    open_form: str = "",
    conflict: str = "",
    refusal: str = "",
) -> HttpResponse:
    owner = svc.list_of(item)
    stars = _stars(owner, item.month)
    successor = sel.item_successor(item)
    can_act = (
        svc.can_keep(request.actor, owner)
        and item.status == KeyWorkItem.Status.OPEN
        and successor is None
    )
    version = {"version": item.version}
    context = {
        "item": item,
        "owner": owner,
        "list_url": list_url(owner, item.month),
        "month_label": svc.month_label(item.month),
        "events": sel.item_events(item),
        "successor": successor,
        "star_name": dict(stars).get(item.star_code, item.star_code),
        "can_act": can_act,
        "edit_form": edit_form
        or forms.EditForm(
            initial={
                "title": item.title,
                "detail": item.detail,
                "responsible": item.responsible,
                "due_on": item.due_on,
                "star_code": item.star_code,
                **version,
            },
            stars=stars,
        ),
        "done_form": done_form or forms.DoneForm(initial=version),
        "drop_form": drop_form or forms.DropForm(initial=version),
        "open_form": open_form,
        "conflict": conflict,
        "refusal": refusal,
    }
    return render(request, "worklists/keywork/item.html", context, status=status)


@login_required
@require_GET
def keywork_item(request: ActorRequest, public_id: Any) -> HttpResponse:
    """An item with its history and what may be done with it."""
    return _render_item(request, sel.item_get(request.actor, public_id))


@login_required
@require_POST
def keywork_item_act(request: ActorRequest, public_id: Any) -> HttpResponse:
    """op=update (correct), done (with the result) or drop (with the reason)."""
    actor = request.actor
    item = sel.item_get(actor, public_id)
    op = request.POST.get("op", "")
    stars = _stars(svc.list_of(item), item.month)
    form: forms.EditForm | forms.DoneForm | forms.DropForm
    if op == "update":
        form = forms.EditForm(request.POST, stars=stars)
    elif op == "done":
        form = forms.DoneForm(request.POST)
    elif op == "drop":
        form = forms.DropForm(request.POST)
    else:
        return _render_item(request, item, status=400, refusal="请从页面上的按钮操作")
    kw: dict[str, Any] = {f"{op if op != 'update' else 'edit'}_form": form, "open_form": op}
    if not form.is_valid():
        return _render_item(request, item, status=400, **kw)
    d = form.cleaned_data
    try:
        if isinstance(form, forms.EditForm):
            svc.keywork_update(
                actor=actor, item=item, draft=form.draft(), expected_version=d["version"]
            )
            done = "已保存修改"
        elif isinstance(form, forms.DoneForm):
            svc.keywork_done(
                actor=actor,
                item=item,
                result=d["result"],
                done_on=d.get("done_on"),
                expected_version=d["version"],
            )
            done = "已完成，该事项退出推进清单"
        else:
            svc.keywork_drop(
                actor=actor, item=item, reason=d["reason"], expected_version=d["version"]
            )
            done = "已移出推进清单"
    except DomainError as exc:
        fresh = sel.item_get(actor, public_id)
        if isinstance(exc, Conflict):
            return _render_item(request, fresh, status=409, conflict=CONFLICT)
        if exc.field in form.fields:
            add_domain_error(form, exc)
            status = 403 if isinstance(exc, PermissionDenied) else 400
            return _render_item(request, fresh, status=status, **kw)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _render_item(request, fresh, status=status, refusal=exc.message)
    messages.success(request, done)
    if op == "update":
        return redirect("worklists:keywork_item", public_id=item.public_id)
    return redirect(list_url(svc.list_of(item), item.month))


# --- overview and export ---------------------------------------------------------------------


def _filters(actor: Actor, params: QueryDict) -> dict[str, Any]:
    townships = list(sel.townships_for(actor)[:500])
    forces = list(sel.task_forces_for(actor))
    code = (params.get("township") or "").strip()
    township = next((t for t in townships if t.code == code), None) if code else None
    tf_id = (params.get("tf") or "").strip()
    task_force = next((t for t in forces if str(t.public_id) == tf_id), None) if tf_id else None
    return {
        "townships": townships,
        "forces": forces,
        "township": township,
        "task_force": task_force,
    }


@login_required
@require_GET
def keywork_overview(request: ActorRequest) -> HttpResponse:
    """Every list under the actor with its counts for a month (the creation office's review)."""
    actor = require_any(request, wf.VIEW)
    month = _month(request.GET.get("month"))
    f = _filters(actor, request.GET)
    page = page_of(request, sel.overview_units(actor, f["township"]))
    units = list(page.object_list) if f["task_force"] is None else []
    rows, figures = sel.overview(
        actor, month, units, township=f["township"], task_force=f["task_force"]
    )
    for row in rows:
        row.url = list_url(row.owner, month)  # type: ignore[attr-defined]
    query = {"month": month}
    if f["township"] is not None:
        query["township"] = f["township"].code
    context = {
        **f,
        "month": month,
        "month_label": svc.month_label(month),
        "months": [(m, svc.month_label(m)) for m in sel.months_for_picker()],
        "rows": rows,
        "figures": figures,
        "page": page if f["task_force"] is None else None,
        "qs": querystring_without_page(request),
        "export_url": reverse("worklists:keywork_export") + "?" + urlencode(query),
        "nudge_below": wf.KEYWORK_NUDGE_BELOW,
    }
    return render(request, "worklists/keywork/overview.html", context)


EXPORT_HEADERS = [
    "月份",
    "清单",
    "位置",
    "事项",
    "推进要求",
    "责任人",
    "完成时限",
    "关联星",
    "状态",
    "完成日期",
    "完成情况/移出原因",
    "上月延续",
]


@login_required
@require_GET
def keywork_export(request: ActorRequest) -> FileResponse:
    """The items of a month as .xlsx: one list (?unit=/?tf=), one township or all in scope."""
    actor = require_any(request, wf.VIEW)
    month = _month(request.GET.get("month"))
    owner = None
    if request.GET.get("unit") or request.GET.get("tf"):
        owner = _owner(actor, request.GET)
    township = None if owner is not None else _filters(actor, request.GET)["township"]
    stars: dict[str, str] = {}

    def rows() -> Any:
        for item in sel.export_items(actor, month, owner=owner, township=township):
            if not stars:
                stars.update(svc.star_choices(item.owner, svc.month_start(month).year))
            yield [
                item.month,
                svc.list_of(item).name,
                item.slot,
                item.title,
                item.detail,
                item.responsible,
                item.due_on,
                stars.get(item.star_code, item.star_code),
                item.get_status_display(),
                item.done_on,
                item.result,
                "是" if item.carried_from_id else "",
            ]

    name = owner.name if owner is not None else (township.display_name if township else "")
    return xlsx_export(
        request,
        sheet=f"重点工作推进清单{month}",
        headers=EXPORT_HEADERS,
        rows=rows(),
        object_type="worklists.keyworkitem",
        scope_path=owner.unit.path
        if owner is not None
        else (actor.primary_post.unit_path if actor.primary_post else ""),
        filename=f"{name}重点工作推进清单-{month}.xlsx",
    )
