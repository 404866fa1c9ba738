"""Minutes (会议记录): drafted and amended in revisions, then locked; afterwards only signed
addenda.

Every save appends a `MinutesRevision` (the history of amendments) and moves the `Minutes`
row with compare-and-set, so two recorders editing at once cannot overwrite each other.
Locking needs the meeting to have ended; it stores the sha256 of the body, and a database
trigger then refuses any change of the row. An addendum carries a signature: the sha256 of
the locked digest, the signer, the time and its text.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import Meeting, Minutes, MinutesAddendum, MinutesRevision
from lianxin.consultation.services.common import actor_label, require
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, clean_text

MAX_LENGTH = 20000
LOCKED_MESSAGE = "会议记录已定稿，不能修改；如需补充，请添加签署的补充说明"


def minutes_for(meeting: Meeting) -> Minutes:
    minutes, _ = Minutes.objects.get_or_create(meeting=meeting)
    return minutes


@transaction.atomic
def minutes_save(
    *, actor: Actor, meeting: Meeting, body: str, expected_version: int | None = None
) -> Minutes:
    """Save a draft of the minutes (during or after the meeting)."""
    require(actor, wf.RUN, meeting.unit.path, "没有编辑该会议记录的权限")
    if meeting.status in (Meeting.Status.PLANNED, Meeting.Status.CANCELLED):
        raise DomainError("会议开始后才能记录")
    body = clean_text(body, field="body", label="记录内容", max_length=MAX_LENGTH)
    minutes = minutes_for(meeting)
    if minutes.locked_at is not None:
        raise DomainError(LOCKED_MESSAGE, field="body")
    version = minutes.version if expected_version is None else expected_version
    now = clock.now()
    label = actor_label(actor)
    updated = Minutes.objects.filter(pk=minutes.pk, version=version, locked_at__isnull=True).update(
        body=body, version=version + 1, recorder_label=actor.display_name[:60], updated_at=now
    )
    if not updated:
        raise Conflict("会议记录刚刚被他人修改或已定稿，请刷新后在最新版本上修改")
    MinutesRevision.objects.create(
        minutes=minutes,
        number=version + 1,
        body=body,
        author_id=actor.user_id,
        author_label=label,
        at=now,
    )
    minutes.refresh_from_db()
    return minutes


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@transaction.atomic
def minutes_lock(*, actor: Actor, meeting: Meeting, expected_version: int | None = None) -> Minutes:
    """Lock the minutes of an ended meeting: from now on the record cannot change."""
    require(actor, wf.RUN, meeting.unit.path, "没有定稿该会议记录的权限")
    if meeting.status != Meeting.Status.CLOSED:
        raise DomainError("会议结束后才能定稿记录")
    minutes = minutes_for(meeting)
    if minutes.locked_at is not None:
        raise DomainError("会议记录已定稿")
    if not minutes.body.strip():
        raise DomainError("记录内容为空，不能定稿", field="body")
    version = minutes.version if expected_version is None else expected_version
    now = clock.now()
    updated = Minutes.objects.filter(pk=minutes.pk, version=version, locked_at__isnull=True).update(
        locked_at=now,
        locked_by_id=actor.user_id,
        digest=body_digest(minutes.body),
        version=version + 1,
        updated_at=now,
    )
    if not updated:
        raise Conflict("会议记录刚刚有变化，请刷新后核对再定稿")
    minutes.refresh_from_db()
    return minutes


def addendum_signature(*, digest: str, signer: str, at_iso: str, body: str) -> str:
    return hashlib.sha256(f"{digest}\n{signer}\n{at_iso}\n{body}".encode()).hexdigest()


@transaction.atomic
def addendum_add(*, actor: Actor, meeting: Meeting, body: str) -> MinutesAddendum:
    """Add a signed addendum to locked minutes (the record itself stays as locked)."""
    require(actor, wf.RUN, meeting.unit.path, "没有补充该会议记录的权限")
    minutes = minutes_for(meeting)
    if minutes.locked_at is None:
        raise DomainError("记录尚未定稿，请直接修改记录", field="body")
    body = clean_text(body, field="body", label="补充内容", max_length=5000)
    now = clock.now()
    signer = actor_label(actor)
    return MinutesAddendum.objects.create(
        minutes=minutes,
        body=body,
        signer_id=actor.user_id,
        signer_label=signer,
        signature=addendum_signature(
            digest=minutes.digest, signer=signer, at_iso=now.isoformat(), body=body
        ),
        at=now,
    )


def minutes_intact(minutes: Minutes) -> bool:
    """Whether a locked body still matches the digest taken when it was locked."""
    return minutes.locked_at is None or body_digest(minutes.body) == minutes.digest
