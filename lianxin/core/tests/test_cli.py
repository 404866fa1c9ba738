"""The `lianxin` command: `--data-dir` everywhere, the demo built once, copies side by side.

The subprocess tests share one demo data folder (built once per test run, about ten seconds)
and always run on SQLite in that folder, whatever DATABASE_URL the suite itself uses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lianxin import cli
from lianxin.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD

LIANXIN = (
    [shutil.which("lianxin")] if shutil.which("lianxin") else [sys.executable, "-m", "lianxin.cli"]
)


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "LIANXIN_ENV",
            "HUEY_IMMEDIATE",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run(
    *args: str, cwd: Path | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console command with fixed arguments
        [*LIANXIN, *args],
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


# --- argument handling (in process) ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--data-dir", "{d}", "migrate"],
        ["migrate", "--data-dir", "{d}"],
        ["manage", "--data-dir={d}", "shell", "-c", "print(1)"],
        ["territory", "import", "--prefix", "4108", "--data-dir", "{d}"],
    ],
)
def test_data_dir_is_taken_from_anywhere_on_the_command_line(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANXIN_DATA_DIR", "/nonexistent")
    rest = cli._extract_data_dir([a.format(d=tmp_path) for a in argv])
    assert os.environ["LIANXIN_DATA_DIR"] == str(tmp_path.resolve())
    assert not any(a.startswith("--data-dir") for a in rest)
    assert cli.build_parser().parse_args(rest).handler is not None


def test_data_dir_without_a_folder_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXIN_DATA_DIR", "/nonexistent")
    with pytest.raises(SystemExit, match="--data-dir"):
        cli._extract_data_dir(["migrate", "--data-dir"])


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub
                yield from ((f"{name} {n}", s) for n, s in _subparsers(sub))


def test_every_subcommand_documents_data_dir() -> None:
    subcommands = dict(_subparsers(cli.build_parser()))
    assert {"demo", "serve", "worker", "migrate", "manage", "territory import"} <= set(subcommands)
    missing = [
        name for name, p in subcommands.items() if "--data-dir" not in p._option_string_actions
    ]
    assert not missing


def test_trusted_proxy_options_are_valid_waitress_settings() -> None:
    from waitress.adjustments import Adjustments

    assert cli.proxy_options("") == {}
    adj = Adjustments(**cli.proxy_options("127.0.0.1"))
    assert adj.trusted_proxy == "127.0.0.1"
    assert adj.trusted_proxy_headers == {"x-forwarded-for", "x-forwarded-proto"}
    assert adj.clear_untrusted_proxy_headers is True


# --- real processes --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder migrated with `lianxin migrate` and filled with `lianxin demo --no-serve`."""
    folder = tmp_path_factory.mktemp("demo-data")
    migrated = run("migrate", "--data-dir", str(folder))
    assert migrated.returncode == 0, migrated.stderr
    assert (folder / "lianxin.sqlite3").exists()
    built = run("demo", "--no-serve", "--data-dir", str(folder))
    assert built.returncode == 0, built.stderr
    assert "演示数据已生成" in built.stdout
    assert DEMO_PASSWORD in built.stdout
    assert all(username in built.stdout for username, _ in DEMO_ACCOUNTS)
    return folder


SHELL_PROBE = """
import glob, re
from lianxin.core import crypto
from lianxin.people.models import Household, Resident
from django.conf import settings
raw = b"".join(open(p, "rb").read() for p in glob.glob(str(settings.DATA_DIR / "lianxin.sqlite3*")))
secrets = []
for r in Resident.objects.order_by("id")[:300]:
    secrets.append(crypto.decrypt(r.id_number_cipher))
    if r.phone_cipher:
        secrets.append(crypto.decrypt(r.phone_cipher))
found = sum(1 for s in secrets if s.encode() in raw)
from lianxin.core.idnumber import InvalidIdNumber, parse_id_number
def valid(m):
    try:
        return bool(parse_id_number(m.decode()))
    except InvalidIdNumber:
        return False
# Unit codes stored side by side also look like digit runs; only valid ID numbers count.
ids = sum(1 for m in re.findall(rb"(?=(410883(?:19|20)[0-9]{9}[0-9X]))", raw) if valid(m))
print("HOUSEHOLDS=%d CHECKED=%d PLAINTEXT=%d IDLIKE=%d" % (Household.objects.count(), len(secrets), found, ids))
"""


@pytest.mark.sqlite_folder
def test_every_subcommand_acts_on_the_same_data_dir(demo_dir: Path, tmp_path: Path) -> None:
    # From another working directory, `manage` sees the data `demo` built.
    probe = run("manage", "--data-dir", str(demo_dir), "shell", "-c", SHELL_PROBE, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    fields = dict(item.split("=") for item in probe.stdout.split() if "=" in item)
    assert 2700 <= int(fields["HOUSEHOLDS"]) <= 3300
    # No plaintext ID number or phone anywhere in the database file.
    assert int(fields["CHECKED"]) > 300
    assert fields["PLAINTEXT"] == "0"
    assert fields["IDLIKE"] == "0"

    # A second start reuses the data; the flag may also stand before the subcommand.
    again = run("--data-dir", str(demo_dir), "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "演示数据已存在" in again.stdout


@pytest.mark.sqlite_folder
def test_territory_import_names_an_uncovered_prefix(demo_dir: Path) -> None:
    result = run("territory", "import", "--prefix", "3101", "--data-dir", str(demo_dir))
    assert result.returncode == 2
    assert "3101" in result.stderr and "错误" in result.stderr


@pytest.mark.sqlite_folder
def test_two_demos_run_side_by_side(demo_dir: Path, tmp_path: Path) -> None:
    # The second copy gets its own data folder (a copy of the built one, to save the build).
    second = tmp_path / "second"
    second.mkdir()
    for f in demo_dir.glob("lianxin.sqlite3*"):
        shutil.copy(f, second / f.name)
    ports = [free_port(), free_port()]
    procs: list[subprocess.Popen[str]] = []
    try:
        for folder, port in zip((demo_dir, second), ports, strict=True):
            log = (tmp_path / f"demo-{port}.log").open("w")
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [*LIANXIN, "demo", "--data-dir", str(folder), "--port", str(port)],
                    env=_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        answers: dict[int, tuple[int, dict]] = {}
        deadline = time.monotonic() + 60
        while len(answers) < 2 and time.monotonic() < deadline:
            for port in ports:
                if port not in answers:
                    try:
                        answers[port] = get_json(f"http://127.0.0.1:{port}/healthz")
                    except OSError:
                        pass
            time.sleep(0.3)
        logs = {p: (tmp_path / f"demo-{p}.log").read_text() for p in ports}
        assert len(answers) == 2, logs
        for port in ports:
            status, body = answers[port]
            assert status == 200 and body["database"] and body["migrations"], (body, logs[port])
            assert "演示数据已存在" in logs[port]
            assert f"http://127.0.0.1:{port}/" in logs[port]
        assert all(p.poll() is None for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
