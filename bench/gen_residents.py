"""Generate a realistic residents import file (the people app's `residents` template).

Usage:  python bench/gen_residents.py N out.xlsx

Rows follow the template columns (楼栋, 门牌, 姓名, 身份证号, 手机号, 与户主关系, 备注). Households
of 1–5 people live at doors "U单元FRR" of buildings named "幸福小区K号楼" (see `building_names`),
so bench/import_residents.py can create the same buildings first. ID numbers are valid (GB 11643,
`lianxin.core.idnumber.make_id_number`) and unique; birth dates and sexes are plausible for the
relation; four in five adults have a mobile number. Deterministic for a given N (seeded).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lianxin.core.idnumber import make_id_number  # noqa: E402

HEADERS = ["楼栋", "门牌", "姓名", "身份证号", "手机号", "与户主关系", "备注"]
AREAS = [
    "410802",
    "410803",
    "410804",
    "410811",
    "410821",
    "410822",
    "410823",
    "410825",
    "410882",
    "410883",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡子涵梓轩雨桐一诺思远佳琪俊凯海燕春梅德福金凤淑珍秀英振华"
HOUSEHOLD_SIZES = [1, 2, 2, 3, 3, 3, 4, 4, 5]
DOORS_PER_BUILDING = 6 * 18 * 2  # 6 units, 18 floors, 2 doors a floor


def building_names(rows: int) -> list[str]:
    """The buildings a file of `rows` residents uses (about 2.9 people per household)."""
    households = max(1, rows * 10 // 29)
    count = max(1, -(-households // DOORS_PER_BUILDING))
    return [f"幸福小区{k}号楼" for k in range(1, count + 1)]


def _doors() -> list[str]:
    return [f"{u}单元{f}{r:02d}" for u in range(1, 7) for f in range(1, 19) for r in (1, 2)]


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(
        rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
    )


def _birth(rng: random.Random, low: int, high: int, today: dt.date) -> dt.date:
    age = rng.randint(low, high)
    return today - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def generate(n: int, out: Path, *, seed: int = 20260301) -> int:
    """Write `n` resident rows to `out`; returns the number of households."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    today = dt.date(2026, 1, 1)
    buildings = building_names(n)
    doors = [(b, d) for b in buildings for d in _doors()]
    used_ids: set[str] = set()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    ws.append(HEADERS)
    written = households = 0

    def new_id(birth: dt.date, male: bool) -> str:
        while True:
            seq = rng.randrange(0, 1000)
            seq = seq - seq % 2 + (1 if male else 0)  # odd = male
            number = make_id_number(rng.choice(AREAS), birth, seq % 1000)
            if number not in used_ids:
                used_ids.add(number)
                return number

    def phone() -> str:
        return rng.choice(("13", "15", "18", "17")) + f"{rng.randrange(10**9):09d}"

    for building, door in doors:
        if written >= n:
            break
        households += 1
        size = min(rng.choice(HOUSEHOLD_SIZES), n - written)
        surname = rng.choice(SURNAMES)
        head_birth = _birth(rng, 25, 85, today)
        members: list[tuple[str, str, dt.date, bool]] = [
            ("户主", _name(rng, surname), head_birth, rng.random() < 0.55)
        ]
        if size >= 2:
            spouse_birth = head_birth + dt.timedelta(days=rng.randint(-1500, 1500))
            members.append(
                (
                    "配偶",
                    _name(rng),
                    min(spouse_birth, today - dt.timedelta(days=18 * 366)),
                    not members[0][3],
                )
            )
        for _ in range(size - len(members)):
            child_birth = head_birth + dt.timedelta(days=rng.randint(22 * 365, 38 * 365))
            child_birth = min(child_birth, today - dt.timedelta(days=rng.randint(30, 3000)))
            members.append(("子女", _name(rng, surname), child_birth, rng.random() < 0.5))
        for relation, name, birth, male in members:
            adult = (today - birth).days >= 18 * 365
            ws.append(
                [
                    building,
                    door,
                    name,
                    new_id(birth, male),
                    phone() if adult and rng.random() < 0.8 else "",
                    relation,
                    "",
                ]
            )
            written += 1
    if written < n:
        raise SystemExit(f"not enough doors for {n} rows")
    wb.save(out)
    return households


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    n, out = int(argv[0]), Path(argv[1])
    households = generate(n, out)
    print(
        f"wrote {n} residents in {households} households ({len(building_names(n))} buildings) to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
