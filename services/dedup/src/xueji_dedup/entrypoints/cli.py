"""`xueji dedup ...`: problem groups (list, show, resolve) and checking a document, in Chinese.

Calls the running service over gRPC like `xueji call`; --role/--org mint a development token."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import grpc
from rich.console import Console
from rich.table import Table

from xueji.v1 import common_pb2, dedup_pb2, dedup_pb2_grpc
from xueji_common.auth import Role
from xueji_common.cli.context import caller_options, make_context, print_rpc_error
from xueji_common.documents import DocumentError, DocumentType, mask_document_number, validate_document
from xueji_common.grpcserver.client import bearer
from xueji_common.hashing import document_hash

console = Console()
KINDS = {1: "认证未通过", 2: "一人多籍", 3: "无证件重复", 4: "证件号变更"}
GROUP_STATUS = {1: "待处理", 2: "处理中", 3: "已处理"}
STUDENT_STATUS = {
    1: "待处理",
    2: "已佐证",
    3: "已修正，认证中",
    4: "已修正，认证通过",
    5: "已修正，认证失败",
    6: "已删除",
    7: "已并入跨省问题学籍组",
}

ACTION_LABELS = {1: "佐证", 2: "修正", 3: "删除", 4: "并入跨省问题学籍组"}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _rpc(fn, request, metadata):
    try:
        return fn(request, metadata=metadata, timeout=30)
    except grpc.RpcError as exc:
        print_rpc_error(exc, console)
        sys.exit(1)


@click.group(name="dedup", help="查重认证与问题学籍: documents and problem records.")
def cli() -> None:
    pass


@cli.command(help="问题学籍列表: groups in the caller's (or --unit's) jurisdiction.")
@click.option("--unit", default="", help="Org unit code (default: the caller's).")
@click.option("--status", type=click.Choice(["pending", "in_progress", "resolved"]), multiple=True)
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def problems(unit, status, page_size, page_token, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    statuses = [{"pending": 1, "in_progress": 2, "resolved": 3}[s] for s in status]
    response = _rpc(
        dedup_pb2_grpc.ProblemRecordsStub(ctx.channel()).ListProblemGroups,
        dedup_pb2.ListProblemGroupsRequest(
            org_unit_code=unit, statuses=statuses, page_size=page_size, page_token=page_token
        ),
        ctx.metadata(),
    )
    table = Table("问题组", "类型", "处理状态", "处理单位", "学生（学校，学籍号，状态）", "版本")
    for g in response.groups:
        students = "\n".join(
            f"{s.name or '（外省）'} {s.school_name or s.school_code} {s.national_student_number} "
            f"{STUDENT_STATUS.get(s.status, '')}"
            for s in g.students
        )
        resolver = g.resolver_unit_name or g.resolver_unit_code
        if g.reporting_province_code:  # the national tier's copy: resolved in the reporting province
            resolver += f"（在省份 {g.reporting_province_code} 处理）"
        table.add_row(
            g.group_id,
            KINDS.get(g.kind, ""),
            GROUP_STATUS.get(g.status, ""),
            resolver,
            students,
            str(g.version),
        )
    console.print(table)
    console.print(
        f"共 {response.total_size} 组"
        + (f"，下一页：--page-token {response.next_page_token}" if response.next_page_token else "")
    )


@cli.command(help="问题学籍详情: one group, its students and handling history.")
@click.argument("group_id")
@caller_options
def show(group_id, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    g = _rpc(
        dedup_pb2_grpc.ProblemRecordsStub(ctx.channel()).GetProblemGroup,
        dedup_pb2.GetProblemGroupRequest(group_id=group_id),
        ctx.metadata(),
    )
    console.print(
        f"问题组 {g.group_id}：{KINDS.get(g.kind, '')}，{GROUP_STATUS.get(g.status, '')}，"
        f"处理单位 {g.resolver_unit_name or g.resolver_unit_code}，版本 {g.version}"
    )
    table = Table("学籍", "姓名", "证件号", "学校", "学籍号", "状态", "原因")
    for s in g.students:
        table.add_row(
            s.record_id,
            s.name,
            s.document.number,
            s.school_name or s.school_code,
            s.national_student_number,
            STUDENT_STATUS.get(s.status, ""),
            s.reason,
        )
    console.print(table)
    for h in g.history:
        console.print(
            f"{h.stamp.time.ToDatetime():%Y-%m-%d %H:%M} {h.stamp.org_unit_name or h.stamp.org_unit_code} "
            f"{h.stamp.user_id}：{ACTION_LABELS.get(h.resolution, '')} {h.record_id}，意见：{h.stamp.opinion}"
        )


@cli.command(help="处理问题学籍: e.g. --keep R1 --delete R2 --opinion ... --proof 证明.pdf --version 1.")
@click.argument("group_id")
@click.option("--keep", "corroborate", multiple=True, help="Record id to corroborate (佐证).")
@click.option("--delete", multiple=True, help="Record id to delete (删除).")
@click.option("--opinion", required=True, help="处理意见.")
@click.option("--proof", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True)
@click.option("--version", "expected_version", type=int, default=0, help="The group's version as listed.")
@caller_options
def resolve(
    group_id, corroborate, delete, opinion, proof, expected_version, address, token, role, org, user
) -> None:
    ctx = make_context(address, token, role, org, user)
    resolutions = [dedup_pb2.RecordResolution(record_id=r, resolution=1) for r in corroborate]
    resolutions += [dedup_pb2.RecordResolution(record_id=r, resolution=3) for r in delete]
    files = [
        common_pb2.FileContent(
            file_name=p.name, content_type=CONTENT_TYPES.get(p.suffix.lower(), ""), content=p.read_bytes()
        )
        for p in proof
    ]
    g = _rpc(
        dedup_pb2_grpc.ProblemRecordsStub(ctx.channel()).ResolveProblemGroup,
        dedup_pb2.ResolveProblemGroupRequest(
            group_id=group_id,
            resolutions=resolutions,
            opinion=opinion,
            proof_files=files,
            expected_version=expected_version,
        ),
        ctx.metadata(),
    )
    console.print(f"已处理：问题组 {g.group_id} 现为{GROUP_STATUS.get(g.status, '')}（版本 {g.version}）")


@cli.command(help="证件号查重: is this document held by a record or an application? (national tier)")
@click.option("--type", "doc_type", required=True, help="身份证件类型: 1, 6, 7, 8, 9, A or its Chinese name.")
@click.option("--number", required=True, help="身份证件号 (hashed here with XUEJI_HASH_KEY, never sent).")
@caller_options
def check(doc_type, number, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    try:
        doc = validate_document(DocumentType.coerce(doc_type), number)
    except DocumentError as exc:
        raise click.BadParameter(exc.message, param_hint="--number/--type") from None
    metadata = ctx.metadata()
    if not metadata:  # CheckDocument is the system role's: a development system token, embedded mode only
        if ctx.settings.mode != "embedded":
            raise click.ClickException("证件号查重需要系统令牌：请以 --token（或 XUEJI_TOKEN）提供")
        metadata = bearer(ctx.tokens().mint(user, Role.SYSTEM, "000000", ttl_seconds=300))
    response = _rpc(
        dedup_pb2_grpc.DedupStub(ctx.channel()).CheckDocument,
        dedup_pb2.CheckDocumentRequest(
            document_type=doc.type.to_proto(),
            document_hash=document_hash(ctx.settings.hash_key, doc.type.value, doc.number),
        ),
        metadata,
    )
    masked = mask_document_number(doc.number)
    if response.available:
        console.print(f"{doc.type.label_zh} {masked}：未被占用，可以注册")
        return
    console.print(f"{doc.type.label_zh} {masked}：已被占用")
    for h in response.holdings:
        what = "学籍" if h.kind == dedup_pb2.HOLDING_KIND_RECORD else "注册申请（预留中）"
        console.print(
            f"  {what}：省份 {h.province_code}，学校 {h.school_code}"
            + (f"，学籍号 {h.national_student_number}" if h.national_student_number else "")
        )
    sys.exit(2)


# The rotation commands (rehash, load-register) register themselves on `cli`.
from xueji_dedup.entrypoints import cli_rotation  # noqa: E402,F401
