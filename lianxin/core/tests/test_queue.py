"""The background queue across real processes: a job queued by one process runs in a worker.

With REDIS_URL set (DESIGN.md), any number of `lianxin worker` processes — on as many
machines — share one Redis queue and each job runs exactly once; without it, the embedded
default keeps the queue in `queue.sqlite3` in the data folder, shared by every process that
uses that folder. Everything runs as `lianxin` subprocesses on a private data folder (SQLite
database there), whatever DATABASE_URL the suite itself uses (`_env()` drops it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from lianxin.core.idnumber import make_id_number
from lianxin.core.tests.test_cli import LIANXIN, _env

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 13  # a database no deployment default uses; keys are cleaned up after the test
COUNTY = "410883"  # 孟州市, bundled territory data
VILLAGE = "410883001002"  # 迎秀居民委员会
USERNAME = "queue_staff"
WAIT_SECONDS = 45
TASK_LOG = "Executing lianxin.people.tasks.import_job_task"
HEADERS = ["楼栋", "门牌", "姓名", "身份证号", "手机号", "与户主关系"]

SETUP = f"""
from lianxin.accounts.permissions import Role
from lianxin.core.testing import make_user
from lianxin.territory.models import Unit
make_user({USERNAME!r}, Role.VILLAGE_STAFF, Unit.objects.get(code={VILLAGE!r}))
print("SETUP=ok")
"""

# What the upload page does (people.views → services.import_job_create, inside the request's
# transaction): keep the file, create the job and queue it once the transaction commits.
ENQUEUE = f"""
import json, sys
from pathlib import Path
from django.db import transaction
from lianxin.accounts.actor import Actor
from lianxin.accounts.models import User
from lianxin.audit.context import AuditContext, acting
from lianxin.people.services import import_job_create
from lianxin.territory.models import Unit
user = User.objects.get(username={USERNAME!r})
actor = Actor.for_user(user)
unit = Unit.objects.get(code={VILLAGE!r})
ids = []
with acting(AuditContext(user_id=user.pk, post_label=actor.post_label, channel="web")):
    for path in FILES:
        with transaction.atomic():
            job = import_job_create(
                actor=actor, kind="residents", unit=unit, mode="all_or_nothing",
                filename=Path(path).name, content=Path(path).read_bytes(),
            )
        ids.append(job.pk)
print("JOBS=" + json.dumps(ids))
"""

# Wait (bounded) until every job has finished, then report what was written.
WAIT = f"""
import json, time
from lianxin.audit.models import AuditEvent
from lianxin.core import crypto
from lianxin.people.models import Household, ImportJob, Resident
deadline = time.monotonic() + {WAIT_SECONDS}
jobs = ImportJob.objects.filter(pk__in=IDS)
while time.monotonic() < deadline and jobs.exclude(status__in=ImportJob.FINISHED).exists():
    time.sleep(0.2)
print("RESULT=" + json.dumps({{
    "jobs": {{
        str(j.pk): {{
            "status": j.status, "rows_written": j.rows_written, "message": j.message,
            "audited": AuditEvent.objects.filter(
                action=AuditEvent.Action.IMPORT, object_id=str(j.public_id)
            ).count(),
        }}
        for j in jobs
    }},
    "residents": Resident.objects.count(),
    "households": Household.objects.count(),
    "per_id": [
        Resident.objects.filter(id_number_digest=crypto.protect_id_number(n).digest).count()
        for n in NUMBERS
    ],
}}))
"""


def _redis_up() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _lianxin(
    data_dir: Path, *args: str, env: dict[str, str], timeout: int = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console command with fixed arguments
        [*LIANXIN, *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _shell(data_dir: Path, code: str, *, env: dict[str, str], timeout: int = 90) -> dict | str:
    """Run `lianxin manage shell -c CODE`; the value of its `KEY=` output line (JSON if it is)."""
    result = _lianxin(data_dir, "manage", "shell", "-c", code, env=env, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [ln for ln in result.stdout.splitlines() if "=" in ln and ln.split("=")[0].isupper()]
    assert lines, result.stdout + result.stderr
    value = lines[-1].split("=", 1)[1]
    return json.loads(value) if value[:1] in "[{" else value


def _workbooks(folder: Path, count: int, rows: int) -> tuple[list[Path], list[str]]:
    """`count` residents workbooks of `rows` new residents each (all ID numbers distinct)."""
    from openpyxl import Workbook

    files: list[Path] = []
    numbers: list[str] = []
    for f in range(count):
        wb = Workbook()
        ws = wb.active
        ws.title = "数据"
        ws.append(HEADERS)
        for r in range(rows):
            number = make_id_number(COUNTY, dt.date(1960 + f, 1 + r, 10), 100 + f * 20 + r)
            numbers.append(number)
            ws.append(["", f"{f + 1}单元{r + 101}", f"队列{f}-{r}", number, "", "户主"])
        out = io.BytesIO()
        wb.save(out)
        path = folder / f"居民-{f + 1}.xlsx"
        path.write_bytes(out.getvalue())
        files.append(path)
    return files, numbers


def _start_worker(data_dir: Path, log: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    with log.open("w") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen(  # noqa: S603
            [*LIANXIN, "worker", "--data-dir", str(data_dir)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _wait_started(logs: list[Path], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all("consumer started" in p.read_text() for p in logs):
            return
        time.sleep(0.1)
    raise AssertionError({p.name: p.read_text() for p in logs})


def _stop(procs: list[subprocess.Popen[str]]) -> list[int | None]:
    """SIGTERM every worker and wait for it; kill any that does not stop within 10 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    codes: list[int | None] = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=10))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
            codes.append(None)
    return codes


def _check_result(result: dict, ids: list[int], numbers: list[str], rows: int) -> None:
    assert set(result["jobs"]) == {str(i) for i in ids}
    for job in result["jobs"].values():
        assert job["status"] == "done", result
        assert job["rows_written"] == rows, result
        assert job["audited"] == 1, result
    # Every row written exactly once: each ID number is on exactly one resident, and one
    # household per row (each row names its own door and is its 户主).
    assert result["per_id"] == [1] * len(numbers), result
    assert result["residents"] == len(numbers)
    assert result["households"] == len(numbers)


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """The subprocess environment on a private Redis queue; the queue's keys removed after."""
    if not _redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT}")
    name = f"lianxintest{uuid.uuid4().hex[:12]}"  # huey keeps only [a-z0-9] of a name
    env = _env()
    env["REDIS_URL"] = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    env["HUEY_NAME"] = name
    yield env
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    keys = list(client.scan_iter(match=f"huey.*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.mark.sqlite_folder
def test_two_workers_share_one_redis_queue_and_run_each_job_once(
    redis_env: dict[str, str], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    files, numbers = _workbooks(tmp_path, count=4, rows=5)
    prepared = _lianxin(data_dir, "territory", "import", "--prefix", COUNTY, env=redis_env)
    assert prepared.returncode == 0, prepared.stderr
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers: list[subprocess.Popen[str]] = []
    try:
        # Two workers ("machines") on the same queue, started before anything is queued.
        workers = [_start_worker(data_dir, log, redis_env) for log in logs]
        assert _shell(data_dir, SETUP, env=redis_env) == "ok"
        _wait_started(logs)
        # A third process queues the jobs, as the upload page does.
        ids = _shell(
            data_dir, ENQUEUE.replace("FILES", repr([str(f) for f in files])), env=redis_env
        )
        assert isinstance(ids, list) and len(ids) == len(files)
        wait = WAIT.replace("IDS", repr(ids)).replace("NUMBERS", repr(numbers))
        result = _shell(data_dir, wait, env=redis_env, timeout=WAIT_SECONDS + 30)
        assert isinstance(result, dict)
        _check_result(result, ids, numbers, rows=5)
        assert all(p.poll() is None for p in workers), [p.read_text() for p in logs]
    finally:
        codes = _stop(workers)
    texts = [p.read_text() for p in logs]
    assert codes == [0, 0], texts
    # The queue handed out each task once: one execution per job,
    # across both workers (which one runs which is up to the queue).
    executed = [
        line.rsplit(": ", 1)[1] for t in texts for line in t.splitlines() if TASK_LOG in line
    ]
    assert len(executed) == len(set(executed)) == len(files), texts
    # The queue was Redis, not a queue file in the data folder; nothing was left in it.
    assert not (data_dir / "queue.sqlite3").exists()
    client = redis.Redis.from_url(redis_env["REDIS_URL"])
    assert client.llen(f"huey.redis.{redis_env['HUEY_NAME']}") == 0
    client.close()


@pytest.mark.sqlite_folder
def test_worker_runs_jobs_queued_in_the_data_dir_sqlite_queue(tmp_path: Path) -> None:
    env = _env()  # no REDIS_URL: the embedded default, queue.sqlite3 in the data folder
    data_dir = tmp_path / "data"
    files, numbers = _workbooks(tmp_path, count=2, rows=3)
    prepared = _lianxin(data_dir, "territory", "import", "--prefix", COUNTY, env=env)
    assert prepared.returncode == 0, prepared.stderr
    assert _shell(data_dir, SETUP, env=env) == "ok"
    # Queued while no worker runs: the tasks wait in the data folder's queue file.
    ids = _shell(data_dir, ENQUEUE.replace("FILES", repr([str(f) for f in files])), env=env)
    assert isinstance(ids, list) and len(ids) == len(files)
    assert (data_dir / "queue.sqlite3").exists()
    log = tmp_path / "worker.log"
    worker: subprocess.Popen[str] | None = None
    try:
        worker = _start_worker(data_dir, log, env)
        wait = WAIT.replace("IDS", repr(ids)).replace("NUMBERS", repr(numbers))
        result = _shell(data_dir, wait, env=env, timeout=WAIT_SECONDS + 30)
        assert isinstance(result, dict)
        _check_result(result, ids, numbers, rows=3)
        assert worker.poll() is None, log.read_text()
    finally:
        codes = _stop([worker] if worker else [])
    text = log.read_text()
    assert codes == [0], text
    assert text.count(TASK_LOG) == len(files), text
