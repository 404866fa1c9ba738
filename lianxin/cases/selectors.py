"""Reads for requests, all scoped by the actor (DESIGN.md invariant 1).

`cases_for(actor)` is the one place that decides which requests an actor sees: those under
the units of posts granting `cases.view`, plus — for department staff — those routed to their
department or whose whistle summoned it, within the unit of the department post.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, WhistleSummons
from lianxin.cases.services.lifecycle import actor_department_ids
from lianxin.core.scope import path_q

LIST_RELATED = ("category", "unit", "handler_unit", "handler_department", "assignee")


def cases_for(actor: Actor, perm: str = wf.VIEW) -> QuerySet[Case]:
    """Requests the actor may see (`perm` at their place), plus department handling."""
    q = path_q("place_path", actor.scope_paths(perm))
    depts = actor_department_ids(actor)
    if depts and perm == wf.VIEW:
        summoned = WhistleSummons.objects.filter(
            whistle__case_id=OuterRef("pk"), department_id__in=depts
        )
        dept_q = Q(handler_department_id__in=depts) | Q(Exists(summoned))
        q |= path_q("place_path", actor.scope_paths(wf.DEPARTMENT)) & dept_q
    return Case.objects.filter(q)


def case_get(actor: Actor, *, public_id: object) -> Case:
    """One request in the actor's scope, or 404."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        return (
            cases_for(actor).select_related(*LIST_RELATED, "merged_into").get(public_id=public_id)
        )
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc
