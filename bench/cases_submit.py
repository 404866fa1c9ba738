"""Benchmark: public QR submissions through the real server vs bare one-row inserts (run by hand).

How to run (from the repository root):

    python bench/cases_submit.py                       # 500 of each, SQLite in a temp data dir
    python bench/cases_submit.py -n 2000 --threads 8
    createdb -h 127.0.0.1 -U postgres lianxin_bench_submit
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_bench_submit \\
        python bench/cases_submit.py --postgres

Target (issue 3, item 14): a public submission through the full stack stays within 2× a bare
one-row insert through the same server stack.

It migrates a throw-away database, creates a street → village → grid → building, raises the
per-address rate limit (one client sends everything), then starts the real server —
`lianxin serve` (waitress, the full middleware stack) with bench/bench_settings.py, whose
URLconf (bench/bench_urls.py) is lianxin's plus one bench-only view — and times, from one
client over a kept-alive HTTP connection:

  A. N POSTs of the resident form at /r/q/<building code>/ (`resident:qr`: description and
     phone, CSRF token) — validation, rate-limit checks, the request, its first event and its
     notifications in one transaction, then the redirect to the private page;
  B. N POSTs to /bench/insert/ (same CSRF token): one INSERT of description and phone in a
     transaction, then a redirect;

checks that A created N requests and B N rows, and prints both times and the ratio A / B.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
BUILDING = "B410899001001-01-01"


def env_for(data_dir: Path, postgres: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LIANXIN_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT), env.get("PYTHONPATH", "")]),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.pop("HUEY_IMMEDIATE", None)
    if not postgres:
        env.pop("DATABASE_URL", None)
    return env


PREPARE = f"""
from lianxin.territory.models import Unit
from lianxin.cases.services.config import case_settings
from bench_urls import create_table

def unit(kind, code, name, parent):
    path = (parent.path if parent else "/") + code + "/"
    return Unit.objects.get_or_create(code=code, defaults=dict(
        kind=kind, name=name, display_name=name, parent=parent, path=path,
        depth=parent.depth + 1 if parent else 0))[0]

p = unit("province", "41", "河南省", None)
c = unit("city", "4108", "焦作市", p)
k = unit("county", "410899", "基准县", c)
s = unit("township", "410899001", "基准街道", k)
v = unit("village", "410899001001", "基准1社区", s)
g = unit("grid", "G410899001001-01", "基准1社区第1网格", v)
unit("building", "{BUILDING}", "1区1号楼", g)
conf = case_settings()
conf.public_per_source_hour = 32767
conf.public_per_phone_day = 32767
conf.save()
create_table()
"""

COUNT = """
from django.db import connection
from lianxin.cases.models import Case
with connection.cursor() as c:
    c.execute("SELECT COUNT(*) FROM bench_insert")
    rows = c.fetchone()[0]
print("COUNTS", Case.objects.count(), rows)
"""


def lianxin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "lianxin.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )


def _counts(env: dict[str, str]) -> tuple[int, int]:
    """Requests and bare rows in the database (a reused PostgreSQL database keeps old ones)."""
    out = lianxin(env, "manage", "shell", "-c", COUNT).stdout.split("COUNTS")[-1].split()
    return int(out[0]), int(out[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One kept-alive HTTP connection with the CSRF cookie of the first page."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.token = ""

    def get_form(self, path: str) -> None:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, (response.status, body[:300])
        cookie = response.getheader("Set-Cookie") or ""
        self.cookie = cookie.split(";", 1)[0]
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert match, "no CSRF token in the form"
        self.token = match.group(1)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urlencode({"csrfmiddlewaretoken": self.token, **fields})
        self.conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": self.cookie,
            },
        )
        response = self.conn.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""


def run(n: int, port: int) -> tuple[float, float]:
    client = Client(port)
    qr = f"/r/q/{BUILDING}/"
    client.get_form(qr)
    texts = [
        f"{i % 30 + 1}号楼{i % 6 + 1}单元楼道灯不亮好几天了，晚上上下楼很危险" for i in range(n)
    ]
    phones = [f"139{i:08d}" for i in range(n)]

    def submit_all(path: str, ok: str) -> float:
        # One warm-up request each (not counted: it also fills caches).
        t = time.perf_counter()
        for i in range(n):
            status, location = client.post(path, {"description": texts[i], "phone": phones[i]})
            assert status == 302 and ok in location, (status, location, i)
        return time.perf_counter() - t

    client.post(qr, {"description": "热身：楼道灯不亮好几天了", "phone": ""})
    client.post("/bench/insert/", {"description": "warm-up", "phone": ""})
    a = submit_all(qr, "/r/t/")
    b = submit_all("/bench/insert/", "/bench/insert/")
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=500, help="submissions of each kind")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--postgres", action="store_true", help="keep DATABASE_URL")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="lianxin-submit-"))
    env = env_for(data_dir, args.postgres)
    lianxin(env, "migrate")
    lianxin(env, "manage", "shell", "-c", PREPARE)
    before = _counts(env)
    port = free_port()
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "lianxin.cli", "serve", "--port", str(port)]
        + ["--threads", str(args.threads)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print((data_dir / "server.log").read_text())
                    return 1
                time.sleep(0.2)
        a, b = run(args.n, port)
    finally:
        server.terminate()
        server.wait(timeout=20)
    after = _counts(env)
    counts = [after[0] - before[0], after[1] - before[1]]
    db = "PostgreSQL" if args.postgres and "DATABASE_URL" in env else "SQLite (WAL)"
    print(f"database: {db}; waitress threads {args.threads}; data dir {data_dir}")
    print(f"new rows: {counts[0]} requests, {counts[1]} bare rows (expected {args.n + 1} each)")
    print(f"A public QR submissions: {a:7.2f} s  {a / args.n * 1000:6.1f} ms each")
    print(f"B bare one-row inserts:  {b:7.2f} s  {b / args.n * 1000:6.1f} ms each")
    print(f"ratio A / B: {a / b:.2f}  (target ≤ 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
