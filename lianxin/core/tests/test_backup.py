"""`lianxin backup` / `lianxin restore`: one archive carries the database and uploads across."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from lianxin.core.tests.test_cli import run


def _count_units(data_dir: Path) -> str:
    done = run(
        "manage",
        "--data-dir",
        str(data_dir),
        "shell",
        "-c",
        "from lianxin.territory.models import Unit; print(Unit.objects.filter(code__startswith='410883').count())",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.sqlite_folder
def test_backup_then_restore_into_an_empty_folder(tmp_path: Path) -> None:
    source, target = tmp_path / "a", tmp_path / "b"
    assert (
        run("territory", "import", "--prefix", "410883", "--data-dir", str(source)).returncode == 0
    )
    (source / "media" / "visits").mkdir(parents=True)
    (source / "media" / "visits" / "p.jpg").write_bytes(b"\xff\xd8\xffphoto")
    archive = tmp_path / "backup.tar.gz"

    made = run("backup", "--data-dir", str(source), "--output", str(archive))
    assert made.returncode == 0, made.stderr
    assert "已备份" in made.stdout
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"manifest.json", "db.sqlite3", "media/visits/p.jpg"} <= set(names)

    restored = run("restore", str(archive), "--data-dir", str(target))
    assert restored.returncode == 0, restored.stderr
    assert _count_units(target) == _count_units(source) != "0"
    assert (target / "media" / "visits" / "p.jpg").read_bytes() == b"\xff\xd8\xffphoto"

    # A database that already holds data is not overwritten by accident.
    again = run("restore", str(archive), "--data-dir", str(target))
    assert again.returncode == 2 and "--force" in again.stderr
    assert run("restore", str(archive), "--data-dir", str(target), "--force").returncode == 0


@pytest.mark.sqlite_folder
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "x.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(__file__, arcname="other.py")
    done = run("restore", str(bogus), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2 and "manifest.json" in done.stderr
