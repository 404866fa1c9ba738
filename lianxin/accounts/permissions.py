"""The permission table: what each role may see and do, within the units of its posts.

This is the only place roles are mapped to permissions (docs/permissions.md renders it).
A permission is always exercised inside the subtree of the post that grants it.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    BUILDING_LEADER = "building_leader", "楼栋长"
    GRID_WORKER = "grid_worker", "网格员"
    VILLAGE_STAFF = "village_staff", "村/社区工作人员"
    VILLAGE_SECRETARY = "village_secretary", "村/社区书记"
    # 微助理: 3–5 party members per village who collect and tally points each month (000).
    MICRO_ASSISTANT = "micro_assistant", "积分微助理"
    STREET_STAFF = "street_staff", "街道/乡镇工作人员"
    DEPARTMENT_STAFF = "department_staff", "职能部门人员"
    ORG_DEPARTMENT = "org_department", "组织部/专班"
    SYSADMIN = "sysadmin", "系统管理员"


class Perm:
    TERRITORY_VIEW = "territory.view"
    TERRITORY_MANAGE = "territory.manage"
    PEOPLE_VIEW = "people.view"
    PEOPLE_MANAGE = "people.manage"
    PEOPLE_REVEAL = "people.reveal"
    PEOPLE_IMPORT = "people.import"
    PEOPLE_EXPORT = "people.export"
    LEDGER_VIEW = "ledger.view"
    LEDGER_MANAGE = "ledger.manage"
    LEDGER_VISIT = "ledger.visit"
    PARTY_VIEW = "party.view"
    PARTY_MANAGE = "party.manage"
    PARTY_LINKAGE = "party.linkage"
    AUDIT_VIEW = "audit.view"
    ACCOUNTS_MANAGE = "accounts.manage"
    API_TOKENS = "api.tokens"
    CASES_VIEW = "cases.view"
    CASES_FILE = "cases.file"
    CASES_HANDLE = "cases.handle"
    CASES_DISPATCH = "cases.dispatch"
    CASES_WHISTLE = "cases.whistle"
    CASES_DEPARTMENT = "cases.department"
    CASES_REVEAL = "cases.reveal"
    CASES_REPORT = "cases.report"
    CASES_CONFIGURE = "cases.configure"
    POINTS_VIEW = "points.view"
    POINTS_PROPOSE = "points.propose"
    POINTS_APPROVE = "points.approve"
    POINTS_STORE = "points.store"
    POINTS_TASKS = "points.tasks"
    POINTS_TALK = "points.talk"
    POINTS_REPORT = "points.report"
    POINTS_CONFIGURE = "points.configure"
    CONSULTATION_VIEW = "consultation.view"
    CONSULTATION_RUN = "consultation.run"
    CONSULTATION_MATTERS = "consultation.matters"
    CONSULTATION_PLEDGES = "consultation.pledges"
    CONSULTATION_CONFIGURE = "consultation.configure"
    STARS_VIEW = "stars.view"
    STARS_DECLARE = "stars.declare"
    STARS_REVIEW_TOWNSHIP = "stars.review_township"
    STARS_REVIEW_COUNTY = "stars.review_county"
    STARS_JUDGE = "stars.judge"
    STARS_CONFIGURE = "stars.configure"
    WORKLISTS_VIEW = "worklists.view"
    WORKLISTS_KEYWORK = "worklists.keywork"
    WORKLISTS_PROJECTS = "worklists.projects"
    WORKLISTS_TRAINING = "worklists.training"
    WORKLISTS_INSPECT = "worklists.inspect"


PERM_LABELS: dict[str, str] = {
    Perm.TERRITORY_VIEW: "查看区划与网格",
    Perm.TERRITORY_MANAGE: "维护网格与楼栋（新建、更名、调整、合并、撤销）",
    Perm.PEOPLE_VIEW: "查看户与居民（脱敏）",
    Perm.PEOPLE_MANAGE: "登记、修改户与居民",
    Perm.PEOPLE_REVEAL: "查看身份证号、手机号明文（留痕）",
    Perm.PEOPLE_IMPORT: "Excel 导入户、居民、党员",
    Perm.PEOPLE_EXPORT: "Excel 导出户、居民、党员",
    Perm.LEDGER_VIEW: "查看民生台账",
    Perm.LEDGER_MANAGE: "维护民生台账（标签、帮扶人、走访周期）",
    Perm.LEDGER_VISIT: "登记走访",
    Perm.PARTY_VIEW: "查看党组织与党员",
    Perm.PARTY_MANAGE: "维护党组织、党员与联户关系",
    Perm.PARTY_LINKAGE: "登记联户履职记录",
    Perm.AUDIT_VIEW: "查询审计记录",
    Perm.ACCOUNTS_MANAGE: "管理账号与岗位、重置密码",
    Perm.API_TOKENS: "签发接口令牌",
    Perm.CASES_VIEW: "查看诉求（反映人脱敏）",
    Perm.CASES_FILE: "代居民登记诉求、巡查日志",
    Perm.CASES_HANDLE: "承办诉求（接单、进展、退单、办结、回访）",
    Perm.CASES_DISPATCH: "受理、三事分流、派遣、结案、吹哨、督办",
    Perm.CASES_WHISTLE: "接哨：召集部门报到、吹哨办结",
    Perm.CASES_DEPARTMENT: "部门承办：办理派给本部门或召集本部门的诉求",
    Perm.CASES_REVEAL: "查看反映人电话明文（留痕）",
    Perm.CASES_REPORT: "诉求统计与报表",
    Perm.CASES_CONFIGURE: "维护诉求类别、派遣规则、时限与工作日历",
    Perm.POINTS_VIEW: "查看积分账户、流水与排名",
    Perm.POINTS_PROPOSE: "申报积分（附佐证）",
    Perm.POINTS_APPROVE: "审核积分申报、处理公示异议、冲正",
    Perm.POINTS_STORE: "积分超市：商品、兑换与核销",
    Perm.POINTS_TASKS: "发布微任务、确认完成",
    Perm.POINTS_TALK: "党员积分提醒谈话、民主评议、三类户评定",
    Perm.POINTS_REPORT: "积分月度汇总、排名与导出",
    Perm.POINTS_CONFIGURE: "维护积分体系、指标目录与自动积分规则",
    Perm.CONSULTATION_VIEW: "查看议事会议、表决、议定事项与三诺",
    Perm.CONSULTATION_RUN: "组织议事会议：场所、议程、签到、表决、会议记录、议定事项、居民议题",
    Perm.CONSULTATION_MATTERS: "办理“四议两公开”事项",
    Perm.CONSULTATION_PLEDGES: "书记三诺：亮诺、践诺、评诺",
    Perm.CONSULTATION_CONFIGURE: "维护会议类型、法定人数与表决规则",
    Perm.STARS_VIEW: "查看五星支部创建：目录、规划、申报、挂图作战、比武、统计",
    Perm.STARS_DECLARE: "本村（社区）创建规划、星级申报与佐证、集体经济收入",
    Perm.STARS_REVIEW_TOWNSHIP: "乡镇初审：评分、通过或退回；登记与答复公示异议",
    Perm.STARS_REVIEW_COUNTY: "专班审核、发布公示、授星与撤星、下达名额、大比武、日常考核",
    Perm.STARS_JUDGE: "大比武评委打分",
    Perm.STARS_CONFIGURE: "维护星级目录、创建标准与创建参数（县级）",
    Perm.WORKLISTS_VIEW: "查看三张清单与手册检查整改",
    Perm.WORKLISTS_KEYWORK: "维护本单位重点工作推进清单",
    Perm.WORKLISTS_PROJECTS: "项目清单：上报需求、维护项目库、对接与资金跟踪",
    Perm.WORKLISTS_TRAINING: "培训清单：需求调查、培训计划与签到",
    Perm.WORKLISTS_INSPECT: "季度手册检查、下发整改通知、核验销号",
}

_P = Perm
_POINTS_LOCAL = {
    _P.POINTS_VIEW,
    _P.POINTS_PROPOSE,
    _P.POINTS_APPROVE,
    _P.POINTS_STORE,
    _P.POINTS_TASKS,
    _P.POINTS_TALK,
    _P.POINTS_REPORT,
}
_FRONTLINE = {
    _P.TERRITORY_VIEW,
    _P.PEOPLE_VIEW,
    _P.LEDGER_VIEW,
    _P.LEDGER_VISIT,
    _P.PARTY_VIEW,
    _P.CASES_VIEW,
    _P.CASES_FILE,
    _P.POINTS_VIEW,
    _P.POINTS_PROPOSE,
    _P.CONSULTATION_VIEW,
}
_CASES_LOCAL = {
    _P.CASES_VIEW,
    _P.CASES_FILE,
    _P.CASES_HANDLE,
    _P.CASES_DISPATCH,
    _P.CASES_REVEAL,
    _P.CASES_REPORT,
}
_VILLAGE = (
    _FRONTLINE
    | {
        _P.TERRITORY_MANAGE,
        _P.PEOPLE_MANAGE,
        _P.PEOPLE_REVEAL,
        _P.PEOPLE_IMPORT,
        _P.PEOPLE_EXPORT,
        _P.LEDGER_MANAGE,
        _P.PARTY_MANAGE,
        _P.PARTY_LINKAGE,
    }
    | _CASES_LOCAL
    | _POINTS_LOCAL
    | {_P.CONSULTATION_RUN, _P.CONSULTATION_MATTERS}
    | {
        _P.STARS_VIEW,
        _P.STARS_DECLARE,
        _P.WORKLISTS_VIEW,
        _P.WORKLISTS_KEYWORK,
        _P.WORKLISTS_PROJECTS,
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.BUILDING_LEADER: frozenset(_FRONTLINE),
    Role.GRID_WORKER: frozenset(
        _FRONTLINE
        | {
            _P.PEOPLE_MANAGE,
            _P.PEOPLE_REVEAL,
            _P.PARTY_LINKAGE,
            _P.CASES_HANDLE,
            _P.CASES_REVEAL,
            # The weekly summary of the own grid (每周汇总) and its figures.
            _P.CASES_REPORT,
            # Grid workers confirm micro-tasks done in their grid.
            _P.POINTS_TASKS,
        }
    ),
    Role.VILLAGE_STAFF: frozenset(_VILLAGE),
    # The secretary makes the yearly pledges (三诺).
    Role.VILLAGE_SECRETARY: frozenset(
        _VILLAGE | {_P.ACCOUNTS_MANAGE, _P.AUDIT_VIEW, _P.CONSULTATION_PLEDGES}
    ),
    # Micro-assistants propose, keep the store counter and the monthly tally; approving is
    # the branch's (secretary, committee staff).
    Role.MICRO_ASSISTANT: frozenset(
        _FRONTLINE | {_P.POINTS_STORE, _P.POINTS_TASKS, _P.POINTS_REPORT}
    ),
    Role.STREET_STAFF: frozenset(
        {
            _P.TERRITORY_VIEW,
            _P.TERRITORY_MANAGE,
            _P.PEOPLE_VIEW,
            _P.PEOPLE_IMPORT,
            _P.PEOPLE_EXPORT,
            _P.LEDGER_VIEW,
            _P.PARTY_VIEW,
            _P.PARTY_MANAGE,
            _P.ACCOUNTS_MANAGE,
            _P.AUDIT_VIEW,
            _P.CASES_WHISTLE,
            _P.CASES_CONFIGURE,
            _P.POINTS_VIEW,
            _P.POINTS_REPORT,
            _P.POINTS_TALK,
            _P.POINTS_CONFIGURE,
            _P.CONSULTATION_VIEW,
            # The township organises the year-end evaluation of the secretaries' pledges.
            _P.CONSULTATION_PLEDGES,
            # First review of its villages' star declarations, its contest heats, its own
            # key-work list and the quarterly inspection of its branches.
            _P.STARS_VIEW,
            _P.STARS_REVIEW_TOWNSHIP,
            _P.STARS_JUDGE,
            _P.WORKLISTS_VIEW,
            _P.WORKLISTS_KEYWORK,
            _P.WORKLISTS_INSPECT,
        }
        | _CASES_LOCAL
    ),
    # Departments act on the requests routed to them (cases); they see the tree, not the register.
    Role.DEPARTMENT_STAFF: frozenset({_P.TERRITORY_VIEW, _P.CASES_DEPARTMENT}),
    Role.ORG_DEPARTMENT: frozenset(
        {
            _P.TERRITORY_VIEW,
            _P.PEOPLE_VIEW,
            _P.LEDGER_VIEW,
            _P.PARTY_VIEW,
            _P.PARTY_MANAGE,
            _P.PEOPLE_EXPORT,
            _P.CASES_VIEW,
            _P.CASES_REPORT,
            _P.POINTS_VIEW,
            _P.POINTS_REPORT,
            _P.CONSULTATION_VIEW,
            _P.CONSULTATION_PLEDGES,
            _P.CONSULTATION_CONFIGURE,
            # The county task force (专班) and the creation office (创建办).
            _P.STARS_VIEW,
            _P.STARS_REVIEW_COUNTY,
            _P.STARS_JUDGE,
            _P.STARS_CONFIGURE,
            _P.WORKLISTS_VIEW,
            _P.WORKLISTS_KEYWORK,
            _P.WORKLISTS_PROJECTS,
            _P.WORKLISTS_TRAINING,
            _P.WORKLISTS_INSPECT,
        }
    ),
    Role.SYSADMIN: frozenset(
        {
            _P.TERRITORY_VIEW,
            _P.TERRITORY_MANAGE,
            _P.PEOPLE_VIEW,
            _P.LEDGER_VIEW,
            _P.PARTY_VIEW,
            _P.AUDIT_VIEW,
            _P.ACCOUNTS_MANAGE,
            _P.API_TOKENS,
            _P.CASES_CONFIGURE,
            _P.POINTS_CONFIGURE,
            _P.CONSULTATION_CONFIGURE,
            _P.STARS_CONFIGURE,
        }
    ),
}

# The unit kinds at which a post of each role may be held.
ROLE_UNIT_KINDS: dict[str, tuple[str, ...]] = {
    Role.BUILDING_LEADER: ("building",),
    Role.GRID_WORKER: ("grid",),
    Role.VILLAGE_STAFF: ("village",),
    Role.VILLAGE_SECRETARY: ("village",),
    Role.MICRO_ASSISTANT: ("village",),
    Role.STREET_STAFF: ("township",),
    Role.DEPARTMENT_STAFF: ("county", "township"),
    Role.ORG_DEPARTMENT: ("county", "city"),
    Role.SYSADMIN: ("province", "city", "county"),
}

# Which workbench each role lands on after login (accounts/views.py).
ROLE_WORKBENCH: dict[str, str] = {
    Role.BUILDING_LEADER: "frontline",
    Role.GRID_WORKER: "frontline",
    Role.VILLAGE_STAFF: "village",
    Role.VILLAGE_SECRETARY: "village",
    Role.MICRO_ASSISTANT: "frontline",
    Role.STREET_STAFF: "street",
    Role.DEPARTMENT_STAFF: "department",
    Role.ORG_DEPARTMENT: "county",
    Role.SYSADMIN: "admin",
}

WORKBENCH_LABELS: dict[str, str] = {
    "frontline": "一线工作台（网格、楼栋）",
    "village": "村/社区工作台",
    "street": "街道/乡镇工作台",
    "department": "职能部门工作台",
    "county": "县区工作台",
    "admin": "系统管理工作台",
}


def role_grants(role: str, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())


def render_permission_table() -> str:
    """The roles × permissions table as Markdown; docs/permissions.md embeds it verbatim.

    A test regenerates it and compares, so the document cannot drift from `ROLE_PERMISSIONS`.
    """
    roles = list(Role)
    header = "| 权限 | `代码` | " + " | ".join(r.label for r in roles) + " |"
    rule = "| --- | --- | " + " | ".join(":---:" for _ in roles) + " |"
    lines = [header, rule]
    for perm, label in PERM_LABELS.items():
        marks = " | ".join("✓" if role_grants(r, perm) else "" for r in roles)
        lines.append(f"| {label} | `{perm}` | {marks} |")
    from lianxin.territory.models import UnitKind

    lines.append("")
    lines.append("| 角色 | `代码` | 可任职的单元 | 登录后进入 |")
    lines.append("| --- | --- | --- | --- |")
    for r in roles:
        kinds = "、".join(UnitKind(k).label for k in ROLE_UNIT_KINDS.get(r, ()))
        bench = WORKBENCH_LABELS.get(ROLE_WORKBENCH.get(r, ""), "")
        lines.append(f"| {r.label} | `{r.value}` | {kinds} | {bench} |")
    return "\n".join(lines) + "\n"
