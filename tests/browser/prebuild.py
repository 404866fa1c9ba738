"""Build the browser tests' two demos ahead of time: `python -m tests.browser.prebuild DIR`.

.ci/run starts this in the background as soon as the PostgreSQL suite is done, so the builds
use the cores that suite frees while the SQLite suite finishes; the browser stage then finds
them through ``LIANXIN_BROWSER_PREBUILT=DIR`` (conftest.DemoBuilds) instead of building. DIR
gets ``sqlite/`` and ``pg/`` data folders, each with ``build.log`` and, when done,
``build.rc``; ``pg/database`` names the PostgreSQL database (the browser session drops it).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from tests.browser.conftest import PG_ADMIN_URL, _launch_build


def main(folder: Path) -> int:
    import psycopg

    (folder / "sqlite").mkdir(parents=True, exist_ok=True)
    (folder / "pg").mkdir(parents=True, exist_ok=True)
    name = f"lianxin_browser_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    (folder / "pg" / "database").write_text(name)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    builds = {
        "pg": _launch_build(folder / "pg", url),
        "sqlite": _launch_build(folder / "sqlite"),
    }
    worst = 0
    for key, build in builds.items():
        code = build.proc.wait()
        (folder / key / "build.rc").write_text(str(code))
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
