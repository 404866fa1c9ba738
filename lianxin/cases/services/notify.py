"""Notifications: the staff inbox and the outbound channel (SMS / WeChat template messages).

Services call `notify_users` / `notify_reporter` inside their transaction; rows are plain
inserts so a rolled-back action leaves no message. The outbound channel is chosen by the
setting ``LIANXIN_OUTBOUND_CHANNEL`` (a dotted path to an `OutboundChannel` class); the
default `RecordingChannel` only records what would be sent.

Outbound templates (a gateway maps each name to its own template id; payload keys in
brackets): ``case_received`` (tracking_no), ``case_resolved`` (tracking_no, result),
``case_guided`` (tracking_no, guidance), ``resident_login_code`` (code, minutes;
`services.residents`); later apps send through the same channel: ``consultation_vote_link``
(title, url; `consultation.services.votes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from lianxin.cases.models import Case, Notification, OutboundMessage


class OutboundChannel(Protocol):
    name: str

    def send(
        self,
        *,
        to_digest: str,
        to_masked: str,
        template: str,
        payload: dict[str, Any],
        case: Case | None,
    ) -> OutboundMessage: ...


class RecordingChannel:
    """Records the message and sends nothing: the default until a gateway is configured."""

    name = "record"

    def send(
        self,
        *,
        to_digest: str,
        to_masked: str,
        template: str,
        payload: dict[str, Any],
        case: Case | None,
    ) -> OutboundMessage:
        return OutboundMessage.objects.create(
            channel=self.name,
            to_digest=to_digest,
            to_masked=to_masked,
            template=template,
            payload=payload,
            case=case,
            status="recorded",
        )


def outbound_channel() -> OutboundChannel:
    path = getattr(settings, "LIANXIN_OUTBOUND_CHANNEL", "")
    if path:
        return import_string(path)()  # type: ignore[no-any-return]
    return RecordingChannel()


def notify_users(
    user_ids: Iterable[int | None], *, kind: str, text: str, case: Case | None = None
) -> int:
    """One inbox row per distinct user (None and duplicates skipped)."""
    ids = sorted({u for u in user_ids if u})
    Notification.objects.bulk_create(
        [Notification(recipient_id=u, kind=kind, text=text[:300], case=case) for u in ids]
    )
    return len(ids)


def notify_reporter(case: Case, *, template: str, payload: dict[str, Any]) -> None:
    """Tell the resident who left a phone number (residents also see every public step on
    their private page, which needs no channel)."""
    if not case.reporter_phone_digest:
        return
    outbound_channel().send(
        to_digest=case.reporter_phone_digest,
        to_masked=case.reporter_phone_masked,
        template=template,
        payload={"tracking_no": case.tracking_no, **payload},
        case=case,
    )
