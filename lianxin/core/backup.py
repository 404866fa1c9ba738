"""Backup and restore of one deployment: the database plus uploaded files, in one archive.

The archive is a gzip'd tar holding `manifest.json`, the database (`db.sqlite3`, made with
SQLite's online backup API so a running server is not disturbed, or `db.pgdump` from
`pg_dump --format=custom` on PostgreSQL) and `media/`. Personal data stays encrypted inside
it, so the archive is only useful together with LIANXIN_DATA_KEY (kept elsewhere on purpose).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from lianxin import __version__

MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    vendor: str
    size: int
    media_files: int

    def summary(self) -> str:
        return (
            f"已备份到 {self.path}（{self.size / 1024 / 1024:.1f} MB，数据库 {self.vendor}，"
            f"上传文件 {self.media_files} 个）"
        )


def _pg_params() -> list[str]:
    db = settings.DATABASES["default"]
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _pg_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    if settings.DATABASES["default"].get("PASSWORD"):
        env["PGPASSWORD"] = str(settings.DATABASES["default"]["PASSWORD"])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: postgresql-client）")
    return path


def backup_create(output: Path) -> BackupResult:
    """Write a backup archive of the database and uploaded files to `output`."""
    vendor = connection.vendor
    output = output.expanduser().resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if vendor == "sqlite":
            db_file = tmpdir / "db.sqlite3"
            source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
            target = sqlite3.connect(str(db_file))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        elif vendor == "postgresql":
            db_file = tmpdir / "db.pgdump"
            name = str(settings.DATABASES["default"]["NAME"])
            cmd = [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(db_file),
                *_pg_params(),
                name,
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, env=_pg_env(), check=False)  # noqa: S603
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
        else:
            raise BackupError(f"不支持的数据库 {vendor}")
        manifest = {
            "format": 1,
            "version": __version__,
            "vendor": vendor,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database_file": db_file.name,
        }
        media_root = Path(settings.MEDIA_ROOT)
        media_files = 0
        with tarfile.open(output, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(db_file, arcname=db_file.name)
            if media_root.is_dir():
                for f in sorted(media_root.rglob("*")):
                    if f.is_file():
                        tar.add(f, arcname=f"media/{f.relative_to(media_root).as_posix()}")
                        media_files += 1
    return BackupResult(
        path=output, vendor=vendor, size=output.stat().st_size, media_files=media_files
    )


def _database_has_data() -> bool:
    tables = connection.introspection.table_names()
    if "territory_unit" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM territory_unit LIMIT 1")
        return cursor.fetchone() is not None


def backup_restore(archive: Path, *, force: bool = False) -> str:
    """Restore an archive made by `backup_create` into the configured database and media folder.

    Refuses to overwrite a database that already holds data unless `force` is given.
    """
    archive = archive.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmpdir, filter="data")
        manifest_path = tmpdir / MANIFEST
        if not manifest_path.is_file():
            raise BackupError("不是连心备份文件：缺少 manifest.json")
        manifest = json.loads(manifest_path.read_text())
        vendor = connection.vendor
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"备份来自 {manifest.get('vendor')} 数据库，当前配置为 {vendor}，不能直接恢复"
            )
        if _database_has_data() and not force:
            raise BackupError("当前数据库已有数据；确认要覆盖请加 --force")
        db_file = tmpdir / manifest["database_file"]
        connection.close()
        if vendor == "sqlite":
            target_path = Path(str(settings.DATABASES["default"]["NAME"]))
            source = sqlite3.connect(str(db_file))
            target = sqlite3.connect(str(target_path))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            name = str(settings.DATABASES["default"]["NAME"])
            cmd = [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--dbname",
                name,
                *_pg_params(),
                str(db_file),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, env=_pg_env(), check=False)  # noqa: S603
            if done.returncode != 0:
                raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
        media_src = tmpdir / "media"
        if media_src.is_dir():
            shutil.copytree(media_src, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    return f"已从 {archive} 恢复（备份时间 {manifest.get('created_at')}，版本 {manifest.get('version')}）"
