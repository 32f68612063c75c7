"""`xueji registration rematch | purge-uploads`: the worker's periodic jobs (entrypoints/maintenance.py)
on demand. Like rehash, they work straight on the service database (XUEJI_DATABASE_URL, else the
embedded SQLite file); rematch asks national-query at its configured address (XUEJI_PEER_NATIONAL_QUERY).
Registered on the `registration` group of entrypoints/cli.py."""

from __future__ import annotations

import datetime as dt
import sys

import click
from rich.table import Table

from xueji_registration.domain.preschool import MatchStatus
from xueji_registration.entrypoints.cli import cli, console


def _runtime():
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_registration.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    runtime.migrate()
    return runtime


@cli.command(
    short_help="学前调档重新匹配: ask national-query again for 匹配中 transfers.",
    help="学前调档重新匹配：仍为“匹配中”的学生再次查询全国学前学籍（全国学籍查询服务当时未应答的）。"
    "The worker does this by itself every XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS.",
)
@click.option(
    "--older-than",
    "minutes",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Only transfers whose last matching is older than this many minutes.",
)
def rematch(minutes) -> None:
    from xueji_registration.entrypoints.maintenance import Busy
    from xueji_registration.entrypoints.maintenance import rematch as run

    runtime = _runtime()
    try:
        tally = run(runtime, dt.timedelta(minutes=minutes))
    except Busy:
        console.print("[yellow]工作进程正在进行重新匹配，请稍后再试[/yellow]")
        sys.exit(1)
    finally:
        runtime.close()
    if not tally.examined:
        console.print("没有“匹配中”的学前调档学生，无需重新匹配")
        return
    table = Table("匹配结果", "人数", title="学前调档重新匹配")
    table.add_row(MatchStatus.MATCHED.label_zh, str(tally.matched))
    table.add_row(MatchStatus.NOT_FOUND.label_zh, str(tally.not_found))
    table.add_row(MatchStatus.TO_CONFIRM.label_zh, str(tally.to_confirm))
    table.add_row("仍无法查询（仍为匹配中）", str(tally.unreachable))
    if tally.changed:
        table.add_row("期间已被修改或删除（未更新）", str(tally.changed))
    console.print(table)
    if tally.stopped:
        console.print("[yellow]全国学籍查询服务暂时无法连接，仍为“匹配中”的学生将由工作进程定时重试[/yellow]")


@cli.command(
    name="purge-uploads",
    short_help="清理上传文件: delete old uploads never attached to an application.",
    help="清理上传文件：删除未关联到任何注册申请、且上传时间早于指定小时数的证明材料和照片（数据库记录和文件）。"
    "The worker does this by itself every XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS.",
)
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Age in hours (default: XUEJI_UPLOAD_MAX_AGE_HOURS, else 24).",
)
def purge_uploads(hours) -> None:
    from xueji_registration.config import RegistrationSettings
    from xueji_registration.entrypoints.maintenance import purge_uploads as run

    age = dt.timedelta(hours=hours) if hours is not None else RegistrationSettings.from_env().upload_max_age
    runtime = _runtime()
    try:
        deleted = run(runtime, age)
    finally:
        runtime.close()
    console.print(f"已删除 {deleted} 个上传超过 {age.total_seconds() / 3600:g} 小时且未关联注册申请的文件")
