"""Five-star branch creation (五星支部创建) across the whole of 孟州市 (docs/demo.md).

The street's requests, points and consultation are replayed through the services; this part is
written straight into the tables (`save_all`: 289 villages and communities over two years are
some forty thousand rows, and the demo is built four times in CI). The rows follow the rules
of `lianxin.stars.workflow` all the same: each declaration's status, round and version are what
its append-only ReviewStep history leads to, a returned declaration is amended in a new round
(its entries copied), scores stay within the standards' maxima, a StarAward exists only for an
awarded (or later withdrawn) declaration, published declarations sit in their township's notice.

Dates are relative to the build day: last year (Y-1) is complete — plans aside, every village's
stars were declared in November, reviewed, published in December and awarded; this year (Y) has
its quotas, plans, contests, monthly assessments, and declarations in every state, further along
the later in the year the demo is built (early in the year nothing can have finished its notice
yet, see `FULL_DAYS`). 迎秀社区 holds four stars from last year; this year it has no plan and one
star so far (平安法治星, from an earlier notice of 大定街道): the browser story drafts the plan
and declares the others.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar, cast

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connections, models, router
from django.utils import timezone

from lianxin.accounts.models import Post, User
from lianxin.accounts.permissions import Role
from lianxin.core.models import PublicModel, TimeStampedModel
from lianxin.demo.names import person_name
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    Assessment,
    Contest,
    ContestEntry,
    ContestScore,
    CreationPlan,
    CreationSettings,
    Declaration,
    DeclarationEntry,
    IncomeLine,
    IncomeSource,
    IncomeStatement,
    Objection,
    PlanMeasure,
    PlanMilestone,
    PlanStar,
    PublicNotice,
    Quota,
    ReviewStep,
    Standard,
    StandardScore,
    Star,
    StarAward,
    TaskForce,
    WeakBranch,
)
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services.catalog import catalog_ensure, settings_ensure
from lianxin.territory.models import Unit, UnitKind

HOME_CODE = "410883001002"  # 迎秀社区: no plan this year, one star so far (the story does the rest)
HOME_STAR = "safety"  # the star 迎秀 already holds this year
# From this many days into the year the declarations' pipeline has room for every state
# (plans first, then submission, two reviews and a five-day notice before an award).
FULL_DAYS = 40
M = TypeVar("M", bound=models.Model)

# Star weights: which stars a village earns first (支部过硬 most often, 产业兴旺 last).
STAR_WEIGHT = {
    "branch": 6.0,
    "safety": 4.5,
    "ecology": 3.5,
    "civility": 3.0,
    "industry": 2.0,
    "sharing": 2.5,
}
# Last year's levels outside each township's best (which are five and four stars).
LEVEL_SHARES = [(3, 0.66), (2, 0.21), (1, 0.09), (0, 0.04)]

TASK_FORCES: list[tuple[str, str, str]] = [
    ("支部过硬星创建专班", "市委组织部", "branch"),
    ("产业兴旺星创建专班", "市农业农村局", "industry"),
    ("生态宜居星创建专班", "市住房和城乡建设局", "ecology"),
    ("平安法治星创建专班", "市委政法委", "safety"),
    ("文明幸福星创建专班", "市委宣传部", "civility"),
    ("共建共享星创建专班", "市民政局", "sharing"),
    ("人居环境整治专班", "市生态环境局", ""),
    ("新时代文明实践专班", "市文明办", ""),
    ("集体经济发展专班", "市财政局", ""),
    ("乡村振兴项目专班", "市乡村振兴局", ""),
]

CLAIMS: dict[str, list[str]] = {
    "team": [
        "班子成员7人，分工明确，全年召开支委会12次",
        "书记带头讲党课，班子成员联系群众全覆盖",
        "班子结构合理，35岁以下委员1名",
    ],
    "records": ["“三会一课”按月开展，记录完整", "主题党日每月一次，签到、记录、照片齐全"],
    "meetings": ["全年召开议事协商会议，议题均公开", "村民代表会议、议事会按期召开"],
    "members": ["党员积分按月公示，低分党员已谈心谈话", "党员积分排名公开，低于提醒线的均已整改"],
    "income": ["集体经营性收入以土地流转和资产租赁为主", "集体收入来源稳定，账目公开"],
    "projects": [
        "发展订单种植300亩，带动80户增收",
        "合作社吸纳本村劳动力60人，人均增收4000元",
        "光伏入股项目年分红稳定，收益全部入账",
    ],
    "ledger": ["集体资产台账经乡镇“三资”中心审核", "资产、资源、合同台账齐全"],
    "environment": [
        "完成背街小巷硬化，垃圾日产日清",
        "户厕改造全覆盖，村内无积存垃圾",
        "主街道绿化亮化，沟渠清淤到位",
    ],
    "photos": ["附整治前后对比照片12组", "附重点点位整治前后照片"],
    "mediation": ["矛盾纠纷就地化解，调解成功率达标", "调解委员会运转正常，台账完整"],
    "major": ["无未化解的重大矛盾纠纷", "吹哨事项均已办结"],
    "statement": ["派出所、信访办出具证明", "全年无刑事案件、无越级访"],
    "satisfaction": ["诉求回访满意率达标", "群众满意度测评结果良好"],
    "practice": [
        "新时代文明实践站每月开展活动",
        "开展移风易俗、孝善敬老等活动20余场",
        "志愿服务队常态化开展服务",
    ],
    "models": ["评选好媳妇、好婆婆等先进人物并公示", "“三类户”评定挂牌全覆盖"],
    "decisions": ["议定事项按期办结，结果公开", "议定事项台账完整，逐项销号"],
    "partners": ["与驻区单位签订共建协议，联合开展活动", "社区合伙人提供公益服务"],
    "agreements": ["与3家驻区单位签订支部联建协议", "联建协议与共建活动记录齐全"],
}
EVIDENCE_NAMES: dict[str, str] = {
    "records": "“三会一课”记录（全年）.pdf",
    "ledger": "集体资产台账.pdf",
    "photos": "环境整治前后对比照片.pdf",
    "statement": "派出所、信访办证明.pdf",
    "models": "先进人物评选结果公示.pdf",
    "agreements": "支部联建协议与活动记录.pdf",
}
TOWNSHIP_RETURNS: dict[str, str] = {
    "branch": "“三会一课”记录缺少第三季度内容，请补充后重新报送。",
    "industry": "产业项目带动增收情况未附收益分配台账，请补充。",
    "ecology": "环境整治前后对比照片不清晰，请重新上传。",
    "safety": "派出所证明未加盖公章，请补充。",
    "civility": "文明实践活动记录不全，请补充活动照片和签到表。",
    "sharing": "支部联建协议未附共建活动记录，请补充。",
}
COUNTY_RETURN = "经专班实地核查，部分佐证材料与申报情况不符，请对照标准整改后重新申报。"
OBJECTIONS: list[tuple[str, str, str]] = [
    (
        "反映该村发生的一起宅基地纠纷至今未调解到位。",
        "经乡镇综治中心核查，该纠纷已于公示前调解结案，双方签字确认，异议不成立。",
        "",
    ),
    (
        "反映该村环境整治只整治了主街，背街小巷仍有垃圾堆放。",
        "经专班实地核查，背街小巷已于公示前完成整治，现场无垃圾堆放，异议不成立。",
        "",
    ),
    (
        "反映该村集体资产出租合同未公开，收益去向不明。",
        "经乡镇“三资”中心核查，反映情况属实：两份租赁合同未经村民代表会议决议、未公开，"
        "异议成立，不予授星，责令整改。",
        "upheld",
    ),
]
UPHELD = "异议成立：" + OBJECTIONS[2][1]
WITHDRAW_REASON = "授星后经专班复核，部分佐证材料与实际情况不符，经研究予以撤星。"

STRENGTHS: dict[str, list[str]] = {
    "branch": ["班子团结，书记带头作用突出", "“三会一课”坚持经常", "党员联户全覆盖，群众认可"],
    "industry": ["土地流转集中连片", "合作社运营稳定", "光伏入股年年分红", "特色种植初具规模"],
    "ecology": ["主干道硬化亮化全覆盖", "垃圾分类试点先行", "村容村貌整洁"],
    "safety": ["调解员队伍健全", "视频监控覆盖主要路口", "多年无刑事案件"],
    "civility": ["文明实践站活动经常", "“三类户”挂牌全覆盖", "志愿服务队伍活跃"],
    "sharing": ["驻区单位共建全覆盖", "社区合伙人参与积极", "议定事项办结及时"],
}
WEAKNESSES: dict[str, list[str]] = {
    "branch": ["党员老龄化，后备力量不足", "组织生活记录不够规范"],
    "industry": ["集体经济收入来源单一", "产业带动增收不明显", "集体资产台账不健全"],
    "ecology": ["背街小巷整治不彻底", "污水管网尚未全覆盖", "长效保洁机制不健全"],
    "safety": ["邻里纠纷时有发生", "流动人口管理薄弱"],
    "civility": ["移风易俗仍有差距", "文化活动场所不足"],
    "sharing": ["驻区单位参与积极性不高", "老旧小区物业管理薄弱"],
}
MEASURES: dict[str, list[str]] = {
    "branch": ["每月开展主题党日并规范记录", "发展35岁以下党员2名", "党员积分月评月公示"],
    "industry": [
        "流转土地300亩发展订单农业",
        "成立劳务合作社承接周边用工",
        "盘活闲置校舍出租增加集体收入",
    ],
    "ecology": ["完成背街小巷硬化1.2公里", "建成垃圾分类收集点6处", "实施村内坑塘整治"],
    "safety": ["组建“红袖标”巡逻队", "每月开展矛盾纠纷排查", "主要路口加装监控8处"],
    "civility": ["开展“好媳妇好婆婆”评选", "修订村规民约", "每季度开展一次文明实践活动"],
    "sharing": ["与驻区单位签订共建协议3份", "引入物业服务企业", "建立社区合伙人积分回馈"],
}
MILESTONES: list[tuple[str, int, int]] = [
    ("完成创建规划并报乡镇确认", 2, 28),
    ("七一前举措大比武对标检查", 6, 30),
    ("年底成效大比武迎接验收", 12, 15),
]
WEAK_REASONS = [
    "班子不团结、战斗力不强",
    "集体经济薄弱、发展思路不清",
    "组织生活不规范，“三会一课”落实不到位",
    "矛盾纠纷多发，群众意见较大",
    "书记长期空缺，班子配备不齐",
]
PRESENTATION = [
    "锚定{n}星，{s}",
    "补短板强弱项，冲刺{n}星",
    "{s}，争创{n}星支部",
]
SLOGANS = ["党建引领聚合力", "产业振兴富村民", "环境提升美家园", "平安和谐促发展", "文明新风润民心"]


# --- rows -----------------------------------------------------------------------------------


@functools.cache
def _zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def print_date(day: dt.date) -> str:
    """2026年11月22日 (as the notices print dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of `day` in the deployment's time zone."""
    return dt.datetime.combine(day, dt.time(min(hour, 23), minute), tzinfo=_zone())


def money(value: float) -> Decimal:
    return Decimal(int(round(value)))


class Ids:
    """Primary keys handed out before the rows are written, so rows can point at each other
    without a round trip (`save_all` inserts them as they are)."""

    def __init__(self) -> None:
        self.next: dict[type[models.Model], int] = {}

    def take(self, cls: type[models.Model]) -> int:
        if cls not in self.next:
            top = cls._default_manager.aggregate(top=models.Max("pk"))["top"]
            self.next[cls] = (top or 0) + 1
        n = self.next[cls]
        self.next[cls] = n + 1
        return n


class Row:
    """A row to insert, read like a model instance without a model instance's cost (forty
    thousand `Model.__init__` calls alone took a second). Foreign keys hold the related row
    or instance; `save_all` writes their keys."""

    pk: int

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


MISSING = object()


class Maker:
    """Rows with their primary key, a public id from the seeded generator and explicit
    timestamps (`when`, required for timestamped models)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids = Ids()

    def __call__(self, cls: type[M], when: dt.datetime | None = None, **values: Any) -> M:
        values["pk"] = values["id"] = self.ids.take(cls)
        if issubclass(cls, PublicModel) or cls is User:
            values["public_id"] = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        if issubclass(cls, TimeStampedModel):
            assert when is not None, cls
            values.setdefault("created_at", when)
            values.setdefault("updated_at", when)
        return cast(M, Row(values))


# Field types whose Python values both databases take as they are.
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)


def _columns(cls: type[models.Model], connection: Any) -> list[tuple[str, str, Any, Any]]:
    """(name, column, default, prepare) per concrete field: `default` is a value, a callable
    or MISSING (the row must say), `prepare` the field's conversion (None when not needed)."""
    columns = []
    for f in cls._meta.concrete_fields:
        if f.primary_key:
            default: Any = MISSING
        elif f.has_default():
            default = f.default
        elif f.null:
            default = None
        elif f.empty_strings_allowed and not f.is_relation:
            default = ""
        else:
            default = MISSING
        columns.append((f.name, f.column, default, _prepare(f, connection)))
    return columns


def _prepare(f: models.Field[Any, Any], connection: Any) -> Any:
    """How a value of field `f` goes to the driver: as it is where the driver takes it,
    a cheap conversion for SQLite's datetimes and UUIDs (what Django's own does), the
    field's conversion otherwise."""
    kind = f.get_internal_type()
    if kind in PLAIN or kind in ("DateField", "DecimalField"):
        return None  # both drivers adapt dates and Decimals themselves
    if kind == "DateTimeField" and connection.vendor == "sqlite":
        tz = connection.timezone
        return lambda value, _c: str(value.astimezone(tz).replace(tzinfo=None))
    if kind == "DateTimeField":
        return None
    if kind == "UUIDField":
        return None if connection.features.has_native_uuid_field else lambda v, _c: v.hex
    return f.get_db_prep_save


def save_all(cls: type[M], rows: Sequence[M]) -> list[M]:
    """Insert `Maker` rows: one `executemany` (SQLite) or one COPY (PostgreSQL) per call.

    `bulk_create` spends most of its time compiling each value into SQL; at forty thousand
    rows that alone took longer than the demo may spend on this part. Like `bulk_create`
    this skips the per-row audit (the builder's marker event summarises the build); the rows
    carry their keys and timestamps, and PostgreSQL's sequences are moved past the keys."""
    rows = list(rows)
    if not rows:
        return rows
    connection = connections[router.db_for_write(cls)]
    columns = _columns(cls, connection)
    quote = connection.ops.quote_name
    # Table and column names come from the model's metadata; values are parameters.
    table = quote(cls._meta.db_table)
    names = ", ".join(quote(column) for _, column, _, _ in columns)
    params = []
    for row in rows:
        given = row.__dict__
        values = []
        for name, _column, default, prepare in columns:
            value = given.get(name, MISSING)
            if value is MISSING:
                assert default is not MISSING, (cls, name)
                value = default() if callable(default) else default
            elif isinstance(value, (models.Model, Row)):
                value = value.pk
            if prepare is not None and value is not None:
                value = prepare(value, connection)
            values.append(value)
        params.append(values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement (and a round trip) per row.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", params)  # noqa: S608
        for statement in connection.ops.sequence_reset_sql(no_style(), [cls]):
            cursor.execute(statement)
    return rows
    connection = connections[router.db_for_write(cls)]
    columns = _columns(cls, connection)
    quote = connection.ops.quote_name
    # Table and column names come from the model's metadata; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(cls._meta.db_table),
        ", ".join(quote(column) for _, column, _, _ in columns),
        ", ".join(["%s"] * len(columns)),
    )
    params = []
    for row in rows:
        given = row.__dict__
        values = []
        for name, _column, default, prepare in columns:
            value = given.get(name, MISSING)
            if value is MISSING:
                assert default is not MISSING, (cls, name)
                value = default() if callable(default) else default
            elif isinstance(value, (models.Model, Row)):
                value = value.pk
            if prepare is not None and value is not None:
                value = prepare(value, connection)
            values.append(value)
        params.append(values)
    with connection.cursor() as cursor:
        for i in range(0, len(params), 2000):
            cursor.executemany(sql, params[i : i + 2000])
        for statement in connection.ops.sequence_reset_sql(no_style(), [cls]):
            cursor.execute(statement)
    return rows


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF (the shared placeholder of the demo's evidence files)."""
    stream = f"BT /F1 18 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % n + body + b"endobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the county ---------------------------------------------------------------------------


@dataclass
class Village:
    unit: Unit
    township: Unit
    unit_type: str
    secretary: str
    user: User | None
    strength: float
    income: dict[int, Decimal] = field(default_factory=dict)
    held: list[str] = field(default_factory=list)  # star codes held last year
    progress_last_year: bool = False
    target: list[str] = field(default_factory=list)  # star codes aimed at this year
    weak: bool = False
    plan_status: str = ""

    @property
    def level(self) -> int:
        return wf.level_of(len(self.held))

    @property
    def is_home(self) -> bool:
        return self.unit.code == HOME_CODE


@dataclass
class Catalog:
    stars: dict[str, Star]
    standards: dict[str, list[Standard]]  # star code → its standards in order


@dataclass
class StarsDemo:
    """What the work lists build on, and the counts for the marker event."""

    county: Unit
    street: Unit
    townships: list[Unit]
    villages: list[Village]
    by_township: dict[int, list[Village]]
    task_forces: list[TaskForce]
    settings: CreationSettings
    users: dict[str, User]
    year: int
    today: dt.date
    evidence: str = ""  # the stored placeholder PDF every evidence entry points at
    stages: dict[int, str] = field(default_factory=dict)  # township pk → stage this year
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def township_actor(self, township: Unit) -> tuple[User | None, str]:
        """Who acts for a township: `jiedao` in 大定街道, a labelled office elsewhere."""
        if township.pk == self.street.pk:
            user = self.users["jiedao"]
            return user, f"{user.full_name}（{township.display_name}）"
        suffix = "党工委" if township.display_name.endswith("街道") else "党委"
        return None, f"{township.display_name}{suffix}（演示）"

    def county_actor(self) -> tuple[User, str]:
        user = self.users["zuzhibu"]
        return user, f"{user.full_name}（市委组织部）"


def village_actor(v: Village) -> tuple[User | None, str]:
    if v.user is not None:
        return v.user, f"{v.user.full_name}（{v.unit.display_name}）"
    return None, f"{v.unit.display_name}党组织（演示）"


def weighted_pick(rng: random.Random, pool: list[str], k: int) -> list[str]:
    """`k` distinct codes drawn by STAR_WEIGHT (without replacement)."""
    pool = list(pool)
    chosen: list[str] = []
    while pool and len(chosen) < k:
        weights = [STAR_WEIGHT.get(c, 1.0) for c in pool]
        code = rng.choices(pool, weights=weights)[0]
        pool.remove(code)
        chosen.append(code)
    return chosen


def _load_county(rng: random.Random, county: Unit) -> tuple[list[Unit], list[Village]]:
    """The county's townships and village-level units, each with its secretary (the demo's
    accounts where they exist, a generated name elsewhere)."""
    townships = list(
        Unit.objects.filter(parent=county, kind=UnitKind.TOWNSHIP, is_active=True).order_by("code")
    )
    by_pk = {t.pk: t for t in townships}
    secretaries: dict[int, User] = {}
    for post in (
        Post.objects.filter(
            role=Role.VILLAGE_SECRETARY, is_active=True, unit__path__startswith=county.path
        )
        .select_related("user")
        .order_by("id")
    ):
        secretaries.setdefault(post.unit_id, post.user)
    villages = []
    for unit in Unit.objects.filter(
        parent__in=townships, kind=UnitKind.VILLAGE, is_active=True
    ).order_by("code"):
        user = secretaries.get(unit.pk)
        villages.append(
            Village(
                unit=unit,
                township=by_pk[unit.parent_id],  # type: ignore[index]
                unit_type=wf.unit_type_of(unit.name, unit.display_name),
                secretary=user.full_name if user else person_name(rng, rng.choice("MMMF")),
                user=user,
                strength=rng.gauss(0, 1),
            )
        )
    return townships, villages


def _catalogs(county: Unit, years: list[int]) -> dict[tuple[int, str], Catalog]:
    found: dict[tuple[int, str], Catalog] = {}
    for year in years:
        for type_ in (wf.VILLAGE, wf.COMMUNITY):
            star_set = catalog_ensure(county=county, year=year, unit_type=type_)
            stars = {
                s.code: s for s in star_set.stars.filter(is_active=True).order_by("sort_order")
            }
            standards: dict[str, list[Standard]] = {c: [] for c in stars}
            for s in Standard.objects.filter(star__star_set=star_set, is_active=True).order_by(
                "star__sort_order", "sort_order", "id"
            ):
                standards.setdefault(s.star.code, []).append(s)
            found[(year, type_)] = Catalog(stars=stars, standards=standards)
    return found


# --- collective income ----------------------------------------------------------------------


def _incomes(rng: random.Random, villages: list[Village], year: int) -> None:
    """Three years of income per village: a long tail from 20k to 800k for villages, little
    or nothing for urban communities."""
    for v in villages:
        if v.unit_type == wf.COMMUNITY:
            base = 0.0 if rng.random() < 0.4 else rng.uniform(8000, 60000)
        else:
            base = min(800000.0, max(20000.0, math.exp(rng.gauss(math.log(85000), 0.85))))
            base *= math.exp(0.15 * v.strength)
        older = base
        for y in (year - 2, year - 1, year):
            if y > year - 2:
                growth = rng.gauss(0.06, 0.12)
                if rng.random() < 0.25:
                    growth = rng.uniform(0.12, 0.45)  # the reward rule lists these
                older = max(0.0, older * (1 + growth))
            value = min(800000.0, older) if v.unit_type == wf.VILLAGE else older
            if v.unit_type == wf.VILLAGE:
                value = max(20000.0, value)
            v.income[y] = money(value)
    home = next((v for v in villages if v.is_home), None)
    if home is not None:
        home.income = {year - 2: Decimal(31500), year - 1: Decimal(36800), year: Decimal(42600)}


SOURCES_BY_TYPE: dict[str, list[str]] = {
    wf.VILLAGE: [
        IncomeSource.LAND_TRANSFER,
        IncomeSource.LEASED_ASSETS,
        IncomeSource.COOPERATIVE,
        IncomeSource.ENTERPRISE_DIVIDEND,
        IncomeSource.SERVICES,
        IncomeSource.OTHER,
    ],
    wf.COMMUNITY: [IncomeSource.LEASED_ASSETS, IncomeSource.SERVICES, IncomeSource.OTHER],
}


def _split(rng: random.Random, total: Decimal, sources: list[str]) -> list[tuple[str, Decimal]]:
    if total <= 0:
        return []
    chosen = rng.sample(sources, k=min(len(sources), rng.randint(1, 4)))
    weights = [rng.uniform(0.2, 1.0) for _ in chosen]
    parts = [money(float(total) * w / sum(weights)) for w in weights]
    parts[0] += total - sum(parts)  # the lines add up to the total exactly
    return [(s, p) for s, p in zip(chosen, parts, strict=True) if p > 0]


def build_income(rng: random.Random, demo: StarsDemo, make: Maker) -> None:
    year, today = demo.year, demo.today
    statements: list[IncomeStatement] = []
    lines: list[tuple[int, str, Decimal]] = []
    corrected = next(
        v for v in demo.villages if v.unit_type == wf.VILLAGE and v.income[year - 1] > 150000
    )
    for v in demo.villages:
        user, label = village_actor(v)
        for y in (year - 2, year - 1, year):
            total = v.income[y]
            if y < year:
                day = min(dt.date(y + 1, 1, 15), today - dt.timedelta(days=2))
            else:
                day = max(dt.date(year, 1, 1), today - dt.timedelta(days=rng.randint(1, 20)))
            revisions = [(1, total, "")]
            if v is corrected and y == year - 1:
                first = total + Decimal(18000)
                later = min(day + dt.timedelta(days=45), today - dt.timedelta(days=1))
                revisions = [
                    (1, first, ""),
                    (2, total, "审计调整：土地流转收入18000元重复计列，予以更正"),
                ]
            for revision, amount, note in revisions:
                when = day if revision == 1 else max(later, day)
                statements.append(
                    make(
                        IncomeStatement,
                        at(when, 10 + revision, rng.randint(0, 59)),
                        unit=v.unit,
                        year=y,
                        revision=revision,
                        total=amount,
                        note=note,
                        recorded_by=user,
                        recorded_by_label=label,
                    )
                )
                lines.extend(
                    (len(statements) - 1, s, a)
                    for s, a in _split(rng, amount, SOURCES_BY_TYPE[v.unit_type])
                )
    saved = save_all(IncomeStatement, statements)
    save_all(
        IncomeLine,
        [make(IncomeLine, statement=saved[i], source=s, amount=a) for i, s, a in lines],
    )
    demo.add("income_statements", len(saved))
    demo.add("income_lines", len(lines))


# --- last year's stars ----------------------------------------------------------------------


def _levels_last_year(rng: random.Random, demo: StarsDemo, cat: dict[str, Catalog]) -> None:
    """Each township's best village five stars (one township has none), the next three or four
    four stars, the rest mostly three; 迎秀 four (its zero-to-five breakthrough is this year's
    county key work, seed 004)."""
    year = demo.year - 1
    for n, township in enumerate(demo.townships):
        ranked = sorted(
            demo.by_township[township.pk],
            key=lambda v: (v.strength + float(v.income[year]) / 400000, v.unit.code),
            reverse=True,
        )
        fours = rng.randint(3, 4)
        levels: dict[int, int] = {}
        rest = [v for v in ranked if not v.is_home]
        best = rest[0] if n != 7 else None  # one township had no five-star branch
        for v in ranked:
            if v.is_home:
                levels[v.unit.pk] = 4
            elif v is best:
                levels[v.unit.pk] = 5
            elif fours > 0:
                levels[v.unit.pk] = 4
                fours -= 1
            else:
                draw, level = rng.random(), 0
                for lvl, share in LEVEL_SHARES:
                    if draw < share:
                        level = lvl
                        break
                    draw -= share
                levels[v.unit.pk] = level
        for v in ranked:
            codes = list(cat[v.unit_type].stars)
            level = levels[v.unit.pk]
            if v.unit_type == wf.VILLAGE and "industry" in codes and level >= 4:
                # 产业兴旺星 needs 50,000 yuan of collective income (the figure standard).
                v.income[year] = max(v.income[year], money(rng.uniform(60000, 180000)))
                v.income[demo.year] = max(v.income[demo.year], money(float(v.income[year]) * 1.05))
            if v.unit_type == wf.VILLAGE and v.income[year] < 50000:
                codes.remove("industry")
            if v.is_home:
                v.held = ["branch", "sharing", "safety", "civility"]
            else:
                v.held = weighted_pick(rng, codes, level)
            if "industry" in v.held:
                v.income[demo.year] = max(v.income[demo.year], money(rng.uniform(52000, 90000)))
    for v in demo.villages:
        demo.add(f"last_year_level_{v.level}")


@dataclass
class Pipeline:
    """A declaration's history being written: moves become ReviewSteps, reviews get scores."""

    decl: Declaration
    village: Village
    standards: list[Standard]
    figures: dict[int, Decimal]
    steps: list[tuple[ReviewStep, bool]] = field(default_factory=list)  # (step, failed review)
    entry_rounds: list[tuple[int, dt.datetime]] = field(default_factory=list)


class DeclarationWriter:
    """Writes declarations with their entries, steps, scores and awards in a few bulk inserts."""

    def __init__(self, rng: random.Random, demo: StarsDemo, make: Maker, evidence: str) -> None:
        self.rng, self.demo, self.make, self.evidence = rng, demo, make, evidence
        self.pipelines: list[Pipeline] = []
        self.awards: list[tuple[Pipeline, dt.date, Decimal | None, dt.date | None]] = []
        self.objections: list[tuple[Pipeline, PublicNotice, dict[str, Any]]] = []

    # -- figures and scores --
    def figure_value(self, std: Standard, v: Village, year: int) -> Decimal:
        key, rng = std.figure_key, self.rng
        if key == "stars.collective_income":
            return v.income[year]
        if key == "stars.collective_income_growth":
            prev = v.income[year - 1] or Decimal(1)
            return ((v.income[year] - prev) / prev).quantize(wf.SHARE)
        threshold = std.threshold if std.threshold is not None else Decimal(0)
        if std.comparator in (">=", ">"):
            if threshold <= 1:
                low = float(threshold) + (0.005 if std.comparator == ">" else 0)
                return Decimal(str(round(rng.uniform(low, 1.0), 4)))
            return Decimal(int(threshold) + rng.randint(1 if std.comparator == ">" else 0, 8))
        if std.comparator in ("<=", "<"):
            top = int(threshold) - (1 if std.comparator == "<" else 0)
            return Decimal(rng.randint(0, max(0, top)))
        return threshold

    def new(
        self,
        v: Village,
        year: int,
        cat: Catalog,
        star_code: str | None,
        created: dt.datetime,
        statement: str = "",
    ) -> Pipeline:
        star = cat.stars[star_code] if star_code else None
        standards = cat.standards.get(star_code, []) if star_code else []
        decl = self.make(
            Declaration,
            created,
            unit=v.unit,
            year=year,
            kind=DeclarationKind.STAR if star else DeclarationKind.PROGRESS,
            star=star,
            status=wf.DRAFT,
            round=1,
            statement=statement
            or (
                f"对照{star.name}创建标准逐项自查，各项指标均已达标，申请认定{star.name}。"
                if star
                else "较上年星级明显提升，集体经济收入稳步增长，申报“进步星”。"
            ),
            created_by=v.user,
            version=1,
        )
        figures = {s.pk: self.figure_value(s, v, year) for s in standards if s.kind == wf.FIGURE}
        p = Pipeline(decl=decl, village=v, standards=standards, figures=figures)
        p.entry_rounds.append((1, created))
        self.pipelines.append(p)
        return p

    def move(
        self,
        p: Pipeline,
        action: str,
        when: dt.datetime,
        *,
        to: str,
        reason: str = "",
        failed: bool = False,
    ) -> None:
        """One step of the workflow (the service's compare-and-set, replayed)."""
        decl, v = p.decl, p.village
        move = {
            "submitted": ("submit", ReviewStep.Stage.VILLAGE),
            "cancelled": ("cancel", ReviewStep.Stage.VILLAGE),
            "passed": ("township_pass", ReviewStep.Stage.TOWNSHIP),
            "t_returned": ("township_return", ReviewStep.Stage.TOWNSHIP),
            "approved": ("county_approve", ReviewStep.Stage.COUNTY),
            "c_returned": ("county_return", ReviewStep.Stage.COUNTY),
            "published": ("publish", ReviewStep.Stage.NOTICE),
            "objected": ("object", ReviewStep.Stage.NOTICE),
            "answered": ("object", ReviewStep.Stage.NOTICE),
            "awarded": ("award", ReviewStep.Stage.NOTICE),
            "rejected": ("reject", ReviewStep.Stage.NOTICE),
            "withdrawn": ("withdraw", ReviewStep.Stage.COUNTY),
        }[action]
        rule, stage = move
        assert wf.can_move(rule, decl.status), (action, decl.status)
        if stage == ReviewStep.Stage.VILLAGE:
            user, label = village_actor(v)
        elif stage == ReviewStep.Stage.TOWNSHIP:
            user, label = self.demo.township_actor(v.township)
        else:
            user, label = self.demo.county_actor()
        step = self.make(
            ReviewStep,
            declaration=decl,
            round=decl.round,
            stage=stage,
            action=action.removeprefix("t_").removeprefix("c_"),
            from_status=decl.status,
            to_status=to,
            reason=reason,
            actor=user,
            actor_label=label,
            at=when,
        )
        p.steps.append((step, failed))
        decl.status = to
        decl.version += 1
        decl.updated_at = when
        if action == "submitted":
            decl.submitted_at = when
        if action in ("t_returned", "c_returned", "rejected"):
            decl.last_reason = reason
        if action in ("t_returned", "c_returned"):
            # The amendment is a new round: what this review saw stays as it was.
            decl.round += 1
            p.entry_rounds.append((decl.round, when))

    # -- one declaration's whole path --
    def run(
        self,
        p: Pipeline,
        path: list[str],
        days: list[dt.date],
        *,
        notice: PublicNotice | None = None,
    ) -> None:
        """Replay `path` (move names) on `days` (one per move, non-decreasing); hours rise
        within a day so the order survives."""
        hour = {d: 8 for d in days}
        for action, day in zip(path, days, strict=True):
            hour[day] += 1
            when = at(day, hour[day], self.rng.randint(0, 59))
            star = p.decl.star.code if p.decl.star else ""
            if action == "t_returned":
                reason = TOWNSHIP_RETURNS.get(star, COUNTY_RETURN)
                self.move(p, action, when, to=wf.RETURNED, reason=reason, failed=True)
            elif action == "c_returned":
                self.move(p, action, when, to=wf.RETURNED, reason=COUNTY_RETURN, failed=True)
            elif action == "submitted":
                self.move(
                    p, action, when, to=wf.SUBMITTED, reason="重新报送" if p.decl.round > 1 else ""
                )
            elif action == "cancelled":
                self.move(
                    p,
                    action,
                    when,
                    to=wf.CANCELLED,
                    reason="村（社区）撤回申报，待条件成熟后再报。",
                )
            elif action == "passed":
                self.move(p, action, when, to=wf.TOWNSHIP_PASSED)
            elif action == "approved":
                self.move(p, action, when, to=wf.APPROVED)
            elif action == "published":
                assert notice is not None
                p.decl.notice = notice
                period = (notice.ends_on - notice.starts_on).days + 1
                note = (
                    f"{notice.number}，公示期自{print_date(notice.starts_on)}"
                    f"至{print_date(notice.ends_on)}（{period}天）"
                )
                self.move(p, action, when, to=wf.NOTICE, reason=note)
            elif action == "awarded":
                objected = any(q is p for q, _n, _v in self.objections)
                note = "公示期满，异议经核查不成立" if objected else "公示期满无异议"
                self.move(p, action, when, to=wf.AWARDED, reason=note)
            elif action == "withdrawn":
                self.move(p, action, when, to=wf.WITHDRAWN, reason=WITHDRAW_REASON)
            else:
                raise ValueError(action)

    def object(
        self,
        p: Pipeline,
        notice: PublicNotice,
        received: dt.date,
        answered: dt.date | None,
        text: tuple[str, str, str],
    ) -> None:
        """An objection during the notice: recorded (a step), maybe answered (a step); an
        upheld one ends the declaration rejected at the notice's end."""
        content, answer, upheld = text
        recorded = at(received, 10, self.rng.randint(0, 59))
        channel = self.rng.choice(list(Objection.Channel))
        self.move(p, "objected", recorded, to=wf.NOTICE, reason=f"{channel.label}反映：{content}")
        values: dict[str, Any] = {
            "channel": channel.value,
            "received_on": received,
            "objector": self.rng.choice(["", "村民（匿名）", person_name(self.rng, "M")]),
            "content": content,
            "when": recorded,
        }
        if answered is not None:
            reply = at(answered, 16, self.rng.randint(0, 59))
            verdict = "成立" if upheld else "不成立"
            self.move(p, "answered", reply, to=wf.NOTICE, reason=f"异议{verdict}：{answer}")
            values.update(answer=answer, upheld=bool(upheld), answered_at=reply)
        self.objections.append((p, notice, values))

    def award(self, p: Pipeline, day: dt.date, withdrawn: dt.date | None = None) -> None:
        amount = self.demo.settings.progress_award if p.decl.star is None else None
        self.awards.append((p, day, amount, withdrawn))

    # -- writing --
    def _scores(self, p: Pipeline, step: ReviewStep, failed: bool) -> list[StandardScore]:
        rng, rows, total = self.rng, [], Decimal(0)
        failing = None
        if failed and p.standards:
            candidates = [s for s in p.standards if s.kind != wf.FIGURE] or p.standards
            failing = rng.choice(candidates)
        for s in p.standards:
            ok = s is not failing
            score = None
            comment = ""
            value = p.figures.get(s.pk)
            if s.kind == wf.MANUAL:
                top = float(s.max_score or 100)
                bar = float(s.pass_score if s.pass_score is not None else top * 0.8)
                raw = rng.uniform(bar, top) if ok else rng.uniform(bar * 0.7, max(bar - 1, 0))
                score = Decimal(str(round(raw * 2) / 2)).quantize(Decimal("0.01"))
                score = min(score, Decimal(str(top)).quantize(Decimal("0.01")))
                ok = ok and score >= Decimal(str(bar))
                total += score
                if not ok:
                    comment = "未达到及格分，需补充工作实绩。"
            elif s.kind == wf.EVIDENCE:
                if not ok:
                    comment = "佐证材料不全。"
            else:
                ok = value is not None and wf.figure_passes(
                    value, s.comparator, s.threshold or Decimal(0)
                )
            rows.append(
                self.make(
                    StandardScore,
                    step=step,
                    standard=s,
                    score=score,
                    passed=ok,
                    figure_value=value if s.kind == wf.FIGURE else None,
                    comment=comment,
                )
            )
        step.total_score = total if any(s.kind == wf.MANUAL for s in p.standards) else None
        return rows

    def _entries(self, p: Pipeline) -> list[DeclarationEntry]:
        rng, rows = self.rng, []
        draft = p.decl.status == wf.DRAFT
        if p.decl.star is None:
            # A progress star's claim is one entry without a standard per round.
            return [
                self.make(
                    DeclarationEntry,
                    when,
                    declaration=p.decl,
                    round=rnd,
                    standard=None,
                    claim=p.decl.statement,
                    evidence="" if draft else self.evidence,
                    evidence_name="" if draft else "星级提升与集体经济增收情况说明.pdf",
                )
                for rnd, when in p.entry_rounds
            ]
        first: dict[int, tuple[Decimal | None, str]] = {}
        for rnd, when in p.entry_rounds:
            for s in p.standards:
                if rnd == 1:
                    self_score = None
                    if s.kind == wf.MANUAL and s.max_score is not None:
                        bar = float(s.pass_score or s.max_score)
                        self_score = Decimal(
                            str(round(rng.uniform(bar, float(s.max_score)) * 2) / 2)
                        ).quantize(Decimal("0.01"))
                    claim = rng.choice(CLAIMS.get(s.code, ["已按标准落实。"]))
                    if draft and rng.random() < 0.3:
                        claim = ""  # a draft is still being filled in
                    first[s.pk] = (self_score, claim)
                self_score, claim = first[s.pk]
                if rnd > 1 and claim:
                    claim = f"{claim}（已按退回意见补充）"
                has_file = s.kind == wf.EVIDENCE and (not draft or rng.random() < 0.6)
                rows.append(
                    self.make(
                        DeclarationEntry,
                        when,
                        declaration=p.decl,
                        round=rnd,
                        standard=s,
                        self_score=self_score,
                        claim=claim,
                        evidence=self.evidence if has_file else "",
                        evidence_name=(
                            EVIDENCE_NAMES.get(s.code, f"{s.name}佐证.pdf") if has_file else ""
                        ),
                        figure_value=p.figures.get(s.pk) if s.kind == wf.FIGURE else None,
                    )
                )
        return rows

    def write(self) -> None:
        demo = self.demo
        decls = save_all(Declaration, [p.decl for p in self.pipelines])
        demo.add("declarations", len(decls))
        entries: list[DeclarationEntry] = []
        steps: list[ReviewStep] = []
        scores: list[StandardScore] = []
        for p in self.pipelines:
            entries.extend(self._entries(p))
            for step, failed in p.steps:
                steps.append(step)
                if step.action in ("passed", "returned", "approved") and step.stage in (
                    ReviewStep.Stage.TOWNSHIP,
                    ReviewStep.Stage.COUNTY,
                ):
                    # Drawn before the steps are inserted: a step's total is part of the
                    # append-only row.
                    scores.extend(self._scores(p, step, failed))
        save_all(DeclarationEntry, entries)
        save_all(ReviewStep, steps)
        save_all(StandardScore, scores)
        demo.add("entries", len(entries))
        demo.add("review_steps", len(steps))
        demo.add("standard_scores", len(scores))
        objections = [
            self.make(
                Objection,
                values.pop("when"),
                declaration=p.decl,
                notice=notice,
                recorded_by=demo.township_actor(p.village.township)[0],
                answered_by=(
                    demo.township_actor(p.village.township)[0] if values.get("answer") else None
                ),
                **values,
            )
            for p, notice, values in self.objections
        ]
        save_all(Objection, objections)
        demo.add("objections", len(objections))
        awards = []
        for p, day, amount, withdrawn in self.awards:
            d = p.decl
            awards.append(
                self.make(
                    StarAward,
                    at(day, 17),
                    unit=d.unit,
                    year=d.year,
                    kind=d.kind,
                    star=d.star,
                    star_code=d.star.code if d.star else "",
                    declaration=d,
                    awarded_on=day,
                    amount=amount,
                    withdrawn_on=withdrawn,
                    withdraw_reason=WITHDRAW_REASON if withdrawn else "",
                )
            )
        save_all(StarAward, awards)
        demo.add("awards", len(awards))


# --- scheduling -----------------------------------------------------------------------------


def clamp(day: dt.date, low: dt.date, high: dt.date) -> dt.date:
    return max(low, min(day, high))


def chain(
    rng: random.Random, end: dt.date, n: int, start: dt.date, gap: tuple[int, int] = (2, 6)
) -> list[dt.date]:
    """`n` days ending at `end`, a few days apart, squeezed so none precedes `start`."""
    if n <= 0:
        return []
    gaps = [rng.randint(*gap) for _ in range(n - 1)]
    room, total = max(0, (end - start).days), sum(gaps)
    if total > room:
        gaps = [g * room // total for g in gaps]
    days = [end]
    for g in reversed(gaps):
        days.insert(0, days[0] - dt.timedelta(days=g))
    return days


PRE_PATHS: dict[str, list[str]] = {
    wf.DRAFT: [],
    wf.SUBMITTED: ["submitted"],
    "returned_t": ["submitted", "t_returned"],
    "returned_c": ["submitted", "passed", "c_returned"],
    wf.TOWNSHIP_PASSED: ["submitted", "passed"],
    wf.APPROVED: ["submitted", "passed", "approved"],
    wf.CANCELLED: ["submitted", "cancelled"],
    # Published ones: up to approval here, the notice part is dated by the notice.
    wf.NOTICE: ["submitted", "passed", "approved"],
    wf.AWARDED: ["submitted", "passed", "approved"],
    wf.REJECTED: ["submitted", "passed", "approved"],
    wf.WITHDRAWN: ["submitted", "passed", "approved"],
}
SECOND_ROUND = ["submitted", "t_returned"]  # returned once by the township, then resubmitted


def notice_row(
    make: Maker,
    demo: StarsDemo,
    township: Unit,
    year: int,
    n: int,
    starts: dt.date,
    days: int,
    *,
    closed: bool,
) -> PublicNotice:
    """A township's notice, numbered 1, 2, 3 … in the county's year (as the notice service
    numbers them, so the next one published from the pages takes the next number)."""
    ends = starts + dt.timedelta(days=days - 1)
    user, _label = demo.county_actor()
    return make(
        PublicNotice,
        at(starts, 9),
        township=township,
        year=year,
        number=f"{demo.county.display_name}创星公示〔{year}〕{n}号",
        title=f"{township.display_name}{year}年度“五星”支部创建拟认定名单公示",
        starts_on=starts,
        ends_on=ends,
        contact=f"0391-81{n:02d}{year % 100:02d}6",
        status=PublicNotice.Status.CLOSED if closed else PublicNotice.Status.OPEN,
        published_by=user,
        closed_at=at(ends + dt.timedelta(days=1), 9) if closed else None,
        version=2 if closed else 1,
    )


def build_last_year(
    rng: random.Random, demo: StarsDemo, make: Maker, cats: dict[tuple[int, str], Catalog]
) -> None:
    """Last year, complete: declared in November, reviewed, published in December, awarded;
    a few returned once and amended, a few withdrawn by their village, three rejected after
    an upheld objection, progress stars (进步星) with their award."""
    year = demo.year - 1
    days = CreationSettings.objects.get(county=demo.county, year=year).notice_days
    writer = DeclarationWriter(rng, demo, make, demo.evidence)
    notices = {
        t.pk: notice_row(make, demo, t, year, n, dt.date(year, 12, 8 + n % 4), days, closed=True)
        for n, t in enumerate(demo.townships, start=1)
    }
    save_all(PublicNotice, list(notices.values()))
    demo.add("notices", len(notices))
    start = dt.date(year, 11, 1)
    rejected_townships = {t.pk for t in demo.townships[2:5]}
    answered_townships = {t.pk for t in demo.townships[5:7]}
    progress = {v.unit.pk for v in rng.sample(demo.villages, 8) if v.level in (2, 3, 4)}
    cancel = {v.unit.pk for v in rng.sample(demo.villages, 4)}

    def published(p: Pipeline, notice: PublicNotice, second_round: bool) -> None:
        path = (SECOND_ROUND if second_round else []) + PRE_PATHS[wf.AWARDED]
        approve = notice.starts_on - dt.timedelta(days=rng.randint(1, 6))
        writer.run(p, path, chain(rng, approve, len(path), start), notice=notice)
        writer.run(p, ["published"], [notice.starts_on], notice=notice)

    for v in demo.villages:
        cat = cats[(year, v.unit_type)]
        notice = notices[v.township.pk]
        award_day = notice.ends_on + dt.timedelta(days=1)
        created = at(start - dt.timedelta(days=rng.randint(1, 12)), 15)
        for code in v.held:
            p = writer.new(v, year, cat, code, created)
            published(p, notice, rng.random() < 0.06)
            if v.township.pk in answered_townships:
                answered_townships.discard(v.township.pk)
                writer.object(
                    p,
                    notice,
                    notice.starts_on + dt.timedelta(days=1),
                    notice.starts_on + dt.timedelta(days=3),
                    OBJECTIONS[1],
                )
            writer.run(p, ["awarded"], [award_day], notice=notice)
            writer.award(p, award_day)
        spare = [c for c in cat.stars if c not in v.held]
        if v.township.pk in rejected_townships and spare and v.level >= 2:
            rejected_townships.discard(v.township.pk)
            p = writer.new(v, year, cat, spare[0], created)
            published(p, notice, False)
            writer.object(
                p,
                notice,
                notice.starts_on + dt.timedelta(days=1),
                notice.starts_on + dt.timedelta(days=3),
                OBJECTIONS[2],
            )
            writer.move(p, "rejected", at(award_day, 10), to=wf.REJECTED, reason=UPHELD)
        elif v.unit.pk in cancel and spare:
            p = writer.new(v, year, cat, spare[-1], created)
            writer.run(p, PRE_PATHS[wf.CANCELLED], chain(rng, dt.date(year, 11, 20), 2, start))
        if v.unit.pk in progress:
            v.progress_last_year = True
            p = writer.new(v, year, cat, None, created)
            published(p, notice, False)
            writer.run(p, ["awarded"], [award_day], notice=notice)
            writer.award(p, award_day)
    writer.write()


# --- this year ------------------------------------------------------------------------------


def township_stages(demo: StarsDemo) -> dict[int, str]:
    """How far each township's declarations are: ``done`` (notice over, awarded), ``notice``
    (open notice), ``county`` (under the task force's review), ``review`` (大定街道: `jiedao`'s
    queue), ``early`` (drafting and submitting). More are done the later in the year."""
    dy = (demo.today - dt.date(demo.year, 1, 1)).days
    others = [t for t in demo.townships if t.pk != demo.street.pk]
    stages = {demo.street.pk: "review" if dy >= 8 else "early"}
    if dy < FULL_DAYS:
        for i, t in enumerate(others):
            stages[t.pk] = ("county" if i % 2 == 0 else "early") if dy >= 8 else "early"
        return stages
    month = demo.today.month
    done = 2 if month <= 3 else 4 if month <= 9 else 6 if month <= 11 else 8
    stages[others[0].pk] = "notice"  # 会昌街道
    rest = others[1:]
    for i, t in enumerate(rest):
        if i < done:
            stages[t.pk] = "done"
        elif i == done and len(rest) - done >= 3:
            stages[t.pk] = "notice"
        else:
            stages[t.pk] = "early" if (i - done) % 2 else "county"
    return stages


STATE_DRAWS: dict[str, list[tuple[str, float]]] = {
    "done": [(wf.AWARDED, 0.96), ("returned_c", 0.04)],
    "notice": [(wf.NOTICE, 0.95), ("returned_c", 0.05)],
    "county": [
        (wf.TOWNSHIP_PASSED, 0.42),
        (wf.APPROVED, 0.3),
        (wf.SUBMITTED, 0.16),
        ("returned_c", 0.07),
        ("returned_t", 0.05),
    ],
    "review": [
        (wf.SUBMITTED, 0.45),
        (wf.TOWNSHIP_PASSED, 0.2),
        (wf.DRAFT, 0.17),
        ("returned_t", 0.1),
        (wf.APPROVED, 0.08),
    ],
    "early": [(wf.DRAFT, 0.5), (wf.SUBMITTED, 0.42), ("returned_t", 0.08)],
}
DECLARING_SHARE = {"done": 0.9, "notice": 0.85, "county": 0.7, "review": 0.85, "early": 0.45}


def _draw(rng: random.Random, table: list[tuple[str, float]]) -> str:
    x = rng.random()
    for value, share in table:
        if x < share:
            return value
        x -= share
    return table[0][0]


def build_this_year(
    rng: random.Random, demo: StarsDemo, make: Maker, cats: dict[tuple[int, str], Catalog]
) -> None:
    """This year's declarations, by township stage (see `township_stages`)."""
    year, today = demo.year, demo.today
    jan1 = dt.date(year, 1, 1)
    dy = (today - jan1).days
    days = demo.settings.notice_days
    plan_end = jan1 + dt.timedelta(days=min(45, dy // 3))
    start = plan_end + dt.timedelta(days=1)
    last = max(jan1, today - dt.timedelta(days=1))
    stages = township_stages(demo)
    demo.stages = stages
    writer = DeclarationWriter(rng, demo, make, demo.evidence)

    # Notices: over in the done townships (awarded two to forty days ago), open elsewhere.
    notices: dict[int, PublicNotice] = {}
    open_ends = [3, 2]
    n = 0
    for t in demo.townships:
        n += stages[t.pk] in ("done", "notice")
        if stages[t.pk] == "done":
            low = start + dt.timedelta(days=14)
            high = today - dt.timedelta(days=2 + days)
            starts = low + dt.timedelta(days=rng.randint(0, max(0, (high - low).days)))
            notices[t.pk] = notice_row(make, demo, t, year, n, starts, days, closed=True)
        elif stages[t.pk] == "notice":
            ends = today + dt.timedelta(days=open_ends.pop(0) if open_ends else 3)
            starts = min(ends - dt.timedelta(days=days - 1), last)
            notices[t.pk] = notice_row(make, demo, t, year, n, starts, days, closed=False)
    # 迎秀 already holds one star this year (平安法治星, from an earlier notice of its street),
    # so the two the story's review passes take it to three stars.
    home = next((v for v in demo.villages if v.is_home), None)
    home_notice: PublicNotice | None = None
    if home is not None and dy > FULL_DAYS + 2 * days:
        n += 1
        starts = clamp(
            jan1 + dt.timedelta(days=dy // 2),
            start + dt.timedelta(days=7),
            today - dt.timedelta(days=days + 2),
        )
        home_notice = notice_row(make, demo, home.township, year, n, starts, days, closed=True)
    save_all(PublicNotice, [*notices.values(), *([home_notice] if home_notice else [])])
    demo.add("notices", len(notices) + (home_notice is not None))

    done_towns = [t for t in demo.townships if stages[t.pk] == "done"]
    specials: dict[str, int | None] = {
        "rejected": done_towns[0].pk if done_towns else None,
        "withdrawn": done_towns[-1].pk if done_towns else None,
        "answered": done_towns[0].pk if done_towns else None,
    }
    notice_objections: dict[int, list[str]] = {
        t.pk: ["open", "answered"] for t in demo.townships if stages[t.pk] == "notice"
    }
    cancels = {demo.street.pk, *(t.pk for t in demo.townships if stages[t.pk] == "early")}
    # One progress star (进步星) in each of two finished townships and each under review.
    progress_left = {t.pk for t in done_towns[:2]}
    progress_left |= {t.pk for t in demo.townships if stages[t.pk] == "county"}

    for v in demo.villages:
        if v.is_home or v.plan_status != CreationPlan.Status.CONFIRMED:
            continue
        stage = stages[v.township.pk]
        if rng.random() > DECLARING_SHARE[stage]:
            continue
        cat = cats[(year, v.unit_type)]
        notice = notices.get(v.township.pk)
        village_state = _draw(rng, STATE_DRAWS[stage])
        codes: list[str | None] = list(v.target)
        if v.township.pk in progress_left and v.level <= 3 and len(v.target) > v.level:
            progress_left.discard(v.township.pk)
            codes.append(None)  # the progress star (进步星)
        for code in codes:
            state = village_state if rng.random() < 0.85 else _draw(rng, STATE_DRAWS[stage])
            if code is None and state.startswith("returned"):
                state = village_state if not village_state.startswith("returned") else wf.SUBMITTED
            if dy < 2:
                state = wf.DRAFT
            special = ""
            if state == wf.AWARDED and code and specials["rejected"] == v.township.pk:
                special, specials["rejected"] = "rejected", None
            elif state == wf.AWARDED and code and specials["withdrawn"] == v.township.pk:
                special, specials["withdrawn"] = "withdrawn", None
            elif state == wf.AWARDED and specials["answered"] == v.township.pk and code:
                special, specials["answered"] = "answered", None
            elif state == wf.SUBMITTED and v.township.pk in cancels and code:
                cancels.discard(v.township.pk)
                state = wf.CANCELLED
            second = (
                state in (wf.AWARDED, wf.NOTICE, wf.APPROVED, wf.TOWNSHIP_PASSED)
                and code is not None
                and rng.random() < 0.05
            )
            path = (SECOND_ROUND if second else []) + PRE_PATHS[state]
            if state in (wf.AWARDED, wf.NOTICE):
                assert notice is not None
                end = notice.starts_on - dt.timedelta(days=rng.randint(1, 5))
            else:
                end = today - dt.timedelta(days=rng.randint(1, 25))
            end = clamp(end, min(start, last), last)
            when = chain(rng, end, len(path), min(start, end))
            first = (
                when[0]
                if when
                else clamp(today - dt.timedelta(days=rng.randint(0, 12)), min(start, today), today)
            )
            created = at(clamp(first - dt.timedelta(days=rng.randint(0, 3)), jan1, today), 9)
            p = writer.new(v, year, cat, code, created)
            writer.run(p, path, when)
            if state not in (wf.AWARDED, wf.NOTICE):
                continue
            assert notice is not None
            writer.run(p, ["published"], [notice.starts_on], notice=notice)
            if state == wf.NOTICE:
                kinds = notice_objections.get(v.township.pk) or []
                if kinds and code:
                    kind = kinds.pop(0)
                    received = clamp(notice.starts_on, notice.starts_on, last)
                    answered = received if kind == "answered" else None
                    writer.object(p, notice, received, answered, OBJECTIONS[0 if answered else 1])
                continue
            award_day = notice.ends_on + dt.timedelta(days=1)
            if special in ("rejected", "answered"):
                received = notice.starts_on + dt.timedelta(days=1)
                reply = notice.starts_on + dt.timedelta(days=min(3, days - 1))
                text = OBJECTIONS[2] if special == "rejected" else OBJECTIONS[0]
                writer.object(p, notice, received, max(received, reply), text)
                if special == "rejected":
                    writer.move(p, "rejected", at(award_day, 10), to=wf.REJECTED, reason=UPHELD)
                    continue
            writer.run(p, ["awarded"], [award_day], notice=notice)
            if special == "withdrawn":
                gone = award_day + dt.timedelta(
                    days=rng.randint(1, max(1, (last - award_day).days))
                )
                gone = min(gone, last)
                writer.run(p, ["withdrawn"], [gone])
                writer.award(p, award_day, withdrawn=gone)
            else:
                writer.award(p, award_day)
    if home is not None and home_notice is not None:
        path = PRE_PATHS[wf.AWARDED]
        end = home_notice.starts_on - dt.timedelta(days=2)
        when = chain(rng, end, len(path), min(start, end))
        created = at(clamp(when[0] - dt.timedelta(days=2), jan1, today), 9)
        p = writer.new(home, year, cats[(year, home.unit_type)], HOME_STAR, created)
        writer.run(p, path, when)
        writer.run(p, ["published"], [home_notice.starts_on], notice=home_notice)
        award_day = home_notice.ends_on + dt.timedelta(days=1)
        writer.run(p, ["awarded"], [award_day], notice=home_notice)
        writer.award(p, award_day)
    writer.write()


# --- the county's frame: task forces, weak branches, quotas, plans --------------------------


def build_task_forces(rng: random.Random, demo: StarsDemo, make: Maker) -> None:
    """The ten task forces (创建专班) with their lead units (seed 004), in place since last year."""
    when = at(dt.date(demo.year - 1, 1, 10), 10)
    demo.task_forces = save_all(
        TaskForce,
        [
            make(
                TaskForce,
                when,
                county=demo.county,
                name=name,
                lead_unit=lead,
                leader_name=person_name(rng, rng.choice("MMF")),
                star_code=code,
            )
            for name, lead, code in TASK_FORCES
        ],
    )
    demo.add("task_forces", len(demo.task_forces))


def build_weak_branches(rng: random.Random, demo: StarsDemo, make: Maker) -> None:
    """About ten weak branches (软弱涣散) designated in January, each with a liaison cadre."""
    jan1 = dt.date(demo.year, 1, 1)
    dy = (demo.today - jan1).days
    low = sorted(
        (v for v in demo.villages if v.level <= 1 and not v.is_home),
        key=lambda v: (v.strength, v.unit.code),
    )[:10]
    user = demo.users["zuzhibu"]
    rows = []
    for n, v in enumerate(low):
        v.weak = True
        lifted = None
        if dy > 240 and n < 2:
            lifted = demo.today - dt.timedelta(days=rng.randint(10, 60))
        rows.append(
            make(
                WeakBranch,
                at(jan1 + dt.timedelta(days=min(dy, 12 + n % 5)), 10),
                unit=v.unit,
                year=demo.year,
                reason=rng.choice(WEAK_REASONS),
                liaison_name=person_name(rng, rng.choice("MF")),
                designated_by=user,
                lifted_on=lifted,
            )
        )
    save_all(WeakBranch, rows)
    demo.add("weak_branches", len(rows))


def build_quotas(demo: StarsDemo, make: Maker) -> None:
    """Every township declares one five-star and four four-star branches (seed 004) and about
    half its villages at three stars."""
    when = at(
        dt.date(demo.year, 1, 1)
        + dt.timedelta(days=min(8, (demo.today - dt.date(demo.year, 1, 1)).days)),
        9,
    )
    user = demo.users["zuzhibu"]
    rows = []
    for t in demo.townships:
        n = len(demo.by_township[t.pk])
        for level, count in ((5, 1), (4, 4), (3, max(3, round(n * 0.45)))):
            rows.append(
                make(Quota, when, township=t, year=demo.year, level=level, count=count, set_by=user)
            )
    save_all(Quota, rows)
    demo.add("quotas", len(rows))


def _targets(rng: random.Random, demo: StarsDemo, cats: dict[tuple[int, str], Catalog]) -> None:
    """This year's targets: at least last year's stars. Each township's strongest aims at five
    and the next four at four (the quota); others one star more now and then (a weak branch
    one more still), at most four."""
    for t in demo.townships:
        ranked = sorted(
            (v for v in demo.by_township[t.pk] if not v.is_home),
            key=lambda v: (v.level, v.strength, v.unit.code),
            reverse=True,
        )
        for n, v in enumerate(ranked):
            codes = list(cats[(demo.year, v.unit_type)].stars)
            if n == 0 and v.unit_type == wf.VILLAGE:
                # The township's five-star candidate has the income 产业兴旺星 asks for.
                v.income[demo.year] = max(v.income[demo.year], money(rng.uniform(60000, 150000)))
            if v.unit_type == wf.VILLAGE and v.income[demo.year] < 50000 and "industry" in codes:
                codes.remove("industry")
            bump = 0.35 if v.level <= 2 else 0.2 if v.level == 3 else 0.0
            want = max(v.level, min(4, v.level + (rng.random() < bump) + v.weak))
            if n == 0:
                want = 5
            elif n <= 4:
                want = max(want, 4)
            extra = weighted_pick(
                rng, [c for c in codes if c not in v.held], max(0, want - v.level)
            )
            v.target = [c for c in codes if c in v.held or c in extra]


def build_plans(
    rng: random.Random, demo: StarsDemo, make: Maker, cats: dict[tuple[int, str], Catalog]
) -> None:
    """A plan for every village but 迎秀: targets, strengths and weaknesses per star, measures
    with people and deadlines, milestones; most confirmed by the township in the first weeks,
    a few still submitted or being drafted (大定街道 has some waiting for `jiedao`)."""
    year, today = demo.year, demo.today
    jan1 = dt.date(year, 1, 1)
    dy = (today - jan1).days
    plan_end = jan1 + dt.timedelta(days=min(45, dy // 3))
    last = max(jan1, today - dt.timedelta(days=1))
    plans: list[CreationPlan] = []
    stars: list[PlanStar] = []
    measures: list[PlanMeasure] = []
    milestones: list[PlanMilestone] = []
    street_waiting = 3
    for v in demo.villages:
        if v.is_home:
            continue
        cat = cats[(year, v.unit_type)]
        draw = rng.random()
        status = CreationPlan.Status.CONFIRMED
        if dy < 10:
            status = [CreationPlan.Status.CONFIRMED, CreationPlan.Status.SUBMITTED][draw < 0.4]
            if draw < 0.15:
                status = CreationPlan.Status.DRAFT
        elif v.township.pk == demo.street.pk and street_waiting and draw < 0.5:
            street_waiting -= 1
            status = CreationPlan.Status.SUBMITTED
        elif draw < 0.06:
            status = CreationPlan.Status.SUBMITTED
        elif draw < 0.09:
            status = CreationPlan.Status.DRAFT
        v.plan_status = status
        created = clamp(
            jan1 + dt.timedelta(days=rng.randint(0, max(0, (plan_end - jan1).days - 4))),
            jan1,
            today,
        )
        submitted = clamp(
            created + dt.timedelta(days=rng.randint(1, 3)), created, max(created, last)
        )
        confirmed = clamp(
            submitted + dt.timedelta(days=rng.randint(1, 4)),
            submitted,
            max(submitted, min(plan_end, last)),
        )
        returned = status == CreationPlan.Status.DRAFT and draw < 0.075
        touched = {
            CreationPlan.Status.CONFIRMED: confirmed,
            CreationPlan.Status.SUBMITTED: submitted,
        }.get(status, submitted if returned else created)
        names = [star.name for code, star in cat.stars.items() if code in v.target]
        held = [cat.stars[c].name for c in v.held if c in cat.stars]
        plan = make(
            CreationPlan,
            at(created, 9),
            unit=v.unit,
            year=year,
            status=status,
            target_level=len(v.target),
            summary=(f"巩固{'、'.join(held)}，" if held else "夯实基础，")
            + (
                f"全力争创{'、'.join(n for n in names if n not in held)}，"
                if len(names) > len(held)
                else ""
            )
            + f"确保年底达到{len(v.target)}星。",
            submitted_at=at(submitted, 10)
            if status != CreationPlan.Status.DRAFT or returned
            else None,
            confirmed_at=at(confirmed, 15) if status == CreationPlan.Status.CONFIRMED else None,
            return_reason="举措不够具体，请细化到月、明确责任人后重新报送。" if returned else "",
            version={"confirmed": 3, "submitted": 2}.get(status, 3 if returned else 1),
        )
        plan.updated_at = at(touched, 16)
        plans.append(plan)
        for code, star in cat.stars.items():
            target = code in v.target
            stars.append(
                make(
                    PlanStar,
                    plan=plan,
                    star=star,
                    is_target=target,
                    strengths="；".join(rng.sample(STRENGTHS.get(code, ["基础较好"]), 2))
                    if target
                    else "",
                    weaknesses=rng.choice(WEAKNESSES.get(code, ["仍有短板"])),
                )
            )
        chosen = (
            rng.sample(v.target, k=min(len(v.target), rng.randint(2, 4))) or list(cat.stars)[:2]
        )
        for order, code in enumerate(chosen, start=1):
            deadline = dt.date(
                year, rng.choice([3, 4, 5, 6, 7, 8, 9, 10, 11]), rng.choice([15, 20, 28])
            )
            done = None
            if deadline < today and rng.random() < 0.75:
                done = max(jan1, deadline - dt.timedelta(days=rng.randint(0, 12)))
            measures.append(
                make(
                    PlanMeasure,
                    at(created, 9),
                    plan=plan,
                    star=cat.stars.get(code),
                    title=rng.choice(MEASURES.get(code, ["对标补短"])),
                    responsible=v.secretary if order == 1 else person_name(rng, rng.choice("MF")),
                    deadline=deadline,
                    done_on=done,
                    sort_order=order,
                )
            )
        for title, month, day in MILESTONES[: rng.randint(2, 3)]:
            due = dt.date(year, month, day)
            milestones.append(
                make(
                    PlanMilestone,
                    at(created, 9),
                    plan=plan,
                    title=title,
                    due_on=due,
                    done_on=(due - dt.timedelta(days=rng.randint(0, 6))) if due < today else None,
                )
            )
    # Plans are audited models with updated_at set apart from created_at above.
    save_all(CreationPlan, plans)
    save_all(PlanStar, stars)
    save_all(PlanMeasure, measures)
    save_all(PlanMilestone, milestones)
    demo.add("plans", len(plans))
    demo.add("plan_stars", len(stars))
    demo.add("plan_measures", len(measures))
    demo.add("plan_milestones", len(milestones))


# --- contests and assessments ---------------------------------------------------------------


def _judges(rng: random.Random, demo: StarsDemo, make: Maker) -> dict[int, list[User]]:
    """Judges without a demo login (an unusable password): two cadres per township, four at
    the county; `jiedao` judges 大定街道's heats and `zuzhibu` the county finals."""
    unusable = make_password(None)
    planned: list[tuple[User, Unit, str, str]] = []
    for t in [*demo.townships, demo.county]:
        county = t.pk == demo.county.pk
        for i in range(4 if county else 2):
            user = make(
                User,
                username=f"pw{t.code}{i}",
                full_name=person_name(rng, rng.choice("MMF")),
                password=unusable,
            )
            role = Role.ORG_DEPARTMENT if county else Role.STREET_STAFF
            title = "市级大比武评委" if county else "乡镇（街道）党（工）委委员、比武评委"
            planned.append((user, t, role, title))
    users = save_all(User, [u for u, *_ in planned])
    when = at(dt.date(demo.year, 1, 2), 9)
    save_all(
        Post,
        [
            make(Post, when, user=u, role=role, unit=t, title=title)
            for u, (_u, t, role, title) in zip(users, planned, strict=True)
        ],
    )
    judges: dict[int, list[User]] = {}
    for u, (_u, t, _r, _t) in zip(users, planned, strict=True):
        judges.setdefault(t.pk, []).append(u)
    judges[demo.street.pk].append(demo.users["jiedao"])
    demo.add("judges", len(users))
    return judges


def build_contests(rng: random.Random, demo: StarsDemo, make: Maker) -> None:
    """The three contests (三次大比武): 思路 held in the first weeks (township heats, then the
    county final), 举措 held before 1 July once July has come, 成效 opened in the fourth quarter
    with its heats planned in December. Heats have every village; the best advance."""
    year, today = demo.year, demo.today
    jan1 = dt.date(year, 1, 1)
    last = max(jan1, today - dt.timedelta(days=1))
    judges = _judges(rng, demo, make)
    county_judges = judges[demo.county.pk]
    advance = demo.settings.contest_advance
    rounds: list[tuple[str, str, dt.date | None, dt.date, bool]] = []
    ideas_end = min(dt.date(year, 2, 25), today - dt.timedelta(days=6))
    if ideas_end >= jan1 + dt.timedelta(days=14):
        final_on = min(dt.date(year, 3, 5), last)
        rounds.append(
            (
                wf.ROUND_IDEAS,
                "思路",
                ideas_end,
                max(final_on, ideas_end + dt.timedelta(days=2)),
                True,
            )
        )
    else:
        rounds.append(
            (
                wf.ROUND_IDEAS,
                "思路",
                None,
                max(dt.date(year, 2, 20), today + dt.timedelta(days=7)),
                False,
            )
        )
    if today > dt.date(year, 7, 1):
        rounds.append((wf.ROUND_MEASURES, "举措", dt.date(year, 6, 24), dt.date(year, 6, 28), True))
    if today.month >= 10:
        planned = min(
            dt.date(year, 12, 31), max(dt.date(year, 12, 8), today + dt.timedelta(days=3))
        )
        rounds.append((wf.ROUND_RESULTS, "成效", None, planned, False))
    contests: list[Contest] = []
    entries: list[ContestEntry] = []
    scores: list[ContestScore] = []
    finals: list[tuple[Contest, list[User]]] = []
    heat_entries: dict[int, list[ContestEntry]] = {}  # final contest index → advanced entries

    def scored(entry: ContestEntry, panel: list[User], day: dt.date, v: Village) -> None:
        mu = 76 + 3 * v.level + 2.5 * v.strength
        marks = []
        for k, judge in enumerate(panel):
            mark = Decimal(str(round(max(60.0, min(99.0, rng.gauss(mu, 3.5))), 1)))
            marks.append(mark)
            scores.append(
                make(
                    ContestScore,
                    entry=entry,
                    judge=judge,
                    judge_label=judge.full_name,
                    score=mark.quantize(Decimal("0.01")),
                    comment=rng.choice(
                        ["", "", "思路清晰，目标明确", "举措具体，可操作性强", "亮点突出"]
                    ),
                    at=at(day, 9 + k // 2, rng.randint(0, 59)),
                )
            )
        entry.score_count = len(marks)
        entry.average_score = (sum(marks, Decimal(0)) / len(marks)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )

    def ranked(rows: list[tuple[ContestEntry, Village]], advancing: int) -> None:
        """Competition ranks (equal averages share a rank: 1, 1, 3); the best advance."""
        first: dict[Decimal, int] = {}
        averages = [e.average_score or Decimal(0) for e, _ in rows]
        for n, avg in enumerate(sorted(averages, reverse=True), 1):
            first.setdefault(avg, n)
        for entry, _v in rows:
            entry.rank = first[entry.average_score or Decimal(0)]
            entry.advanced = entry.rank <= advancing

    for code, label, heats_end, final_day, held in rounds:
        round_name = f"创建{label}大比武"  # the contest service's titles
        for i, t in enumerate(demo.townships):
            day = (
                (heats_end - dt.timedelta(days=i % 8))
                if held and heats_end
                else final_day + dt.timedelta(days=i % 8)
            )
            if not held:
                day = min(day, dt.date(year, 12, 31))
            contest = make(
                Contest,
                at(clamp(day - dt.timedelta(days=20), jan1, today), 9),
                host=t,
                year=year,
                round=code,
                is_final=False,
                title=f"{year}年{t.display_name}{round_name}",
                held_on=day,
                place=f"{t.display_name}党群服务中心",
                status=Contest.Status.CLOSED if held else Contest.Status.OPEN,
                closed_at=at(day, 17) if held else None,
                version=3 if held else 1,
            )
            contests.append(contest)
            rows = []
            panel = judges[t.pk] + county_judges[:2]
            for v in demo.by_township[t.pk]:
                stars = max(len(v.target), v.level)
                entry = make(
                    ContestEntry,
                    at(clamp(day - dt.timedelta(days=10), jan1, today), 10),
                    contest=contest,
                    unit=v.unit,
                    presenter=v.secretary,
                    title=f"{v.unit.display_name}："
                    + rng.choice(PRESENTATION).format(n=stars or 1, s=rng.choice(SLOGANS)),
                )
                entries.append(entry)
                if held:
                    scored(entry, panel, day, v)
                    rows.append((entry, v))
            if held:
                ranked(rows, advance)
                heat_entries.setdefault(len(finals), []).extend(e for e, _ in rows if e.advanced)
        if held:
            final = make(
                Contest,
                at(clamp(final_day - dt.timedelta(days=15), jan1, today), 9),
                host=demo.county,
                year=year,
                round=code,
                is_final=True,
                title=f"{year}年{demo.county.display_name}{round_name}决赛",
                held_on=final_day,
                place="孟州市会议中心",
                status=Contest.Status.CLOSED,
                closed_at=at(final_day, 17),
                version=3,
            )
            contests.append(final)
            finals.append((final, [demo.users["zuzhibu"], *county_judges]))
    save_all(Contest, contests)
    save_all(ContestEntry, entries)
    by_unit = {v.unit.pk: v for v in demo.villages}
    final_entries = []
    for n, (final, panel) in enumerate(finals):
        rows = []
        for heat in heat_entries.get(n, []):
            entry = make(
                ContestEntry,
                at(clamp(final.held_on - dt.timedelta(days=5), jan1, today), 10),
                contest=final,
                unit=heat.unit,
                presenter=heat.presenter,
                title=heat.title,
                heat_entry=heat,
            )
            scored(entry, panel, final.held_on, by_unit[heat.unit.pk])
            rows.append((entry, by_unit[heat.unit.pk]))
            final_entries.append(entry)
        ranked(rows, 0)
    save_all(ContestEntry, final_entries)
    save_all(ContestScore, scores)
    demo.add("contests", len(contests))
    demo.add("contest_entries", len(entries) + len(final_entries))
    demo.add("contest_scores", len(scores))


# Weights of the daily assessment's parts in the total (基础工作、特色亮点、主要成效、知识测试),
# each part scored 0–100; 其他工作 adds a bonus.
ASSESSMENT_WEIGHTS = (Decimal("0.3"), Decimal("0.2"), Decimal("0.3"), Decimal("0.2"))
OTHER_WORK_WEIGHT = Decimal("0.05")  # other work is a bonus of at most five points


def _part(rng: random.Random, mean: float, spread: float) -> Decimal:
    return Decimal(str(round(max(0.0, min(100.0, rng.gauss(mean, 6 * spread))), 1)))


def assessment_total(parts: Sequence[Decimal]) -> Decimal:
    """The weighted total out of 100 (how the assessment service computes it)."""
    *four, other = parts
    total = sum((w * p for w, p in zip(ASSESSMENT_WEIGHTS, four, strict=True)), Decimal(0))
    return min(Decimal(100), total + other * OTHER_WORK_WEIGHT).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def build_assessments(rng: random.Random, demo: StarsDemo, make: Maker) -> None:
    """Monthly scores of the four kinds of subject (seed 004): the ten task forces and the
    eleven township secretaries every month since January last year; in every village of
    大定街道 and two per other township, the secretary and a star leader, since October."""
    year, today = demo.year, demo.today
    months = [(year - 1, m) for m in range(1, 13)] + [(year, m) for m in range(1, today.month)]
    village_months = [(y, m) for y, m in months if (y, m) >= (year - 1, 10)]
    county_user, county_label = demo.county_actor()
    sample = [v for v in demo.villages if v.township.pk == demo.street.pk]
    for t in demo.townships:
        if t.pk != demo.street.pk:
            sample += rng.sample(demo.by_township[t.pk], 2)
    subjects: list[tuple[str, Unit, str, str, TaskForce | None, float, bool]] = []
    for force in demo.task_forces:
        subjects.append(
            (
                wf.SUBJECT_TASK_FORCE,
                demo.county,
                f"tf:{force.pk}",
                force.name,
                force,
                rng.gauss(0, 1),
                False,
            )
        )
    for t in demo.townships:
        suffix = "党工委书记" if t.display_name.endswith("街道") else "党委书记"
        name = f"{person_name(rng, rng.choice('MMF'))}（{t.display_name}{suffix}）"
        subjects.append(
            (wf.SUBJECT_TOWNSHIP_SECRETARY, t, f"unit:{t.pk}", name, None, rng.gauss(0, 1), False)
        )
    for v in sample:
        subjects.append(
            (
                wf.SUBJECT_VILLAGE_SECRETARY,
                v.unit,
                f"unit:{v.unit.pk}",
                f"{v.secretary}（{v.unit.display_name}党组织书记）",
                None,
                v.strength,
                True,
            )
        )
        leader = person_name(rng, rng.choice("MF"))
        code = (v.target or v.held or ["branch"])[-1]
        star = STAR_NAMES.get(code, "支部过硬星")
        subjects.append(
            (
                wf.SUBJECT_STAR_LEADER,
                v.unit,
                f"leader:{v.unit.pk}:{leader}",
                f"{leader}（{v.unit.display_name}{star}领军人）",
                None,
                v.strength,
                True,
            )
        )
    rows = []
    for kind, unit, key, name, tf, skill, village in subjects:
        if village:
            user, label = demo.township_actor(
                next(v.township for v in sample if v.unit.pk == unit.pk)
            )
        else:
            user, label = county_user, county_label
        for y, m in village_months if village else months:
            nxt = dt.date(y + m // 12, m % 12 + 1, 5)
            when = at(min(nxt, today), 10, rng.randint(0, 59))

            parts = [
                _part(rng, mean + 4 * skill, spread)
                for mean, spread in ((84, 1.0), (78, 1.5), (82, 1.0), (80, 1.8), (90, 0.8))
            ]
            rows.append(
                make(
                    Assessment,
                    when,
                    county=demo.county,
                    unit=unit,
                    year=y,
                    period=f"{y:04d}-{m:02d}",
                    subject_kind=kind,
                    subject_key=key,
                    subject_name=name[:60],
                    task_force=tf,
                    base_work=parts[0],
                    highlights=parts[1],
                    results=parts[2],
                    knowledge_test=parts[3],
                    other_work=parts[4],
                    total=assessment_total(parts),
                    note="",
                    assessor=user,
                    assessor_label=label,
                )
            )
    save_all(Assessment, rows)
    demo.add("assessments", len(rows))


STAR_NAMES = {
    "branch": "支部过硬星",
    "industry": "产业兴旺星",
    "ecology": "生态宜居星",
    "safety": "平安法治星",
    "civility": "文明幸福星",
    "sharing": "共建共享星",
}


# --- the whole part -------------------------------------------------------------------------


def build_stars(
    rng: random.Random,
    today: dt.date,
    *,
    county: Unit,
    street: Unit,
    users: dict[str, User],
) -> StarsDemo:
    """Five-star creation in 孟州市 for last year and this one (see the module docstring)."""
    year = today.year
    make = Maker(rng)
    settings_ensure(county=county, year=year - 1)
    settings = settings_ensure(county=county, year=year)
    cats = _catalogs(county, [year - 1, year])
    townships, villages = _load_county(rng, county)
    by_township: dict[int, list[Village]] = {t.pk: [] for t in townships}
    for v in villages:
        by_township[v.township.pk].append(v)
    demo = StarsDemo(
        county=county,
        street=street,
        townships=townships,
        villages=villages,
        by_township=by_township,
        task_forces=[],
        settings=settings,
        users=users,
        year=year,
        today=today,
    )
    demo.evidence = default_storage.save(
        f"stars/evidence/{uuid.UUID(int=rng.getrandbits(128), version=4).hex}.pdf",
        ContentFile(tiny_pdf("Lianxin demo: evidence placeholder")),
    )
    _incomes(rng, villages, year)
    _levels_last_year(rng, demo, {t: cats[(year - 1, t)] for t in (wf.VILLAGE, wf.COMMUNITY)})
    build_weak_branches(rng, demo, make)
    _targets(rng, demo, cats)  # may raise a five-star candidate's income: before the income
    build_income(rng, demo, make)
    build_task_forces(rng, demo, make)
    build_last_year(rng, demo, make, cats)
    build_quotas(demo, make)
    build_plans(rng, demo, make, cats)
    build_this_year(rng, demo, make, cats)
    build_contests(rng, demo, make)
    build_assessments(rng, demo, make)
    return demo
