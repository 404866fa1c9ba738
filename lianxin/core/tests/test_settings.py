"""Settings come from the environment; production refuses the embedded demo keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lianxin import settings as lx_settings

REAL_SECRET = "s3cr3t-" + "x" * 40
REAL_DATA_KEY = "d4t4-" + "y" * 40

PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'lianxin.settings'; django.setup(); "
    "from django.conf import settings; print('ENV=' + settings.LIANXIN_ENV)"
)


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with exactly these key variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "LIANXIN_DATA_KEY",
            "LIANXIN_ENV",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    clean["LIANXIN_DATA_DIR"] = str(tmp_path)
    clean.update(env)
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", PROBE],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SECRET_KEY"),
        (
            {"SECRET_KEY": lx_settings.DEMO_SECRET_KEY, "LIANXIN_DATA_KEY": REAL_DATA_KEY},
            "SECRET_KEY",
        ),
        ({"SECRET_KEY": REAL_SECRET}, "LIANXIN_DATA_KEY"),
        ({"SECRET_KEY": REAL_SECRET, "LIANXIN_DATA_KEY": "short"}, "LIANXIN_DATA_KEY"),
    ],
    ids=["no-keys", "demo-secret-key", "demo-data-key", "short-data-key"],
)
def test_production_refuses_demo_or_weak_keys(
    tmp_path: Path, env: dict[str, str], complaint: str
) -> None:
    result = _start(tmp_path, LIANXIN_ENV="production", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr
    assert "ENV=" not in result.stdout


def test_production_starts_with_real_keys(tmp_path: Path) -> None:
    result = _start(
        tmp_path, LIANXIN_ENV="production", SECRET_KEY=REAL_SECRET, LIANXIN_DATA_KEY=REAL_DATA_KEY
    )
    assert result.returncode == 0, result.stderr
    assert "ENV=production" in result.stdout


def test_demo_starts_with_embedded_keys(tmp_path: Path) -> None:
    result = _start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ENV=demo" in result.stdout


def test_env_helpers_parse_and_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LX_TEST_INT", "45")
    assert lx_settings.env_int("LX_TEST_INT", 30) == 45
    monkeypatch.setenv("LX_TEST_INT", "half an hour")
    with pytest.raises(ImproperlyConfigured, match="LX_TEST_INT"):
        lx_settings.env_int("LX_TEST_INT", 30)
    monkeypatch.setenv("LX_TEST_LIST", "a.example.org, b.example.org,,")
    assert lx_settings.env_list("LX_TEST_LIST", []) == ["a.example.org", "b.example.org"]
    monkeypatch.setenv("LX_TEST_BOOL", "Yes")
    assert lx_settings.env_bool("LX_TEST_BOOL", False) is True
    monkeypatch.delenv("LX_TEST_BOOL")
    assert lx_settings.env_bool("LX_TEST_BOOL", False) is False


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    probe = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'lianxin.settings'; django.setup(); "
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print('MODE=' + c.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LIANXIN_ENV"}}
    env["LIANXIN_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "MODE=wal" in result.stdout
    assert (tmp_path / "lianxin.sqlite3").exists()
