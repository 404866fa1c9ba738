"""Party organisations, members, and household linkage (党员联户)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from lianxin.audit.models import Audited
from lianxin.core.models import AppendOnlyModel, PublicModel
from lianxin.core.scope import ScopedManager


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class PartyOrganisation(Audited, PublicModel):
    """A node of the party tree (committee → branch → group), attached to a territory unit."""

    SCOPE_PATH = "unit__path"
    SCOPE_VIEW_PERM = "party.view"

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级党组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="所在单元",
        on_delete=models.PROTECT,
        related_name="party_organisations",
    )
    is_active = models.BooleanField("在用", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering: ClassVar[list[str]] = ["unit__path", "id"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.unit.path


class PartyMember(Audited, PublicModel):
    """A party member of an organisation; personal data comes from the linked resident."""

    SCOPE_PATH = "organisation__unit__path"
    SCOPE_VIEW_PERM = "party.view"
    # Set on some instances by the code that loads them, not columns: the active link count
    # (member_list annotation, API detail) and the API detail's households and duty counts.
    link_count: int
    households: list[dict[str, Any]]
    duty_counts: dict[str, int]
    AUDIT_SECRET_FIELDS = frozenset({"phone_cipher", "phone_digest"})

    class Status(models.TextChoices):
        FULL = "full", "正式党员"
        PROBATIONARY = "probationary", "预备党员"

    organisation = models.ForeignKey(
        PartyOrganisation,
        verbose_name="所在党组织",
        on_delete=models.PROTECT,
        related_name="members",
    )
    resident = models.OneToOneField(
        "people.Resident",
        verbose_name="居民档案",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="party_member",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_memberships",
    )
    name = models.CharField("姓名", max_length=50)
    status = models.CharField(
        "党员类别", max_length=16, choices=Status.choices, default=Status.FULL
    )
    joined_on = models.DateField("入党日期", null=True, blank=True)
    duty = models.CharField("党内职务", max_length=50, blank=True)
    is_central_household = models.BooleanField("党员中心户", default=False)
    is_active = models.BooleanField("在册", default=True, db_index=True)
    # Contact phone printed (masked) on the linkage board when it differs from the resident
    # record's, or when the member has no resident record; protected like residents' phones.
    phone_cipher = models.TextField("联系电话（密文）", blank=True)
    phone_digest = models.CharField("联系电话摘要", max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    # The board exists so residents can call their member; the full number is printed only
    # with the member's consent (personal data), and each such print is audited (board.py).
    board_phone_consent = models.BooleanField("同意在公示牌上公开完整联系电话", default=False)

    objects = ScopedManager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering: ClassVar[list[str]] = ["organisation_id", "id"]

    def __str__(self) -> str:
        return self.name

    def audit_scope_path(self) -> str:
        return self.organisation.unit.path

    @property
    def contact_phone_masked(self) -> str:
        """The masked phone to show: the member's own contact phone, else the resident's."""
        if self.phone_masked:
            return self.phone_masked
        return self.resident.phone_masked if self.resident is not None else ""

    @property
    def contact_phone_cipher(self) -> str:
        """The encrypted phone behind `contact_phone_masked` (same choice of source)."""
        if self.phone_masked:
            return self.phone_cipher
        return self.resident.phone_cipher if self.resident is not None else ""


class HouseholdLink(Audited, PublicModel):
    """A member links a household (联户). A household has at most one active link."""

    SCOPE_PATH = "household__unit__path"
    SCOPE_VIEW_PERM = "party.view"

    member = models.ForeignKey(
        PartyMember, verbose_name="党员", on_delete=models.PROTECT, related_name="links"
    )
    household = models.ForeignKey(
        "people.Household", verbose_name="户", on_delete=models.PROTECT, related_name="party_links"
    )
    started_on = models.DateField("联系起始")
    ended_on = models.DateField("联系结束", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = "联户关系"
        verbose_name_plural = "联户关系"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(is_active=True),
                name="party_link_one_active_per_household",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # A member's current households (detail page, board, link counts on the member list).
            models.Index(fields=["member", "is_active"], name="party_link_member_active"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.household}"

    def audit_scope_path(self) -> str:
        return self.household.unit.path


class Duty(models.TextChoices):
    VISIT = "visit", "联系走访"
    POLICY = "policy", "政策宣传"
    CONSULT = "consult", "议事协商"
    VOLUNTEER = "volunteer", "志愿服务"
    MEDIATE = "mediate", "矛盾调解"


class LinkageActivity(AppendOnlyModel, Audited, PublicModel):
    """A duty performed by a member for linked households. Append-only record."""

    SCOPE_PATH = "member__organisation__unit__path"
    SCOPE_VIEW_PERM = "party.view"

    member = models.ForeignKey(
        PartyMember, verbose_name="党员", on_delete=models.PROTECT, related_name="activities"
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name="户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    duty = models.CharField("职责", max_length=16, choices=Duty.choices)
    occurred_on = models.DateField("日期")
    summary = models.TextField("内容")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = "联户履职记录"
        verbose_name_plural = "联户履职记录"
        ordering: ClassVar[list[str]] = ["-occurred_on", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            # A member's record, newest first (member detail, duty counts per member).
            models.Index(fields=["member", "-occurred_on"], name="party_activity_member_day"),
            # Counts per duty in a period across a territory (activity list, reports).
            models.Index(fields=["occurred_on", "duty"], name="party_activity_day_duty"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_duty_display()} {self.occurred_on}"

    def audit_scope_path(self) -> str:
        return self.member.organisation.unit.path
