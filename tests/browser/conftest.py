"""A real lianxin server on demo data, and headless Debian Chromium driven by Playwright.

Run with `python -m pytest tests/browser` (.ci/run does; `-n 2 --dist loadgroup` runs one
worker per database, which measured no faster on a 4-core machine); the main suite
(`python -m pytest`) does not collect this folder. Chromium is Debian's (`/usr/bin/chromium`, or $LIANXIN_CHROMIUM);
`playwright install` is never needed. Screenshots go to $LIANXIN_SCREENSHOTS (default: a
`lianxin-screenshots` folder in the system temp folder).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("LIANXIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIANXIN = (
    [shutil.which("lianxin")] if shutil.which("lianxin") else [sys.executable, "-m", "lianxin.cli"]
)


# The PostgreSQL server of the machine (CI has one); the PostgreSQL demo server builds its
# own database there and drops it afterwards.
PG_ADMIN_URL = os.environ.get("LIANXIN_BROWSER_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def _env(database_url: str = "") -> dict[str, str]:
    # The server runs on SQLite in its own folder (or on `database_url`), whatever the
    # suite's own DATABASE_URL.
    drop = {"DATABASE_URL", "REDIS_URL", "LIANXIN_ENV", "HUEY_IMMEDIATE", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class DemoServer:
    base_url: str
    data_dir: Path
    log: Path
    database_url: str = ""  # empty: SQLite in data_dir

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def env(self) -> dict[str, str]:
        """The environment for `lianxin` commands on this server's data."""
        return _env(self.database_url)

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Read the server's database directly to find test targets (`?` placeholders)."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]
        db = self.data_dir / "lianxin.sqlite3"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: object, superuser: bool = False) -> None:
        """Write to the server's database directly (`?` placeholders). `superuser` opens the
        append-only guards first, as someone with full database rights could: the points
        ledger's hash chain is what must still catch such a change."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as conn:
                if superuser:
                    conn.execute("SELECT set_config('lianxin.audit_maintenance', 'on', false)")
                conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return
        with sqlite3.connect(self.data_dir / "lianxin.sqlite3") as conn:
            # The guard triggers consult this function; a superuser defines it as "open".
            conn.create_function("lianxin_audit_locked", 0, lambda: 0 if superuser else 1)
            conn.execute(sql, params)

    def household_in_grid(self, grid_code: str) -> str:
        """The public id (UUID text) of one household under the grid with this code."""
        rows = self.query(
            "SELECT h.public_id FROM people_household h JOIN territory_unit u ON u.id = h.unit_id "
            "WHERE u.path LIKE ? ORDER BY h.id LIMIT 1",
            f"%/{grid_code}/%",
        )
        assert rows, f"no household under {grid_code}"
        return str(uuid.UUID(str(rows[0][0])))


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(
        os.environ.get("LIANXIN_SCREENSHOTS") or Path(tempfile.gettempdir()) / "lianxin-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


# The `database` parameter of the flow tests → the server fixture they ask for.
SERVER_FOR = {"sqlite": "demo_server", "postgres": "demo_server_pg"}


@dataclass
class DemoBuild:
    """`lianxin demo --no-serve` running into a fresh folder (and database)."""

    data_dir: Path
    database_url: str
    proc: subprocess.Popen[bytes] | None  # None: built by tests/browser/prebuild.py
    log: Path

    def wait(self) -> None:
        if self.proc is None:
            code = int(_wait_for(self.data_dir / "build.rc", self.log))
        else:
            try:
                code = self.proc.wait(timeout=900)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                pytest.fail("demo build timed out:\n" + self.log.read_text())
        assert code == 0, self.log.read_text()


def _wait_for(path: Path, log: Path, timeout: float = 900) -> str:
    """The text of a file another process writes when it is done (a prebuilt demo)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(
                f"prebuilt demo not ready ({path}):\n" + (log.read_text() if log.exists() else "")
            )
        time.sleep(0.5)
    return path.read_text().strip()


def _launch_build(data_dir: Path, database_url: str = "") -> DemoBuild:
    log = data_dir / "build.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*LIANXIN, "demo", "--no-serve", "--data-dir", str(data_dir)],
            env=_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return DemoBuild(data_dir=data_dir, database_url=database_url, proc=proc, log=log)


def _serve(build: DemoBuild) -> Iterator[DemoServer]:
    """Wait for the build, then `lianxin serve --with-worker` on it."""
    build.wait()
    data_dir, database_url = build.data_dir, build.database_url
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*LIANXIN, "serve", "--data-dir", str(data_dir), "--port", str(port), "--with-worker"],
            env=_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as r:  # noqa: S310 - our local server
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("server did not start:\n" + log.read_text())
            time.sleep(0.3)
        yield DemoServer(base_url=base_url, data_dir=data_dir, log=log, database_url=database_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class DemoBuilds:
    """The demo builds of a test session, launched once each: all the wanted ones at once on
    first use in a serial run; each on first use in a parallel run (`-n 2 --dist loadgroup`,
    as .ci/run does), where every worker runs one database's tests (`pytest_collection_
    modifyitems` below groups them) and so builds only its own server."""

    def __init__(self, wanted: set[str], tmp: pytest.TempPathFactory, eager: bool) -> None:
        self.wanted, self.tmp, self.eager = wanted, tmp, eager
        self.builds: dict[str, DemoBuild] = {}
        self.admin: object = None
        self.pg_name = ""

    def get(self, name: str) -> DemoBuild:
        if name not in self.builds:
            for each in sorted(self.wanted | {name}) if self.eager else [name]:
                if each not in self.builds:
                    self.builds[each] = self._launch(each)
        return self.builds[name]

    def _launch(self, name: str) -> DemoBuild:
        prebuilt = os.environ.get("LIANXIN_BROWSER_PREBUILT")
        if prebuilt:
            return self._prebuilt(Path(prebuilt), name)
        if name == "demo_server":
            return _launch_build(self.tmp.mktemp("browser-demo"))
        import psycopg

        self.pg_name = f"lianxin_browser_{uuid.uuid4().hex[:8]}"
        try:
            self.admin = admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
        except psycopg.OperationalError as exc:
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
        admin.execute(f'CREATE DATABASE "{self.pg_name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.pg_name
        return _launch_build(self.tmp.mktemp("browser-demo-pg"), url)

    def _prebuilt(self, folder: Path, name: str) -> DemoBuild:
        """A demo tests/browser/prebuild.py builds (or has built) into `folder`."""
        if name == "demo_server":
            data = folder / "sqlite"
            return DemoBuild(data_dir=data, database_url="", proc=None, log=data / "build.log")
        import psycopg

        data = folder / "pg"
        self.pg_name = _wait_for(data / "database", data / "build.log")
        self.admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.pg_name
        return DemoBuild(data_dir=data, database_url=url, proc=None, log=data / "build.log")

    def close(self) -> None:
        for build in self.builds.values():
            if build.proc is not None and build.proc.poll() is None:
                build.proc.kill()
        if self.admin is not None:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')  # type: ignore[attr-defined]
            self.admin.close()  # type: ignore[attr-defined]


def _server_of(item: pytest.Item) -> set[str]:
    """The demo servers a collected test uses."""
    wanted = {
        n for n in ("demo_server", "demo_server_pg") if n in getattr(item, "fixturenames", ())
    }
    # Tests parametrized over the database pick their server with getfixturevalue.
    callspec = getattr(item, "callspec", None)
    database = callspec.params.get("database") if callspec is not None else None
    if database in SERVER_FOR:
        wanted.add(SERVER_FOR[database])
    return wanted


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One group per server: a parallel run sends each group to one worker.
    for item in items:
        servers = _server_of(item)
        if len(servers) == 1:
            item.add_marker(pytest.mark.xdist_group(name=servers.pop()))


@pytest.fixture(scope="session")
def demo_builds(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoBuilds]:
    """Both demo builds start at once when the first demo server is wanted (each takes about
    a minute on one core; built one after the other they doubled the browser suite). Only
    the servers some collected test uses are built."""
    wanted: set[str] = set()
    for item in request.session.items:
        wanted |= _server_of(item)
    builds = DemoBuilds(wanted, tmp_path_factory, eager=not os.environ.get("PYTEST_XDIST_WORKER"))
    try:
        yield builds
    finally:
        builds.close()


@pytest.fixture(scope="session")
def demo_server(demo_builds: DemoBuilds) -> Iterator[DemoServer]:
    """The demo on SQLite (the embedded default)."""
    yield from _serve(demo_builds.get("demo_server"))


@pytest.fixture(scope="session")
def demo_server_pg(demo_builds: DemoBuilds) -> Iterator[DemoServer]:
    """The demo on PostgreSQL (the production database), in a database of its own (dropped
    at the end of the session)."""
    yield from _serve(demo_builds.get("demo_server_pg"))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (install Debian's chromium; .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone_page(browser):  # noqa: ANN001, ANN201
    from tests.browser.pages import PHONE

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_page(browser):  # noqa: ANN001, ANN201
    from tests.browser.pages import DESKTOP

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield context.new_page()
    context.close()
