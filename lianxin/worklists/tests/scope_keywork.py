"""Scope cases of the key-work list pages (run by core's URL walk), and the factories the
test_keywork*.py modules use too.

The village's staff keep the village's list (inside); another village's staff (outside) get
404 on its items and on adding to it, and their own list without the village's items. The
street's staff see their villages' lists in the overview; another street's do not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.worklists.models import KeyWorkItem
from lianxin.worklists.services import keywork as svc

TITLE = "迎秀社区老旧小区加装路灯"
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}


def draft(title: str = TITLE, *, month: str | None = None, **kw: Any) -> svc.ItemDraft:
    fields: dict[str, Any] = {"title": title, "responsible": "王书记", **kw}
    if "due_on" not in fields:
        fields["due_on"] = svc.month_start(month or svc.this_month()) + dt.timedelta(days=20)
    return svc.ItemDraft(**fields)


def village_list(w: Any) -> svc.KeyList:
    return svc.KeyList(unit=w.village)


def add(
    w: Any,
    title: str = TITLE,
    *,
    owner: svc.KeyList | None = None,
    month: str | None = None,
    persona: str = "village_staff",
    **kw: Any,
) -> KeyWorkItem:
    """An item added through the service (this month by default)."""
    month = month or svc.this_month()
    return svc.keywork_add(
        actor=w.actor(persona),
        owner=owner or village_list(w),
        month=month,
        draft=draft(title, month=month, **kw),
    )


def stored(
    w: Any, month: str, title: str = TITLE, *, slot: int = 1, owner: svc.KeyList | None = None
) -> KeyWorkItem:
    """An open item written straight to the table (for months the service no longer takes)."""
    owner = owner or village_list(w)
    return KeyWorkItem.objects.create(
        owner=owner.unit,
        task_force=owner.task_force,
        list_key=owner.key,
        month=month,
        slot=slot,
        title=title,
        responsible="王书记",
        due_on=svc.month_start(month) + dt.timedelta(days=20),
    )


# --- scope cases -----------------------------------------------------------------------------


def _list(w: Any) -> ScopeSetup:
    add(w)
    return ScopeSetup(marker=TITLE)


def _street_list(w: Any) -> ScopeSetup:
    add(w, "大定街道重点工作调度", owner=svc.KeyList(unit=w.street), persona="street_staff")
    return ScopeSetup(marker="大定街道重点工作调度")


def _add(w: Any) -> ScopeSetup:
    d = draft()
    return ScopeSetup(
        kwargs={"ref": w.village.code},
        data={
            "month": svc.this_month(),
            "title": d.title,
            "responsible": d.responsible,
            "due_on": d.due_on.isoformat() if d.due_on else "",
        },
    )


def _carry(w: Any) -> ScopeSetup:
    old = stored(w, svc.shift_month(svc.this_month(), -1))
    return ScopeSetup(
        kwargs={"ref": w.village.code},
        data={"month": svc.this_month(), "items": [str(old.public_id)]},
    )


def _item(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": add(w).public_id}, marker=TITLE)


def _act(w: Any) -> ScopeSetup:
    item = add(w)
    return ScopeSetup(
        kwargs={"public_id": item.public_id},
        data={"op": "done", "result": "已安装12盏", "version": item.version},
    )


def _overview(w: Any) -> ScopeSetup:
    add(w)
    return ScopeSetup(marker="迎秀社区")


def _export(w: Any) -> ScopeSetup:
    add(w)
    return ScopeSetup()


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("worklists:keywork", _list, **VILLAGE),
    ScopeCase("worklists:keywork", _street_list, **STREET),
    ScopeCase("worklists:keywork_add", _add, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("worklists:keywork_carry", _carry, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("worklists:keywork_item", _item, **VILLAGE),
    ScopeCase("worklists:keywork_item", _item, **STREET),
    ScopeCase("worklists:keywork_item_act", _act, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("worklists:keywork_overview", _overview, **STREET),
    ScopeCase("worklists:keywork_export", _export, **VILLAGE),
]
