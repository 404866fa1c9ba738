"""Default star catalogs (REFERENCE.md, seed 004), copied into a county's year the first time
it is needed; the county edits names, order and standards from there (invariant 5).

A standard is (code, name, kind, extra): `manual` takes max and pass scores, `evidence` a hint
of the evidence required, `figure` an indicator key (stars.indicators), comparator and threshold.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lianxin.stars import workflow as wf

D = Decimal

_BRANCH = (
    "branch",
    "支部过硬星",
    "过硬",
    "班子坚强有力，党员作用发挥充分，组织生活规范。",
    [
        ("team", "班子建设与组织生活", wf.MANUAL, {"max": D(30), "pass": D(24)}),
        (
            "records",
            "“三会一课”与主题党日记录完整",
            wf.EVIDENCE,
            {"hint": "上传全年会议记录或工作手册扫描件"},
        ),
        (
            "meetings",
            "年度召开议事协商会议不少于 6 次",
            wf.FIGURE,
            {"key": "consultation.meetings_held", "cmp": ">=", "threshold": D(6)},
        ),
        (
            "members",
            "党员积分低于提醒线的不超过 3 人",
            wf.FIGURE,
            {"key": "points.members_below_threshold", "cmp": "<=", "threshold": D(3)},
        ),
    ],
)
_INDUSTRY = (
    "industry",
    "产业兴旺星",
    "产业",
    "主导产业鲜明，村集体经济持续增收。",
    [
        (
            "income",
            "村集体经济经营性收入不低于 5 万元",
            wf.FIGURE,
            {"key": "stars.collective_income", "cmp": ">=", "threshold": D(50000)},
        ),
        ("projects", "产业项目带动群众增收", wf.MANUAL, {"max": D(30), "pass": D(24)}),
        ("ledger", "集体资产台账规范", wf.EVIDENCE, {"hint": "上传集体资产台账或审计报告"}),
    ],
)
_ECOLOGY = (
    "ecology",
    "生态宜居星",
    "生态",
    "人居环境整洁，基础设施完善。",
    [
        ("environment", "人居环境整治成效", wf.MANUAL, {"max": D(40), "pass": D(32)}),
        ("photos", "环境整治前后对比", wf.EVIDENCE, {"hint": "上传整治前后照片"}),
    ],
)
_SAFETY = (
    "safety",
    "平安法治星",
    "平安",
    "矛盾纠纷就地化解，无重大案事件。",
    [
        (
            "mediation",
            "矛盾纠纷调解成功率不低于 90%",
            wf.FIGURE,
            {"key": "cases.mediation_success_rate", "cmp": ">=", "threshold": D("0.90")},
        ),
        (
            "major",
            "无未解决的重大矛盾纠纷",
            wf.FIGURE,
            {"key": "cases.whistles_unresolved", "cmp": "<=", "threshold": D(0)},
        ),
        (
            "statement",
            "无刑事案件、无越级访证明",
            wf.EVIDENCE,
            {"hint": "上传派出所、信访部门证明"},
        ),
    ],
)
_CIVILITY = (
    "civility",
    "文明幸福星",
    "文明",
    "乡风文明，群众满意度高。",
    [
        (
            "satisfaction",
            "诉求回访满意率不低于 90%",
            wf.FIGURE,
            {"key": "cases.satisfaction_rate", "cmp": ">=", "threshold": D("0.90")},
        ),
        ("practice", "新时代文明实践活动", wf.MANUAL, {"max": D(30), "pass": D(24)}),
        ("models", "先进人物评选与“三类户”挂牌", wf.EVIDENCE, {"hint": "上传评选结果公示"}),
    ],
)
_SHARING = (
    "sharing",
    "共建共享星",
    "共建",
    "驻区单位共驻共建，议定事项按期落实。",
    [
        (
            "decisions",
            "议定事项按期办结率不低于 80%",
            wf.FIGURE,
            {"key": "consultation.decisions_on_time_share", "cmp": ">=", "threshold": D("0.80")},
        ),
        ("partners", "驻区单位共建与社区合伙人", wf.MANUAL, {"max": D(30), "pass": D(24)}),
        ("agreements", "支部联建协议", wf.EVIDENCE, {"hint": "上传联建协议与共建活动记录"}),
    ],
)

DEFAULT_SETS: dict[str, tuple[str, list[tuple[str, str, str, str, list[Any]]]]] = {
    wf.VILLAGE: ("农村“五星”支部", [_BRANCH, _INDUSTRY, _ECOLOGY, _SAFETY, _CIVILITY]),
    wf.COMMUNITY: ("城市社区“五星”支部", [_BRANCH, _SHARING, _ECOLOGY, _SAFETY, _CIVILITY]),
}
