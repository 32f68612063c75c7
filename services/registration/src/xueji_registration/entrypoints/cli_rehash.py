"""`xueji registration rehash | republish`: the registration steps of a rotation of XUEJI_HASH_KEY
(deploy/OPERATIONS.md §8). They write straight into the service database (XUEJI_DATABASE_URL, else
the embedded SQLite file) with the current key, then publish the announcements they wrote to the
outbox to RabbitMQ (XUEJI_AMQP_URI) themselves, so that no gRPC server (and no intake) needs to run.
Registered on the `registration` group of entrypoints/cli.py."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xueji_registration.entrypoints.cli import cli, console

_TABLES_ZH = {
    "applications": "学籍注册申请",
    "student_records": "学籍",
    "preschool_transfers": "学前调档",
    "import_rows": "导入失败行",
}
_OPTIONS = (
    click.option("--batch-size", default=1000, show_default=True, help="Rows per transaction."),
    click.option(
        "--relay/--no-relay",
        default=True,
        show_default=True,
        help="Publish the announcements to RabbitMQ before exiting (else a server's relay does).",
    ),
)


def _with_options(command):
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@cli.command(
    help="密钥轮换：用当前 XUEJI_HASH_KEY 重算所有证件号哈希 "
    "(applications, records, preschool transfers) and announce each changed record and "
    "application in flight to dedup, national-query and special-ed; then re-encrypt every value "
    "not under the current XUEJI_DATA_KEY. "
    "Idempotent: a second run changes nothing."
)
@_with_options
def rehash(batch_size, relay) -> None:
    _run(announce_all=False, batch_size=batch_size, relay=relay)


@cli.command(
    help="重新通知：announce every record (version + 1) and every application in flight again with its "
    "current hash, changed or not (e.g. after a consumer's database was restored)."
)
@_with_options
def republish(batch_size, relay) -> None:
    _run(announce_all=True, batch_size=batch_size, relay=relay)


def _run(*, announce_all: bool, batch_size: int, relay: bool) -> None:
    from sqlalchemy import func, select

    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_registration.adapters.rehash_store import TABLES
    from xueji_registration.service_layer.rehash import rehash as rehash_all
    from xueji_registration.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    try:
        runtime.migrate()
        with runtime.engine.connect() as conn:
            totals = {
                name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, (t, _) in TABLES.items()
            }
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            tasks = {name: progress.add_task(_TABLES_ZH[name], total=n) for name, n in totals.items()}
            tallies = rehash_all(
                runtime.uow_factory,
                runtime.settings.hash_key,
                announce_all=announce_all,
                batch=batch_size,
                progress=lambda name, n: progress.advance(tasks[name], n),
            )
        _summary(tallies, announce_all)
        if not announce_all:
            from xueji_registration.service_layer.rehash import reencrypt

            counts = reencrypt(runtime.uow_factory)
            console.print(
                "数据密钥 (XUEJI_DATA_KEY) 重新加密："
                + "，".join(f"{_TABLES_ZH.get(name, name)} {n} 行" for name, n in counts.items())
            )
        if relay:
            _publish_outbox(runtime)
    finally:
        runtime.close()


def _summary(tallies, announce_all: bool) -> None:
    table = Table(
        "数据", "检查", "哈希已更新", "已通知", title="重新通知" if announce_all else "证件号哈希重算"
    )
    for name, t in tallies.items():
        table.add_row(_TABLES_ZH[name], str(t.examined), str(t.changed), str(t.announced))
    console.print(table)
    if not announce_all and not any(t.changed for t in tallies.values()):
        console.print(
            "[yellow]没有需要更新的哈希：已是当前密钥的哈希（XUEJI_HASH_KEY 是否已换成新密钥？）[/yellow]"
        )


def _publish_outbox(runtime) -> None:
    """Everything unsent in the outbox (the announcements first among them, in order) to RabbitMQ."""
    from xueji_common.messaging.bus import NamekoPublisher
    from xueji_common.messaging.relay import OutboxRelay

    publisher = NamekoPublisher(runtime.settings.amqp_uri)
    relay = OutboxRelay(runtime.name, runtime.session_factory, runtime.spec.outbox, publisher)
    try:
        with Progress(
            TextColumn("发布事件"), TextColumn("{task.completed} 条"), TimeElapsedColumn(), console=console
        ) as progress:
            task = progress.add_task("relay", total=None)
            while sent := relay.publish_pending():
                progress.advance(task, sent)
    finally:
        publisher.close()
    console.print("事件已全部发布到消息队列")
