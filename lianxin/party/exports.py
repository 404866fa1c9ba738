"""Party-member export (kind ``members``), registered into the people app's export framework."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from lianxin.core.scope import Actor
from lianxin.party.models import PartyMember
from lianxin.people.exports import Exporter, register_exporter


@register_exporter
class MemberExporter(Exporter):
    kind = "members"
    label = "党员"
    order = 30
    headers = (
        "姓名",
        "身份证号",
        "手机号",
        "所在党组织",
        "党员类别",
        "入党日期",
        "党内职务",
        "党员中心户",
        "楼栋",
        "门牌",
    )

    def queryset(self, actor: Actor, unit: Any | None) -> QuerySet:
        qs = PartyMember.objects.visible_to(actor, self.perm).filter(is_active=True)
        if unit is not None:
            qs = qs.filter(organisation__unit__path__startswith=unit.path)
        return (
            qs.select_related("organisation", "resident__household__unit")
            .defer("resident__id_number_cipher", "resident__phone_cipher")
            .order_by("organisation__unit__path", "organisation_id", "id")
        )

    def row(self, m: PartyMember) -> list[Any]:
        resident = m.resident
        household = resident.household if resident is not None else None
        return [
            m.name,
            resident.id_number_masked if resident is not None else "",
            m.contact_phone_masked,
            m.organisation.name,
            m.get_status_display(),
            m.joined_on,
            m.duty,
            "是" if m.is_central_household else "",
            household.unit.display_name if household is not None else "",
            household.address if household is not None else "",
        ]
