"""Believable generated people for the demo: names, birth dates, ID numbers, phones.

Everything draws from one `random.Random` so the demo is the same on every machine.
The names are generated from common characters; any match with a real person is chance.
"""

from __future__ import annotations

import datetime as dt
import random

from lianxin.core.idnumber import make_id_number

# Common surnames in Henan, grouped by a rough relative frequency (weight → surnames).
_SURNAMES_BY_WEIGHT: dict[int, str] = {
    12: "王",
    11: "李张",
    7: "刘",
    5: "陈杨",
    4: "赵",
    3: "周孙马郭",
    2: "黄吴徐朱胡高郑宋许韩冯曹田董程魏",
    1: "何林罗梁谢唐邓彭曾袁潘于蒋蔡余杜叶苏吕丁任薛范牛岳崔史",
}
SURNAMES: tuple[str, ...] = tuple(
    s for w, group in _SURNAMES_BY_WEIGHT.items() for s in group for _ in range(w)
)

_MALE_CHARS = "国建军伟强磊洋勇俊杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健文博志海东林峰永庆德新利"
_FEMALE_CHARS = "秀芳丽敏静燕娟霞艳玲桂英红梅兰琳婷雪慧颖倩洁琴云莉萍佳欣怡悦晨雨"
_NEUTRAL_CHARS = "春晓明玉金宏清晨思子安嘉一天"


def person_name(rng: random.Random, sex: str, surname: str | None = None) -> str:
    """A two- or three-character name built from common characters for the given sex."""
    surname = surname or rng.choice(SURNAMES)
    pool = _MALE_CHARS if sex == "M" else _FEMALE_CHARS
    if rng.random() < 0.35:
        return surname + rng.choice(pool)
    first = rng.choice(pool + _NEUTRAL_CHARS)
    second = rng.choice(pool)
    if second == first:
        second = rng.choice(pool)
    return surname + first + second


def birth_date(rng: random.Random, today: dt.date, age_low: int, age_high: int) -> dt.date:
    """A birth date giving an age in [age_low, age_high] on `today`."""
    age = rng.randint(age_low, age_high)
    # 365.25 days a year keeps the age exact apart from a day at the edges.
    return today - dt.timedelta(days=int(age * 365.25) + rng.randint(1, 363))


class IdNumbers:
    """Valid, unique ID numbers (GB 11643) under one area code; the sequence digit carries sex."""

    def __init__(self, rng: random.Random, area_code: str) -> None:
        self.rng = rng
        self.area_code = area_code
        self.used: set[tuple[dt.date, int]] = set()

    def make(self, birth: dt.date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 1000)
            # The third sequence digit is odd for men and even for women.
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            if (birth, seq) not in self.used:
                self.used.add((birth, seq))
                return make_id_number(self.area_code, birth, seq)


_PHONE_PREFIXES = tuple(
    "130 131 132 135 136 137 138 139 150 151 152 155 156 157 158 159 166 176 177 180 182 185 "
    "186 187 188 189 199".split()
)


def mobile_phone(rng: random.Random) -> str:
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"
