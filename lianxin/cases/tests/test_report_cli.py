"""`lianxin report cases`: the same numbers as the page, JSON or xlsx, clear errors (exit 2).

The in-process tests run the parsed command against the suite's database (SQLite or
PostgreSQL); the subprocess test runs the real console command on a SQLite data folder.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from lianxin import cli
from lianxin.cases.figures import unit_figures
from lianxin.cases.tests.test_figures import MARCH, build_march
from lianxin.core.tests.test_cli import run


def report(*argv: str) -> int:
    args = cli.build_parser().parse_args(["report", "cases", *argv])
    return int(args.handler(args))


@pytest.mark.django_db
def test_json_equals_the_figures(world, capsys: pytest.CaptureFixture[str]) -> None:
    build_march(world)
    code = report("--unit", world.village.code, "--from", "2026-03-01", "--to", "2026-03-31")
    out = capsys.readouterr().out
    assert code == 0
    expected = unit_figures(unit=world.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()
    assert json.loads(out) == expected
    assert "迎秀社区" in out  # ensure_ascii=False: readable Chinese
    assert json.loads(out)["counts"]["received"] == 12


@pytest.mark.django_db
def test_xlsx_and_json_files(world, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    build_march(world)
    target = tmp_path / "march.xlsx"
    argv = ["--unit", world.village.code, "--from", "2026-03-01", "--to", "2026-03-31"]
    assert report(*argv, "--format", "xlsx", "--output", str(target)) == 0
    summary = load_workbook(io.BytesIO(target.read_bytes()))["汇总"]
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r and r[0]}
    assert values["受理诉求"] == 12
    out = tmp_path / "march.json"
    assert report(*argv, "--output", str(out)) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["counts"]["follow_ups"] == 3
    capsys.readouterr()
    assert report(*argv, "--format", "xlsx") == 2
    assert "--output" in capsys.readouterr().err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--unit", "NOPE", "--from", "2026-03-01", "--to", "2026-03-31"], "找不到编码为 NOPE"),
        (["--unit", "{v}", "--from", "2026-3-1x", "--to", "2026-03-31"], "2026-3-1x"),
        (["--unit", "{v}", "--from", "2026-03-31", "--to", "2026-03-01"], "开始日期不能晚于"),
    ],
)
def test_bad_input_exits_2(world, argv: list[str], message: str, capsys) -> None:  # noqa: ANN001
    code = report(*[a.format(v=world.village.code) for a in argv])
    assert code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_report_subcommand_takes_data_dir() -> None:
    args = cli.build_parser().parse_args(
        ["report", "cases", "--unit", "1", "--from", "2026-01-01", "--to", "2026-01-31"]
    )
    assert args.format == "json" and args.output is None


BUILD = """
import json
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
from lianxin.core.testing import build_world
from lianxin.cases.tests.test_figures import MARCH, build_march
from lianxin.cases.figures import unit_figures
w = build_world()
build_march(w)
print(json.dumps(unit_figures(unit=w.village, date_from=MARCH[0], date_to=MARCH[1]).as_dict()))
"""


@pytest.mark.sqlite_folder
def test_console_command_on_a_data_dir(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    assert run("migrate", "--data-dir", str(folder)).returncode == 0
    built = run("manage", "--data-dir", str(folder), "shell", "-c", BUILD)
    assert built.returncode == 0, built.stderr
    expected = json.loads(built.stdout.strip().splitlines()[-1])
    result = run(
        "report",
        "cases",
        "--unit",
        "410883001002",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--data-dir",
        str(folder),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    bad = run(
        "--data-dir",
        str(folder),
        "report",
        "cases",
        "--unit",
        "410883009999",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    )
    assert bad.returncode == 2 and "410883009999" in bad.stderr
