"""Public notices: publishing a township's approved declarations, objections recorded and
answered, closing (never early; an upheld objection rejects, an open one blocks), the daily
task, the printed notice, withdrawing an awarded star, the progress star's award."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess  # noqa: S404
from decimal import Decimal
from pathlib import Path

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.stars.models import (
    CreationSettings,
    Declaration,
    Objection,
    PublicNotice,
    ReviewStep,
    StarAward,
)
from lianxin.stars.notice_pdf import notice_pdf
from lianxin.stars.services import notices
from lianxin.stars.tasks import stars_close_notices_task
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def test_publish_refusals_and_numbering(world) -> None:  # noqa: ANN001
    org = world.actor("org_department")
    with pytest.raises(DomainError, match="没有专班审核通过、待公示的申报") as none:
        notices.notice_publish(actor=org, township=world.street, year=sd.year(), contact="1")
    assert none.value.field == "township"
    sd.to_approved(world, sd.declare(world)[0])
    with pytest.raises(PermissionDenied):
        notices.notice_publish(
            actor=world.actor("street_staff"), township=world.street, year=sd.year(), contact="1"
        )
    with pytest.raises(DomainError, match="今天或明天") as start:
        notices.notice_publish(
            actor=org,
            township=world.street,
            year=sd.year(),
            contact="1",
            starts_on=clock.today() + dt.timedelta(days=3),
        )
    assert start.value.field == "starts_on"
    with pytest.raises(DomainError, match="请填写受理异议电话"):
        notices.notice_publish(actor=org, township=world.street, year=sd.year(), contact=" ")
    CreationSettings.objects.filter(county=world.county, year=sd.year()).update(notice_days=7)
    notice = notices.notice_publish(
        actor=org,
        township=world.street,
        year=sd.year(),
        contact=sd.CONTACT,
        starts_on=clock.today(),
    )
    assert notice.number == f"孟州市创星公示〔{sd.year()}〕1号"
    assert notice.ends_on - notice.starts_on == dt.timedelta(days=6)
    assert notices.period_text(notice).endswith("（7天）")
    d = Declaration.objects.get(notice=notice)
    assert d.status == Status.NOTICE
    assert ReviewStep.objects.get(declaration=d, action="published").reason.startswith(
        notice.number
    )


def test_objections_recorded_answered_once(world) -> None:  # noqa: ANN001
    notice = sd.published(world)
    d = Declaration.objects.select_related("unit", "notice").get(notice=notice)
    actor = world.actor("street_staff")
    common = {"actor": actor, "declaration": d, "channel": "letter", "content": "反映记录不全"}
    with pytest.raises(DomainError, match="不能晚于今天"):
        notices.objection_record(received_on=clock.today() + dt.timedelta(days=1), **common)
    with pytest.raises(DomainError, match="公示期内") as early:
        notices.objection_record(received_on=clock.today() - dt.timedelta(days=5), **common)
    assert early.value.field == "received_on"
    with pytest.raises(DomainError, match="请选择异议渠道"):
        notices.objection_record(**{**common, "channel": "fax"}, received_on=clock.today())
    with pytest.raises(PermissionDenied):
        notices.objection_record(
            **{**common, "actor": world.actor("other_street_staff")}, received_on=clock.today()
        )
    objection = notices.objection_record(received_on=clock.today(), objector="李某", **common)
    assert objection.recorded_by_id == world.users["street_staff"].pk
    with pytest.raises(DomainError, match="请选择异议是否成立"):
        notices.objection_answer(actor=actor, objection=objection, answer="核查", upheld=None)
    notices.objection_answer(
        actor=world.actor("org_department"), objection=objection, answer="核查属实", upheld=True
    )
    objection.refresh_from_db()
    assert objection.upheld is True and objection.answered_at is not None
    with pytest.raises(DomainError, match="已答复"):
        notices.objection_answer(actor=actor, objection=objection, answer="再答", upheld=False)
    actions = list(ReviewStep.objects.filter(declaration=d).values_list("action", flat=True))
    assert actions[-2:] == ["objected", "answered"]


def test_close_awards_rejects_and_keeps_the_blocked(world) -> None:  # noqa: ANN001
    notice = sd.published(world, ("branch", "sharing", "ecology"))
    by_code = {
        d.star.code: d
        for d in Declaration.objects.filter(notice=notice).select_related("star", "unit", "notice")
    }
    actor = world.actor("street_staff")

    def _object(d: Declaration) -> Objection:
        return notices.objection_record(
            actor=actor,
            declaration=d,
            channel="phone",
            received_on=clock.today(),
            content="反映情况",
        )

    upheld = _object(by_code["sharing"])
    notices.objection_answer(actor=actor, objection=upheld, answer="共建协议系补签", upheld=True)
    pending = _object(by_code["ecology"])
    org = world.actor("org_department")

    with pytest.raises(DomainError) as early:
        notices.notice_close(actor=org, notice=notice)
    assert f"公示期至{notice.ends_on.year}年" in early.value.message

    with clock.travel(sd.after(notice)):
        with pytest.raises(PermissionDenied):
            notices.notice_close(actor=world.actor("street_staff"), notice=notice)
        result = notices.notice_close(actor=org, notice=notice)
    assert [d.star.code for d in result.awarded] == ["branch"]
    assert [d.star.code for d in result.rejected] == ["sharing"]
    assert [d.star.code for d in result.blocking] == ["ecology"]
    assert not result.closed
    sharing = Declaration.objects.get(pk=by_code["sharing"].pk)
    assert sharing.status == Status.REJECTED and "共建协议系补签" in sharing.last_reason
    assert Declaration.objects.get(pk=by_code["ecology"].pk).status == Status.NOTICE
    assert list(StarAward.objects.values_list("star_code", flat=True)) == ["branch"]

    # Answered later (dismissed): the next close awards it and ends the notice.
    with clock.travel(sd.after(notice, days=2)):
        notices.objection_answer(actor=org, objection=pending, answer="经核查不属实", upheld=False)
        result = notices.notice_close(actor=org, notice=notice)
    assert [d.star.code for d in result.awarded] == ["ecology"] and result.closed
    notice.refresh_from_db()
    assert notice.status == PublicNotice.Status.CLOSED and notice.closed_at is not None
    with pytest.raises(DomainError, match="已结束"):
        notices.notice_close(actor=org, notice=notice)


def test_daily_task_closes_ended_notices_only(world) -> None:  # noqa: ANN001
    notice = sd.published(world)
    assert stars_close_notices_task.call_local()["notices"] == 0
    with clock.travel(sd.after(notice, days=0)):  # the last day itself: not yet
        assert stars_close_notices_task.call_local()["notices"] == 0
    with clock.travel(sd.after(notice)):
        summary = stars_close_notices_task.call_local()
        assert summary == {"notices": 1, "closed": 1, "awarded": 1, "rejected": 0, "blocking": 0}
        assert stars_close_notices_task.call_local()["notices"] == 0
    step = ReviewStep.objects.get(action="awarded")
    assert step.actor_id is None and step.actor_label == "系统"


def test_withdraw_an_awarded_star_once(world) -> None:  # noqa: ANN001
    notice = sd.published(world)
    with clock.travel(sd.after(notice)):
        notices.notice_close(actor=None, notice=notice)
    d = Declaration.objects.select_related("unit").get(notice=notice)
    org = world.actor("org_department")
    with pytest.raises(DomainError, match="请填写撤星原因"):
        notices.award_withdraw(actor=org, declaration=d, reason="")
    with pytest.raises(PermissionDenied):
        notices.award_withdraw(actor=world.actor("street_staff"), declaration=d, reason="x")
    award = notices.award_withdraw(actor=org, declaration=d, reason="发生重大安全事故")
    assert award.withdrawn_on == clock.today() and award.withdraw_reason == "发生重大安全事故"
    d.refresh_from_db()
    assert d.status == Status.WITHDRAWN
    step = ReviewStep.objects.get(declaration=d, action="withdrawn")
    assert step.reason == "发生重大安全事故" and step.from_status == Status.AWARDED
    with pytest.raises(DomainError, match="尚未授星或已撤销"):
        notices.award_withdraw(actor=org, declaration=d, reason="再撤")
    assert StarAward.objects.get(pk=award.pk).withdraw_reason == "发生重大安全事故"
    # The star can be declared again next time (a withdrawn declaration is not live).
    assert sd.declare(world, ("branch",))


def test_progress_star_is_awarded_the_countys_amount(world) -> None:  # noqa: ANN001
    from lianxin.stars.services.catalog import settings_ensure

    settings = settings_ensure(county=world.county, year=sd.year())
    settings.progress_award = Decimal(30000)
    settings.save()
    d = sd.declare(world, (), progress=True)[0]
    d = sd.submitted(world, d)
    d = sd.township_passed(world, d)
    sd.approved(world, d)
    notice = notices.notice_publish(
        actor=world.actor("org_department"),
        township=world.street,
        year=sd.year(),
        contact=sd.CONTACT,
    )
    with clock.travel(sd.after(notice)):
        notices.notice_close(actor=world.actor("org_department"), notice=notice)
    award = StarAward.objects.get(declaration=d)
    assert award.kind == "progress" and award.star is None and award.star_code == ""
    assert award.amount == Decimal("30000.00")


def test_printed_notice(world, tmp_path: Path) -> None:  # noqa: ANN001
    notice = sd.published(world, ("branch", "ecology"), progress=True)
    data = notice_pdf(notice)
    assert data.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) reads the Chinese text")
    source = tmp_path / "notice.pdf"
    source.write_bytes(data)
    text = subprocess.run(  # noqa: S603
        [pdftotext, "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True
    ).stdout.decode()
    for part in (
        "大定街道",
        "拟认定名单公示",
        notice.number,
        "迎秀社区",
        "支部过硬星",
        "生态宜居星",
        "进步星",
        sd.CONTACT,
        "孟州市“五星”支部创建工作专班",
        "来电、来信、来访",
    ):
        assert part in text, part
