"""Benchmark: import 100,000 residents from Excel, timed against a bare openpyxl read.

How to run (from the repository root, nothing else needed):

    python bench/import_residents.py                 # 100,000 rows, fresh temp SQLite data dir
    python bench/import_residents.py --rows 20000    # smaller
    python bench/import_residents.py --file f.xlsx   # reuse a file made by bench/gen_residents.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/import_residents.py --postgres

It creates a throw-away data directory (SQLite in WAL mode, unless --postgres keeps DATABASE_URL),
migrates, builds a unit tree (county → street → community → grids → the buildings the file
names) and a village staff account, generates the file with bench/gen_residents.py, then times

  A. the real import: `import_job_create` (file checked, encrypted and kept) and
     `run_import_job` — exactly what the Huey task runs (calamine read, GB 11643 checks,
     encryption and keyed digests per row, duplicate checks, households grouped and created,
     bulk inserts in one transaction, one audit summary);
  B. a bare `openpyxl.load_workbook(read_only=True)` iterating every row of the same file;

and prints both times and the ratio A / B.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _setup(data_dir: Path, keep_database_url: bool) -> None:
    os.environ["LIANXIN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianxin.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not keep_database_url:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _tree(building_names: list[str]):  # noqa: ANN202
    """County → street → community → grids of 40 buildings → buildings; a village staff post."""
    from lianxin.accounts.models import Post, User
    from lianxin.accounts.permissions import Role
    from lianxin.territory.models import Unit

    def unit(kind: str, code: str, name: str, parent: Unit | None) -> Unit:
        path = (parent.path if parent else "/") + code + "/"
        return Unit.objects.create(
            kind=kind,
            code=code,
            stat_code=code if code.isdigit() else "",
            name=name,
            display_name=name,
            parent=parent,
            path=path,
            depth=(parent.depth + 1) if parent else 0,
        )

    province = unit("province", "41", "河南省", None)
    city = unit("city", "4108", "焦作市", province)
    county = unit("county", "410883", "孟州市", city)
    street = unit("township", "410883001", "大定街道", county)
    village = unit("village", "410883001002", "迎秀社区", street)
    grid = None
    for i, name in enumerate(building_names):
        if i % 40 == 0:
            grid = unit("grid", f"G-{i // 40 + 1:03d}", f"迎秀社区第{i // 40 + 1}网格", village)
        unit("building", f"B-{i + 1:04d}", name, grid)
    user = User.objects.create_user(
        username="bench_staff", password="Bench-Pass-2026", full_name="导入测试"
    )
    Post.objects.create(user=user, role=Role.VILLAGE_STAFF, unit=village)
    return village, user


def _bare_openpyxl_read(path: Path) -> tuple[float, int]:
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    rows = 0
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            rows += 1
    wb.close()
    return time.perf_counter() - start, rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--file", type=Path, help="an existing residents file (made by gen_residents.py)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="keep DATABASE_URL (default: fresh SQLite)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="lianxin-bench-"))
    try:
        _setup(data_dir, args.postgres)
        import gen_residents
        from django.db import connection

        from lianxin.accounts.actor import Actor
        from lianxin.people.imports import run_import_job
        from lianxin.people.models import Household, Resident
        from lianxin.people.services import import_job_create

        path = args.file
        rows = args.rows
        if path is None:
            path = data_dir / f"residents-{rows}.xlsx"
            t = time.perf_counter()
            gen_residents.generate(rows, path)
            print(
                f"generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f}s"
            )
        else:
            from python_calamine import CalamineWorkbook

            rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).total_height - 1
        village, user = _tree(gen_residents.building_names(rows))
        print(f"database: {connection.vendor}; rows: {rows}")

        start = time.perf_counter()
        job = import_job_create(
            actor=Actor.for_user(user),
            kind="residents",
            unit=village,
            mode="all_or_nothing",
            filename=path.name,
            content=path.read_bytes(),
            enqueue=False,
        )
        job = run_import_job(job.pk, channel="cli")
        import_seconds = time.perf_counter() - start
        if job.status != "done":
            print(f"import did not finish: {job.status} {job.message} {job.errors[:5]}")
            return 1
        assert Resident.objects.count() == rows, "every row must be written"
        print(
            f"A. lianxin import:        {import_seconds:8.1f} s  "
            f"({job.rows_written} residents, {Household.objects.count()} households, "
            f"{rows / import_seconds:,.0f} rows/s)"
        )
        read_seconds, read_rows = _bare_openpyxl_read(path)
        print(f"B. bare openpyxl read:    {read_seconds:8.1f} s  ({read_rows} rows incl. header)")
        print(f"ratio A / B:              {import_seconds / read_seconds:8.2f}")
    finally:
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
