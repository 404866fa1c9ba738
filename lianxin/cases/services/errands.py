"""Errands (帮办、代办、上门办): what a grid worker or staff member did for a resident, e.g.
pension authentication at an elderly person's home (DOMAIN.md §4).

An errand is a request of kind `errand` filed through `intake.case_file`, plus an `Errand`
row saying what was done, how and for whom. One done on the spot is taken straight through
the lifecycle (dispatched to the worker, taken, resolved), so the figures count it like any
other resolved request. When the person is registered in the livelihood ledger (民生台账),
the errand is linked to their active ledger entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Perm
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, Category, Errand
from lianxin.cases.selectors import cases_for
from lianxin.cases.services import intake, lifecycle
from lianxin.cases.workflow import Channel, Kind, Level, Status
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.people.models import LedgerEntry, Resident
from lianxin.territory.models import Unit

# Offered as suggestions on the form (a datalist): the seeds' everyday errands.
COMMON_SERVICES = (
    "养老金资格认证",
    "高龄补贴申请",
    "医保缴费",
    "残疾证办理",
    "居住证代办",
    "代购药品",
    "上门理发",
)
MODES: dict[str, str] = dict(Errand._meta.get_field("mode").choices or [])  # type: ignore[arg-type]
CHANNELS = (Channel.VISIT, Channel.WALK_IN, Channel.PHONE)
# Which request category an errand is filed under, by a keyword of the service (first match).
SERVICE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("养老金", "social_security"),
    ("医保", "social_security"),
    ("社保", "social_security"),
    ("高龄", "elderly_care"),
    ("药", "elderly_care"),
    ("理发", "elderly_care"),
    ("助餐", "elderly_care"),
    ("残疾", "assistance"),
    ("低保", "assistance"),
    ("救助", "assistance"),
)
# Which ledger tags an errand for a service most likely serves: the entry under such a tag is
# the one linked when the person has several (else the first by the tag's order).
SERVICE_TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("高龄", ("elderly_70",)),
    ("养老金", ("elderly_70", "elderly_alone", "empty_nest")),
    ("残疾", ("disabled",)),
    ("低保", ("subsistence_allowance", "extreme_poverty", "monitored_household")),
    ("救助", ("extreme_poverty", "subsistence_allowance", "monitored_household")),
    ("药", ("serious_illness", "elderly_alone", "disabled")),
    ("理发", ("elderly_alone", "disabled", "elderly_70")),
)
MAX_SERVICE = 60


# --- handling in person ----------------------------------------------------------------------


def _own_handler_unit(actor: Actor, case: Case) -> Unit:
    """The unit of the actor's post that handles at the request's place (deepest first)."""
    posts = sorted(
        (p for p in actor.posts_with(wf.HANDLE) if case.place_path.startswith(p.unit_path)),
        key=lambda p: -len(p.unit_path),
    )
    if not posts:
        raise PermissionDenied("没有办理该事项的权限")
    return Unit.objects.get(pk=posts[0].unit_id)


def _self_dispatch(*, case: Case, actor: Actor, note: str) -> None:
    handler_unit = _own_handler_unit(actor, case)
    # case_assign lets a handler without dispatch rights assign to themselves only, within
    # their own handling unit (checked again there).
    lifecycle.case_assign(
        case=case,
        actor=actor,
        handler_unit=handler_unit,
        assignee_id=actor.user_id,
        note=note,
    )


def self_handle(*, case: Case, actor: Actor, note: str) -> None:
    """Bring a request the actor deals with in person (an errand done on the spot, a dispute
    they mediated) to "in progress": dispatched to them if nobody has it yet, then taken."""
    lifecycle.require(actor, case, wf.HANDLE, "没有办理该事项的权限")
    if case.status in wf.UNDISPATCHED:
        _self_dispatch(case=case, actor=actor, note=note)
    if case.status == Status.ASSIGNED:
        lifecycle.case_take(case=case, actor=actor)


# --- errands ---------------------------------------------------------------------------------


def service_category(service: str) -> Category | None:
    """The request category of an errand's service (configuration may have removed it)."""
    code = next((c for key, c in SERVICE_CATEGORIES if key in service), None)
    if code is None:
        return None
    return Category.objects.filter(code=code, is_active=True).first()


def ledger_entry_for(resident: Resident, service: str) -> LedgerEntry | None:
    """The resident's active livelihood-ledger entry an errand for `service` belongs to."""
    entries = list(
        LedgerEntry.objects.filter(resident=resident, is_active=True)
        .select_related("tag")
        .order_by("tag__sort_order", "id")
    )
    if not entries:
        return None
    wanted = next((codes for key, codes in SERVICE_TAGS if key in service), ())
    for code in wanted:
        for entry in entries:
            if entry.tag.code == code:
                return entry
    return entries[0]


def _default_result(mode: str, service: str) -> str:
    return f"已{MODES[mode]}{service}"


@transaction.atomic
def errand_record(
    *,
    actor: Actor,
    service: str,
    mode: str,
    unit: Unit | None = None,
    beneficiary_id: int | None = None,
    beneficiary_name: str = "",
    description: str = "",
    done: bool = False,
    result: str = "",
    photos: Sequence[UploadedFile] = (),
    channel: str = Channel.VISIT,
) -> Errand:
    """Record an errand for a resident (a registered one, `beneficiary_id`, or by name).

    `done` errands are resolved at once with `result` (or "已代办<service>"); the others wait
    in the queue for `errand_complete`. The place defaults to the resident's home."""
    service = (service or "").strip()
    if not service:
        raise DomainError("请填写办理事项", field="service")
    if len(service) > MAX_SERVICE:
        raise DomainError(f"办理事项最多{MAX_SERVICE}字", field="service")
    if mode not in MODES:
        raise DomainError("请选择帮办、代办或上门办", field="mode")
    if channel not in CHANNELS:
        raise DomainError("请选择走访、来访或电话", field="channel")
    beneficiary: Resident | None = None
    if beneficiary_id is not None:
        beneficiary = (
            Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW)
            .select_related("household__unit")
            .filter(pk=beneficiary_id, is_active=True)
            .first()
        )
        if beneficiary is None:
            raise DomainError("服务对象不在您的辖区或已迁出", field="beneficiary")
        name = beneficiary.name
    else:
        name = (beneficiary_name or "").strip()[:50]
        if not name:
            raise DomainError("请选择或填写服务对象", field="beneficiary_name")
    if unit is None:
        if beneficiary is None:
            raise DomainError("请选择办理地点", field="unit")
        unit = beneficiary.household.unit
    if done and not actor.can(wf.HANDLE, unit.path):
        raise PermissionDenied(
            "您可以登记代办需求，由网格员办理后办结；请不要勾选“已办结”", field="done"
        )
    extra = (description or "").strip()
    text = f"{MODES[mode]}：{service}" + (f"。{extra}" if extra else "")
    submitted = intake.case_file(
        actor=actor,
        unit=unit,
        description=text,
        channel=channel,
        category=service_category(service),
        level=Level.SMALL,
        name=name,
        resident_id=beneficiary.pk if beneficiary else None,
        household_id=beneficiary.household_id if beneficiary else None,
        photos=() if done else photos,
        kind=Kind.ERRAND,
    )
    case = submitted.case
    errand = Errand.objects.create(
        case=case,
        service=service,
        mode=mode,
        beneficiary=beneficiary,
        beneficiary_name=name,
        ledger_entry=ledger_entry_for(beneficiary, service) if beneficiary else None,
    )
    if done:
        _finish(
            errand=errand,
            actor=actor,
            result=(result or "").strip() or _default_result(mode, service),
            photos=photos,
        )
    return errand


def _finish(*, errand: Errand, actor: Actor, result: str, photos: Sequence[UploadedFile]) -> None:
    case = errand.case
    self_handle(case=case, actor=actor, note=f"{actor.display_name}{MODES[errand.mode]}")
    lifecycle.case_resolve(case=case, actor=actor, result=result, photos=photos)
    now = clock.now()
    if Errand.objects.filter(pk=errand.pk, done_at__isnull=True).update(done_at=now) != 1:
        raise Conflict("该事项刚刚已被他人办结，请刷新页面")
    errand.done_at = now


@transaction.atomic
def errand_complete(
    *,
    actor: Actor,
    errand: Errand,
    result: str,
    photos: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> Errand:
    """Complete an errand recorded as not yet done: the request is resolved with `result`."""
    case = errand.case
    lifecycle.require(actor, case, wf.HANDLE, "没有办理该事项的权限")
    if errand.done_at is not None:
        raise DomainError("该事项已办结")
    if expected_version is not None and expected_version != case.version:
        raise Conflict("该事项刚刚有变化，请刷新页面查看最新状态后再操作")
    result = (result or "").strip()
    if not result:
        raise DomainError("请填写办理结果", field="result")
    if not (case.is_open and case.status != Status.SUSPENDED):
        raise DomainError(f"该事项当前为“{Status(case.status).label}”，不能办结")
    _finish(errand=errand, actor=actor, result=result, photos=photos)
    return errand


# --- reads -----------------------------------------------------------------------------------


def errands_for(actor: Actor) -> QuerySet[Case]:
    """Errand requests in the actor's scope, with what the list and detail pages show."""
    return (
        cases_for(actor)
        .filter(kind=Kind.ERRAND)
        .select_related("errand", "errand__ledger_entry__tag", "unit", "assignee")
    )


def errand_get(actor: Actor, *, public_id: object) -> Case:
    """One errand request (by the request's public id) in scope, or 404."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        return (
            errands_for(actor)
            .select_related("errand__beneficiary__household__unit")
            .get(public_id=str(public_id), errand__isnull=False)
        )
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


def beneficiary_search(actor: Actor, q: str, *, limit: int = 10) -> list[Resident]:
    """Residents in scope whose name contains `q`, with their active ledger tags."""
    from django.db.models import Prefetch

    q = (q or "").strip()
    if not q:
        return []
    return list(
        Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW)
        .filter(is_active=True, name__icontains=q)
        .select_related("household__unit")
        .prefetch_related(
            Prefetch(
                "ledger_entries",
                queryset=LedgerEntry.objects.filter(is_active=True).select_related("tag"),
                to_attr="active_entries",
            )
        )
        .order_by("household__unit__path", "household__address", "id")[:limit]
    )
