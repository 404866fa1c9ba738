"""Intake: residents without an account (QR 码上办, 楼院有话, Open311) and staff filing on a
resident's behalf. A request, its first event and its photos are written in one transaction,
so a dying browser or server leaves either no request or a complete one; the tracking number
and private link are shown only after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, CasePhoto, Category, PatrolLog
from lianxin.cases.services import notify, sla
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.lifecycle import record_event, store_photos
from lianxin.cases.workflow import Action, Channel, Kind, Status
from lianxin.core import clock, crypto
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.territory.models import Unit

MIN_DESCRIPTION = 5
MAX_DESCRIPTION = 2000
# Unambiguous letters and digits for tracking numbers read out over the phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z]")

STAFF_CHANNELS = frozenset(
    {
        Channel.PHONE,
        Channel.WALK_IN,
        Channel.VISIT,
        Channel.PATROL,
        Channel.RIDER,
        Channel.BUILDING_LEADER,
    }
)
PUBLIC_UNIT_KINDS = frozenset({"building", "grid", "village"})


@dataclass(frozen=True)
class Submitted:
    """A committed request and the private-link token (shown to the resident once)."""

    case: Case
    token: str


def access_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def source_digest(address: str) -> str:
    """Keyed digest of a client address: rate limits without storing addresses."""
    return crypto.digest("source", address.strip()) if address else ""


def _tracking_no(now: dt.datetime) -> str:
    local = timezone.localtime(now)
    return local.strftime("%y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(5))


def clean_description(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError("请描述遇到的问题", field="description")
    if len(text) > MAX_DESCRIPTION:
        raise DomainError(
            f"问题描述最多{MAX_DESCRIPTION}字，现在是{len(text)}字", field="description"
        )
    if len(text) < MIN_DESCRIPTION or len(_MEANINGFUL.findall(text)) < 3:
        raise DomainError("请用几句话说明问题是什么、在哪里，方便我们尽快处理", field="description")
    if len(set(text)) <= 2:
        raise DomainError("问题描述看起来不完整，请重新填写", field="description")
    return text


def _clean_phone(phone: str) -> str:
    from lianxin.people.services import validate_phone

    try:
        return validate_phone(phone)
    except DomainError as exc:
        raise DomainError(exc.message, field="phone") from exc


def _title(description: str) -> str:
    first = re.split(r"[。！？!?\n]", description, maxsplit=1)[0].strip()
    return (first or description)[:30]


def _count_upto(qs: QuerySet[Case], limit: int) -> int:
    return len(qs.values_list("id", flat=True)[:limit])


def _check_rate(*, source: str, phone_digest: str) -> None:
    conf = case_settings()
    now = clock.now()
    # Counting stops at the limit: a busy source costs no more than the limit's rows.
    if source:
        recent = _count_upto(
            Case.objects.filter(source_digest=source, received_at__gte=now - dt.timedelta(hours=1)),
            conf.public_per_source_hour,
        )
        if recent >= conf.public_per_source_hour:
            raise DomainError("提交过于频繁，请稍后再试；紧急情况请直接拨打社区电话")
    if phone_digest:
        recent = _count_upto(
            Case.objects.filter(
                reporter_phone_digest=phone_digest, received_at__gte=now - dt.timedelta(days=1)
            ),
            conf.public_per_phone_day,
        )
        if recent >= conf.public_per_phone_day:
            raise DomainError(
                "该手机号今天提交的诉求已达上限，请明天再试或联系网格员", field="phone"
            )


def _place(unit: Unit) -> Unit:
    if not unit.is_active:
        raise DomainError("该二维码对应的地点已撤销，请联系社区", field="unit")
    if unit.kind not in PUBLIC_UNIT_KINDS:
        raise DomainError("请选择楼栋、网格或村/社区", field="unit")
    return unit


def _create(
    *,
    unit: Unit,
    description: str,
    channel: str,
    category: Category | None,
    name: str,
    phone: str,
    photos: Sequence[UploadedFile],
    address_text: str,
    latitude: Decimal | None,
    longitude: Decimal | None,
    source: str,
    actor: Actor | None,
    kind: str = Kind.ORDINARY,
    level: str = "",
    urgency: str | None = None,
    resident_id: int | None = None,
    household_id: int | None = None,
    patrol: PatrolLog | None = None,
    allow_publish: bool = True,
    received_at: dt.datetime | None = None,
) -> Submitted:
    now = received_at or clock.now()
    urgency = urgency or (category.default_urgency if category else wf.Urgency.GENERAL)
    token = secrets.token_urlsafe(18)
    protected = crypto.protect_phone(phone) if phone else None
    case = Case(
        access_digest=access_digest(token),
        kind=kind,
        channel=channel,
        unit=unit,
        place_path=unit.path,
        address_text=address_text.strip()[:200],
        latitude=latitude,
        longitude=longitude,
        category=category,
        level=level,
        urgency=urgency,
        title=_title(description),
        description=description,
        reporter_name=name.strip()[:50],
        reporter_resident_id=resident_id,
        reporter_household_id=household_id,
        source_digest=source,
        filed_by_id=actor.user_id if actor else None,
        patrol=patrol,
        received_at=now,
        respond_due_at=sla.respond_due(start=now, urgency=urgency, category=category),
        allow_publish=allow_publish,
    )
    crypto.assign(case, "reporter_phone", protected)
    for _ in range(5):  # a random tracking number collides about never; retry if it does
        case.tracking_no = _tracking_no(now)
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            break
        except IntegrityError:
            case.pk = None
            continue
    else:  # pragma: no cover - five collisions in a row
        raise DomainError("系统繁忙，请重试")
    event = record_event(
        case,
        action=Action.SUBMIT,
        actor=actor,
        to_status=Status.RECEIVED,
        note=_submit_note(actor, channel),
        data={"channel": channel},
        at=now,
    )
    if photos:
        store_photos(case, photos, stage=CasePhoto.Stage.BEFORE, event=event)
    return Submitted(case=case, token=token)


def _submit_note(actor: Actor | None, channel: str) -> str:
    if actor is None:
        return "诉求已提交"
    if channel in {Channel.OPEN311, Channel.API}:
        return f"经接口提交（{actor.display_name}）"
    return f"代居民登记（{Channel(channel).label}）"


def _notify_new(case: Case) -> None:
    """Tell the grid's handlers and the village's dispatchers (one query for both)."""
    from lianxin.accounts.models import Post
    from lianxin.accounts.permissions import ROLE_PERMISSIONS
    from lianxin.cases.services.routing import ancestor_prefixes

    wanted = {"grid": wf.HANDLE, "village": wf.DISPATCH}
    rows = Post.objects.filter(
        unit__path__in=ancestor_prefixes(case.place_path),
        unit__kind__in=list(wanted),
        is_active=True,
        user__is_active=True,
    ).values_list("user_id", "role", "unit__kind")
    ids = [u for u, role, kind in rows if wanted[kind] in ROLE_PERMISSIONS.get(role, ())]
    notify.notify_users(ids, kind="new", text=f"新诉求：{case.tracking_no} {case.title}", case=case)


@transaction.atomic
def case_submit_public(
    *,
    unit: Unit,
    description: str,
    category: Category | None = None,
    name: str = "",
    phone: str = "",
    photos: Sequence[UploadedFile] = (),
    address_text: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    source: str = "",
    channel: str = Channel.QR,
    allow_publish: bool = True,
    filed_via: Actor | None = None,
) -> Submitted:
    """A resident's request from a QR page, the 楼院有话 column or Open311 (no account).

    `source` is the client address; only its keyed digest is stored (rate limit).
    `filed_via` is the integration account that relayed it (Open311), kept as the filer."""
    unit = _place(unit)
    description = clean_description(description)
    phone = _clean_phone(phone)
    src = source_digest(source)
    _check_rate(source=src, phone_digest=crypto.phone_digest(phone) if phone else "")
    if category is not None and not (category.is_active and category.is_public):
        raise DomainError("请选择有效的类别", field="category")
    submitted = _create(
        unit=unit,
        description=description,
        channel=channel,
        category=category,
        name=name,
        phone=phone,
        photos=photos,
        address_text=address_text,
        latitude=latitude,
        longitude=longitude,
        source=src,
        actor=filed_via,
        allow_publish=allow_publish,
    )
    _notify_new(submitted.case)
    notify.notify_reporter(submitted.case, template="case_received", payload={})
    return submitted


@transaction.atomic
def case_file(
    *,
    actor: Actor,
    unit: Unit,
    description: str,
    channel: str,
    category: Category | None = None,
    level: str = "",
    urgency: str | None = None,
    name: str = "",
    phone: str = "",
    resident_id: int | None = None,
    household_id: int | None = None,
    photos: Sequence[UploadedFile] = (),
    address_text: str = "",
    patrol: PatrolLog | None = None,
    kind: str = Kind.ORDINARY,
    received_at: dt.datetime | None = None,
    allow_publish: bool = False,
) -> Submitted:
    """Staff or a grid worker files a request on a resident's behalf (or a patrol finding)."""
    if not actor.can(wf.FILE, unit.path):
        raise PermissionDenied("没有在该地点登记诉求的权限")
    if channel not in STAFF_CHANNELS:
        raise DomainError("请选择来源渠道", field="channel")
    if level and level not in wf.Level.values:
        raise DomainError("请选择大事、小事或私事", field="level")
    unit = _place(unit)
    description = clean_description(description)
    phone = _clean_phone(phone)
    submitted = _create(
        unit=unit,
        description=description,
        channel=channel,
        category=category,
        name=name,
        phone=phone,
        photos=photos,
        address_text=address_text,
        latitude=None,
        longitude=None,
        source="",
        actor=actor,
        kind=kind,
        level=level,
        urgency=urgency,
        resident_id=resident_id,
        household_id=household_id,
        patrol=patrol,
        received_at=received_at,
        allow_publish=allow_publish,
    )
    _notify_new(submitted.case)
    return submitted


def suggest_category(text: str) -> Category | None:
    """The public category whose keywords (`Category.keywords`) occur most often in `text`,
    or None: a hint while the resident types, never a decision (staff triage decides)."""
    text = (text or "").strip()
    if len(text) < 2:
        return None
    best: tuple[int, int, Category] | None = None
    rows = Category.objects.filter(is_active=True, is_public=True, parent__isnull=False)
    for cat in rows.exclude(keywords="").order_by("sort_order", "code"):
        # Longer keywords are more telling ("楼道灯" over "灯"): weigh hits by length.
        hits = sum(len(k) for k in cat.keywords.split() if k and k in text)
        if hits and (best is None or hits > best[0]):
            best = (hits, -cat.sort_order, cat)
    return best[2] if best else None


def case_by_token(token: str) -> Case | None:
    """The request behind a private link (None for an unknown token)."""
    if not token or len(token) > 64:
        return None
    return (
        Case.objects.select_related("category", "unit", "merged_into")
        .filter(access_digest=access_digest(token))
        .first()
    )
