"""Agenda items and their votes (一人一票 / 一户一票).

An item is added from staff, a request, a resident proposal or a 四议两公开 step; its vote
has an electorate (by default the meeting's), a threshold and a base. Opening the vote
freezes how many may vote; every ballot is an append-only row, unique per elector and item,
cast in person (staff record it) or online through a one-time link. Closing the vote needs
the meeting's quorum, tallies the ballots in one grouped query and compares the support rate
with the threshold in exact arithmetic; the outcome goes back to where the item came from
(the request gets a note, the proposal is decided, the matter moves to its next step) and
out as `signals.item_decided`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max

from lianxin.accounts.actor import Actor
from lianxin.cases.models import Case
from lianxin.cases.services.notify import outbound_channel
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Attendance,
    Ballot,
    Base,
    Choice,
    Electorate,
    Meeting,
    ResidentProposal,
    Threshold,
    VoteLink,
)
from lianxin.consultation.services.common import require
from lianxin.consultation.services.meetings import meeting_area, meeting_quorum
from lianxin.consultation.signals import item_decided
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, clean_text
from lianxin.people.models import Resident

ItemStatus = AgendaItem.Status
LINK_DAYS = 7


def item_electorate(item: AgendaItem) -> str:
    return item_electorate_for(item.electorate, item.meeting)


def _clean_threshold(threshold: str, share: Decimal | None) -> Decimal | None:
    if threshold not in Threshold.values:
        raise DomainError("请选择表决规则", field="threshold")
    if threshold == Threshold.SHARE:
        if share is None or not (Decimal("50") < share <= Decimal("100")):
            raise DomainError("指定通过比例须大于50%、不超过100%", field="threshold_share")
        return share
    return None


@transaction.atomic
def item_add(
    *,
    actor: Actor,
    meeting: Meeting,
    title: str,
    description: str = "",
    source: str = AgendaItem.Source.STAFF,
    case: Case | None = None,
    proposal: ResidentProposal | None = None,
    electorate: str = "",
    threshold: str = "",
    threshold_share: Decimal | None = None,
    base: str = "",
    allow_online: bool = False,
    matter_id: int | None = None,
    matter_step: int | None = None,
) -> AgendaItem:
    """Put an item on the agenda of a meeting that has not ended. The vote's rules default
    to the meeting type's."""
    require(actor, wf.RUN, meeting.unit.path, "没有安排该会议议程的权限")
    if meeting.status not in (Meeting.Status.PLANNED, Meeting.Status.OPEN):
        raise DomainError("会议已结束或已取消，不能再增加议题")
    mtype = meeting.meeting_type
    threshold = threshold or mtype.threshold
    share = _clean_threshold(
        threshold, threshold_share if threshold_share is not None else mtype.threshold_share
    )
    if electorate and electorate not in Electorate.values:
        raise DomainError("请选择表决人员", field="electorate")
    base = base or mtype.base
    if base not in Base.values:
        raise DomainError("请选择计票基数", field="base")
    if allow_online and item_electorate_for(electorate, meeting) in (
        Electorate.ATTENDEES,
        Electorate.COMMITTEES,
    ):
        raise DomainError("到会人员或“两委”成员的表决只能现场进行", field="allow_online")
    if case is not None:
        if not case.place_path.startswith(meeting.unit.path):
            raise DomainError("该诉求不在本村（社区）", field="case")
        source = AgendaItem.Source.CASE
    if proposal is not None:
        if proposal.unit_id != meeting.unit_id:
            raise DomainError("该居民议题不属于本村（社区）", field="proposal")
        from lianxin.consultation.services.proposals import proposal_schedule

        proposal_schedule(actor=actor, proposal=proposal)
        source = AgendaItem.Source.PROPOSAL
    if matter_id is not None:
        source = AgendaItem.Source.MATTER
    # An item from a request or a proposal is called by its title unless staff name it.
    if not (title or "").strip():
        title = case.title if case is not None else proposal.title if proposal is not None else ""
    order = (AgendaItem.objects.filter(meeting=meeting).aggregate(m=Max("order"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting,
        order=order,
        title=clean_text(title, field="title", label="议题", max_length=100),
        description=clean_text(
            description, field="description", label="说明", max_length=5000, required=False
        ),
        source=source,
        case=case,
        proposal=proposal,
        matter_id=matter_id,
        matter_step=matter_step,
        electorate=electorate,
        threshold=threshold,
        threshold_share=share,
        base=base,
        allow_online=allow_online,
    )
    if case is not None:
        _case_note(actor, case, f"已提交{meeting.meeting_type.name}协商：{meeting.title}")
    return item


def item_electorate_for(electorate: str, meeting: Meeting) -> str:
    return electorate or meeting.meeting_type.electorate


def _case_note(actor: Actor | None, case: Case, note: str) -> None:
    """Tell the request what consultation did with it (the 商 step comes back to the case).
    A staff member without the request permission still moves the item; the note then
    waits for the request's own handlers."""
    from lianxin.cases.services.lifecycle import case_note

    if actor is None or not actor.user_id:
        return
    try:
        with transaction.atomic():
            case_note(case=case, actor=actor, note=note)
    except DomainError:
        return


def _item_move(
    item: AgendaItem, *, action: str, expected_version: int | None, **changes: Any
) -> AgendaItem:
    if item.status not in wf.ITEM_MOVES[action]:
        raise DomainError(f"该议题当前为“{ItemStatus(item.status).label}”，不能进行此操作")
    version = item.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = AgendaItem.objects.filter(pk=item.pk, version=version).update(
        version=version + 1, **changes
    )
    if not updated:
        raise Conflict("该议题刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(item, name, value)
    item.version = version + 1
    return item


def _eligible_now(item: AgendaItem) -> int:
    meeting = item.meeting
    kind = item_electorate(item)
    if kind == Electorate.ATTENDEES:
        return Attendance.objects.filter(meeting=meeting).count()
    if kind == meeting.meeting_type.electorate and meeting.eligible_count is not None:
        return meeting.eligible_count
    return roll.electorate_count(meeting_area(meeting), kind, on=clock.now().date())


@transaction.atomic
def item_vote_open(
    *, actor: Actor, item: AgendaItem, expected_version: int | None = None
) -> AgendaItem:
    """Start the vote on an item of an open meeting; the number who may vote is frozen."""
    meeting = item.meeting
    require(actor, wf.RUN, meeting.unit.path)
    if meeting.status != Meeting.Status.OPEN:
        raise DomainError("会议开始后才能表决")
    eligible = _eligible_now(item)
    if eligible == 0:
        raise DomainError("没有有表决权的人员，不能表决")
    return _item_move(
        item,
        action="vote_open",
        expected_version=expected_version,
        status=ItemStatus.VOTING,
        vote_opened_at=clock.now(),
        eligible_count=eligible,
    )


def elector_for_item(item: AgendaItem, key: str) -> roll.Elector | None:
    """The elector behind `key` if they may vote on the item."""
    meeting = item.meeting
    kind = item_electorate(item)
    if kind == Electorate.ATTENDEES:
        row = Attendance.objects.filter(meeting=meeting, elector_key=key).first()
        return roll.Elector(key, row.label, row.resident_id) if row else None
    return roll.elector_by_key(meeting_area(meeting), kind, key, on=clock.now().date())


def _cast(
    item: AgendaItem, elector: roll.Elector, choice: str, *, channel: str, by: int | None
) -> Ballot:
    if item.status != ItemStatus.VOTING:
        raise DomainError("该议题不在表决中")
    if choice not in Choice.values:
        raise DomainError("请选择同意、反对或弃权", field="choice")
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                item=item,
                elector_key=elector.key,
                label=elector.label[:60],
                choice=choice,
                channel=channel,
                recorded_by_id=by,
                at=clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError(
            f"{elector.label}已经投过票，每人（户）只能投一次", field="elector"
        ) from exc
    AgendaItem.objects.filter(pk=item.pk).update(ballot_count=F("ballot_count") + 1)
    return ballot


@transaction.atomic
def ballot_record(*, actor: Actor, item: AgendaItem, elector_key: str, choice: str) -> Ballot:
    """Staff record an elector's vote at the meeting."""
    require(actor, wf.RUN, item.meeting.unit.path)
    elector = elector_for_item(item, elector_key)
    if elector is None:
        raise DomainError("该人员对本议题没有表决权", field="elector")
    return _cast(item, elector, choice, channel=Ballot.Channel.IN_PERSON, by=actor.user_id)


BALLOTS_AT_ONCE = 100


@transaction.atomic
def ballots_record_many(
    *, actor: Actor, item: AgendaItem, elector_keys: list[str], choice: str
) -> tuple[int, list[str]]:
    """Staff record the same choice for several electors at once (a show of hands: "the rest
    of this page agree"). Each key goes through `ballot_record`, so every rule of a single
    ballot holds; returns how many were recorded and the refusals (already voted, no vote)."""
    require(actor, wf.RUN, item.meeting.unit.path)
    if item.status != ItemStatus.VOTING:
        raise DomainError("该议题不在表决中")
    if choice not in Choice.values:
        raise DomainError("请选择同意、反对或弃权", field="choice")
    keys = list(dict.fromkeys(k for k in elector_keys if k))
    if not keys:
        raise DomainError("没有要登记的表决人", field="elector")
    if len(keys) > BALLOTS_AT_ONCE:
        raise DomainError(f"一次最多登记{BALLOTS_AT_ONCE}人", field="elector")
    done, refused = 0, []
    for key in keys:
        try:
            ballot_record(actor=actor, item=item, elector_key=key, choice=choice)
        except DomainError as exc:
            refused.append(exc.message)
        else:
            done += 1
    return done, refused


@transaction.atomic
def ballot_by_resident(*, item: AgendaItem, residents: list[Resident], choice: str) -> Ballot:
    """A resident signed in with the phone votes on an item open for online votes."""
    if not item.allow_online:
        raise DomainError("该议题不接受线上表决")
    kind = item_electorate(item)
    area = meeting_area(item.meeting)
    for resident in residents:
        elector = roll.elector_for_resident(area, kind, resident, on=clock.now().date())
        if elector is not None:
            return _cast(item, elector, choice, channel=Ballot.Channel.ONLINE, by=None)
    raise DomainError("您对本议题没有表决权")


def _token_digest(token: str) -> str:
    return hashlib.sha256(f"consultation-vote:{token}".encode()).hexdigest()


def vote_link_for(token: str) -> VoteLink | None:
    """The live link behind a token (unused, not expired), or None."""
    link = (
        VoteLink.objects.filter(token_digest=_token_digest(token or ""))
        .select_related("item__meeting__unit", "item__meeting__meeting_type")
        .first()
    )
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        return None
    return link


@transaction.atomic
def ballot_by_link(*, token: str, choice: str) -> Ballot:
    """Vote through a one-time link; the link is used up with the vote."""
    link = vote_link_for(token)
    if link is None:
        raise DomainError("表决链接无效、已使用或已过期")
    used = VoteLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=clock.now())
    if not used:
        raise DomainError("表决链接已使用")
    item = link.item
    elector = elector_for_item(item, link.elector_key)
    if elector is None:
        raise DomainError("您对本议题已没有表决权（登记信息已变化）")
    return _cast(item, elector, choice, channel=Ballot.Channel.ONLINE, by=None)


def _household_phones(item: AgendaItem) -> dict[int, tuple[str, str]]:
    area = meeting_area(item.meeting)
    phones: dict[int, tuple[str, str]] = {}
    rows = (
        Resident.objects.filter(
            household__unit__path__startswith=area.path,
            household__is_active=True,
            is_active=True,
        )
        .exclude(phone_digest="")
        .order_by("household_id", "id")
        .values_list("household_id", "phone_digest", "phone_masked")
    )
    for household_id, digest, masked in rows.iterator():
        phones.setdefault(household_id, (digest, masked))
    return phones


@transaction.atomic
def vote_links_send(*, actor: Actor, item: AgendaItem, base_url: str) -> tuple[int, int]:
    """Send a one-time voting link to every elector with a phone on file who has neither a
    link nor a ballot yet. Returns (sent, without a phone)."""
    require(actor, wf.RUN, item.meeting.unit.path)
    if item.status != ItemStatus.VOTING or not item.allow_online:
        raise DomainError("该议题未开放线上表决")
    kind = item_electorate(item)
    done = set(VoteLink.objects.filter(item=item).values_list("elector_key", flat=True))
    done |= set(Ballot.objects.filter(item=item).values_list("elector_key", flat=True))
    phones = _household_phones(item) if kind == Electorate.HOUSEHOLDS else {}
    now = clock.now()
    channel = outbound_channel()
    sent = without = 0
    links: list[VoteLink] = []
    for elector in roll.electors(meeting_area(item.meeting), kind, on=now.date()):
        if elector.key in done:
            continue
        digest, masked = elector.phone_digest, elector.phone_masked
        if kind == Electorate.HOUSEHOLDS:
            digest, masked = phones.get(int(elector.key.split(":")[1]), ("", ""))
        if not digest:
            without += 1
            continue
        token = secrets.token_urlsafe(24)
        links.append(
            VoteLink(
                item=item,
                elector_key=elector.key,
                label=elector.label[:60],
                token_digest=_token_digest(token),
                sent_to_masked=masked,
                created_at=now,
                expires_at=now + dt.timedelta(days=LINK_DAYS),
            )
        )
        channel.send(
            to_digest=digest,
            to_masked=masked,
            template="consultation_vote_link",
            # The gateway needs the link to send it (like a login code).
            payload={"title": item.title, "url": f"{base_url.rstrip('/')}/{token}/"},
            case=None,
        )
        sent += 1
    VoteLink.objects.bulk_create(links)
    return sent, without


def tally(item: AgendaItem) -> dict[str, int]:
    """Ballots by choice (one grouped query)."""
    counts = {c: 0 for c in Choice.values}
    for row in Ballot.objects.filter(item=item).values("choice").annotate(n=Count("id")):
        counts[row["choice"]] = row["n"]
    return counts


@transaction.atomic
def item_vote_close(
    *, actor: Actor, item: AgendaItem, note: str = "", expected_version: int | None = None
) -> AgendaItem:
    """Close the vote: refused without the meeting's quorum; otherwise the support rate is
    computed and compared with the threshold, and the outcome is recorded for good."""
    meeting = item.meeting
    require(actor, wf.RUN, meeting.unit.path)
    quorum = meeting_quorum(meeting)
    if not quorum.met:
        raise DomainError(
            f"到会{quorum.present}人，未达到法定人数（{quorum.rule_label}，需{quorum.required}人），"
            "不能作出决定"
        )
    counts = tally(item)
    cast = sum(counts.values())
    present = quorum.present
    base_count = wf.vote_base(
        item.base, cast=cast, present=present, eligible=item.eligible_count or 0
    )
    passed = wf.vote_passes(item.threshold, counts["yes"], base_count, share=item.threshold_share)
    item = _item_move(
        item,
        action="vote_close",
        expected_version=expected_version,
        status=ItemStatus.PASSED if passed else ItemStatus.REJECTED,
        vote_closed_at=clock.now(),
        decided_at=clock.now(),
        present_count=present,
        ballot_count=cast,
        yes_count=counts["yes"],
        no_count=counts["no"],
        abstain_count=counts["abstain"],
        support_rate=wf.support_rate(counts["yes"], base_count),
        outcome_note=clean_text(
            note, field="note", label="议定结果", max_length=5000, required=False
        ),
    )
    VoteLink.objects.filter(item=item, used_at__isnull=True).update(expires_at=clock.now())
    _after_decision(actor, item)
    return item


@transaction.atomic
def item_conclude(
    *,
    actor: Actor,
    item: AgendaItem,
    outcome: str,
    note: str,
    expected_version: int | None = None,
) -> AgendaItem:
    """Conclude an item without a vote: discussed (议而不决 is fine for talks) or deferred."""
    require(actor, wf.RUN, item.meeting.unit.path)
    if outcome not in (ItemStatus.DISCUSSED, ItemStatus.DEFERRED):
        raise DomainError("请选择已议或暂缓", field="outcome")
    if item.matter_id is not None and outcome == ItemStatus.DISCUSSED:
        raise DomainError("四议两公开事项须表决，不能只议不决", field="outcome")
    note = clean_text(note, field="note", label="议定结果", max_length=5000)
    item = _item_move(
        item,
        action="discuss" if outcome == ItemStatus.DISCUSSED else "defer",
        expected_version=expected_version,
        status=outcome,
        outcome_note=note,
        decided_at=clock.now(),
    )
    if outcome == ItemStatus.DISCUSSED:
        _after_decision(actor, item)
    return item


def _after_decision(actor: Actor | None, item: AgendaItem) -> None:
    """The outcome goes back to where the item came from."""
    label = ItemStatus(item.status).label
    if item.case is not None:
        rate = f"，支持率{item.support_rate:.2%}" if item.support_rate is not None else ""
        _case_note(actor, item.case, f"协商结果：{label}{rate}。{item.outcome_note}".strip())
    if item.proposal_id is not None:
        from lianxin.consultation.services.proposals import proposal_decided

        proposal_decided(item=item)
    if item.matter_id is not None:
        from lianxin.consultation.services.matters import matter_item_decided

        matter_item_decided(actor=actor, item=item)
    item_decided.send(sender=AgendaItem, item=item)
