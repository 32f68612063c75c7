"""`xueji national-query ...`: bulk load, lookups, and the stored numbers under new keys (rehash,
reencrypt); added to the `xueji` CLI by entry point."""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click
import grpc
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xueji_common.cli.context import caller_options, make_context, print_rpc_error

console = Console()
CHUNK = 1 << 20


@click.group(name="national-query", help="全国学籍查询: lookups and bulk load.")
def cli() -> None:
    pass


def _fail(exc: grpc.RpcError) -> None:
    print_rpc_error(exc, console)
    sys.exit(1)


def _print_report(total, inserted, updated, failed, errors, truncated) -> None:
    console.print(f"共 {total} 行：新增 {inserted}，更新 {updated}，未导入 {failed}")
    if errors:
        table = Table("行号", "列", "原因", title="未导入的行" + ("（仅列出前1000条）" if truncated else ""))
        for e in errors:
            table.add_row(str(e.row_number), e.column, e.message)
        console.print(table)


@cli.command(
    help="Bulk-load existing national records from a CSV or Excel file. Writes straight into the "
    "service database (XUEJI_DATABASE_URL, or the embedded SQLite file); --grpc streams the file "
    "to a running server instead (BulkLoadRecords). Either way every record also becomes a holder of "
    "its document in the national dedup (Dedup.LoadRecordHoldings at XUEJI_PEER_DEDUP_NATIONAL), "
    "in the same all-or-nothing load."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--province", default="", help="Province code of every row (when the file has no 所在省份 column)."
)
@click.option("--grpc", "via_grpc", is_flag=True, help="Send the file to the server at --address.")
@click.option(
    "--without-dedup",
    is_flag=True,
    help="Only national-query's store (rebuilding it alone: the national dedup already holds these records).",
)
@caller_options
def load(file, province, via_grpc, without_dedup, address, token, role, org, user) -> None:
    from xueji_national_query.adapters.load_files import format_of

    fmt = format_of(file.name)
    if fmt is None:
        raise click.BadParameter("文件格式应为 .csv 或 .xlsx", param_hint="FILE")
    if via_grpc:
        return _load_over_grpc(
            file, fmt, province, make_context(address, token, role or "system", org or "000000", user)
        )
    from xueji_common.config import Settings
    from xueji_common.errors import DomainError
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_national_query.adapters.holdings_feed import dedup_feed
    from xueji_national_query.service_layer.bulk_load import bulk_load
    from xueji_national_query.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    runtime.migrate()
    columns = (TextColumn("导入 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(file.name, total=None)
            report = bulk_load(
                runtime.uow_factory(),
                file,
                fmt,
                province,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                holdings=None if without_dedup else lambda: dedup_feed(runtime),
            )
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        sys.exit(1)
    finally:
        runtime.close()
    _print_report(
        report.rows_total,
        report.rows_inserted,
        report.rows_updated,
        report.rows_failed,
        report.errors,
        report.errors_truncated,
    )


@cli.command(
    help="重新计算学籍号摘要：after a rotation of XUEJI_HASH_KEY, the keyed hash of every stored national "
    "student number computed again with the current key (deploy/OPERATIONS.md §8, before the files "
    "are loaded again). Works on the service database; a second run rewrites 0."
)
def rehash() -> None:
    from xueji_national_query.adapters.number_keys import rehash_numbers

    with _service_database() as conn:
        count = rehash_numbers(conn)
    console.print(f"哈希密钥 (XUEJI_HASH_KEY) 重新计算：全国学籍 {count} 行")
    if count == 0:
        console.print("[yellow]没有任何摘要改变：XUEJI_HASH_KEY 可能没有更换[/yellow]")


@cli.command(
    help="重新加密：rewrite the stored national student numbers not under the current XUEJI_DATA_KEY "
    "(a data-key rotation, deploy/OPERATIONS.md §8a). Works on the service database; "
    "a second run rewrites 0."
)
def reencrypt() -> None:
    from xueji_common.db.reencrypt import reencrypt_table
    from xueji_national_query.adapters.tables import national_records

    with _service_database() as conn:
        count = reencrypt_table(conn, national_records, ("record_id",))
    console.print(f"数据密钥 (XUEJI_DATA_KEY) 重新加密：全国学籍 {count} 行")


@contextmanager
def _service_database():
    """A transaction on the service database (XUEJI_DATABASE_URL, or the embedded SQLite file), migrated."""
    from xueji_common.config import Settings
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_national_query.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    try:
        runtime.migrate()
        with runtime.engine.begin() as conn:
            yield conn
    finally:
        runtime.close()


def _load_over_grpc(file: Path, fmt: str, province: str, ctx) -> None:
    from xueji.v1 import national_query_pb2 as nq
    from xueji.v1 import national_query_pb2_grpc

    formats = {"csv": nq.BULK_LOAD_FORMAT_CSV, "xlsx": nq.BULK_LOAD_FORMAT_XLSX}
    size = file.stat().st_size
    with Progress(
        TextColumn("上传 {task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task(file.name, total=size)

        def requests():
            yield nq.BulkLoadRecordsRequest(
                header=nq.BulkLoadHeader(file_name=file.name, format=formats[fmt], province_code=province)
            )
            with open(file, "rb") as f:
                while chunk := f.read(CHUNK):
                    progress.advance(task, len(chunk))
                    yield nq.BulkLoadRecordsRequest(chunk=chunk)
            progress.update(task, description=f"{file.name}（服务器处理中）")

        try:
            report = national_query_pb2_grpc.NationalQueryStub(ctx.channel()).BulkLoadRecords(
                requests(), metadata=ctx.metadata()
            )
        except grpc.RpcError as exc:
            _fail(exc)
    _print_report(
        report.rows_total,
        report.rows_inserted,
        report.rows_updated,
        report.rows_failed,
        report.errors,
        report.errors_truncated,
    )


@cli.command(
    help="全国学籍查询: by name and document number, or name and national student number. People solve "
    "the captcha shown (the PNG is saved and its path printed); the system role needs none."
)
@click.option("--name", required=True, help="姓名")
@click.option("--document-number", default="", help="身份证件号")
@click.option("--student-number", default="", help="全国学籍号")
@click.option("--answer", default="", help="The captcha answer (else asked for after the image is saved).")
@caller_options
def lookup(name, document_number, student_number, answer, address, token, role, org, user) -> None:
    from xueji.v1 import national_query_pb2 as nq
    from xueji.v1 import national_query_pb2_grpc
    from xueji_national_query.domain.load_rows import BEIJING
    from xueji_national_query.domain.vocabulary import EnrolmentStatus, Stage

    if bool(document_number) == bool(student_number):
        raise click.UsageError("请给出 --document-number 或 --student-number 之一")
    ctx = make_context(address, token, role, org, user)
    stub = national_query_pb2_grpc.NationalQueryStub(ctx.channel())
    request = nq.LookupStudentRequest(name=name)
    if document_number:
        request.document_number = document_number
    else:
        request.national_student_number = student_number
    try:
        if role != "system":
            captcha = stub.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=ctx.metadata())
            path = Path(tempfile.gettempdir()) / f"xueji-captcha-{captcha.captcha_id}.png"
            path.write_bytes(captcha.png)
            console.print(f"验证码图片：{path}")
            request.captcha_id = captcha.captcha_id
            request.captcha_answer = answer or click.prompt("请输入验证码")
        response = stub.LookupStudent(request, metadata=ctx.metadata())
    except grpc.RpcError as exc:
        _fail(exc)
    table = Table(
        "姓名",
        "全国学籍号",
        "身份证件号",
        "所在省份",
        "就读学段",
        "就读状态",
        "是否问题学籍",
        "最新学籍变动时间",
    )
    for r in response.results:
        table.add_row(
            r.name,
            r.national_student_number,
            r.document.number,
            r.province_name or r.province_code,
            Stage.from_proto(r.stage).label_zh if r.stage else "",
            EnrolmentStatus.from_proto(r.enrolment_status).label_zh if r.enrolment_status else "",
            "是" if r.problem_record else "否",
            r.last_change_time.ToDatetime(tzinfo=BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)
