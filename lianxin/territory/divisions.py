"""Official division data (统计用区划代码): display names and the import of a code prefix.

The package ships compact files ``data/divisions-<prefix>.csv.xz`` built by
``scripts/build_divisions.py`` from the NBS 2023 edition (rows ``code,level,name``; level 1
province … 5 village). `import_prefix("4108")` loads every unit under 焦作 plus its ancestors.
The import is idempotent: a unit is keyed by its short code, so a second run only updates
names. It writes with bulk operations (no per-row signals), so it records one audit event and
one `UnitChange` per run instead of one per row.
"""

from __future__ import annotations

import csv
import io
import lzma
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from lianxin.territory.models import Unit, UnitChange, UnitKind

DATA_DIR = Path(__file__).resolve().parent / "data"
FILE_PATTERN = "divisions-*.csv.xz"

LEVEL_KINDS: dict[int, str] = {
    1: UnitKind.PROVINCE,
    2: UnitKind.CITY,
    3: UnitKind.COUNTY,
    4: UnitKind.TOWNSHIP,
    5: UnitKind.VILLAGE,
}
CODE_LENGTHS: dict[int, int] = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
KIND_LABELS: dict[str, str] = dict(UnitKind.choices)
BATCH = 1000


class DivisionError(Exception):
    """The requested prefix cannot be imported (not covered, malformed, or bad data file)."""


# --- display names ---------------------------------------------------------------------------

# Committee forms of village/community names, tolerant of the typos found in the published
# data ("村民委会", "村民员委会", "居民居委会", "委员会会", "居民管理委员会"…). The base is lazy so that
# "东关村村民委员会" keeps its own 村 ("东关村") instead of becoming "东关村村".
_COMMITTEE = re.compile(
    r"^(?P<base>.+?)"
    r"(?P<kind>社区居民居|社区居民|社区居|社区|居民居|居民|居|村民|村|嘎查)"
    r"(?:管理|员)?(?:委员会|员委会|委会|委员|委)+会*$"
)
_COMMITTEE_SUFFIX = {"村民": "村", "村": "村", "嘎查": "嘎查"}  # everything else → 社区
# Trailing remarks in full-width or ASCII brackets: "新月村委会（新月工业小区）（省级）".
_REMARKS = re.compile(r"(?P<remarks>(?:[（(][^（()）]*[)）])+)$")
_TOWNSHIP_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<base>.+?)街道办事处$"), "街道"),
    (re.compile(r"^(?P<base>.+?)(?:人民政府|政府)$"), ""),
    (re.compile(r"^(?P<base>.+?)办事处$"), "街道"),
    (re.compile(r"^(?P<base>.+?)街道办$"), "街道"),
]
_GOVERNMENT = re.compile(r"^(?P<base>.+?)(?:人民政府|政府)$")


def shorten_name(official: str, kind: str) -> str:
    """The everyday name for an official one: 迎秀居民委员会 → 迎秀社区, 大定街道办事处 → 大定街道.

    Names already short are returned unchanged (only whitespace is normalised); remarks in
    brackets at the end are kept after the shortened name.
    """
    name = " ".join((official or "").split())
    if not name:
        return name
    remarks = ""
    match = _REMARKS.search(name)
    if match and match.start() > 0:
        remarks = match.group("remarks")
        name = name[: match.start()].rstrip()
    return _shorten_core(name, kind) + remarks


def _shorten_core(name: str, kind: str) -> str:
    if kind == UnitKind.VILLAGE:
        match = _COMMITTEE.match(name)
        if not match:
            return name
        base = match.group("base")
        suffix = _COMMITTEE_SUFFIX.get(match.group("kind"), "社区")
        return base if base.endswith(suffix) else base + suffix
    if kind == UnitKind.TOWNSHIP:
        for pattern, suffix in _TOWNSHIP_FORMS:
            match = pattern.match(name)
            if match:
                base = match.group("base")
                return base if not suffix or base.endswith(suffix) else base + suffix
        return name
    if kind in (UnitKind.PROVINCE, UnitKind.CITY, UnitKind.COUNTY):
        match = _GOVERNMENT.match(name)
        return match.group("base") if match else name
    return name


# --- the shipped files -------------------------------------------------------------------------


@dataclass(frozen=True)
class DivisionRow:
    code: str
    level: int
    name: str

    @property
    def kind(self) -> str:
        return LEVEL_KINDS[self.level]


def shipped_files(data_dir: Path | None = None) -> dict[str, Path]:
    """Prefix → file for every ``divisions-<prefix>.csv.xz`` in the data folder."""
    folder = data_dir or DATA_DIR
    files: dict[str, Path] = {}
    for path in sorted(folder.glob(FILE_PATTERN)):
        prefix = path.name[len("divisions-") : -len(".csv.xz")]
        if prefix.isdigit():
            files[prefix] = path
    return files


def _read_rows(path: Path) -> Iterator[DivisionRow]:
    try:
        text = lzma.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, lzma.LZMAError, UnicodeDecodeError) as exc:
        raise DivisionError(f"区划数据文件 {path.name} 无法读取：{exc}") from exc
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != ["code", "level", "name"]:
        raise DivisionError(f"区划数据文件 {path.name} 格式不对：表头应为 code,level,name")
    for lineno, rec in enumerate(reader, start=2):
        try:
            code, level_text, name = rec
            level = int(level_text)
        except ValueError as exc:
            raise DivisionError(f"区划数据文件 {path.name} 第 {lineno} 行格式不对") from exc
        if level not in CODE_LENGTHS or len(code) != CODE_LENGTHS[level] or not code.isdigit():
            raise DivisionError(f"区划数据文件 {path.name} 第 {lineno} 行编码或层级不对：{code}")
        yield DivisionRow(code, level, name)


def _coverage_text(files: dict[str, Path], data_dir: Path | None) -> str:
    """'41（河南省）' for each shipped file, for error messages."""
    parts = []
    for prefix, path in files.items():
        label = ""
        for row in _read_rows(path):
            if row.code == prefix:
                label = row.name
                break
        parts.append(f"{prefix}（{label}）" if label else prefix)
    return "、".join(parts)


def _select_rows(prefix: str, data_dir: Path | None) -> tuple[list[DivisionRow], Path]:
    """The rows under `prefix` plus their ancestors, from the most specific file covering it."""
    files = shipped_files(data_dir)
    if not files:
        raise DivisionError("没有随包的区划数据文件（lianxin/territory/data/divisions-*.csv.xz）")
    covering = [p for p in files if prefix.startswith(p)]
    if not covering:
        raise DivisionError(
            f"区划代码前缀 {prefix} 不在随包数据范围内；随包数据覆盖：{_coverage_text(files, data_dir)}。"
            "其他地区可用 scripts/build_divisions.py --prefix 生成数据文件后再导入。"
        )
    path = files[max(covering, key=len)]
    rows = [r for r in _read_rows(path) if r.code.startswith(prefix) or prefix.startswith(r.code)]
    if not any(r.code.startswith(prefix) for r in rows):
        raise DivisionError(
            f"随包数据中没有以 {prefix} 开头的区划代码；随包数据覆盖：{_coverage_text(files, data_dir)}。"
            "请检查前缀（如 4108 为焦作市，410883 为孟州市）。"
        )
    return rows, path


# --- the import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """Counts per unit kind of one import run."""

    prefix: str
    root_name: str = ""
    source: str = ""
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def total(self, kind: str | None = None) -> int:
        """Units of `kind` (all kinds if None) under the prefix and its ancestors, in the file."""
        kinds = [kind] if kind else list(LEVEL_KINDS.values())
        return sum(
            self.created.get(k, 0) + self.updated.get(k, 0) + self.unchanged.get(k, 0)
            for k in kinds
        )

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def updated_total(self) -> int:
        return sum(self.updated.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "prefix": self.prefix,
            "source": self.source,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
        }

    def summary(self) -> str:
        """One line in Chinese for the CLI and the audit trail."""
        per_kind = "、".join(
            f"{KIND_LABELS[k]} {self.total(k):,}" for k in LEVEL_KINDS.values() if self.total(k)
        )
        return (
            f"区划导入 {self.prefix}（{self.root_name}）：共 {self.total():,} 个单元（{per_kind}），"
            f"新增 {self.created_total:,}，更新 {self.updated_total:,}，"
            f"未变 {sum(self.unchanged.values()):,}；用时 {self.seconds:.1f} 秒"
        )


def _bump(counter: dict[str, int], kind: str) -> None:
    counter[kind] = counter.get(kind, 0) + 1


def import_prefix(
    prefix: str, *, data_dir: Path | None = None, actor_user_id: int | None = None
) -> ImportResult:
    """Import every unit whose code starts with `prefix`, plus its ancestors, idempotently.

    Existing units (matched by short code) keep their place in the tree, their activity state
    and any display name staff chose; only the official name (and the display name derived from
    it) and the 12-digit code are refreshed. Raises `DivisionError` for a prefix the shipped
    files do not cover.
    """
    started = time.monotonic()
    prefix = (prefix or "").strip()
    if not prefix.isdigit() or not 2 <= len(prefix) <= 12:
        raise DivisionError(
            f"区划代码前缀“{prefix}”无效：应为 2 至 12 位数字，如 41、4108、410883。"
        )
    rows, path = _select_rows(prefix, data_dir)
    result = ImportResult(prefix=prefix, source=path.name)

    with transaction.atomic():
        # code → (id, path, depth) of every unit the rows may hang on or match.
        existing: dict[str, tuple[int, str, int, str, str, str]] = {}
        codes = [r.code for r in rows]
        for i in range(0, len(codes), BATCH):
            for pk, code, upath, depth, name, display, stat in Unit.objects.filter(
                code__in=codes[i : i + BATCH]
            ).values_list("id", "code", "path", "depth", "name", "display_name", "stat_code"):
                existing[code] = (pk, upath, depth, name, display, stat)
        placed: dict[str, tuple[int, str, int]] = {
            c: (v[0], v[1], v[2]) for c, v in existing.items()
        }

        to_update: list[Unit] = []
        for level in sorted(CODE_LENGTHS):
            new_units: list[Unit] = []
            for row in (r for r in rows if r.level == level):
                kind = row.kind
                stat_code = row.code.ljust(12, "0")
                if row.code in existing:
                    pk, _upath, _depth, old_name, old_display, old_stat = existing[row.code]
                    display = old_display
                    # A display name staff chose survives; one derived from the old name follows.
                    if (
                        not old_display
                        or old_display == shorten_name(old_name, kind)
                        or old_display == old_name
                    ):
                        display = shorten_name(row.name, kind)
                    if (old_name, old_display, old_stat) != (row.name, display, stat_code):
                        to_update.append(
                            Unit(pk=pk, name=row.name, display_name=display, stat_code=stat_code)
                        )
                        _bump(result.updated, kind)
                    else:
                        _bump(result.unchanged, kind)
                    continue
                parent = placed.get(row.code[: CODE_LENGTHS[level - 1]]) if level > 1 else None
                if level > 1 and parent is None:
                    raise DivisionError(f"区划数据缺少 {row.code} 的上级单元")
                new_units.append(
                    Unit(
                        kind=kind,
                        code=row.code,
                        stat_code=stat_code,
                        name=row.name,
                        display_name=shorten_name(row.name, kind),
                        parent_id=parent[0] if parent else None,
                        path=(parent[1] if parent else "/") + row.code + "/",
                        depth=parent[2] + 1 if parent else 0,
                        sort_order=int(row.code[-3:]) if level > 2 else int(row.code[-2:]),
                    )
                )
                _bump(result.created, kind)
            if new_units:
                Unit.objects.bulk_create(new_units, batch_size=BATCH)
                if any(u.pk is None for u in new_units):
                    # Backends that cannot return ids from a bulk insert: read them back.
                    ids = dict(
                        Unit.objects.filter(code__in=[u.code for u in new_units]).values_list(
                            "code", "id"
                        )
                    )
                    for u in new_units:
                        u.pk = ids[u.code]
                placed.update({u.code: (u.pk, u.path, u.depth) for u in new_units})
        if to_update:
            Unit.objects.bulk_update(
                to_update, ["name", "display_name", "stat_code"], batch_size=BATCH
            )

        root_code = max(
            (r.code for r in rows if prefix.startswith(r.code)), key=len, default=rows[0].code
        )
        root_id, root_path, _ = placed[root_code]
        result.root_name = next(r.name for r in rows if r.code == root_code)
        result.seconds = time.monotonic() - started
        _record(result, root_id=root_id, root_path=root_path, actor_user_id=actor_user_id)
    result.seconds = time.monotonic() - started
    return result


def _record(
    result: ImportResult, *, root_id: int, root_path: str, actor_user_id: int | None
) -> None:
    """One history row and one audit event for the whole run (bulk writes skip the signals)."""
    from lianxin.audit.context import current
    from lianxin.audit.models import AuditEvent
    from lianxin.audit.services import audit_record

    user_id = actor_user_id if actor_user_id is not None else current().user_id
    UnitChange.objects.create(
        unit_id=root_id,
        kind=UnitChange.Kind.IMPORTED,
        actor_id=user_id,
        after=result.as_dict(),
        note=result.summary()[:300],
    )
    audit_record(
        action=AuditEvent.Action.IMPORT,
        object_type="territory.unit",
        object_id=result.prefix,
        object_repr=f"区划导入 {result.prefix}（{result.root_name}）",
        changes=result.as_dict(),
        scope_path=root_path,
    )
