"""`xueji special-ed list | candidates | add | edit | reencrypt` (added to the `xueji` CLI by entry point).

Codes on the command line are the code words (visual, certificate, grade_2...) or the Chinese
labels (视力残疾, 残疾证, 二级...).
"""

from __future__ import annotations

import sys

import click
import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from rich.console import Console
from rich.table import Table

from xueji_common.cli.context import caller_options, make_context, print_rpc_error
from xueji_special_ed.domain.codes import Degree, DisabilityType, InclusiveEducation, ProofType

console = Console()


def _code(enum_type):
    def convert(ctx, param, value):
        if value is None:
            return None
        for member in enum_type:
            if value in (member.value, member.label_zh):
                return member
        choices = "、".join(f"{m.value}（{m.label_zh}）" for m in enum_type)
        raise click.BadParameter(f"应为：{choices}")

    return convert


def _stub(ctx):
    from xueji.v1 import special_ed_pb2_grpc

    return special_ed_pb2_grpc.SpecialEdStub(ctx.channel())


def _fail(exc: grpc.RpcError) -> None:
    print_rpc_error(exc, console)
    sys.exit(1)


def _label(enum_type, number: int) -> str:
    member = enum_type.from_proto(number)
    return member.label_zh if member else ""


@click.group(name="special-ed", help="特教学生信息管理 (chapter 15): list, candidates, add, edit.")
def cli() -> None:
    pass


@cli.command(name="list", help="特教学生列表: students with special-education information.")
@click.option("--unit", default="", help="School or department code (default: the caller's unit).")
@click.option("--name", default="", help="Name prefix.")
@click.option("--disability-type", callback=_code(DisabilityType))
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def list_(unit, name, disability_type, page_size, page_token, address, token, role, org, user) -> None:
    from xueji.v1 import special_ed_pb2 as se

    ctx = make_context(address, token, role, org, user)
    request = se.ListSpecialEdStudentsRequest(
        org_unit_code=unit,
        name=name,
        disability_type=disability_type.to_proto() if disability_type else 0,
        page_size=page_size,
        page_token=page_token,
    )
    try:
        response = _stub(ctx).ListSpecialEdStudents(request, metadata=ctx.metadata())
    except grpc.RpcError as exc:
        _fail(exc)
    table = Table(
        "学籍ID", "姓名", "学校", "残疾类型", "残疾证明类型", "残疾程度", "残疾证书号", "随班就读", "版本"
    )
    for i in response.infos:
        table.add_row(
            i.record_id,
            i.student.name,
            i.student.school_code,
            _label(DisabilityType, i.disability_type),
            _label(ProofType, i.proof_type),
            _label(Degree, i.degree),
            i.certificate_number,
            _label(InclusiveEducation, i.inclusive_education),
            str(i.version),
        )
    console.print(table)
    console.print(
        f"共 {response.total_size} 人"
        + (f"；下一页：--page-token {response.next_page_token}" if response.next_page_token else "")
    )


@cli.command(help="特教学生选择: the school's disabled students without information yet.")
@click.option("--school", default="", help="School code (default: the caller's school).")
@click.option("--name", default="", help="Name prefix.")
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@caller_options
def candidates(school, name, page_size, page_token, address, token, role, org, user) -> None:
    from xueji.v1 import special_ed_pb2 as se

    ctx = make_context(address, token, role, org, user)
    request = se.ListCandidatesRequest(
        school_code=school, name=name, page_size=page_size, page_token=page_token
    )
    try:
        response = _stub(ctx).ListCandidates(request, metadata=ctx.metadata())
    except grpc.RpcError as exc:
        _fail(exc)
    table = Table("学籍ID", "全国学籍号", "姓名", "学校", "残疾人类型")
    for s in response.candidates:
        table.add_row(
            s.record_id,
            s.national_student_number,
            s.name,
            s.school_code,
            _label(DisabilityType, s.recorded_disability_type),
        )
    console.print(table)
    console.print(f"共 {response.total_size} 人")


def _info_options(fn):
    fn = click.option("--inclusive", callback=_code(InclusiveEducation), help="随班就读")(fn)
    fn = click.option("--description", default=None, help="残疾描述（有明显残疾症状时必填）")(fn)
    fn = click.option("--certificate-number", default=None, help="残疾证书号（残疾证时必填）")(fn)
    fn = click.option("--degree", callback=_code(Degree), help="残疾程度（残疾证、医院残疾证明时必选）")(fn)
    fn = click.option("--proof", callback=_code(ProofType), help="残疾证明类型")(fn)
    fn = click.option("--disability-type", callback=_code(DisabilityType), help="残疾类型（默认取学籍中的）")(
        fn
    )
    return fn


def _info(record_id, disability_type, proof, degree, certificate_number, description, inclusive):
    from xueji.v1 import special_ed_pb2 as se

    values = {
        "disability_type": disability_type,
        "proof_type": proof,
        "degree": degree,
        "inclusive_education": inclusive,
    }
    info = se.SpecialEdInfo(
        record_id=record_id,
        certificate_number=certificate_number or "",
        symptom_description=description or "",
        **{k: v.to_proto() for k, v in values.items() if v is not None},
    )
    given = [k for k, v in values.items() if v is not None]
    given += [
        k
        for k, v in (("certificate_number", certificate_number), ("symptom_description", description))
        if v is not None
    ]
    return info, given


def _show(info) -> None:
    console.print(
        f"已保存：{info.student.name}（{info.record_id}），版本 {info.version}："
        f"{_label(DisabilityType, info.disability_type)}，{_label(ProofType, info.proof_type)}，"
        f"{_label(Degree, info.degree) or '无残疾程度'}，"
        f"{_label(InclusiveEducation, info.inclusive_education)}"
    )


@cli.command(help="新增特教学生信息 for a candidate (RECORD_ID from `candidates`).")
@click.argument("record_id")
@_info_options
@caller_options
def add(
    record_id,
    disability_type,
    proof,
    degree,
    certificate_number,
    description,
    inclusive,
    address,
    token,
    role,
    org,
    user,
) -> None:
    from xueji.v1 import special_ed_pb2 as se

    ctx = make_context(address, token, role, org, user)
    info, _ = _info(record_id, disability_type, proof, degree, certificate_number, description, inclusive)
    try:
        _show(
            _stub(ctx).CreateSpecialEdInfo(se.CreateSpecialEdInfoRequest(info=info), metadata=ctx.metadata())
        )
    except grpc.RpcError as exc:
        _fail(exc)


@cli.command(help="维护特教学生信息: change the given fields only.")
@click.argument("record_id")
@_info_options
@click.option(
    "--version",
    "expected_version",
    type=int,
    default=0,
    help="The version you read (default: the current one, read first).",
)
@caller_options
def edit(
    record_id,
    disability_type,
    proof,
    degree,
    certificate_number,
    description,
    inclusive,
    expected_version,
    address,
    token,
    role,
    org,
    user,
) -> None:
    from xueji.v1 import special_ed_pb2 as se

    ctx = make_context(address, token, role, org, user)
    info, given = _info(record_id, disability_type, proof, degree, certificate_number, description, inclusive)
    if not given:
        raise click.UsageError("没有要修改的字段")
    stub = _stub(ctx)
    try:
        if not expected_version:
            expected_version = stub.GetSpecialEdInfo(
                se.GetSpecialEdInfoRequest(record_id=record_id), metadata=ctx.metadata()
            ).version
        _show(
            stub.UpdateSpecialEdInfo(
                se.UpdateSpecialEdInfoRequest(
                    info=info, update_mask=FieldMask(paths=given), expected_version=expected_version
                ),
                metadata=ctx.metadata(),
            )
        )
    except grpc.RpcError as exc:
        _fail(exc)


@cli.command(
    help="重新加密：rewrite the stored national student numbers and disability certificate numbers not "
    "under the current XUEJI_DATA_KEY "
    "(a data-key rotation, deploy/OPERATIONS.md §8a). Works on the service database; "
    "a second run rewrites 0."
)
def reencrypt() -> None:
    from xueji_common.config import Settings
    from xueji_common.db.reencrypt import reencrypt_table
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_special_ed.adapters.tables import special_ed_infos, students
    from xueji_special_ed.spec import SPEC

    runtime = ServiceRuntime(SPEC, Settings.from_env())
    try:
        runtime.migrate()
        with runtime.engine.begin() as conn:
            count = reencrypt_table(conn, students, ("record_id",))
            infos = reencrypt_table(conn, special_ed_infos, ("record_id",))
        console.print(f"数据密钥 (XUEJI_DATA_KEY) 重新加密：特教学生 {count} 行，特教信息 {infos} 行")
    finally:
        runtime.close()
