"""Default schemes, catalogs and automatic-award rules, drawn from the seeds.

- Household points (群众积分, 000): five aspects — 人居环境, 平安法治, 创业就业, 服务全局,
  创先争优 — with 20+ indicators; residents earn, the household holds the balance and spends
  it in the points store (003).
- Party-member points (党员积分, 000): the five linkage duties (联系走访, 政策宣传, 议事协商,
  志愿服务, 矛盾调解) plus organisational life, dues, volunteer service and model behaviour.
- 繁星计划 (001): buildings/courtyards, grids and merchants have their own schemes.

Values are defaults: each county edits its catalog (a new indicator revision applies from
then on). `install_defaults(year)` is idempotent; the data migration runs it.
"""

from __future__ import annotations

from typing import Any

# (code, name, points, cap_points, cap_period, evidence)
Row = tuple[str, str, int, int, str, str]

SCHEMES: list[dict[str, Any]] = [
    {
        "code": "household",
        "name": "群众积分（户）",
        "subject_kind": "household",
        "spendable": True,
        "notice_days": 3,
        "description": "居民参与村（社区）治理的表现按户计分，可在积分超市兑换。",
        "aspects": [
            (
                "人居环境",
                [
                    ("courtyard_clean", "庭院整洁、物品摆放有序", 5, 5, "month", "photo"),
                    ("doorstep_duties", "落实门前三包", 3, 3, "month", "photo"),
                    ("waste_sorting", "垃圾分类投放规范", 2, 4, "month", "photo_or_link"),
                    ("cleanup_labour", "参加环境整治义务劳动", 3, 9, "month", "photo_or_link"),
                    ("clutter", "乱堆乱放、私搭乱建经劝导不改", -5, 10, "month", "photo"),
                ],
            ),
            (
                "平安法治",
                [
                    ("safety_patrol", "参加平安巡逻、义务巡防", 3, 12, "month", "text"),
                    ("hazard_report", "反映问题、隐患被采纳办结", 2, 6, "month", "link"),
                    ("dispute_help", "协助调解邻里纠纷成功", 5, 10, "month", "link"),
                    ("anti_fraud", "参与反诈、普法宣传", 2, 4, "month", "photo_or_link"),
                    ("law_breach", "家庭成员违法违规受到处理", -10, 0, "", "text"),
                ],
            ),
            (
                "创业就业",
                [
                    ("start_business", "自主创业并带动就业", 10, 10, "year", "text"),
                    ("skills_training", "参加职业技能培训", 3, 6, "year", "text"),
                    ("job_info", "提供就业岗位信息、帮扶就业", 2, 4, "month", "text"),
                ],
            ),
            (
                "服务全局",
                [
                    ("volunteer", "参加志愿服务活动", 2, 10, "month", "photo_or_link"),
                    ("consultation", "参加村（居）民会议、议事协商", 2, 4, "month", "link"),
                    ("insurance", "按时参加医保、养老保险", 2, 2, "year", "text"),
                    ("key_work", "支持配合重点工作（防汛、征迁等）", 5, 10, "year", "text"),
                    ("micro_task", "认领并完成微任务", 2, 10, "month", "link"),
                ],
            ),
            (
                "创先争优",
                [
                    ("model_family", "获评好婆婆、好媳妇、文明家庭等", 10, 10, "year", "text"),
                    ("courtyard_model", "获评美丽庭院示范户", 5, 5, "year", "photo"),
                    ("filial_heroic", "孝老爱亲、见义勇为事迹突出", 10, 0, "", "text"),
                    ("college_army", "子女考入大学或应征入伍", 5, 5, "year", "text"),
                ],
            ),
        ],
    },
    {
        "code": "party_member",
        "name": "党员积分",
        "subject_kind": "party_member",
        "spendable": False,
        "notice_days": 3,
        "description": "党员积分突出示范，与民主评议、评先评优挂钩；积分低的予以提醒谈话。",
        "aspects": [
            (
                "联户履职",
                [
                    ("visit", "联系走访联系户", 2, 8, "month", "link"),
                    ("policy", "向联系户宣传政策", 2, 4, "month", "text"),
                    ("consult", "组织或参加议事协商", 2, 4, "month", "link"),
                    ("volunteer", "带领联系户开展志愿服务", 3, 9, "month", "photo_or_link"),
                    ("mediate", "调解联系户矛盾纠纷", 5, 10, "month", "link"),
                ],
            ),
            (
                "组织生活",
                [
                    ("meetings", "参加“三会一课”、主题党日", 2, 8, "month", "text"),
                    ("meeting_absent", "无故缺席组织生活", -3, 0, "", "text"),
                    ("dues", "按时足额交纳党费", 2, 2, "month", "none"),
                    ("dues_late", "无故逾期未交党费", -5, 0, "", "text"),
                ],
            ),
            (
                "示范带头",
                [
                    ("volunteer_service", "参加志愿服务", 3, 12, "month", "photo_or_link"),
                    ("errand", "为群众办结帮办代办事项", 2, 10, "month", "link"),
                    ("lead_key_work", "带头落实重点工作", 5, 10, "quarter", "text"),
                    ("honour", "受到表彰奖励", 10, 0, "", "text"),
                    ("misconduct", "违反规定受到批评教育", -10, 0, "", "text"),
                ],
            ),
        ],
    },
    {
        "code": "building",
        "name": "楼院积分（繁星）",
        "subject_kind": "building",
        "spendable": False,
        "notice_days": 3,
        "description": "繁星计划：楼院自治管理抓实，按楼院计分。",
        "aspects": [
            (
                "楼院自治",
                [
                    ("council", "楼院议事会按月议事", 5, 5, "month", "link"),
                    ("clean_yard", "楼院环境整洁、无乱贴乱画", 5, 5, "month", "photo"),
                    ("activity", "开展楼院主题活动", 5, 10, "quarter", "photo"),
                    ("unresolved", "楼院矛盾上行未化解", -5, 0, "", "text"),
                ],
            ),
        ],
    },
    {
        "code": "grid",
        "name": "网格积分（繁星）",
        "subject_kind": "grid",
        "spendable": False,
        "notice_days": 3,
        "description": "繁星计划：全科网格夯实建强，按网格计分。",
        "aspects": [
            (
                "网格履职",
                [
                    ("patrol", "网格巡查全覆盖", 5, 5, "month", "text"),
                    ("closed_loop", "诉求闭环办结率达标", 5, 5, "month", "text"),
                    ("ledger_visits", "民生台账按期走访", 5, 5, "month", "text"),
                    ("overdue", "诉求超期被督办", -3, 0, "", "link"),
                ],
            ),
        ],
    },
    {
        "code": "merchant",
        "name": "商户积分（繁星）",
        "subject_kind": "merchant",
        "spendable": False,
        "notice_days": 3,
        "description": "繁星计划：凝聚辖区单位和各类商户，按商户计分。",
        "aspects": [
            (
                "共建共享",
                [
                    ("store_goods", "为积分超市捐赠商品", 5, 20, "quarter", "photo"),
                    ("service", "为居民提供公益服务（如义剪）", 5, 10, "month", "photo"),
                    ("doorstep", "落实门前三包", 3, 3, "month", "photo"),
                    ("violation", "占道经营经劝导不改", -5, 0, "", "photo"),
                ],
            ),
        ],
    },
]

# Automatic awards: source → (scheme code, indicator code, active by default).
AWARD_RULES: dict[str, tuple[str, str, bool]] = {
    "case_closed": ("household", "hazard_report", True),
    "errand_done": ("party_member", "errand", True),
    "task_done": ("household", "micro_task", True),
    "meeting_attended": ("household", "consultation", True),
    "linkage_visit": ("party_member", "visit", False),
}


def install_defaults(apps: Any, year: int) -> None:
    """Create the default schemes, `year`'s default catalogs, their indicators (revision 1)
    and the automatic-award rules, leaving whatever already exists alone."""
    import datetime as dt

    scheme_model = apps.get_model("points", "Scheme")
    catalog_model = apps.get_model("points", "Catalog")
    aspect_model = apps.get_model("points", "Aspect")
    indicator_model = apps.get_model("points", "Indicator")
    revision_model = apps.get_model("points", "IndicatorRevision")
    rule_model = apps.get_model("points", "AwardRule")
    from zoneinfo import ZoneInfo

    from django.conf import settings

    # Midnight of 1 January, local time (the deployment's time zone).
    start = dt.datetime(year, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    for order, spec in enumerate(SCHEMES):
        scheme, _ = scheme_model.objects.get_or_create(
            code=spec["code"],
            defaults={
                k: spec[k]
                for k in ("name", "subject_kind", "spendable", "notice_days", "description")
            }
            | {"sort_order": order * 10},
        )
        if catalog_model.objects.filter(scheme=scheme, year=year, unit=None).exists():
            continue
        catalog = catalog_model.objects.create(
            scheme=scheme, year=year, name=f"{scheme.name}指标", unit=None
        )
        for a_order, (aspect_name, rows) in enumerate(spec["aspects"]):
            aspect = aspect_model.objects.create(
                catalog=catalog, name=aspect_name, sort_order=a_order
            )
            for i_order, (code, name, points, cap, period, evidence) in enumerate(rows):
                indicator = indicator_model.objects.create(
                    catalog=catalog,
                    aspect=aspect,
                    code=code,
                    name=name,
                    points=points,
                    cap_points=cap,
                    cap_period=period,
                    evidence=evidence,
                    sort_order=i_order,
                )
                revision_model.objects.create(
                    indicator=indicator,
                    number=1,
                    name=name,
                    points=points,
                    cap_points=cap,
                    cap_period=period,
                    evidence=evidence,
                    effective_from=start,
                    reason="默认指标",
                )
    for source, (scheme_code, indicator_code, active) in AWARD_RULES.items():
        if rule_model.objects.filter(source=source).exists():
            continue
        rule_model.objects.create(
            source=source,
            scheme=scheme_model.objects.get(code=scheme_code),
            indicator_code=indicator_code,
            is_active=active,
        )
