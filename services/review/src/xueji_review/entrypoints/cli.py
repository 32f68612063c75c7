"""`xueji review ...`: the review and report menus on the command line, over the gRPC API.

The caller is --role/--org (a minted development token) or --token, as for every `xueji` command;
output is for registrars (Chinese, tables).
"""

from __future__ import annotations

import sys

import click
import grpc
from rich.console import Console
from rich.table import Table

from xueji.v1 import review_pb2, review_pb2_grpc
from xueji_common.cli.context import caller_options, make_context, print_rpc_error

console = Console()

_CATEGORIES = {"resident": 1, "hmt_foreign": 2, "no_document": 3}
_CATEGORY_LABELS = {1: "居民身份证", 2: "港澳台和外籍", 3: "无证件"}
_KINDS = {"freshman": 1, "non_freshman": 2}
_STATE_LABELS = {
    1: "待学校审核",
    2: "待上报",
    3: "待教育部门审核",
    4: "审核通过",
    5: "审核不通过（已退回）",
    6: "查重不通过",
    7: "已撤销",
}
_EVENT_LABELS = {
    1: "提交",
    2: "查重认证通过",
    3: "查重认证不通过",
    4: "审核通过",
    5: "审核不通过",
    6: "上报",
    7: "撤销",
}
_LEVEL_LABELS = {0: "", 1: "教育部", 2: "省级", 3: "地市级", 4: "区县级", 5: "学校"}
_AUTH_LABELS = {1: "未查重认证", 2: "认证中", 3: "认证通过", 4: "认证失败", 5: "无需认证"}

category_option = click.option("--category", type=click.Choice(list(_CATEGORIES)), help="证件类别 (默认全部)")
kind_option = click.option(
    "--kind", type=click.Choice(list(_KINDS)), help="小学新生 freshman / 非小学新生 non_freshman"
)


@click.group(name="review", help="审核与上报: school and department review, report.")
def cli() -> None:
    pass


def _stubs(address, token, role, org, user):
    ctx = make_context(address, token, role, org, user)
    channel = ctx.channel()
    return review_pb2_grpc.ReviewsStub(channel), review_pb2_grpc.ReportsStub(channel), ctx.metadata()


def _call(rpc, request, metadata):
    try:
        return rpc(request, metadata=metadata, timeout=120)
    except grpc.RpcError as exc:
        print_rpc_error(exc, console)
        sys.exit(1)


def _print_summary(title: str, summary) -> None:
    table = Table("学校", "合计", *_CATEGORY_LABELS.values(), title=title)
    rows = [(f"{s.school_name}（{s.school_code}）", s.total, s.by_category) for s in summary.schools] or [
        ("", summary.total, summary.by_category)
    ]
    for name, total, by_category in rows:
        counts = {c.category: c.count for c in by_category}
        table.add_row(name or "本校", str(total), *(str(counts.get(c, 0)) for c in _CATEGORY_LABELS))
    console.print(table)
    if summary.blocked:
        console.print(f"其中 {summary.blocked} 名学生尚未完成查重认证，暂不能审核")


def _print_cases(title: str, cases, page) -> None:  # page: the List response (total, next token)
    table = Table(
        "审核记录",
        "姓名",
        "证件类别",
        "证件号",
        "年级/班级",
        "状态",
        "查重认证",
        "当前处理单位",
        "版本",
        title=title,
    )
    for c in cases:
        state = _STATE_LABELS.get(c.state, "")
        if c.blocked_reason:
            state += f"（{c.blocked_reason}）"
        table.add_row(
            c.case_id,
            c.student.name,
            _CATEGORY_LABELS.get(c.category, ""),
            c.student.document.number,
            f"{c.grade} {c.class_name}",
            state,
            _AUTH_LABELS.get(c.authentication_status, ""),
            c.current_unit_name or c.current_unit_code,
            str(c.version),
        )
    console.print(table)
    console.print(
        f"共 {page.total_size} 名"
        + (f"；下一页：--page-token {page.next_page_token}" if page.next_page_token else "")
    )


def _print_batch(done_label: str, done, refused) -> None:
    console.print(f"{done_label} {len(done)} 名学生")
    if refused:
        table = Table("审核记录", "姓名", "原因", title=f"未处理 {len(refused)} 名")
        for r in refused:
            table.add_row(r.case_id, r.student_name, r.reason)
        console.print(table)


@cli.command(help="待审核汇总（--report: 待上报汇总）: total and per category; departments per school.")
@click.option("--school", default="", help="学校标识码 (学校用户默认本校)")
@click.option("--department", default="", help="教育部门: narrow to a unit below the caller")
@click.option("--report", is_flag=True, help="待上报 instead of 待审核")
@category_option
@kind_option
@caller_options
def summary(school, department, report, category, kind, address, token, role, org, user) -> None:
    reviews, reports, meta = _stubs(address, token, role, org, user)
    filters = dict(category=_CATEGORIES.get(category, 0), kind=_KINDS.get(kind, 0))
    if report:
        result = _call(
            reports.GetReportSummary, review_pb2.GetReportSummaryRequest(school_code=school, **filters), meta
        )
        _print_summary("待上报学生", result)
    else:
        request = review_pb2.GetPendingSummaryRequest(
            school_code=school, department_code=department, **filters
        )
        _print_summary("待审核学生", _call(reviews.GetPendingSummary, request, meta))


@cli.command(name="list", help="待审核明细（--report: 待上报明细）of one school, in list order.")
@click.option("--school", default="", help="学校标识码 (学校用户默认本校)")
@click.option("--report", is_flag=True, help="待上报 instead of 待审核")
@click.option("--page-size", default=50, show_default=True)
@click.option("--page-token", default="")
@category_option
@kind_option
@caller_options
def list_cases(
    school, report, page_size, page_token, category, kind, address, token, role, org, user
) -> None:
    reviews, reports, meta = _stubs(address, token, role, org, user)
    school = school or org or ""
    filters = dict(
        school_code=school,
        category=_CATEGORIES.get(category, 0),
        kind=_KINDS.get(kind, 0),
        page_size=page_size,
        page_token=page_token,
    )
    if report:
        result = _call(reports.ListReportableCases, review_pb2.ListReportableCasesRequest(**filters), meta)
        _print_cases("待上报学生", result.cases, result)
    else:
        result = _call(reviews.ListPendingCases, review_pb2.ListPendingCasesRequest(**filters), meta)
        _print_cases("待审核学生", result.cases, result)


@cli.command(help="审核通过: one case, or several in list order (each CASE_ID in turn).")
@click.argument("case_ids", nargs=-1, required=True)
@click.option("--opinion", default="", help="审核意见")
@caller_options
def approve(case_ids, opinion, address, token, role, org, user) -> None:
    _decide(case_ids, review_pb2.REVIEW_DECISION_APPROVE, opinion, (address, token, role, org, user))


@cli.command(help="审核不通过 (退回学校学籍管理员): one case, or several in list order.")
@click.argument("case_ids", nargs=-1, required=True)
@click.option("--opinion", required=True, help="审核意见 (必填)")
@caller_options
def reject(case_ids, opinion, address, token, role, org, user) -> None:
    _decide(case_ids, review_pb2.REVIEW_DECISION_REJECT, opinion, (address, token, role, org, user))


def _decide(case_ids, decision, opinion, caller) -> None:
    reviews, _, meta = _stubs(*caller)
    label = "审核通过" if decision == review_pb2.REVIEW_DECISION_APPROVE else "审核不通过"
    current = case_ids[0]
    while current:
        step = _call(
            reviews.ReviewCases,
            review_pb2.ReviewCasesRequest(
                selected_case_ids=case_ids, case_id=current, decision=decision, opinion=opinion
            ),
            meta,
        )
        decided = step.decided
        console.print(
            f"{decided.student.name}（{decided.case_id}）：{label}，"
            f"当前：{_STATE_LABELS.get(decided.state, '')} {decided.current_unit_name}"
        )
        current = step.next.case_id if step.HasField("next") else ""


@cli.command(
    name="approve-all",
    help="全部审核: every waiting student of a school (or one category), or of several schools.",
)
@click.option("--school", "schools", multiple=True, help="学校标识码 (可多次；学校用户默认本校)")
@click.option("--opinion", default="", help="审核意见")
@category_option
@kind_option
@caller_options
def approve_all(schools, opinion, category, kind, address, token, role, org, user) -> None:
    reviews, _, meta = _stubs(address, token, role, org, user)
    result = _call(
        reviews.ApproveAll,
        review_pb2.ApproveAllRequest(
            school_codes=list(schools),
            category=_CATEGORIES.get(category, 0),
            kind=_KINDS.get(kind, 0),
            opinion=opinion,
        ),
        meta,
    )
    _print_batch("审核通过", result.approved, result.refused)


@cli.command(help="上报 the selected students (CASE_ID...) to the supervising department.")
@click.argument("case_ids", nargs=-1, required=True)
@click.option("--school", default="", help="学校标识码 (默认本校)")
@caller_options
def report(case_ids, school, address, token, role, org, user) -> None:
    _, reports, meta = _stubs(address, token, role, org, user)
    result = _call(
        reports.ReportCases,
        review_pb2.ReportCasesRequest(
            school_code=school, cases=[review_pb2.CaseVersion(case_id=c) for c in case_ids]
        ),
        meta,
    )
    _print_batch("已上报", result.reported, result.refused)


@cli.command(
    name="report-all", help="全部上报: every school-approved student of the school (or one category)."
)
@click.option("--school", default="", help="学校标识码 (默认本校)")
@category_option
@kind_option
@caller_options
def report_all(school, category, kind, address, token, role, org, user) -> None:
    _, reports, meta = _stubs(address, token, role, org, user)
    result = _call(
        reports.ReportAll,
        review_pb2.ReportAllRequest(
            school_code=school, category=_CATEGORIES.get(category, 0), kind=_KINDS.get(kind, 0)
        ),
        meta,
    )
    _print_batch("已上报", result.reported, result.refused)


@cli.command(help="审核信息: every step of a case (unit, user, role, time, opinion) and where it is now.")
@click.argument("case_id")
@caller_options
def history(case_id, address, token, role, org, user) -> None:
    reviews, _, meta = _stubs(address, token, role, org, user)
    case = _call(reviews.GetCase, review_pb2.GetCaseRequest(case_id=case_id), meta)
    result = _call(reviews.GetCaseHistory, review_pb2.GetCaseHistoryRequest(case_id=case_id), meta)
    console.print(
        f"{case.student.name}（{case.school_name}）：{_STATE_LABELS.get(case.state, '')}，"
        f"当前处理单位：{case.current_unit_name or case.current_unit_code or '无'}"
    )
    table = Table("时间", "环节", "级别", "单位", "用户", "意见", "版次")
    for e in result.entries:
        s = e.stamp
        when = s.time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S") if s.time.seconds else ""
        table.add_row(
            when,
            _EVENT_LABELS.get(e.type, ""),
            _LEVEL_LABELS.get(e.level, ""),
            s.org_unit_name or s.org_unit_code,
            s.user_id,
            s.opinion,
            str(e.revision),
        )
    console.print(table)
