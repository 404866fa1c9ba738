"""The `lianxin` console command.

Every subcommand accepts `--data-dir D` (before or after the subcommand name) and then acts on
the same data as `lianxin demo --data-dir D`: the SQLite database, the queue and uploaded files
all live there unless DATABASE_URL / REDIS_URL point elsewhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _extract_data_dir(argv: list[str]) -> list[str]:
    """Pull `--data-dir` out of argv wherever it stands and export it before Django loads."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--data-dir":
            if i + 1 >= len(argv):
                raise SystemExit("lianxin: --data-dir 需要一个目录参数")
            os.environ["LIANXIN_DATA_DIR"] = str(Path(argv[i + 1]).expanduser().resolve())
            i += 2
            continue
        if arg.startswith("--data-dir="):
            os.environ["LIANXIN_DATA_DIR"] = str(Path(arg.split("=", 1)[1]).expanduser().resolve())
            i += 1
            continue
        out.append(arg)
        i += 1
    return out


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianxin.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _cli_context() -> None:
    from lianxin.audit.context import AuditContext, set_context

    set_context(AuditContext(channel="cli", post_label="命令行"))


# --- subcommands -----------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from django.conf import settings

    from lianxin.demo.builder import DEMO_ACCOUNTS, DEMO_PASSWORD, ensure_demo

    print(f"数据目录: {settings.DATA_DIR}")
    _migrate()
    created = ensure_demo(stdout=sys.stdout)
    print("演示数据已生成。" if created else "演示数据已存在，直接使用。")
    url = f"http://{args.host}:{args.port}/"
    print(f"\n连心演示站: {url}")
    print(f"演示账号（密码均为 {DEMO_PASSWORD}）:")
    for username, label in DEMO_ACCOUNTS:
        print(f"  {username:<16} {label}")
    if args.no_serve:
        return 0
    if (
        args.host not in LOOPBACK_HOSTS
        and "ALLOWED_HOSTS" not in os.environ
        and settings.LIANXIN_ENV != "production"
    ):
        # Shown on the local network (e.g. to try the grid worker's pages on a real phone):
        # the demo answers whatever address the phone uses to reach it.
        settings.ALLOWED_HOSTS = ["*"]
        print("提示: 演示站对局域网开放，请勿存放真实数据。")
    return _serve(args.host, args.port, args.threads, with_worker=True)


def cmd_serve(args: argparse.Namespace) -> int:
    if args.migrate:
        _migrate()
    return _serve(
        args.host,
        args.port,
        args.threads,
        with_worker=args.with_worker,
        trusted_proxy=args.trusted_proxy,
    )


def proxy_options(trusted_proxy: str) -> dict[str, object]:
    """Waitress options for running behind a reverse proxy at `trusted_proxy` (docs/deploy.md).

    Waitress then takes the client address from X-Forwarded-For (the audit trail records it)
    and the scheme from X-Forwarded-Proto (secure cookies and CSRF checks see HTTPS), and drops
    those headers when they come from anyone else.
    """
    if not trusted_proxy:
        return {}
    return {
        "trusted_proxy": trusted_proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }


def _serve(
    host: str, port: int, threads: int, *, with_worker: bool, trusted_proxy: str = ""
) -> int:
    from django.conf import settings
    from waitress import serve

    # Static files are served from the package (WhiteNoise finders); an existing STATIC_ROOT
    # only keeps WhiteNoise from warning about a missing folder at start-up.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from lianxin.wsgi import application

    if with_worker:
        _start_worker_thread()
    print(f"正在监听 http://{host}:{port}/ （Ctrl+C 结束）", flush=True)
    serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="lianxin",
        **proxy_options(trusted_proxy),
    )
    return 0


def _consumer(workers: int, **options: object):  # noqa: ANN202 - huey has no type hints
    """A Huey consumer that knows every app's tasks.

    djhuey finds `<app>/tasks.py` only inside its own `run_huey` command, so a consumer started
    here imports them itself; otherwise queued tasks of modules the process never imported
    would fail as unknown.
    """
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer import Consumer

    from lianxin.tasks import huey

    autodiscover_modules("tasks")
    return Consumer(huey, workers=workers, worker_type="thread", **options)


def _start_worker_thread() -> None:
    """Run a Huey consumer inside this process so the embedded demo needs no second command."""
    consumer = _consumer(2, check_worker_health=False)
    # Consumer.run installs signal handlers, which only works on the main thread; skip them.
    consumer._set_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=consumer.run, name="lianxin-worker", daemon=True)
    thread.start()


def cmd_worker(args: argparse.Namespace) -> int:
    _consumer(args.workers).run()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(verbosity=1)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lianxin manage", *args.rest])
    return 0


def cmd_territory_import(args: argparse.Namespace) -> int:
    from lianxin.territory.divisions import DivisionError, import_prefix

    _migrate()
    try:
        result = import_prefix(args.prefix)
    except DivisionError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from lianxin.people.imports import run_import_cli

    return run_import_cli(
        kind=args.kind,
        path=Path(args.file),
        unit_code=args.unit,
        mode=args.mode,
        username=args.user,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from lianxin.people.exports import run_export_cli

    return run_export_cli(
        kind=args.kind, path=Path(args.output), unit_code=args.unit, username=args.user
    )


def cmd_report_cases(args: argparse.Namespace) -> int:
    from lianxin.cases.reports import run_report_cli

    return run_report_cli(
        unit_code=args.unit,
        date_from=args.date_from,
        date_to=args.date_to,
        fmt=args.format,
        output=args.output,
    )


def cmd_points(args: argparse.Namespace) -> int:
    from lianxin.points.commands import run_points_cli

    return run_points_cli(args)


def cmd_createadmin(args: argparse.Namespace) -> int:
    from lianxin.accounts.services import admin_create

    admin_create(username=args.username, password=args.password, unit_code=args.unit)
    print(f"已创建系统管理员 {args.username}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from lianxin.core.backup import BackupError, backup_create

    try:
        print(backup_create(Path(args.output)).summary())
    except BackupError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from lianxin.core.backup import BackupError, backup_restore

    _migrate()
    try:
        print(backup_restore(Path(args.archive), force=args.force))
    except BackupError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2
    return 0


# --- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianxin", description="连心 — 党建引领基层治理平台")
    parser.add_argument("--data-dir", help="数据目录（SQLite 数据库、队列、上传文件）")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data-dir", help="数据目录")
        p.set_defaults(handler=handler)
        return p

    p = add("demo", cmd_demo, "生成（或复用）演示数据并启动演示站")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    p = add("serve", cmd_serve, "启动 Web 服务（多线程 WSGI）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--migrate", action="store_true", help="启动前执行数据库迁移")
    p.add_argument("--with-worker", action="store_true", help="在同一进程内运行后台任务")
    p.add_argument(
        "--trusted-proxy",
        default=os.environ.get("LIANXIN_TRUSTED_PROXY", ""),
        help="反向代理的地址（如 127.0.0.1）：采信其 X-Forwarded-For / X-Forwarded-Proto",
    )

    p = add("worker", cmd_worker, "运行后台任务进程（Huey）")
    p.add_argument("--workers", type=int, default=2)

    add("migrate", cmd_migrate, "执行数据库迁移")

    p = add("manage", cmd_manage, "运行 Django 管理命令")
    p.add_argument("rest", nargs=argparse.REMAINDER)

    p = add("territory", cmd_territory_import, "区划数据")
    tsub = p.add_subparsers(dest="territory_command", required=True)
    tp = tsub.add_parser("import", help="从随包的统计用区划代码导入某个前缀")
    tp.add_argument("--prefix", required=True, help="区划代码前缀，如 4108（焦作）")
    tp.add_argument("--data-dir", help="数据目录")
    tp.set_defaults(handler=cmd_territory_import)

    p = add("import", cmd_import, "从 Excel 导入户、居民、党员或民生台账")
    p.add_argument("kind", choices=["households", "residents", "members", "ledger"])
    p.add_argument("file")
    p.add_argument("--unit", required=True, help="导入到的单元编码（村/社区或网格）")
    p.add_argument("--mode", choices=["all_or_nothing", "valid_only"], default="all_or_nothing")
    p.add_argument("--user", required=True, help="以哪个账号的权限导入")

    p = add("export", cmd_export, "导出户、居民、党员或民生台账为 Excel")
    p.add_argument("kind", choices=["households", "residents", "members", "ledger"])
    p.add_argument("--output", "-o", required=True)
    p.add_argument("--unit", required=True)
    p.add_argument("--user", required=True)

    p = add("report", cmd_report_cases, "统计报表")
    rsub = p.add_subparsers(dest="report_command", required=True)
    rp = rsub.add_parser(
        "cases",
        help="诉求办理统计：与“诉求统计”页面相同的数字（docs/cases-figures.md）",
        description="输出某单位某期间的诉求办理统计（JSON 打印到屏幕，或写入 xlsx 文件）",
    )
    rp.add_argument("--data-dir", help="数据目录")
    rp.add_argument("--unit", required=True, help="单位编码，如 410883001002")
    rp.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    rp.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    rp.add_argument("--format", choices=["json", "xlsx"], default="json")
    rp.add_argument("--output", "-o", help="写入的文件（xlsx 必填；json 不填则打印）")
    rp.set_defaults(handler=cmd_report_cases)

    p = add("points", cmd_points, "党群积分：校验账本、重算排名、入账公示期满的申报")
    psub = p.add_subparsers(dest="points_command", required=True)
    pp = psub.add_parser(
        "verify",
        help="重算每个账户的哈希链与余额，报告被改动、插入或删除的流水（有问题时退出码为 1）",
    )
    pp.add_argument("--data-dir", help="数据目录")
    pp.add_argument("--account", action="append", type=int, help="只校验这些账户编号")
    pp = psub.add_parser("recompute", help="重算某期间的积分与排名（默认本月和本年）")
    pp.add_argument("--data-dir", help="数据目录")
    pp.add_argument("--period", action="append", help="期间，如 2026 或 2026-11，可重复")
    pp = psub.add_parser("book-due", help="入账公示期满且无异议的积分申报")
    pp.add_argument("--data-dir", help="数据目录")

    p = add("backup", cmd_backup, "备份数据库与上传文件到一个归档文件")
    p.add_argument("--output", "-o", required=True, help="归档文件路径，如 lianxin-20261122.tar.gz")

    p = add("restore", cmd_restore, "从备份归档恢复数据库与上传文件")
    p.add_argument("archive")
    p.add_argument("--force", action="store_true", help="覆盖已有数据的数据库")

    p = add("createadmin", cmd_createadmin, "创建系统管理员账号")
    p.add_argument("username")
    p.add_argument("--password", required=True)
    p.add_argument("--unit", required=True, help="管理员所在单元编码，如 4108")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = _extract_data_dir(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(args_list)
    _setup()
    _cli_context()
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
