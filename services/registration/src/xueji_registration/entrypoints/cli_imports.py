"""`xueji registration import | report | template | failed-rows | preschool ...`: the Excel commands.

Registered on the `registration` group of entrypoints/cli.py (imported at its end). An import is one
call: the progress bar counts the rows of the file (read locally with python-calamine), then runs
while the service validates and stores them; the summary shows passed and failed counts and the
first reasons, and how to see the others (`report`, a page of failed rows at a time) and download the
failed rows (`failed-rows`, streamed: the workbook may be larger than one message).
"""

from __future__ import annotations

import io
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import grpc
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from xueji.v1 import common_pb2, registration_pb2, registration_pb2_grpc
from xueji_common.cli.context import caller_options, make_context, print_rpc_error
from xueji_common.grpcserver.errors import precondition_violations
from xueji_registration.entrypoints.cli import _CATEGORY, _KIND, cli, console

_STATUS_ZH = {1: "匹配中", 2: "已匹配学前学籍", 3: "未查到学前学籍", 4: "待确认学前学籍"}


def _fail(exc: grpc.RpcError) -> None:
    print_rpc_error(exc, console)
    for _, subject, description in precondition_violations(exc):
        console.print(f"  {subject}: {description}")
    sys.exit(1)


def _stub(ctx, preschool: bool = False):
    channel = ctx.channel()
    return (
        registration_pb2_grpc.PreschoolTransfersStub(channel)
        if preschool
        else registration_pb2_grpc.RegistrationsStub(channel)
    )


def _rows_in(content: bytes) -> int | None:
    """Data rows of the first sheet that is a template sheet, to size the progress bar."""
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        name = next(n for n in ("学生信息", "学前调档") if n in book.sheet_names)
        return max(book.get_sheet_by_name(name).height - 1, 0)
    except Exception:  # the service gives the real reason
        return None


def _run_import(call, content: bytes, title: str):
    rows = _rows_in(content)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        reading = progress.add_task("读取文件", total=rows or 1)
        progress.update(reading, completed=rows or 1)
        task = progress.add_task(f"{title}：校验并导入", total=None)
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(call)
            while not future.done():
                time.sleep(0.1)
                progress.advance(task)
        try:
            report = future.result()
        except grpc.RpcError as exc:
            progress.stop()
            _fail(exc)
        progress.update(task, total=report.rows_total, completed=report.rows_total)
    _summary(report)


def _summary(report) -> None:
    table = Table("导入编号", "文件", "总行数", "校验通过", "校验失败", title="导入结果")
    table.add_row(
        report.import_id,
        report.file_name,
        str(report.rows_total),
        f"[green]{report.rows_passed}[/green]",
        f"[red]{report.rows_failed}[/red]" if report.rows_failed else "0",
    )
    console.print(table)
    if report.errors:
        _reasons(report.errors[:20], "校验失败原因（前20条）")
        if report.next_page_token or len(report.errors) > 20:
            console.print(f"查看全部失败原因: xueji registration report {report.import_id}")
        console.print(f"下载失败数据: xueji registration failed-rows {report.import_id} -o 失败数据.xlsx")


def _reasons(errors, title: str) -> None:
    reasons = Table("行", "列", "原因", title=title)
    for e in errors:
        reasons.add_row(str(e.row_number), e.column, e.message)
    console.print(reasons)


@cli.command(
    name="import", help="导入: import a filled-in registration template (居民身份证 or 港澳台和外籍)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(list(_KIND)), required=True)
@click.option("--category", type=click.Choice(["resident", "hmt_foreign"]), required=True)
@click.option("--school", default="", help="School code (default: --org).")
@caller_options
def import_file(file, kind, category, school, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    content = file.read_bytes()
    request = registration_pb2.ImportApplicationsRequest(
        school_code=school or org or "",
        kind=_KIND[kind],
        category=_CATEGORY[category],
        file=common_pb2.FileContent(file_name=file.name, content=content),
    )
    stub = _stub(ctx)
    _run_import(
        lambda: stub.ImportApplications(request, metadata=ctx.metadata(), timeout=1800), content, file.name
    )


@cli.command(help="下载模板: the registration import template of a kind and category.")
@click.option("--kind", type=click.Choice(list(_KIND)), required=True)
@click.option("--category", type=click.Choice(["resident", "hmt_foreign"]), required=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: the template's name."
)
@caller_options
def template(kind, category, output, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    try:
        file = _stub(ctx).DownloadTemplate(
            registration_pb2.DownloadTemplateRequest(kind=_KIND[kind], category=_CATEGORY[category]),
            metadata=ctx.metadata(),
            timeout=60,
        )
    except grpc.RpcError as exc:
        _fail(exc)
    _save(file, output)


@cli.command(
    help="导入结果: an import's counts and the reasons of its failed rows, a page of rows at a time."
)
@click.argument("import_id")
@click.option("--page-size", default=100, show_default=True, help="Failed rows per page (at most 1000).")
@click.option("--page-token", default="")
@caller_options
def report(import_id, page_size, page_token, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    try:
        answer = _stub(ctx).GetImportReport(
            registration_pb2.GetImportReportRequest(
                import_id=import_id, page_size=page_size, page_token=page_token
            ),
            metadata=ctx.metadata(),
            timeout=60,
        )
    except grpc.RpcError as exc:
        _fail(exc)
    console.print(
        f"导入 {answer.import_id}（{answer.file_name}）：共 {answer.rows_total} 行，校验通过 "
        f"{answer.rows_passed} 行，校验失败 {answer.rows_failed} 行"
    )
    if answer.errors:
        _reasons(answer.errors, "校验失败原因")
    if answer.next_page_token:
        console.print(f"下一页: --page-token {answer.next_page_token}")


@cli.command(
    name="failed-rows",
    help="下载失败数据: the failed rows of an import with the reasons, to fix and re-import.",
)
@click.argument("import_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@caller_options
def failed_rows(import_id, output, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    path, size = None, 0
    try:
        pieces = _stub(ctx).DownloadFailedRowsFile(
            registration_pb2.DownloadFailedRowsRequest(import_id=import_id),
            metadata=ctx.metadata(),
            timeout=600,
        )
        for piece in pieces:
            if path is None:
                path = output or Path(piece.file_name)
                file = path.open("wb")
            file.write(piece.data)
            size += len(piece.data)
    except grpc.RpcError as exc:
        _fail(exc)
    finally:
        if path is not None:
            file.close()
    console.print(f"已保存 {path}（{size} 字节）")


def _save(file, output: Path | None) -> None:
    path = output or Path(file.file_name)
    path.write_bytes(file.content)
    console.print(f"已保存 {path}（{len(file.content)} 字节）")


@cli.group(help="学前调档: preschool transfers (list, import, export, template).")
def preschool() -> None:
    pass


@preschool.command(name="list", help="学前调档查询.")
@click.option("--unit", default="", help="School or department code (default: the caller's unit).")
@click.option("--name", default="", help="Name prefix.")
@click.option("--status", type=click.Choice(["matched", "not_found", "to_confirm", "pending"]), multiple=True)
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def preschool_list(unit, name, status, page_size, page_token, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    numbers = {"pending": 1, "matched": 2, "not_found": 3, "to_confirm": 4}
    try:
        response = _stub(ctx, True).ListPreschoolTransfers(
            registration_pb2.ListPreschoolTransfersRequest(
                org_unit_code=unit,
                name=name,
                match_statuses=[numbers[s] for s in status],
                page_size=page_size,
                page_token=page_token,
            ),
            metadata=ctx.metadata(),
            timeout=60,
        )
    except grpc.RpcError as exc:
        _fail(exc)
    table = Table(
        "编号",
        "姓名",
        "身份证件号",
        "学校",
        "匹配状态",
        "已发起注册",
        title=f"学前调档（共 {response.total_size} 条）",
    )
    for t in response.transfers:
        table.add_row(
            t.transfer_id,
            t.identity.name,
            t.identity.document.number,
            t.school_code,
            _STATUS_ZH.get(t.match_status, ""),
            "是" if t.application_id else "否",
        )
    console.print(table)
    if response.next_page_token:
        console.print(f"下一页: --page-token {response.next_page_token}")


@preschool.command(name="import", help="Excel导入学前调档.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", default="", help="School code (default: --org).")
@caller_options
def preschool_import(file, school, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    content = file.read_bytes()
    request = registration_pb2.ImportPreschoolTransfersRequest(
        school_code=school or org or "", file=common_pb2.FileContent(file_name=file.name, content=content)
    )
    stub = _stub(ctx, True)
    _run_import(
        lambda: stub.ImportPreschoolTransfers(request, metadata=ctx.metadata(), timeout=1800),
        content,
        file.name,
    )


@preschool.command(
    name="export", help="调档学生导出: selected children (one category) into the registration template."
)
@click.argument("transfer_ids", nargs=-1, required=True)
@click.option("--school", default="", help="School code (default: --org).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@caller_options
def preschool_export(transfer_ids, school, output, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    try:
        file = _stub(ctx, True).ExportPreschoolTransfers(
            registration_pb2.ExportPreschoolTransfersRequest(
                school_code=school or org or "", transfer_ids=list(transfer_ids)
            ),
            metadata=ctx.metadata(),
            timeout=300,
        )
    except grpc.RpcError as exc:
        _fail(exc)
    _save(file, output)


@preschool.command(name="template", help="下载学前调档导入模板.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@caller_options
def preschool_template(output, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    try:
        file = _stub(ctx, True).DownloadPreschoolTemplate(
            registration_pb2.DownloadPreschoolTemplateRequest(), metadata=ctx.metadata(), timeout=60
        )
    except grpc.RpcError as exc:
        _fail(exc)
    _save(file, output)
