"""Expansion of the batch-create textarea: one name per line, or a numbered range per line.

Staff set up a community by typing ``迎秀小区1-12号楼`` instead of twelve lines. A line holds
either a plain name or exactly one range ``<prefix><from><sep><to><suffix>`` with ``sep`` one
of ``-``, ``－``, ``~``, ``～``. A line that looks like a range but is not a usable one
(descending, too long, two ranges) is refused with the line quoted, never silently kept as a
literal name: a typo would otherwise create one oddly named building instead of twelve.
"""

from __future__ import annotations

import re

from lianxin.core.errors import DomainError

BATCH_MAX = 200
FIELD = "names"

_SEP = r"\s*[-－~～]\s*"
_RANGE = re.compile(rf"^(?P<prefix>.*?)(?P<start>[0-9]+){_SEP}(?P<end>[0-9]+)(?P<suffix>.*)$")
# Zero-width, so that "1-2-3" counts two ranges (they overlap on "2").
_RANGE_SPOT = re.compile(rf"(?=(?<![0-9])[0-9]+{_SEP}[0-9])")


def _line_label(number: int, line: str) -> str:
    return f"第 {number} 行“{line}”"


def _expand_line(number: int, line: str) -> list[str]:
    match = _RANGE.match(line)
    if match is None:
        return [line]
    if len(_RANGE_SPOT.findall(line)) > 1:
        raise DomainError(
            f"{_line_label(number, line)}：每行只能写一个范围，如“迎秀小区1-12号楼”。",
            field=FIELD,
        )
    start_text, end_text = match["start"], match["end"]
    start, end = int(start_text), int(end_text)
    if start >= end:
        raise DomainError(f"{_line_label(number, line)}：范围须从小到大，如“1-12”。", field=FIELD)
    if end - start + 1 > BATCH_MAX:
        raise DomainError(
            f"{_line_label(number, line)}：一个范围最多 {BATCH_MAX} 个（现有 {end - start + 1} 个）。",
            field=FIELD,
        )
    # "01-12" keeps its width (01, 02, … 12); "1-12" does not pad.
    width = len(start_text) if start_text.startswith("0") and len(start_text) > 1 else 0
    prefix, suffix = match["prefix"], match["suffix"]
    return [
        f"{prefix}{n:0{width}d}{suffix}" if width else f"{prefix}{n}{suffix}"
        for n in range(start, end + 1)
    ]


def expand_names(text: str, *, limit: int = BATCH_MAX) -> list[str]:
    """The names a textarea stands for, in order: blank lines skipped, spaces collapsed,
    each range line expanded. More than `limit` names in all is refused (before building them).
    """
    names: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        names.extend(_expand_line(number, line))
        if len(names) > limit:
            raise DomainError(f"一次最多新建 {limit} 个，请分批填写。", field=FIELD)
    return names
