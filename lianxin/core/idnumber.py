"""Resident ID numbers (GB 11643-1999): structure, birth date and the MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_MAP = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    area_code: str


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_MAP[total % 11]


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate an 18-character ID number; raise InvalidIdNumber with a Chinese reason."""
    number = (value or "").strip().upper().replace(" ", "")
    if not number:
        raise InvalidIdNumber("身份证号不能为空")
    if len(number) != 18:
        raise InvalidIdNumber(f"身份证号应为18位，实际为{len(number)}位")
    if not _PATTERN.match(number):
        raise InvalidIdNumber("身份证号只能包含数字，最后一位可以是X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("身份证号中的出生日期不存在") from exc
    today = today or dt.date.today()  # noqa: DTZ011 - a calendar date, not a moment
    if birth > today or birth.year < 1890:
        raise InvalidIdNumber("身份证号中的出生日期不合理")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber("身份证号校验位错误")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, birth_date=birth, sex=sex, area_code=number[:6])


def make_id_number(area_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID number (used by the demo generator and tests)."""
    first17 = f"{area_code[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_character(first17)
