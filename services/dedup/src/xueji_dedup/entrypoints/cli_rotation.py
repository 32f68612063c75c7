"""`xueji dedup rehash` and `xueji dedup load-register`: operator commands writing straight into the
service database (XUEJI_DATABASE_URL, else the embedded SQLite file) with the current XUEJI_HASH_KEY;
the steps of a hash-key rotation (deploy/OPERATIONS.md §8). Registered on the `dedup` group of cli.py."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xueji_dedup.entrypoints.cli import cli, console


def _runtime():
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_dedup.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    runtime.migrate()
    return runtime


def _since(value: str) -> dt.datetime:
    try:
        since = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "应为 ISO 时间，如 2027-01-10T20:00:00+08:00", param_hint="--since"
        ) from None
    if since.tzinfo is None:
        raise click.BadParameter("须带时区，如 +08:00", param_hint="--since")
    return since


@cli.command(
    help="密钥轮换后整理查重库: re-key what dedup holds in clear (L/J numbers, no-document groups), "
    "then blank every hash not refreshed since --since (the rotation's start). Run after all "
    "re-announcements of registration have been consumed; --dry-run only counts."
)
@click.option("--since", "since_text", required=True, help="When the rotation began (ISO time with zone).")
@click.option("--dry-run", is_flag=True, help="Count only; change nothing.")
def rehash(since_text, dry_run) -> None:
    from xueji_dedup.service_layer.rotation import rekey_and_purge

    since = _since(since_text)
    runtime = _runtime()
    try:
        with Progress(
            TextColumn("重算学籍号哈希"),
            TextColumn("{task.completed} 条"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("numbers", total=None)
            counts = rekey_and_purge(
                runtime.uow_factory(), since, dry_run=dry_run, progress=lambda n: progress.advance(task, n)
            )
    finally:
        runtime.close()
    table = Table("步骤", "行数", title="查重库整理" + ("（试运行，未修改）" if dry_run else ""))
    for step, n in counts.items():
        table.add_row(step, str(n))
    console.print(table)


@cli.command(
    name="load-register",
    help="导入基础数据库: replace the population_register table with a CSV file "
    "(resident_id,name,gender,birth_date,household_division).",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_register_command(file) -> None:
    from xueji_dedup.adapters.register_file import load_register

    runtime = _runtime()
    try:
        with Progress(
            TextColumn("导入 {task.description}"),
            BarColumn(),
            TextColumn("{task.completed} 行"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(file.name, total=None)
            report = load_register(
                runtime.engine,
                file,
                runtime.settings.hash_key,
                progress=lambda done: progress.update(task, completed=done),
            )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        sys.exit(1)
    finally:
        runtime.close()
    failed = report.rows_total - report.rows_loaded
    console.print(f"共 {report.rows_total} 行：导入 {report.rows_loaded}，未导入 {failed}")
    if report.problems:
        table = Table("行号", "原因", title="未导入的行")
        for number, reason in report.problems:
            table.add_row(str(number), reason)
        console.print(table)
