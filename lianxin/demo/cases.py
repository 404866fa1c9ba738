"""Resident requests (诉求) of the demo street, replayed through the real services.

About four months of requests up to the build day are played back step by step: every
submission, acceptance, dispatch, return, whistle, mediation session, errand, follow-up and
closure is a call of `lianxin.cases.services` run inside `core.clock.travel(at)`, so times,
due dates, events, notifications and counters are exactly what the services write in real
life. The steps of all requests run in one global time order (a heap of per-request
generators), so a duplicate is merged while its survivor is still open and a department's
report-in follows the street's summons.

Nothing happens on or after the build day (the replay stops at its midnight), so two builds on
the same day make the same requests apart from tracking numbers, links and ciphertexts.
Texts come from the seeds' situations (DOMAIN.md §4): unlit stairwells, blocked drains, dogs
off the lead, a leaking roof, cold radiators, a boundary dispute, a restaurant flooded by the
drains of the flats above, pension authentication for an elderly resident.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import importlib
import importlib.util
import io
import itertools
import random
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.models import Department, User
from lianxin.cases import workflow as wf
from lianxin.cases.models import (
    Case,
    CaseEvent,
    CasePhoto,
    CaseSupporter,
    Category,
    MediationTeam,
    Notification,
    OutboundMessage,
    Whistle,
)
from lianxin.cases.services import intake, lifecycle, whistles
from lianxin.cases.workflow import Channel, Level, Satisfaction, Status
from lianxin.core import calendar, clock, crypto
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.demo.grids import DemoBuilding, DemoGrid
from lianxin.demo.names import mobile_phone, person_name
from lianxin.people.models import LedgerEntry, Resident

DAYS = 120  # how far back the requests go
ORDINARY = 430  # ordinary requests planned (duplicates, mediations, errands, patrols come on top)
FIRST_COMMUNITY_SHARE = 0.7  # 迎秀 gets most, so the demo accounts see a lot

Step = Generator[dt.datetime, None, None]

# --- texts -------------------------------------------------------------------------------------
# {b} building (迎秀小区3号楼), {c} compound (迎秀小区), {s} stairwell number, {f} floor,
# {door} a door of the building (2单元301室), {up} one above the ground floor, {top} one on the
# top floor. The first sentence becomes the title.


@dataclass(frozen=True)
class Matter:
    """One kind of everyday problem: its category, who usually handles it, what residents
    write, what handlers write while working and when done."""

    code: str
    weight: int
    handler: str  # grid | village | department | street
    stories: tuple[tuple[str, str], ...]  # (what a resident writes, what the handler did)
    progress: tuple[str, ...]
    reopen: tuple[str, ...] = ("问题又出现了，希望彻底解决。",)
    # Heating complaints come with the heating season only (from mid-November in Henan).
    season_from: tuple[int, int] | None = None


MATTERS: tuple[Matter, ...] = (
    Matter(
        "lighting",
        15,
        "grid",
        (
            (
                "{b}{s}单元楼道灯不亮。{f}楼往上一片黑，晚上上下楼只能打手机电筒，老人怕摔着。",
                "已更换{s}单元声控灯和开关，逐层试过，照明恢复正常。",
            ),
            (
                "{b}{s}单元楼道声控灯坏了好几天。拍手跺脚都不亮，希望尽快修一下。",
                "物业电工已更换声控开关并检修线路，晚上已正常亮灯。",
            ),
            (
                "{b}楼前路灯不亮。晚上院子里黑乎乎的，遛弯的老人看不清路。",
                "已更换路灯灯头，并在楼前加装一盏太阳能照明灯，天黑自动亮灯。",
            ),
            (
                "{b}{s}单元{f}楼楼道灯一直闪。像是接触不良，晚上看着心里发慌。",
                "灯座接线松动，已重新接线并更换灯泡。",
            ),
            (
                "{c}车棚里的灯坏了。晚上取车什么都看不见，担心有人偷车。",
                "已更换车棚灯具2套，并加装了一个感应灯。",
            ),
        ),
        ("已到现场查看，已联系物业电工。", "需要更换配件，已采购。", "已和楼道长一起排查照明。"),
        ("灯修好两天又不亮了。", "只换了灯泡，开关还是不灵。"),
    ),
    Matter(
        "drains",
        9,
        "village",
        (
            (
                "{b}{s}单元下水道堵了。一楼卫生间往上返污水，味道很大，家里没法住。",
                "疏通队用高压车疏通了单元主管道，清出油污和杂物，排水已恢复正常。",
            ),
            (
                "{b}楼前化粪池满了。污水外溢到路上，臭味熏人，孩子老人都绕着走。",
                "化粪池已清掏，外溢路面已冲洗消毒。",
            ),
            (
                "{b}{s}单元厨房下水管堵塞。楼上一用水，{f}楼厨房就往外冒水。",
                "已疏通厨房立管，更换破损管段2米，试水后无渗漏。",
            ),
            (
                "{c}排水井堵了。一下雨院子里就积水，污水漫到车棚里。",
                "已清掏排水井并疏通出户管，雨后院内不再积水。",
            ),
        ),
        ("已联系疏通队，今天带设备上门。", "已通知住户暂时不要往下水倒剩饭菜和油。"),
        ("疏通后没两天又堵了，根本没通彻底。",),
    ),
    Matter(
        "pets",
        7,
        "grid",
        (
            (
                "{c}里有人遛狗不拴绳。大狗在院子里乱跑，孩子吓哭好几回了。",
                "网格员已找到养犬户，劝导其文明养犬、出门拴绳，并在小区张贴文明养犬倡议。",
            ),
            (
                "{b}{s}单元门口经常有狗粪。没人清理，进出楼道得绕着走。",
                "养犬户已清理狗粪，承诺以后带袋子随手清理；物业增加了巡查。",
            ),
            (
                "{b}有住户在楼道里养狗。晚上狗叫个不停，邻居休息不好。",
                "狗已移到自家室内饲养，楼道已清扫干净，邻居表示认可。",
            ),
            (
                "{c}广场上有人遛大型犬不戴嘴套。老人带孩子都不敢出来玩。",
                "已联系犬主，出门戴嘴套、拴短绳，并避开早晚老人孩子集中的时段。",
            ),
        ),
        ("已找到养犬户，当面劝导。", "已在小区张贴文明养犬倡议书。"),
        ("还是天天有人不拴绳遛狗。",),
    ),
    Matter(
        "building_repair",
        7,
        "village",
        (
            (
                "{b}顶楼漏水。一下雨{top}天花板往下滴水，墙皮都泡掉了。",
                "维修队已对楼顶漏点做防水补漏，雨后回访没有再渗漏。",
            ),
            (
                "{b}楼顶防水层老化。这几场雨后顶楼几户都漏，屋里放了好几个盆接水。",
                "楼顶已重新铺设防水卷材，雨后逐户查看均无渗漏。",
            ),
            (
                "{b}外墙瓷砖脱落。前天掉下来一块砸在车棚上，幸好没砸到人。",
                "已拆除松动外墙砖并设置警示，外墙维修纳入老旧小区改造计划。",
            ),
            (
                "{b}{s}单元楼梯扶手松动。老人扶着下楼晃得厉害，很危险。",
                "楼梯扶手已加固焊接，逐层检查过。",
            ),
        ),
        (
            "已上楼顶查看，防水层多处开裂。",
            "已设置警示带，禁止在楼下停放车辆。",
            "维修方案已和楼栋居民代表商量。",
        ),
        ("下雨还是漏，补的地方不对。",),
    ),
    Matter(
        "heating",
        8,
        "department",
        (
            (
                "{b}{s}单元暖气不热。屋里只有十四五度，家里有八十多岁的老人。",
                "供热公司已对单元立管排气、清洗过滤器，回访室温达到18℃以上。",
            ),
            (
                "{door}暖气片上热下凉。物业来放过气，还是不热。",
                "已更换堵塞的暖气阀门并冲洗暖气片，回访室温20℃。",
            ),
            (
                "{b}整栋楼暖气温度低。供暖一周了还是冰凉的，老人孩子都冻感冒了。",
                "供热公司已调整该楼入口阀门和循环泵，整栋楼室温恢复到18℃以上。",
            ),
        ),
        ("已协调供热公司入户测温，室温15℃。", "单元立管有空气，已安排排气。"),
        ("暖气还是不热，屋里只有16度。",),
        season_from=(11, 13),
    ),
    Matter(
        "noise",
        6,
        "grid",
        (
            (
                "{b}{s}单元{f}楼装修。早上不到七点就开电钻，周末也不停。",
                "已与装修户沟通，约定施工时间为8:00-12:00、14:00-18:00，周末不做噪音大的活。",
            ),
            (
                "{c}广场舞音响声音太大。晚上九点多还在放，孩子没法写作业。",
                "已与广场舞队协商降低音量，晚上九点前结束。",
            ),
            (
                "{b}底商烧烤店夜里吵。凌晨一两点还有人喝酒划拳。",
                "已联系烧烤店负责人，晚上十一点后不再室外经营。",
            ),
        ),
        ("已上门沟通。", "已联系相关负责人。"),
    ),
    Matter(
        "parking",
        7,
        "village",
        (
            (
                "{c}消防通道被私家车占了。{b}门口常年停着车，救护车进不来。",
                "已联系车主挪车，并在消防通道施划了禁停标线。",
            ),
            (
                "{c}电动车乱停。{b}门口堵得走不过去。",
                "物业已组织清理乱停电动车，划定了停放区域。",
            ),
            (
                "{c}门口有外来车辆长期占用车位。好几个月没动过，像是僵尸车。",
                "僵尸车已由车主拖走，车位恢复使用。",
            ),
        ),
        ("已联系车主，对方答应挪车。", "已在车上张贴挪车通知。"),
    ),
    Matter(
        "sanitation",
        9,
        "village",
        (
            (
                "{b}旁边的垃圾桶满了没人清运。好几天了，苍蝇乱飞，味道很大。",
                "已协调环卫增加清运频次，垃圾桶每天早晚各清一次。",
            ),
            (
                "{b}{s}单元楼道堆满杂物。纸箱、旧家具堵着楼梯，有火灾隐患。",
                "已组织党员志愿者清理楼道杂物两车，楼道已畅通。",
            ),
            (
                "{c}东门口堆了很久的建筑垃圾。有人装修完直接扔在这里。",
                "建筑垃圾已清运，并在东门张贴禁止倾倒的告示。",
            ),
        ),
        ("已联系环卫所。", "已通知住户三天内自行清理。"),
    ),
    Matter(
        "elevator",
        4,
        "village",
        (
            (
                "{b}{s}单元电梯坏了。停了两天，{f}楼坐轮椅的老人下不了楼。",
                "电梯维保单位已更换门机皮带，经检测恢复运行。",
            ),
            (
                "{b}电梯运行时有异响。上下都咣当响，大家不敢坐。",
                "已更换导靴并调试，异响消除。",
            ),
        ),
        ("已通知电梯维保单位到场检修。",),
    ),
    Matter(
        "safety_hazard",
        5,
        "grid",
        (
            (
                "{b}{s}单元有人把电动车推进楼道充电。电线从窗户扯下来，太危险了。",
                "已现场劝导车主把电动车移到充电棚，拆除了飞线。",
            ),
            (
                "{b}楼道里有飞线充电。插排就放在地上，下雨天容易漏电。",
                "已拆除飞线，向单元住户发放电动车安全充电提示。",
            ),
            (
                "{c}消防栓里没水。检查发现水带也不见了。",
                "物业已补齐水带并恢复消防栓供水。",
            ),
        ),
        ("已到现场劝导。",),
    ),
    Matter(
        "property_service",
        5,
        "village",
        (
            (
                "{c}物业服务不到位。楼道好几个月没打扫，物业费照收。",
                "已约谈物业负责人，制定保洁排班并在楼道公示，社区每周检查。",
            ),
            (
                "{c}物业的公共收益不清楚。广告位、停车费的钱去哪了没人说。",
                "物业已在公告栏公示上半年公共收益明细。",
            ),
            (
                "{c}门禁坏了一个月。谁都能进，物业说没有配件。",
                "门禁已修复，物业给每户补发了门禁卡。",
            ),
        ),
        ("已约物业负责人到社区沟通。",),
    ),
    Matter(
        "greening",
        3,
        "village",
        (
            (
                "{b}前面的大树枝子伸到{f}楼窗户里了。刮风时敲玻璃，还招虫子。",
                "园林绿化队已修剪靠近窗户的树枝。",
            ),
            (
                "{c}绿地被人开荒种菜。还泼粪浇地，气味难闻。",
                "已劝导居民恢复绿地，补种了草皮。",
            ),
        ),
        ("已联系园林绿化队。",),
    ),
    Matter(
        "roads",
        3,
        "street",
        (
            (
                "{c}门口路面塌了一个坑。下雨积水看不见，已经有电动车摔倒了。",
                "街道已协调施工队修补路面坑槽。",
            ),
            (
                "{b}旁边井盖缺失。用几块砖头围着，晚上很危险。",
                "已补装井盖并加固井圈。",
            ),
        ),
        ("已设置围挡和警示灯。",),
    ),
    Matter(
        "water",
        2,
        "department",
        (
            (
                "{b}停水一天了。也没提前通知，家里做饭都成问题。",
                "供水管网抢修完毕，已恢复供水，并提醒供水公司停水提前通知。",
            ),
            (
                "{b}水压太低。{f}楼以上白天基本没水，热水器打不着火。",
                "已调整二次供水加压泵，高层水压恢复正常。",
            ),
        ),
        ("已联系供水公司查明原因。",),
    ),
    Matter(
        "ads",
        2,
        "grid",
        (
            (
                "{b}{s}单元楼道里贴满小广告。开锁、疏通的贴得到处都是。",
                "已组织志愿者清理楼道小广告，并张贴文明提示。",
            ),
        ),
        ("已组织志愿者清理。",),
    ),
    Matter(
        "suggestion",
        2,
        "village",
        (
            (
                "建议在{c}加几个休息座椅。老人遛弯走累了没地方坐。",
                "经楼院议事会商议，已在小区中心花园安装休息座椅6个。",
            ),
            (
                "建议{c}增设电动车充电桩。现在充电太难，只能飞线。",
                "经楼院议事会商议，已协调安装充电桩20个。",
            ),
        ),
        ("已收集居民意见，提交社区两委会讨论。",),
    ),
)

RETURN_REASONS = {
    "grid": (
        "该楼栋不在本网格，请改派。",
        "需要专业施工队维修，网格无法处理。",
        "属于物业维修范围，请派物业对接。",
    ),
    "department": ("经核实不属于本部门职责，请社区协调物业处理。",),
    "village": ("涉及多部门，社区无法单独解决。",),
    "street": ("需职能部门处理，请改派。",),
}
# Why a request waits, by what kind of work it needs (matter code → reasons; "" = others).
_FUNDS = "需要业主大会表决使用公共维修资金，待表决后继续办理。"
_AWAY = "需要当面联系当事人，对方外出务工联系不上，待其返回后再处理。"
_WEATHER = "需等天晴后施工，暂时挂起。"
SUSPEND_REASONS: dict[str, tuple[str, ...]] = {
    "building_repair": (_FUNDS, _WEATHER),
    "elevator": (_FUNDS,),
    "drains": (_FUNDS,),
    "property_service": (_FUNDS,),
    "roads": (_WEATHER,),
    "greening": (_WEATHER,),
    "heating": ("供热公司正在检修主管网，待检修完成后复查室温。",),
    "": (_AWAY,),
}
_PARTS = "配件需厂家调货，预计一周后到货，申请延期。"
_RAIN = "防水施工需要连续晴天，近期降雨较多，申请延期。"
_MEETING = "涉及多户协调，需要再召开一次居民会议，申请延期。"
EXTENSION_REASONS: dict[str, tuple[str, ...]] = {
    "building_repair": (_RAIN, _PARTS),
    "lighting": (_PARTS,),
    "elevator": (_PARTS,),
    "heating": (_PARTS,),
    "water": (_PARTS,),
    "drains": (_PARTS,),
    "safety_hazard": (_PARTS,),
    "": (_MEETING,),
}
REFUSE_NOTES = ("问题影响居民出行安全，请按期办结，可先采取临时措施。",)
SUPERVISE_NOTES = (
    "已超期未办结，请承办单位加快办理并说明原因。",
    "群众多次反映，列入督办，请三日内反馈进展。",
)
HIDE_REASONS = ("涉及居民家庭隐私，不宜公开。", "照片中有居民面部和车牌，不公开。")
SATISFIED = ("修得很快，谢谢网格员！", "问题解决了，满意。", "服务态度好，办事利索。", "")
BASIC = ("解决了，就是等得有点久。", "基本解决了，希望以后多检查。")

# (text, reason) of requests that are not for the community to handle (不予受理).
REJECTED: tuple[tuple[str, str], ...] = (
    (
        "网上买的东西商家不给退货。打了好几次客服电话都没人管。",
        "网络购物纠纷不属于社区受理范围，已告知拨打12315或登录全国12315平台投诉。",
    ),
    (
        "要求社区给孩子安排到实验小学上学。我家离那边近。",
        "学位由教育部门按学区统一安排，不属于社区职责，已告知向市教育局咨询。",
    ),
    (
        "温县那边一个工地扬尘很大。路过时眼睛都睁不开。",
        "事发地不在本辖区，已告知向温县12345热线反映。",
    ),
    (
        "要求社区出钱给我家换窗户。窗户是自家的，太旧了。",
        "私人房屋自用部分的维修不属于公共事务，已说明原因。",
    ),
)
# (text, guidance, referral) of private matters (私事): the resident is guided.
GUIDED: tuple[tuple[str, str, str], ...] = (
    (
        "家里卫生间水龙头坏了，想找人修一下。",
        "属于居民家庭自用设施维修，已提供社区便民维修服务队电话，可预约上门，收费公示。",
        "迎秀社区便民维修服务队",
    ),
    (
        "想给瘫痪在床的老人找个护工。不知道去哪找靠谱的。",
        "已介绍居家养老服务中心的上门护理服务和收费标准，可免费上门评估。",
        "孟州市居家养老服务中心",
    ),
    (
        "钥匙锁在屋里了，想找个开锁的。",
        "已提供公安备案的开锁服务电话，请核对身份后开锁。",
        "公安备案开锁服务点",
    ),
    (
        "空调不制冷了，想找人加氟。",
        "家电维修属于市场服务，已介绍物业服务党群服务中心的便民服务台登记预约。",
        "物业服务党群服务中心便民服务台",
    ),
    (
        "想咨询怎么给老人办老年优待证。需要带什么材料？",
        "已告知所需材料（身份证、一寸照片）和办理地点，可在社区便民服务站办理。",
        "",
    ),
)
WHISTLE_REASONS: dict[str, str] = {
    "building_repair": "楼顶和外墙老化，维修需动用公共维修资金，社区多次协调物业和业主未果，"
    "请求街道吹哨。",
    "heating": "供热管网问题涉及供热公司和主管部门，社区无法协调，请求街道召集相关部门。",
    "drains": "问题反复出现，涉及市政管网，社区和物业无力解决，请求街道吹哨报到。",
    "roads": "路面和井盖属于市政设施，社区无力维修，请求街道吹哨报到。",
    "": "涉及多家单位责任划分，社区协调三次未果，请求街道统筹。",
}
REPORT_NOTES = {
    "住建": (
        "已派工程科人员到现场勘查，明确维修责任主体，三日内拿出维修方案。",
        "已协调供热公司维修班组今天入户排查。",
        "已将该小区列入老旧小区改造项目库，先行临时修补。",
    ),
    "水利": ("已安排供排水专班到现场查看管网走向。",),
    "公安": ("已安排社区民警到场，配合开展劝导。",),
    "unit": ("社区已组织居民代表和物业召开协调会，明确各方分工。",),
}
# What the street's coordination achieved when a whistle ends 协调处置 (by matter).
COORDINATED = {
    "heating": "经街道协调，供热公司承诺管网改造完成后恢复供暖，改造期间为老人家庭提供电暖器，"
    "社区每周公示进展。",
    "repair": "经街道协调，住建局、物业和业主代表商定维修方案，费用从公共维修资金列支，"
    "已分期施工。",
    "": "经街道协调，明确物业、环卫和社区的分工，建立长效管理机制，社区每周检查。",
}
REPAIR_CODES = frozenset({"building_repair", "drains", "elevator", "property_service", "roads"})
WHISTLE_PREFIX = "经街道召集相关部门现场会商，"
WHISTLE_CLOSE_NOTES = {
    "closed": ("问题已解决，居民满意，吹哨办结。",),
    "coordinated": ("经协调处置，各方按分工推进，转入日常跟踪。",),
    "unresolved": ("涉及历史遗留产权问题，需市级层面统筹，已上报，社区持续跟进。",),
}
UNSATISFIED_SUFFIX = "请重新办理。"


# --- mediations, errands, patrols -----------------------------------------------------------


@dataclass(frozen=True)
class Dispute:
    code: str
    kind: str
    weight: int
    texts: tuple[str, ...]
    sessions: tuple[str, ...]
    agreements: tuple[str, ...]
    failed: str = "双方分歧较大，未能达成一致。"


DISPUTES: tuple[Dispute, ...] = (
    Dispute(
        "neighbour_dispute",
        "邻里纠纷（漏水）",
        5,
        ("{b}{up}家漏水到楼下。楼下住户多次找上门，双方吵了起来。",),
        (
            "入户查看漏水位置，听取双方意见，初步劝导避免矛盾激化。",
            "组织双方和物业在社区调解室面对面协商维修和赔偿。",
        ),
        ("楼上住户负责修复卫生间防水，并赔偿楼下吊顶维修费800元，双方签字确认。",),
    ),
    Dispute(
        "neighbour_dispute",
        "邻里纠纷（噪声）",
        3,
        ("{b}{s}单元楼上楼下因为噪声闹矛盾。楼下说楼上天天半夜拖椅子，楼上说没有。",),
        ("分别上门听取双方说法，了解作息时间。", "召集双方在楼栋议事点协商。"),
        ("楼上给椅子腿加装静音垫，晚上十点后减少走动；双方互留电话，有事先沟通。",),
    ),
    Dispute(
        "neighbour_dispute",
        "邻里纠纷（养犬）",
        3,
        ("{c}有住户在公共区域养犬，和邻居起了争执。双方在楼下吵了好几次。",),
        ("网格员入户走访，了解养犬情况和邻居诉求。", "召集双方和物业协商养犬规范。"),
        ("养犬户把狗移到自家院内，出门拴绳并清理粪便；邻居表示谅解。",),
    ),
    Dispute(
        "boundary_dispute",
        "宅基地地界纠纷",
        3,
        ("{c}平房区两户因翻建院墙对宅基地地界各执一词。一方已经砌了半截墙，另一方不让。",),
        (
            "到现场丈量，查阅原宅基地使用证和四邻签字资料。",
            "从情、理、法三个角度分别做双方工作。",
            "邀请老党员和司法所工作人员参加会商。",
        ),
        ("按原宅基地使用证标注的界址重新放线，院墙后退0.3米，双方握手言和并签订协议。",),
    ),
    Dispute(
        "family_dispute",
        "赡养纠纷",
        2,
        ("{door}老人反映子女不尽赡养义务。几个子女互相推诿，老人生活没有着落。",),
        ("分别走访老人的几个子女，了解各家情况。", "召开家庭会议，讲解赡养义务的法律规定。"),
        ("子女三人轮流照顾老人，每人每月出赡养费500元，签订赡养协议。",),
        "子女之间分歧较大，建议老人申请法律援助。",
    ),
    Dispute(
        "neighbour_dispute",
        "邻里纠纷（停车位）",
        2,
        ("{c}两户为争一个车位吵了起来。一方用地锁占位，另一方把地锁撬了。",),
        ("到现场了解车位来历和使用情况。",),
        ("车位属于公共车位，拆除地锁，按物业停车规定先到先停，双方认可。",),
    ),
)
RESTAURANT = (
    "{b}楼上住户下水堵塞，导致一楼饭店管道反水。饭店后厨被污水淹了，饭店和楼上住户闹得不可开交。",
    (
        "初步劝导，稳定双方情绪，避免事态发展。",
        "与饭店方协商，饭店方一开始不配合，认为是楼上乱倒东西。",
        "组织饭店、楼上住户代表和物业在矛盾工作室会商，查明主管道堵塞原因是油污和杂物共同造成。",
    ),
    "饭店加装隔油池，楼上住户分摊主管道疏通费用；物业每季度疏通一次，双方签订调解协议。",
)
MEDIATORS = ("社区调解员", "网格员", "退休律师", "社区民警", "老党员", "楼栋长")
ERRANDS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    # (service, mode, tags served, weight)
    ("养老金资格认证", "home", ("elderly_70", "elderly_alone"), 10),
    ("高龄补贴申请", "proxy", ("elderly_70",), 4),
    ("医保缴费", "proxy", ("elderly_alone", "elderly_70", "serious_illness"), 3),
    ("残疾证办理", "help", ("disabled",), 2),
    ("代购药品", "proxy", ("serious_illness", "elderly_alone", "disabled"), 3),
    ("上门理发", "home", ("elderly_alone", "disabled", "elderly_70"), 2),
)
ERRAND_RESULTS = {
    "养老金资格认证": (
        "上门帮老人用手机完成养老金资格认证，并教会老人查余额。",
        "老人不会用智能手机，网格员上门帮忙完成刷脸认证。",
    ),
    "高龄补贴申请": ("已代为提交高龄补贴申请材料，预计下月发放。",),
    "医保缴费": ("已代缴城乡居民医保费用，缴费凭证已交给家属。",),
    "残疾证办理": ("已陪同到残联办理残疾证换证，新证已领取。",),
    "代购药品": ("已到药店代购常用药品并送到家中。",),
    "上门理发": ("已联系志愿者上门为老人理发。",),
}
PATROL_ROUTES = (
    "{c}1-{n}号楼、车棚、东门",
    "{c}中心花园、消防通道、垃圾收集点",
    "{c}沿街商铺、西门、地下车库入口",
)
PATROL_NOTES = ("巡查未发现异常。", "各楼道畅通，消防设施正常。", "提醒两户清理楼道杂物。")
PATROL_FINDINGS = (
    (
        "lighting",
        "{b}{s}单元楼道灯不亮。巡查时发现{f}楼往上都不亮。",
        "已更换{s}单元{f}楼以上楼道灯，照明恢复。",
    ),
    (
        "sanitation",
        "{b}旁边垃圾收集点满溢。地上散落垃圾，需要加密清运。",
        "已协调环卫清运，收集点周边已清扫，清运改为每天两次。",
    ),
    (
        "safety_hazard",
        "{b}{s}单元楼道里停放电动车充电。存在火灾隐患。",
        "已联系车主把电动车移到充电棚，楼道已清空。",
    ),
    (
        "parking",
        "{c}消防通道有车辆占用。已在车上留条，需联系车主。",
        "车主已挪车，消防通道已施划禁停标线。",
    ),
    ("roads", "{c}东门口井盖松动。车辆经过时响声很大。", "已加固井圈，井盖不再松动。"),
    ("ads", "{b}{s}单元楼道贴满小广告。需要组织清理。", "已组织志愿者清理楼道小广告。"),
)
DUPLICATE_OPENINGS = ("我也反映一下：", "同样的问题，", "", "邻居说已经有人报了，我再说一下：")


# --- the cast and the places ---------------------------------------------------------------


@dataclass
class Cast:
    """The demo users as actors (each built once: an actor caches its scope lookups)."""

    by_name: dict[str, Actor]
    workers: dict[int, Actor]  # grid unit pk → grid worker
    zhujian: Department  # bumen's department
    others: list[Department]

    def __getitem__(self, username: str) -> Actor:
        return self.by_name[username]


@dataclass
class Place:
    grid: DemoGrid
    worker: Actor
    first: bool  # in 迎秀 (the demo community with community staff)
    dispatcher: Actor  # who accepts, dispatches and closes here
    residents: list[tuple[int, int, str, str]] = field(default_factory=list)
    # (resident id, household id, name, phone cipher) by building unit pk
    by_building: dict[int, list[tuple[int, int, str, str]]] = field(default_factory=dict)

    @property
    def community_unit(self) -> Any:
        return self.grid.community


@dataclass
class Holder:
    """The request a story created (a duplicate needs its survivor's)."""

    case: Case | None = None


@dataclass
class Result:
    failures: list[str] = field(default_factory=list)
    stories: int = 0


# --- the replay ----------------------------------------------------------------------------


class Replay:
    """Runs many request stories in one global time order, each step inside `clock.travel`.

    A story is a generator: it yields the moment of its next step and performs that step when
    resumed. Steps at or after `horizon` do not happen, which leaves recent requests open."""

    def __init__(self, rng: random.Random, horizon: dt.datetime) -> None:
        self.rng = rng
        self.horizon = horizon
        self._heap: list[tuple[dt.datetime, int, Step]] = []
        self._seq = itertools.count()
        self.result = Result()
        # (largest id of each STAMPED table, moment) after each step: rows whose time the
        # database fills in take the real time; these put them back on the replayed clock.
        self.checkpoints: list[tuple[tuple[int, ...], dt.datetime]] = []

    def add(self, story: Step) -> None:
        try:
            first = next(story)
        except StopIteration:
            return
        heapq.heappush(self._heap, (first, next(self._seq), story))
        self.result.stories += 1

    def run(self) -> None:
        tables = [connection.ops.quote_name(m._meta.db_table) for m in STAMPED]
        # Table names from the models, no input: one round trip per step for all of them.
        probe = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t})" for t in tables)  # noqa: S608
        with connection.cursor() as cursor:
            while self._heap:
                at, seq, story = heapq.heappop(self._heap)
                if at >= self.horizon:
                    continue  # not yet happened: the request stays where it is
                with clock.travel(at):
                    try:
                        nxt = story.send(None)
                    except StopIteration:
                        nxt = None
                    except (DomainError, Conflict, PermissionDenied) as exc:
                        # A planning mistake stops that one story; tests require none.
                        self.result.failures.append(f"{at:%Y-%m-%d %H:%M} {exc}")
                        nxt = None
                cursor.execute(probe)
                self.checkpoints.append((tuple(i or 0 for i in cursor.fetchone()), at))
                if nxt is not None:
                    heapq.heappush(self._heap, (max(nxt, at + dt.timedelta(minutes=1)), seq, story))

    # Time helpers ---------------------------------------------------------------------------

    def later(self, at: dt.datetime, lo: int, hi: int, *, natural: bool = False) -> dt.datetime:
        """`at` plus lo..hi minutes: natural minutes for urgent matters (on duty every day,
        from early morning to late evening), else working minutes on the working calendar."""
        minutes = self.rng.randint(lo, hi)
        if natural:
            return self.awake(at + dt.timedelta(minutes=minutes))
        return calendar.add_working_minutes(at, minutes)

    def awake(self, at: dt.datetime) -> dt.datetime:
        """`at`, or the next morning after 07:00 when it falls in the night."""
        local = timezone.localtime(at)
        if 7 <= local.hour < 22:
            return at
        day = local.date() + dt.timedelta(days=1 if local.hour >= 22 else 0)
        morning = dt.datetime.combine(day, dt.time(7, self.rng.randint(0, 50)))
        return timezone.make_aware(morning)

    def days_later(self, at: dt.datetime, lo: float, hi: float) -> dt.datetime:
        """lo..hi working days later, at a working-hours minute."""
        return calendar.add_working_minutes(at, int(self.rng.uniform(lo, hi) * 7 * 60))


def resident_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """When residents write: mornings and evenings more than the small hours."""
    hour = rng.choices(
        range(6, 23), weights=[1, 4, 6, 5, 4, 4, 4, 3, 3, 4, 4, 5, 6, 7, 6, 4, 2], k=1
    )[0]
    naive = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)))
    return timezone.make_aware(naive)


def staff_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment in the working hours of `day` (moved to the next working day if needed)."""
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
    return calendar.add_working_minutes(start, rng.randint(5, 6 * 60))


# --- photos --------------------------------------------------------------------------------

BEFORE_COLOURS = ((112, 104, 96), (96, 92, 88), (128, 112, 90), (80, 84, 92))
AFTER_COLOURS = ((120, 170, 120), (110, 160, 200), (200, 210, 190), (150, 190, 140))


def photo(rng: random.Random, stage: str, n: int = 0) -> SimpleUploadedFile:
    """A small real JPEG: dull colours before, fresh ones after (a few KB each)."""
    from PIL import Image, ImageDraw

    base = rng.choice(BEFORE_COLOURS if stage == "before" else AFTER_COLOURS)
    image = Image.new("RGB", (160, 120), base)
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y = rng.randint(0, 140), rng.randint(0, 100)
        shade = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in base)
        draw.rectangle((x, y, x + rng.randint(10, 60), y + rng.randint(8, 40)), fill=shade)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=60)
    return SimpleUploadedFile(f"{stage}{n}.jpg", buf.getvalue(), content_type="image/jpeg")


def _floor(door: str) -> int:
    """2单元301室 → 3 (the floor is the room number without its last two digits)."""
    room = door.split("单元")[-1].removesuffix("室")
    return int(room[:-2]) if room[:-2].isdigit() else 1


# --- the stories -----------------------------------------------------------------------------


@dataclass
class Plan:
    """Everything decided about one ordinary request before it is replayed."""

    place: Place
    building: DemoBuilding
    matter: Matter
    text: str
    at: dt.datetime
    channel: str
    handler: str
    result: str = ""
    end: str = "closed"  # closed | rejected | guided | merged
    stop: str = (
        ""  # received | accepted | assigned | returned | in_progress | resolved | followed_up
    )
    returns: int = 0
    whistle: str = ""  # closed | coordinated | unresolved | open
    suspend: str = ""  # stay | resume
    extension: str = ""  # approve | refuse | pending
    follow_ups: tuple[str, ...] = (Satisfaction.SATISFIED,)
    resident_rates: bool = False
    late_response: bool = False
    late_resolve: bool = False
    photo_before: bool = False
    photo_after: bool = False
    hidden: bool = False
    supervise: bool = False
    triage: bool = False
    reject: tuple[str, str] | None = None
    guide: tuple[str, str, str] | None = None
    into: Holder | None = None
    holder: Holder = field(default_factory=Holder)
    resident: tuple[int, int, str, str] | None = None
    patrol: PatrolPlan | None = None
    token: str = ""

    @property
    def urgent(self) -> bool:
        return self.matter.code in URGENT_CODES


# Tables whose rows the services stamp with the real time (auto_now_add).
STAMPED = (Notification, OutboundMessage, CaseSupporter)
URGENT_CODES = frozenset({"drains", "elevator", "heating", "water", "safety_hazard"})


class Stories:
    """The story generators and the plans behind them."""

    def __init__(
        self,
        replay: Replay,
        cast: Cast,
        categories: dict[str, Category],
        street: Any,
    ) -> None:
        self.r = replay
        self.rng = replay.rng
        self.cast = cast
        self.categories = categories
        self.street = street
        self.photos = 0

    # Small helpers ------------------------------------------------------------------------

    def slots(self, building: DemoBuilding, grid: DemoGrid) -> dict[str, Any]:
        """The place words of one request: building, compound, stairwell, floor, door."""
        rng = self.rng
        name = building.unit.display_name
        doors = [h.address for h in building.households] or ["1单元101室"]
        door = rng.choice(doors)
        floors = {d: _floor(d) for d in doors}
        top = max(floors.values())
        upper = [d for d in doors if floors[d] > 1] or doors
        return {
            "up": rng.choice(upper),
            "top": rng.choice([d for d in doors if floors[d] == top]),
            "b": name,
            "c": name.rstrip("0123456789号楼"),  # 迎秀花园7号楼 → 迎秀花园
            "s": door.split("单元")[0] if "单元" in door else rng.randint(1, 3),
            "f": rng.randint(2, 6),
            "door": door,
            "n": len(grid.buildings),
        }

    def fill(self, template: str, building: DemoBuilding, grid: DemoGrid) -> str:
        return template.format(**self.slots(building, grid))

    def reason(self, table: dict[str, tuple[str, ...]], p: Plan) -> str:
        return self.pick(table.get(p.matter.code, table[""]))

    def pick(self, items: tuple[str, ...]) -> str:
        return self.rng.choice(items)

    def uploads(self, stage: str, count: int = 1) -> list[SimpleUploadedFile]:
        self.photos += count
        return [photo(self.rng, stage, i) for i in range(count)]

    def handler_actor(self, p: Plan) -> Actor:
        return {
            "grid": p.place.worker,
            "village": self.cast["shequ"],
            "department": self.cast["bumen"],
            "street": self.cast["jiedao"],
        }[p.handler]

    def follow_up_actor(self, p: Plan) -> Actor:
        if p.place.first and p.handler != "grid":
            return self.cast["shequ"]
        return p.place.worker

    def reporter(self, p: Plan) -> tuple[str, str]:
        """Name and phone as the resident gives them (public: often a surname only)."""
        if p.resident is None:
            return "", ""
        _, _, name, cipher = p.resident
        phone = crypto.decrypt(cipher) if cipher and self.rng.random() < 0.7 else ""
        style = self.rng.random()
        if p.channel in {Channel.QR, Channel.COLUMN} and style < 0.5:
            name = name[0] + self.rng.choice(("女士", "先生", "阿姨", "大爷"))
        elif p.channel in {Channel.QR, Channel.COLUMN} and style < 0.7:
            name = ""
        return name, phone

    # Intake -------------------------------------------------------------------------------

    def submit(self, p: Plan) -> Case:
        if p.patrol is not None:
            return self.finding(p, p.patrol)
        building = p.building.unit
        category = self.categories[p.matter.code] if p.matter.code in self.categories else None
        name, phone = self.reporter(p)
        photos = self.uploads("before") if p.photo_before else []
        if p.channel in {Channel.QR, Channel.COLUMN}:
            unit = building if p.channel == Channel.QR else p.place.grid.unit
            submitted = intake.case_submit_public(
                unit=unit,
                description=p.text,
                # About half of residents pick a category; staff set it at triage otherwise.
                category=category if self.rng.random() < 0.6 else None,
                name=name,
                phone=phone,
                photos=photos,
                source=f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
                channel=p.channel,
                allow_publish=self.rng.random() < 0.88,
            )
            p.token = submitted.token
            return submitted.case
        if p.channel == Channel.BUILDING_LEADER:
            actor = self.cast["loudong"]
        elif p.channel in {Channel.PHONE, Channel.WALK_IN}:
            actor = p.place.dispatcher
        else:
            actor = p.place.worker
        return intake.case_file(
            actor=actor,
            unit=building,
            description=p.text,
            channel=p.channel,
            category=category,
            name=name,
            phone=phone,
            resident_id=p.resident[0] if p.resident and p.channel != Channel.RIDER else None,
            household_id=p.resident[1] if p.resident and p.channel != Channel.RIDER else None,
            photos=photos,
            # Asked on the phone or at the door whether the matter may be shown publicly.
            allow_publish=self.rng.random() < 0.85,
        ).case

    def assign(self, case: Case, p: Plan, *, note: str = "") -> None:
        actor = p.place.dispatcher
        if p.handler == "grid":
            lifecycle.case_assign(
                case=case,
                actor=actor,
                handler_unit=p.place.grid.unit,
                assignee_id=p.place.worker.user_id,
                note=note,
            )
        elif p.handler == "village":
            lifecycle.case_assign(
                case=case,
                actor=actor,
                handler_unit=p.place.community_unit,
                assignee_id=self.cast["shequ"].user_id,
                note=note,
            )
        elif p.handler == "department":
            lifecycle.case_assign(case=case, actor=actor, department=self.cast.zhujian, note=note)
        else:
            lifecycle.case_assign(case=case, actor=actor, handler_unit=self.street, note=note)

    # The ordinary request -------------------------------------------------------------------

    def ordinary(self, p: Plan) -> Step:
        r, rng, cast = self.r, self.rng, self.cast
        urgent = p.urgent
        t = p.at
        yield t
        case = self.submit(p)
        p.holder.case = case
        if p.stop == "received":
            return
        dispatcher = p.place.dispatcher
        # 受理: most within the 4 working hours (or 2 natural hours for urgent matters).
        if p.late_response:
            t = r.later(t, 300, 900, natural=urgent)
        elif urgent:
            t = r.later(t, 5, 35, natural=True)
        else:
            t = r.later(t, 10, 200)
        yield t
        # Often the dispatch itself is the response (it records 受理 time too).
        direct = p.end == "closed" and not p.stop and not p.triage and rng.random() < 0.45
        if not direct:
            lifecycle.case_accept(case=case, actor=dispatcher)

        if p.end == "rejected" and p.reject:
            t = r.later(t, 5, 90, natural=urgent)
            yield t
            lifecycle.case_reject(case=case, actor=dispatcher, reason=p.reject[1])
            return
        if p.end == "guided" and p.guide:
            t = r.later(t, 5, 120)
            yield t
            lifecycle.case_guide(
                case=case, actor=dispatcher, guidance=p.guide[1], referral=p.guide[2]
            )
            return
        if p.end == "merged":
            t = r.later(t, 5, 60, natural=urgent)
            yield t
            survivor = p.into.case if p.into else None
            if survivor is not None and survivor.is_open:
                lifecycle.case_merge(case=case, into=survivor, actor=dispatcher)
                # The merge counted the supporter on the survivor's row (and its version).
                survivor.refresh_from_db(fields=["version", "support_count"])
            else:
                number = survivor.tracking_no if survivor else ""
                lifecycle.case_reject(
                    case=case,
                    actor=dispatcher,
                    reason=f"与已办结的诉求{number}是同一问题，办理结果可在成果清单查看。",
                )
            return

        if p.triage:
            t = r.later(t, 1, 15, natural=urgent)
            yield t
            category = self.categories.get(p.matter.code)
            level = Level.BIG if p.handler in {"department", "street"} else Level.SMALL
            lifecycle.case_triage(
                case=case,
                actor=dispatcher,
                level=level,
                category=category,
                note="核实情况后确定分流" if case.category else "补充类别",
            )
        elif case.category is None and p.matter.code in self.categories:
            # Residents who picked no category: staff set it when dispatching.
            lifecycle.case_triage(
                case=case,
                actor=dispatcher,
                level=Level.BIG if p.handler in {"department", "street"} else Level.SMALL,
                category=self.categories[p.matter.code],
            )
        if p.stop == "accepted":
            return
        if not direct:
            t = r.later(t, 2, 90, natural=urgent)
            yield t
        self.assign(case, p)
        handler = self.handler_actor(p)

        for i in range(p.returns):
            t = r.later(t, 60, 600, natural=urgent)
            yield t
            reasons = RETURN_REASONS[p.handler]
            lifecycle.case_return(case=case, actor=handler, reason=reasons[i % len(reasons)])
            if p.stop == "returned" and i == p.returns - 1:
                return
            if case.return_count >= wf.MAX_RETURNS:
                break  # sent up a level by the return itself
            t = r.later(t, 30, 300, natural=urgent)
            yield t
            if p.returns == 1:
                # One return: the community takes it on itself (the street, where the
                # community has no staff account in the demo).
                p.handler = "village" if p.place.first else "street"
            self.assign(case, p, note="已核实，重新派遣")
            handler = self.handler_actor(p)
        if case.status == Status.RETURNED:
            # Returned three times: it went up a level; the community handles it now.
            t = r.later(t, 30, 240)
            yield t
            p.handler = "village" if p.place.first else "street"
            self.assign(case, p, note="退单已达上限，由上级承办")
            handler = self.handler_actor(p)

        if p.stop == "assigned":
            return
        t = r.later(t, 5, 40, natural=True) if urgent else r.later(t, 5, 240)
        yield t
        lifecycle.case_take(case=case, actor=handler)

        if p.whistle:
            outcome = yield from self.whistled(case, p, t)
            if outcome is None:
                return
            t = outcome
        else:
            if p.suspend:
                t = r.days_later(t, 0.5, 3)
                yield t
                lifecycle.case_suspend(
                    case=case, actor=dispatcher, reason=self.reason(SUSPEND_REASONS, p)
                )
                if p.suspend == "stay":
                    return
                t = r.days_later(t, 3, 12)
                yield t
                lifecycle.case_resume(case=case, actor=dispatcher, note="条件具备，恢复办理")
            if p.extension:
                t = r.days_later(t, 1, 4)
                yield t
                lifecycle.case_request_extension(
                    case=case,
                    actor=handler,
                    days=rng.choice((3, 5, 7)),
                    reason=self.reason(EXTENSION_REASONS, p),
                )
                if p.extension == "pending":
                    return
                t = r.later(t, 30, 400)
                yield t
                approver = cast["shuji"] if p.place.first and rng.random() < 0.5 else dispatcher
                if approver.user_id == handler.user_id:
                    approver = cast["jiedao"]
                lifecycle.case_decide_extension(
                    case=case,
                    actor=approver,
                    approve=p.extension == "approve",
                    note="" if p.extension == "approve" else self.pick(REFUSE_NOTES),
                )
            if rng.random() < 0.3:
                t = r.later(t, 10, 60, natural=True) if urgent else r.later(t, 20, 600)
                yield t
                lifecycle.case_progress(
                    case=case,
                    actor=handler,
                    note=self.pick(p.matter.progress),
                    photos=self.uploads("before") if rng.random() < 0.1 else [],
                )
            if p.supervise and case.resolve_due_at is not None:
                t = max(t, calendar.add_working_minutes(case.resolve_due_at, rng.randint(60, 900)))
                yield t
                lifecycle.case_supervise(
                    case=case, actor=cast["jiedao"], reason=self.pick(SUPERVISE_NOTES)
                )
            if p.stop == "in_progress":
                return
            t = self.resolve_time(case, p, t)
            yield t
            lifecycle.case_resolve(
                case=case,
                actor=handler,
                result=self.fill_result(p),
                photos=self.uploads("after") if p.photo_after else [],
            )
        yield from self.closing(case, p, t)

    def fill_result(self, p: Plan) -> str:
        return p.result

    def resolve_time(self, case: Case, p: Plan, t: dt.datetime) -> dt.datetime:
        """Most before the due time, some late (resolved_in_time False)."""
        due = case.resolve_due_at
        if p.urgent:
            span = dt.timedelta(hours=24)
            if due is not None and case.assigned_at is not None:
                span = max(dt.timedelta(hours=1), due - case.assigned_at)
            share = self.rng.uniform(1.2, 2.5) if p.late_resolve else self.rng.uniform(0.15, 0.85)
            start = case.assigned_at or t
            return self.r.awake(max(t + dt.timedelta(minutes=10), start + span * share))
        if p.late_resolve and due is not None:
            return max(t, due) + dt.timedelta(
                days=self.rng.randint(1, 6), hours=self.rng.randint(0, 5)
            )
        return self.r.days_later(t, 0.3, 5.5)

    def closing(self, case: Case, p: Plan, t: dt.datetime) -> Step:
        """回访 (staff or the resident's own rating), reopen on 不满意, 结案, board."""
        r, rng = self.r, self.rng
        handler = self.handler_actor(p)
        for n, satisfaction in enumerate(p.follow_ups):
            t = r.days_later(t, 0.2, 2.5)
            if p.stop == "resolved" and n == len(p.follow_ups) - 1:
                return
            yield t
            comment = (
                self.pick(p.matter.reopen) + UNSATISFIED_SUFFIX
                if satisfaction == Satisfaction.UNSATISFIED
                else self.pick(SATISFIED if satisfaction == Satisfaction.SATISFIED else BASIC)
            )
            if p.resident_rates and n == 0 and p.channel in {Channel.QR, Channel.COLUMN}:
                lifecycle.case_rate_by_resident(
                    case=case, satisfaction=satisfaction, comment=comment
                )
            else:
                lifecycle.case_follow_up(
                    case=case,
                    actor=self.follow_up_actor(p),
                    satisfaction=satisfaction,
                    comment=comment,
                )
            if satisfaction != Satisfaction.UNSATISFIED:
                break
            # Reopened: back to the handler, who works on it again.
            if case.assignee_id is None:
                self.assign(case, p, note="群众不满意，重新派遣")
            t = r.later(t, 30, 480, natural=p.urgent)
            yield t
            if case.status == Status.ASSIGNED:
                lifecycle.case_take(case=case, actor=handler)
            if n == len(p.follow_ups) - 1:
                return  # still being redone
            t = r.days_later(t, 0.5, 3)
            yield t
            lifecycle.case_resolve(
                case=case, actor=handler, result="重新处理：" + self.fill_result(p)
            )
        if p.stop == "followed_up":
            return
        t = r.later(t, 20, 900)
        yield t
        lifecycle.case_close(case=case, actor=p.place.dispatcher)
        if p.hidden:
            t = r.later(t, 10, 300)
            yield t
            lifecycle.case_board_visibility(
                case=case, actor=p.place.dispatcher, hidden=True, reason=self.pick(HIDE_REASONS)
            )
        elif (
            p.channel in {Channel.QR, Channel.COLUMN}
            and not p.resident_rates
            and case.reporter_phone_digest
            and rng.random() < 0.15
        ):
            # The resident also rates from the private link after the staff follow-up.
            t = t + dt.timedelta(hours=rng.randint(2, 40))
            yield t
            lifecycle.case_rate_by_resident(
                case=case,
                satisfaction=rng.choice((Satisfaction.SATISFIED, Satisfaction.BASIC)),
                comment=self.pick(SATISFIED),
            )

    def whistled(
        self, case: Case, p: Plan, t: dt.datetime
    ) -> Generator[dt.datetime, None, dt.datetime | None]:
        """吹哨报到: the community whistles, the street summons, departments report in and
        the street records the outcome. Returns when the request was resolved (None when the
        story ends open)."""
        r, rng, cast = self.r, self.rng, self.cast
        handler = self.handler_actor(p)
        t = r.days_later(t, 0.5, 3)
        yield t
        lifecycle.case_progress(
            case=case, actor=handler, note="社区多次协调物业和相关单位，未能解决。"
        )
        t = r.later(t, 30, 400)
        yield t
        raiser = cast["shuji"] if rng.random() < 0.3 else cast["shequ"]
        whistle = whistles.whistle_raise(
            case=case, actor=raiser, reason=WHISTLE_REASONS.get(p.matter.code, WHISTLE_REASONS[""])
        )
        t = r.later(t, 20, 240)
        yield t
        others = [d for d in cast.others if rng.random() < 0.25]
        units = [p.place.community_unit] if rng.random() < 0.45 else []
        rows = whistles.whistle_summon(
            whistle=whistle,
            actor=cast["jiedao"],
            departments=[cast.zhujian, *others],
            units=units,
        )
        for row in rows:
            if row.department_id is not None and row.department_id != cast.zhujian.pk:
                continue  # departments without demo accounts cannot report in
            # Most report in within the deadline (4 working hours); a few late.
            t = r.later(t, 15, 200) if rng.random() < 0.85 else r.later(t, 300, 700)
            yield t
            if row.unit_id is not None:
                whistles.whistle_report_in(
                    summons=row, actor=cast["shequ"], action_note=self.pick(REPORT_NOTES["unit"])
                )
            else:
                whistles.whistle_report_in(
                    summons=row, actor=cast["bumen"], action_note=self.pick(REPORT_NOTES["住建"])
                )
        if p.whistle == "open":
            if rng.random() < 0.5:
                t = r.later(t, 30, 300)
                yield t
                lifecycle.case_take(case=case, actor=cast["bumen"])
            return None
        t = r.later(t, 30, 300)
        yield t
        lifecycle.case_take(case=case, actor=cast["bumen"])
        t = r.days_later(t, 0.5, 2)
        yield t
        lifecycle.case_progress(
            case=case,
            actor=cast["bumen"],
            note="施工人员已进场。",
            photos=self.uploads("before") if rng.random() < 0.4 else [],
        )
        if p.whistle == "unresolved":
            t = r.days_later(t, 2, 6)
            yield t
            whistles.whistle_close(
                whistle=whistle,
                actor=cast["jiedao"],
                outcome=Whistle.Outcome.UNRESOLVED,
                note=self.pick(WHISTLE_CLOSE_NOTES["unresolved"]),
            )
            t = r.later(t, 10, 120)
            yield t
            lifecycle.case_suspend(
                case=case, actor=cast["jiedao"], reason="等待市级统筹解决历史遗留问题。"
            )
            return None
        t = r.days_later(t, 1, 6)
        yield t
        if p.whistle == "closed":
            result = WHISTLE_PREFIX + p.result
        else:
            code = "repair" if p.matter.code in REPAIR_CODES else p.matter.code
            result = COORDINATED.get(code, COORDINATED[""])
        lifecycle.case_resolve(
            case=case,
            actor=cast["bumen"],
            result=result,
            photos=self.uploads("after") if rng.random() < 0.5 else [],
        )
        t = r.later(t, 30, 600)
        yield t
        whistles.whistle_close(
            whistle=whistle,
            actor=cast["jiedao"],
            outcome=p.whistle,
            note=self.pick(WHISTLE_CLOSE_NOTES[p.whistle]),
        )
        return t

    # Residents' support (附议) -------------------------------------------------------------

    def support(self, holder: Holder, at: dt.datetime, phone: str) -> Step:
        from lianxin.cases.services import duplicates

        yield at
        case = holder.case
        if case is None or not case.is_open:
            return
        duplicates.case_support(
            case=case,
            source=f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
            phone=phone,
        )

    # Mediations (排查—化解—回访) -------------------------------------------------------------

    def mediation(self, m: MediationPlan) -> Step:
        from lianxin.cases.services import mediation as med

        r, rng, cast = self.r, self.rng, self.cast
        place = m.place
        t = m.at
        yield t
        # Found on a visit by the grid worker (排查) or brought to the community in person.
        finder = place.worker if m.channel == Channel.VISIT or not place.first else cast["shequ"]
        may_dispatch = finder.can(wf.DISPATCH, place.grid.unit.path)
        parties = [
            med.PartyInput(
                name=m.applicant[2] if m.applicant else m.applicant_name,
                phone=m.applicant_phone,
                resident_id=m.applicant[0] if m.applicant else None,
            ),
            med.PartyInput(
                name=m.respondent[2] if m.respondent else m.respondent_name,
                role="respondent",
                resident_id=m.respondent[0] if m.respondent else None,
            ),
        ]
        record = med.mediation_open(
            actor=finder,
            unit=m.building.unit,
            dispute_kind=m.kind,
            description=m.text,
            parties=parties,
            team=m.team if may_dispatch else None,
            channel=m.channel,
            category=self.categories.get(m.code),
        )
        case = record.case
        if not may_dispatch:
            t = r.later(t, 20, 300)
            yield t
            med.mediation_dispatch(actor=place.dispatcher, mediation=record, team=m.team)
        mediator = cast["shequ"] if place.first and rng.random() < 0.6 else place.worker
        names = "、".join(rng.sample(MEDIATORS, 2))
        rounds = 2 if m.unstable else 1
        for round_no in range(rounds):
            for n, note in enumerate(m.sessions):
                t = r.days_later(t, 0.3, 3)
                yield t
                med.mediation_session_record(
                    actor=mediator,
                    mediation=record,
                    mode="home" if n == 0 else rng.choice(("meeting", "home", "phone")),
                    mediators=names,
                    note=note if round_no == 0 else "回访发现协议履行出现反复，再次上门调解。",
                )
            if m.stop == "sessions":
                return
            t = r.days_later(t, 0.5, 3)
            yield t
            med.mediation_conclude(
                actor=mediator,
                mediation=record,
                agreement_reached=m.agreement,
                agreement=m.agreement_text if m.agreement else m.failed_text,
                photos=self.uploads("after") if rng.random() < 0.15 else [],
            )
            if not m.agreement:
                # 诉调对接: no agreement, the parties are told where to take it.
                t = r.days_later(t, 1, 4)
                yield t
                lifecycle.case_resolve(
                    case=case,
                    actor=mediator,
                    result="经多次调解未能达成一致，已告知当事人可申请司法调解或向法院起诉，"
                    "并提供法律援助联系方式。",
                )
                t = r.days_later(t, 0.5, 2)
                yield t
                lifecycle.case_follow_up(
                    case=case, actor=place.worker, satisfaction=Satisfaction.BASIC, comment=""
                )
                break
            # The revisit comes about a week later (CaseSettings.mediation_revisit_days).
            t = calendar.add_working_minutes(t + dt.timedelta(days=7), rng.randint(0, 300))
            if m.stop == "revisit":
                return
            yield t
            unstable_now = m.unstable and round_no == 0
            med.mediation_revisit(
                actor=place.worker,
                mediation=record,
                stable=not unstable_now,
                note="对方没有按协议履行，矛盾又起。" if unstable_now else "",
                satisfaction=rng.choice((Satisfaction.SATISFIED,) * 4 + (Satisfaction.BASIC,))
                if not unstable_now
                else None,
            )
            if not unstable_now:
                break
            t = r.later(t, 30, 300)
            yield t
            if case.status == Status.ASSIGNED:
                lifecycle.case_take(case=case, actor=mediator)
        t = r.later(t, 30, 900)
        yield t
        lifecycle.case_close(case=case, actor=place.dispatcher, note="调解结案")

    # Errands (帮办、代办、上门办) -----------------------------------------------------------

    def errand(self, e: ErrandPlan) -> Step:
        from lianxin.cases.services import errands

        r, rng = self.r, self.rng
        place = e.place
        t = e.at
        yield t
        result = self.pick(ERRAND_RESULTS[e.service])
        record = errands.errand_record(
            actor=place.worker,
            service=e.service,
            mode=e.mode,
            beneficiary_id=e.resident_id,
            description=e.description,
            done=e.on_the_spot,
            result=result,
            photos=self.uploads("after") if e.on_the_spot and rng.random() < 0.2 else [],
            channel=e.channel,
        )
        case = record.case
        if not e.on_the_spot:
            t = r.days_later(t, 0.5, 4)
            if e.stop == "open":
                return
            yield t
            errands.errand_complete(actor=place.worker, errand=record, result=result)
        if e.stop == "resolved":
            return
        t = r.days_later(t, 0.5, 3)
        yield t
        lifecycle.case_follow_up(
            case=case,
            actor=self.cast["shequ"] if place.first and rng.random() < 0.5 else place.worker,
            satisfaction=rng.choice((Satisfaction.SATISFIED,) * 9 + (Satisfaction.BASIC,)),
            comment=self.pick(("网格员上门服务，老人很满意。", "帮了大忙，谢谢！", "")),
        )
        t = r.later(t, 20, 600)
        yield t
        lifecycle.case_close(case=case, actor=place.dispatcher)

    # Patrols (每日巡查) -------------------------------------------------------------------

    def patrol(self, pp: PatrolPlan) -> Step:
        from lianxin.cases.services import patrol

        yield pp.start
        pp.log = patrol.patrol_start(actor=pp.worker, unit=pp.grid.unit, route=pp.route)
        yield pp.end
        patrol.patrol_finish(actor=pp.worker, patrol=pp.log, note=pp.note)

    def finding(self, p: Plan, pp: PatrolPlan) -> Case:
        from lianxin.cases.services import patrol

        if pp.log is None or pp.log.ended_at is not None:
            return self.submit_plain(p)
        return patrol.patrol_finding(
            actor=pp.worker,
            patrol=pp.log,
            description=p.text,
            category=self.categories.get(p.matter.code),
            photos=self.uploads("before") if p.photo_before else [],
            unit=p.building.unit,
        )

    def submit_plain(self, p: Plan) -> Case:
        return intake.case_file(
            actor=p.place.worker,
            unit=p.building.unit,
            description=p.text,
            channel=p.channel,
            category=self.categories.get(p.matter.code),
        ).case

    # The SLA sweep (the periodic job, replayed) ----------------------------------------------

    def sweeps(self, start: dt.date, horizon: dt.datetime) -> Step:
        """`sla.mark_sla` and the reminder of due mediation revisits on two mornings a week
        (the Huey tasks run far more often; this keeps the replay fast), and once at the end."""
        sla = importlib.import_module("lianxin.cases.services.sla")
        mark = getattr(sla, "mark_sla", None)
        remind = getattr(sla, "remind_mediation_revisits", None)
        if mark is None:
            return
        day = start
        while day < horizon.date():
            # Mondays and Thursdays: enough for the history of near-due and overdue marks.
            if calendar.is_workday(day) and day.weekday() in {0, 3}:
                yield timezone.make_aware(dt.datetime.combine(day, dt.time(8, 50)))
                if remind is not None:
                    remind(today=day)
                mark(now=clock.now())
            day += dt.timedelta(days=1)
        yield horizon - dt.timedelta(minutes=1)
        mark(now=clock.now())


@dataclass
class MediationPlan:
    place: Place
    building: DemoBuilding
    code: str
    kind: str
    text: str
    at: dt.datetime
    channel: str
    team: MediationTeam
    applicant: tuple[int, int, str, str] | None
    respondent: tuple[int, int, str, str] | None
    sessions: tuple[str, ...]
    agreement_text: str
    failed_text: str
    respondent_name: str = ""
    applicant_name: str = ""
    applicant_phone: str = ""
    agreement: bool = True
    unstable: bool = False
    stop: str = ""  # sessions | revisit


@dataclass
class ErrandPlan:
    place: Place
    resident_id: int
    service: str
    mode: str
    at: dt.datetime
    channel: str
    on_the_spot: bool
    description: str = ""
    stop: str = ""  # open | resolved


@dataclass
class PatrolPlan:
    worker: Actor
    grid: DemoGrid
    start: dt.datetime
    end: dt.datetime
    route: str
    note: str
    log: Any = None


# --- planning ------------------------------------------------------------------------------

OTHER = Matter("other_matter", 0, "village", (("", "已答复居民。"),), ())
CHANNEL_WEIGHTS: dict[str, int] = {
    Channel.QR: 32,
    Channel.COLUMN: 7,
    Channel.PHONE: 14,
    Channel.WALK_IN: 8,
    Channel.VISIT: 13,
    Channel.RIDER: 5,
    Channel.BUILDING_LEADER: 5,
}
RESIDENT_CHANNELS = frozenset({Channel.QR, Channel.COLUMN, Channel.RIDER})
WHISTLE_MATTERS = frozenset(
    {"building_repair", "drains", "property_service", "parking", "sanitation", "roads"}
)
LEAKING_ROOF = (
    "{b}楼顶漏水好几处。一下雨顶楼三户家里都往下滴水，{top}墙皮泡得一碰就掉，找物业多次没人管。"
)
HEATING_PROJECT = (
    "{c}暖气改造停工烂尾。居民代表自己找施工方改造暖气，因为资金和施工纠纷停了工，"
    "眼看要供暖了还用不上。"
)
SOLAR_LIGHTS = "{b}{s}单元楼道灯全坏了。晚上一片漆黑，楼里老人多，上下楼特别不方便。"
PENSION_NOTE = "老人年过八旬，不会用智能手机做养老金资格认证，子女在外地。"


class Planner:
    """Decides every story before the replay (all draws from the demo's generator)."""

    def __init__(
        self,
        stories: Stories,
        places: list[Place],
        today: dt.date,
        teams: dict[int, list[MediationTeam]],
    ) -> None:
        self.s = stories
        self.rng = stories.rng
        self.places = places
        self.first = [p for p in places if p.first]
        self.others = [p for p in places if not p.first] or self.first
        self.today = today
        self.teams = teams
        self.plans: list[Plan] = []
        self.mediations: list[MediationPlan] = []
        self.errands: list[ErrandPlan] = []
        self.patrols: list[PatrolPlan] = []
        self.supports: list[tuple[Holder, dt.datetime, str]] = []

    # Shared draws ----------------------------------------------------------------------------

    def place(self) -> Place:
        rng = self.rng
        if rng.random() < FIRST_COMMUNITY_SHARE:
            # wangge's grid a little busier than the sibling grid.
            return self.first[0] if rng.random() < 0.55 else self.first[-1]
        return rng.choice(self.others)

    def day(self, lo: int = 1, hi: int = DAYS) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(lo, hi))

    def resident(self, place: Place, building: DemoBuilding) -> tuple[int, int, str, str] | None:
        pool = place.by_building.get(building.unit.pk) or place.residents
        return self.rng.choice(pool) if pool else None

    def matter(self, day: dt.date) -> Matter:
        in_season = (day.month, day.day) >= (11, 13) or day.month <= 3
        weights = [
            (m.weight * 4 if in_season else 0) if m.season_from else m.weight for m in MATTERS
        ]
        return self.rng.choices(MATTERS, weights=weights, k=1)[0]

    def moment(self, channel: str, day: dt.date) -> dt.datetime:
        if channel in RESIDENT_CHANNELS:
            return resident_moment(self.rng, day)
        return staff_moment(self.rng, day)

    def age(self, p: Plan) -> int:
        return (self.today - timezone.localtime(p.at).date()).days

    def satisfaction(self) -> tuple[str, ...]:
        x = self.rng.random()
        if x < 0.74:
            return (Satisfaction.SATISFIED,)
        if x < 0.93:
            return (Satisfaction.BASIC,)
        again = Satisfaction.SATISFIED if self.rng.random() < 0.7 else Satisfaction.BASIC
        return (Satisfaction.UNSATISFIED, again)

    # Ordinary requests -------------------------------------------------------------------------

    def ordinary(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
            if channel == Channel.BUILDING_LEADER:
                place, building = self.first[0], self.first[0].grid.buildings[0]
            else:
                place = self.place()
                building = rng.choice(place.grid.buildings)
            day = self.day()
            p = self.plan(place, building, channel, day)
            x = rng.random()
            if x < 0.03:
                p.end, p.reject, p.matter = "rejected", rng.choice(REJECTED), OTHER
                p.text = p.reject[0]
            elif x < 0.08:
                p.end, p.guide, p.matter = "guided", rng.choice(GUIDED), OTHER
                p.text = p.guide[0]
            self.plans.append(p)

    def plan(self, place: Place, building: DemoBuilding, channel: str, day: dt.date) -> Plan:
        rng = self.rng
        matter = self.matter(day)
        handler = matter.handler
        if not place.first and handler == "village":
            handler = "grid"  # no community staff account outside 迎秀 in the demo
        written, done = rng.choice(matter.stories)
        slots = self.s.slots(building, place.grid)
        p = Plan(
            place=place,
            building=building,
            matter=matter,
            text=written.format(**slots),
            result=done.format(**slots),
            at=self.moment(channel, day),
            channel=channel,
            handler=handler,
            resident=self.resident(place, building),
        )
        p.follow_ups = self.satisfaction()
        p.resident_rates = channel in {Channel.QR, Channel.COLUMN} and rng.random() < 0.25
        p.late_response = rng.random() < 0.06
        p.late_resolve = rng.random() < 0.06
        p.photo_before = rng.random() < (0.1 if channel == Channel.QR else 0.12)
        p.photo_after = rng.random() < 0.1
        p.hidden = rng.random() < 0.015
        p.triage = rng.random() < 0.15
        if handler in {"grid", "department"} and rng.random() < 0.04:
            p.returns = 1
        x = rng.random()
        if x < 0.02:
            p.suspend = "resume"
        elif x < 0.06:
            p.extension = rng.choices(("approve", "refuse"), weights=(7, 3))[0]
        if (
            place.first
            and handler in {"grid", "village"}
            and matter.code in WHISTLE_MATTERS
            and rng.random() < 0.27
        ):
            p.whistle = rng.choices(("closed", "coordinated", "unresolved"), weights=(86, 11, 3))[0]
            p.follow_ups = (rng.choice((Satisfaction.SATISFIED, Satisfaction.BASIC)),)
            p.suspend = p.extension = ""
            p.returns = 0
        return p

    def quotas(self) -> None:
        """Requests that stopped somewhere, so every queue and list has something: the
        newest still moving, a few old ones stuck (overdue, suspended, awaiting follow-up)."""
        rng = self.rng
        plain = [
            p
            for p in self.plans
            # Urgent matters (danger, utilities) are dealt with, not left waiting.
            if p.end == "closed"
            and not p.stop
            and not p.whistle
            and p.patrol is None
            and not p.urgent
        ]
        rng.shuffle(plain)

        taken: set[int] = set()

        def take(lo: int, hi: int, n: int, fn: Callable[[Plan], None]) -> None:
            chosen = [p for p in plain if lo <= self.age(p) <= hi and id(p) not in taken][:n]
            for p in chosen:
                fn(p)
                taken.add(id(p))

        def stop(stage: str) -> Callable[[Plan], None]:
            def fn(p: Plan) -> None:
                p.stop = stage

            return fn

        def returned(p: Plan) -> None:
            p.returns, p.stop = 1, "returned"
            if p.handler not in {"grid", "department"}:
                p.handler = "grid"

        def suspended(p: Plan) -> None:
            p.suspend, p.extension = "stay", ""

        def pending(p: Plan) -> None:
            p.extension, p.suspend = "pending", ""

        def reopened(p: Plan) -> None:
            p.follow_ups = (Satisfaction.UNSATISFIED,)

        def overdue(p: Plan) -> None:
            p.stop, p.supervise = "in_progress", True

        def hidden(p: Plan) -> None:
            p.hidden = True

        def refused(p: Plan) -> None:
            p.extension, p.suspend = "refuse", ""

        def resumed(p: Plan) -> None:
            p.suspend, p.extension = "resume", ""

        take(3, 7, 2, stop("received"))
        take(3, 8, 4, stop("accepted"))
        take(3, 9, 6, stop("assigned"))
        take(1, 12, 4, returned)
        take(1, 6, 8, stop("in_progress"))
        take(9, 30, 5, overdue)
        take(31, DAYS, 2, overdue)
        take(3, 60, 5, suspended)
        take(3, 12, 3, pending)
        take(1, 8, 10, stop("resolved"))
        take(2, 14, 8, stop("followed_up"))
        take(20, DAYS, 3, stop("followed_up"))
        take(3, 20, 3, reopened)
        # Whistles still open: raised a week or two ago in 迎秀, the street still on them.
        for p in [
            p
            for p in plain
            if p.place.first
            and p.handler in {"grid", "village"}
            and 8 <= self.age(p) <= 16
            and id(p) not in taken
        ][:3]:
            p.whistle, p.returns, p.suspend, p.extension = "open", 0, "", ""
            taken.add(id(p))
        # Side roads the random draws give anyway, made certain whatever the build day.
        take(20, DAYS, 2, hidden)
        take(20, DAYS, 2, refused)
        take(20, DAYS, 2, resumed)
        # Every whistle outcome, in about the seeds' proportions (83 / 73 closed / 10 coordinated).
        older = [p for p in self.plans if p.whistle == "closed" and self.age(p) > 20]
        coordinated = sum(p.whistle == "coordinated" for p in self.plans)
        for n, p in enumerate(older[: 1 + max(0, 3 - coordinated)]):
            p.whistle = "unresolved" if n == 0 else "coordinated"

    def showcases(self) -> None:
        """The seeds' situations, told in full (DOMAIN.md §4)."""
        rng = self.rng
        home, sibling = self.first[0], self.first[-1]
        # A leaking roof: returned three times, up to the community, whistled to the street,
        # the housing bureau reports in and repairs it; the resident rates it 基本满意.
        building = home.grid.buildings[min(2, len(home.grid.buildings) - 1)]
        p = self.plan(home, building, Channel.QR, self.today - dt.timedelta(days=40))
        p.matter = next(m for m in MATTERS if m.code == "building_repair")
        p.text = self.s.fill(LEAKING_ROOF, building, home.grid)
        p.result = "住建局工程队对楼顶整体重做防水、更换破损落水管，雨后逐户查看不再渗漏。"
        p.handler, p.returns, p.whistle, p.end, p.stop = "grid", 3, "closed", "closed", ""
        p.suspend = p.extension = ""
        p.follow_ups, p.resident_rates = (Satisfaction.BASIC,), True
        p.photo_before = p.photo_after = True
        p.hidden = False
        if p.resident and not p.resident[3]:
            p.resident = next((r for r in home.residents if r[3]), p.resident)
        self.plans.append(p)
        # The heating project left half-done (003): coordinated by the street.
        p = self.plan(
            sibling, rng.choice(sibling.grid.buildings), Channel.WALK_IN, self.day(24, 26)
        )
        p.matter = next(m for m in MATTERS if m.code == "heating")
        p.text = self.s.fill(HEATING_PROJECT, p.building, sibling.grid)
        p.handler, p.whistle, p.returns, p.suspend, p.extension = (
            "village",
            "coordinated",
            0,
            "",
            "",
        )
        p.follow_ups, p.stop, p.end = (Satisfaction.BASIC,), "", "closed"
        self.plans.append(p)
        # The building leader registers dark stairwells; solar lights two days later (001).
        bl = home.grid.buildings[0]
        p = self.plan(home, bl, Channel.BUILDING_LEADER, self.day(15, 18))
        p.matter = MATTERS[0]
        p.text = self.s.fill(SOLAR_LIGHTS, bl, home.grid)
        p.result = "已在楼道每层安装太阳能照明灯，天黑自动亮灯，楼栋长逐层试过。"
        p.handler, p.returns, p.suspend, p.extension, p.whistle = "grid", 0, "", "", ""
        p.late_resolve = p.late_response = p.hidden = False
        p.photo_before = p.photo_after = True
        p.follow_ups, p.stop, p.end = (Satisfaction.SATISFIED,), "", "closed"
        self.plans.append(p)

    def duplicates(self, survivors: int) -> None:
        """Some residents report what a neighbour already did: merged into the survivor, or
        they add their support (附议) on the public page."""
        rng = self.rng
        pool = [p for p in self.plans if p.end == "closed" and p.matter is not OTHER]
        rng.shuffle(pool)
        for survivor in pool[:survivors]:
            for _ in range(rng.choice((1, 1, 2))):
                channel = rng.choice((Channel.QR, Channel.QR, Channel.PHONE))
                at = survivor.at + dt.timedelta(minutes=rng.randint(20, 1000))
                dup = Plan(
                    place=survivor.place,
                    building=survivor.building,
                    matter=survivor.matter,
                    # The same problem in a neighbour's words.
                    text=rng.choice(DUPLICATE_OPENINGS) + survivor.text,
                    at=at,
                    channel=channel,
                    handler=survivor.handler,
                    end="merged",
                    into=survivor.holder,
                    resident=self.resident(survivor.place, survivor.building),
                )
                self.plans.append(dup)
        for survivor in pool[survivors : survivors + 30]:
            for _ in range(rng.choice((1, 2, 3))):
                at = survivor.at + dt.timedelta(minutes=rng.randint(60, 1800))
                phone = mobile_phone(rng) if rng.random() < 0.6 else ""
                self.supports.append((survivor.holder, at, phone))

    # Mediations, errands, patrols -----------------------------------------------------------

    def mediation_plans(self, count: int, ledger: dict[int, list[tuple[int, str, str]]]) -> None:
        rng = self.rng
        weights = [d.weight for d in DISPUTES]
        for i in range(count + 2):
            place = self.place() if i >= 2 else self.first[i % len(self.first)]
            building = rng.choice(place.grid.buildings)
            pool = place.by_building.get(building.unit.pk) or place.residents
            applicant = rng.choice(pool)
            others = [r for r in pool if r[1] != applicant[1]] or pool
            respondent = rng.choice(others)
            if i == 0:  # the restaurant flooded by the drains of the flats above (003)
                text, sessions, agreement = RESTAURANT
                m = self.mediation_plan(
                    place, building, "neighbour_dispute", "邻里纠纷（管道反水）"
                )
                m.text = self.s.fill(text, building, place.grid)
                m.sessions, m.agreement_text = sessions, agreement
                m.applicant, m.applicant_name = None, person_name(rng, "M") + "（一楼饭店经营者）"
                m.respondent = respondent
                m.at = staff_moment(rng, self.day(45, 55))
            else:
                d = DISPUTES[3] if i == 1 else rng.choices(DISPUTES, weights=weights, k=1)[0]
                m = self.mediation_plan(place, building, d.code, d.kind)
                m.text = self.s.fill(rng.choice(d.texts), building, place.grid)
                m.sessions = d.sessions[: rng.randint(1, len(d.sessions))] if i else d.sessions
                m.agreement_text, m.failed_text = rng.choice(d.agreements), d.failed
                m.applicant, m.respondent = applicant, respondent
                m.at = staff_moment(rng, self.day(*{1: (60, 75), 2: (30, DAYS)}.get(i, (1, DAYS))))
                if i > 1:
                    # One in ten fails (the third always, so the success rate is below 100 %).
                    m.agreement = i != 2 and rng.random() < 0.9
                    m.unstable = m.agreement and rng.random() < 0.08
            if m.applicant and m.applicant[3] and rng.random() < 0.5:
                m.applicant_phone = crypto.decrypt(m.applicant[3])
            self.mediations.append(m)
        recent = [m for m in self.mediations[3:] if (self.today - m.at.date()).days <= 20]
        for m, stop in zip(recent, ("sessions", "sessions", "revisit"), strict=False):
            m.stop = stop

    def mediation_plan(
        self, place: Place, building: DemoBuilding, code: str, kind: str
    ) -> MediationPlan:
        teams = self.teams[place.community_unit.pk]
        return MediationPlan(
            place=place,
            building=building,
            code=code,
            kind=kind,
            text="",
            at=timezone.now(),
            channel=self.rng.choice((Channel.VISIT, Channel.VISIT, Channel.WALK_IN, Channel.PHONE)),
            team=self.rng.choice(teams),
            applicant=None,
            respondent=None,
            sessions=(),
            agreement_text="",
            failed_text="",
        )

    def errand_plans(self, count: int, ledger: dict[int, list[tuple[int, str, str]]]) -> None:
        """Errands for residents of the livelihood ledger (so each links to its entry)."""
        rng = self.rng
        services = [e for e in ERRANDS]
        weights = [e[3] for e in services]
        for i in range(count + 1):
            place = self.first[0] if i == 0 else self.place()
            service, mode, tags, _ = (
                services[0] if i == 0 else rng.choices(services, weights=weights, k=1)[0]
            )
            people = [r for r in ledger.get(place.grid.unit.pk, []) if r[2] in tags]
            if not people:
                continue
            resident_id, name, _tag = rng.choice(people)
            channel = rng.choice((Channel.VISIT,) * 3 + (Channel.PHONE, Channel.WALK_IN))
            day = self.day(5, 8) if i == 0 else self.day()
            e = ErrandPlan(
                place=place,
                resident_id=resident_id,
                service=service,
                mode=mode,
                at=staff_moment(rng, day),
                channel=channel,
                on_the_spot=i == 0 or rng.random() < 0.8,
                description=PENSION_NOTE if service == "养老金资格认证" else "",
            )
            self.errands.append(e)
        late = [e for e in self.errands[1:] if 2 <= (self.today - e.at.date()).days <= 12]
        for e in late[:2]:
            e.on_the_spot, e.stop = False, "open"
        for e in late[2:5]:
            e.stop = "resolved"

    def patrol_plans(self) -> None:
        """wangge patrols nearly every working day, wangge2 on some; a third of patrols find
        something, filed at once as a request."""
        rng = self.rng
        day = self.today - dt.timedelta(days=DAYS)
        walkers = (
            [(self.first[0], 0.95), (self.first[-1], 0.4)]
            if len(self.first) > 1
            else [(self.first[0], 0.95)]
        )
        while day < self.today:
            if calendar.is_workday(day):
                for place, share in walkers:
                    if rng.random() >= share:
                        continue
                    start = timezone.make_aware(
                        dt.datetime.combine(day, dt.time(8, 40))
                        + dt.timedelta(minutes=rng.randint(0, 100))
                    )
                    end = start + dt.timedelta(minutes=rng.randint(70, 150))
                    grid = place.grid
                    compound = self.s.fill("{c}", grid.buildings[0], grid)
                    pp = PatrolPlan(
                        worker=place.worker,
                        grid=grid,
                        start=start,
                        end=end,
                        route=rng.choice(PATROL_ROUTES).format(c=compound, n=len(grid.buildings)),
                        note=rng.choice(PATROL_NOTES),
                    )
                    self.patrols.append(pp)
                    found = rng.choices((0, 1, 2), weights=(70, 25, 5))[0]
                    for k in range(found):
                        code, written, done = rng.choice(PATROL_FINDINGS)
                        matter = next(m for m in MATTERS if m.code == code)
                        building = rng.choice(grid.buildings)
                        p = self.plan(place, building, Channel.PATROL, day)
                        p.matter, p.patrol = matter, pp
                        p.handler = (
                            matter.handler if place.first or matter.handler != "village" else "grid"
                        )
                        slots = self.s.slots(building, grid)
                        p.text, p.result = written.format(**slots), done.format(**slots)
                        p.at = start + dt.timedelta(minutes=15 + k * 25 + rng.randint(0, 20))
                        p.photo_before = rng.random() < 0.25
                        p.resident = None
                        self.plans.append(p)
            day += dt.timedelta(days=1)


# --- fixed lookups ---------------------------------------------------------------------------

# (module, function) pairs whose answers cannot change during the replay: the replay writes
# requests only, never units, posts, departments, categories, time limits or settings.
# Replaced by memoized versions everywhere they were imported by name.
SERVICE_MODULES = ("config", "intake", "lifecycle", "routing", "sla", "whistles") + (
    "mediation",
    "errands",
    "patrol",
    "duplicates",
)


def _unit_key(unit: Any, perm: str) -> tuple[int | None, str]:
    return (unit.pk if unit is not None else None, perm)


@contextmanager
def fixed_lookups() -> Iterator[None]:
    """Answer the services' look-ups of fixed configuration from memory during the replay.

    Each answer is what the database gives on first asking (units above a place, users
    holding a post, whether an assignee works in a unit);
    copies of lists are handed out so a caller extending one does not change the next.
    About a fifth of the replay's queries, with the same data written."""
    from lianxin.cases.services import lifecycle, routing

    def memo(
        fn: Callable[..., Any], key: Callable[..., Any], copy: bool = False
    ) -> Callable[..., Any]:
        cache: dict[Any, Any] = {}

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            k = key(*args, **kwargs)
            if k not in cache:
                cache[k] = fn(*args, **kwargs)
            return list(cache[k]) if copy else cache[k]

        return wrapper

    replaced = {
        routing.ancestor_of_kind: memo(routing.ancestor_of_kind, lambda path, kind: (path, kind)),
        lifecycle._user_ids_at: memo(lifecycle._user_ids_at, _unit_key, copy=True),
        lifecycle.department_user_ids: memo(
            lifecycle.department_user_ids, lambda dept: dept, copy=True
        ),
        # Raises for a wrong assignee (not cached); None when the assignee is fine.
        lifecycle._check_assignee: memo(
            lifecycle._check_assignee, lambda user_id, unit: (user_id, unit.pk)
        ),
        # Time limits and the settings row are per-process snapshots already (core.snapshot).
    }
    undo: list[tuple[Any, str, Any]] = []
    for name in SERVICE_MODULES:
        spec = importlib.util.find_spec(f"lianxin.cases.services.{name}")
        if spec is None:
            continue
        module = importlib.import_module(f"lianxin.cases.services.{name}")
        for attr, value in list(vars(module).items()):
            if callable(value) and value in replaced:
                undo.append((module, attr, value))
                setattr(module, attr, replaced[value])
    try:
        yield
    finally:
        for module, attr, value in undo:
            setattr(module, attr, value)


# --- entry point ---------------------------------------------------------------------------


def build_cases(
    rng: random.Random,
    today: dt.date,
    grids: list[DemoGrid],
    accounts: Any,
) -> dict[str, int]:
    """Replay about four months of requests of the demo street up to `today` (exclusive).

    `grids` are the demo grids (the first two are 迎秀's), `accounts` the result of
    `demo.accounts.build_accounts`. Returns the counts for the builder's summary."""
    horizon = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    users: dict[str, User] = accounts.users
    cast = _cast(users, accounts.workers_by_grid)
    first_community = grids[0].community
    street = first_community.parent
    assert street is not None  # a community always lies in a street or township
    places = _places(grids, cast, first_community.pk)
    teams = _teams(grids, first_community.pk)
    categories = {c.code: c for c in Category.objects.all()}
    replay = Replay(rng, horizon)
    stories = Stories(replay, cast, categories, street)
    planner = Planner(stories, places, today, teams)

    available = {
        name: importlib.util.find_spec(f"lianxin.cases.services.{name}") is not None
        for name in ("mediation", "errands", "patrol", "duplicates")
    }
    planner.ordinary(ORDINARY)
    if available["patrol"]:
        planner.patrol_plans()
    planner.showcases()
    planner.quotas()
    planner.duplicates(24)
    ledger = _ledger(street.path, grids) if available["errands"] else {}
    if available["mediation"]:
        planner.mediation_plans(34, ledger)
    if available["errands"]:
        planner.errand_plans(58, ledger)

    for plan in planner.plans:
        replay.add(stories.ordinary(plan))
    for pp in planner.patrols:
        replay.add(stories.patrol(pp))
    if available["duplicates"]:
        for holder, at, phone in planner.supports:
            replay.add(stories.support(holder, at, phone))
    for m in planner.mediations:
        replay.add(stories.mediation(m))
    for e in planner.errands:
        replay.add(stories.errand(e))
    replay.add(stories.sweeps(today - dt.timedelta(days=DAYS), horizon))
    with fixed_lookups():
        replay.run()
    _restore_times(replay, horizon)

    cases = Case.objects.filter(place_path__startswith=street.path)
    counts = {
        "cases": cases.count(),
        "cases_open": cases.filter(status__in=wf.OPEN_STATUSES).count(),
        "cases_overdue": cases.filter(sla_state="overdue").count(),
        "case_events": CaseEvent.objects.filter(place_path__startswith=street.path).count(),
        "case_photos": CasePhoto.objects.filter(case__place_path__startswith=street.path).count(),
        "whistles": Whistle.objects.filter(place_path__startswith=street.path).count(),
        "mediations": cases.filter(kind="mediation").count(),
        "errands": cases.filter(kind="errand").count(),
        "patrol_logs": len(planner.patrols),
    }
    if replay.result.failures:
        counts["case_steps_failed"] = len(replay.result.failures)
    return counts


def _cast(users: dict[str, User], workers_by_grid: dict[int, User]) -> Cast:
    by_name = {name: Actor.for_user(user) for name, user in users.items()}
    workers = {
        grid_pk: by_name.get(user.username) or Actor.for_user(user)
        for grid_pk, user in workers_by_grid.items()
    }
    bumen = by_name["bumen"]
    dept_id = bumen.primary_post.department_id if bumen.primary_post else None
    departments = list(Department.objects.order_by("id"))
    zhujian = next(d for d in departments if d.pk == dept_id)
    return Cast(by_name, workers, zhujian, [d for d in departments if d.pk != dept_id])


def _places(grids: list[DemoGrid], cast: Cast, first_pk: int) -> list[Place]:
    buildings = {b.unit.pk: g for g in grids for b in g.buildings}
    rows = (
        Resident.objects.filter(household__unit_id__in=list(buildings), is_active=True)
        .values_list("id", "household_id", "name", "phone_cipher", "household__unit_id")
        .order_by("id")
    )
    places = {
        g.unit.pk: Place(
            grid=g,
            worker=cast.workers[g.unit.pk],
            first=g.community.pk == first_pk,
            dispatcher=cast["shequ"] if g.community.pk == first_pk else cast["jiedao"],
        )
        for g in grids
    }
    for rid, hid, name, cipher, unit_id in rows:
        place = places[buildings[unit_id].unit.pk]
        row = (rid, hid, name, cipher)
        place.residents.append(row)
        place.by_building.setdefault(unit_id, []).append(row)
    return list(places.values())


def _teams(grids: list[DemoGrid], first_pk: int) -> dict[int, list[MediationTeam]]:
    """A 多元调解队 per community; 迎秀 also has a 矛盾工作室 (003)."""
    teams: dict[int, list[MediationTeam]] = {}
    for grid in grids:
        community = grid.community
        if community.pk in teams:
            continue
        teams[community.pk] = [
            MediationTeam.objects.create(
                unit=community,
                name=f"{community.display_name}多元调解队",
                kind="team",
                members="社区民警、社区两委干部、退休律师、老党员",
            )
        ]
        if community.pk == first_pk:
            teams[community.pk].append(
                MediationTeam.objects.create(
                    unit=community,
                    name=f"{community.display_name}邻里矛盾工作室",
                    kind="room",
                    members="社区调解员、楼栋长、志愿者",
                )
            )
    return teams


def _ledger(street_path: str, grids: list[DemoGrid]) -> dict[int, list[tuple[int, str, str]]]:
    """Residents of the livelihood ledger per grid: (resident id, name, tag code)."""
    grid_of = {b.unit.pk: g.unit.pk for g in grids for b in g.buildings}
    out: dict[int, list[tuple[int, str, str]]] = {}
    rows = (
        LedgerEntry.objects.filter(is_active=True, resident__household__unit_id__in=list(grid_of))
        .values_list("resident_id", "resident__name", "tag__code", "resident__household__unit_id")
        .order_by("id")
    )
    for rid, name, tag, unit_id in rows:
        out.setdefault(grid_of[unit_id], []).append((rid, name, tag))
    return out


def _restore_times(replay: Replay, horizon: dt.datetime) -> None:
    """Put rows whose timestamps the database fills in (auto_now) back on the replayed clock:
    inbox items and outbound messages at the step that wrote them (read when older than two
    days), requests, whistles, photos and supporters at their events."""
    marks = replay.checkpoints
    read_before = horizon - dt.timedelta(days=2)
    for column, model in enumerate(STAMPED):
        ids = [m[0][column] for m in marks]
        rows = list(model.objects.only("id", "created_at").order_by("id"))  # type: ignore[attr-defined]
        for row in rows:
            i = bisect.bisect_left(ids, row.pk)
            if i == len(marks):
                continue  # written after the replay (none today)
            row.created_at = marks[i][1]
            if model is Notification:
                # Staff have read what is older than two days.
                row.read_at = (
                    row.created_at + dt.timedelta(hours=3) if row.created_at < read_before else None
                )
        fields = ["created_at", "read_at"] if model is Notification else ["created_at"]
        model.objects.bulk_update(rows, fields, batch_size=500)  # type: ignore[attr-defined]

    last_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    Case.objects.update(
        created_at=F("received_at"), updated_at=Subquery(last_event.values("created_at")[:1])
    )
    Whistle.objects.update(created_at=F("raised_at"), updated_at=F("raised_at"))
    Whistle.objects.filter(closed_at__isnull=False).update(updated_at=F("closed_at"))
    CasePhoto.objects.filter(event__isnull=False).update(
        created_at=Subquery(
            CaseEvent.objects.filter(pk=OuterRef("event_id")).values("created_at")[:1]
        )
    )
