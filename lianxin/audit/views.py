from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from lianxin.audit.forms import EventFilterForm
from lianxin.audit.selectors import (
    AUDIT_VIEW,
    EventFilter,
    describe_changes,
    event_search,
    object_type_labels,
)
from lianxin.core.http import ActorRequest

PAGE_SIZE = 50


@login_required
def event_list(request: ActorRequest) -> HttpResponse:
    """Search the audit trail by user, object, action and time, within the actor's scope."""
    actor = request.actor
    if not actor.can(AUDIT_VIEW):
        raise PermissionDenied("您无权查询审计记录")
    form = EventFilterForm(request.GET or None)
    flt = form.to_filter() if form.is_bound and form.is_valid() else EventFilter()
    page = Paginator(event_search(actor, flt), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = object_type_labels()
    for event in page.object_list:
        event.change_rows = describe_changes(event)
        event.object_type_label = labels.get(event.object_type, event.object_type)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "object_types": labels,
            "querystring_without_page": (query.urlencode() + "&") if query else "",
        },
    )
