"""`xueji review ...` against a running review service: Chinese tables and messages."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from review_harness import SCHOOL
from rich.console import Console

from xueji_review.entrypoints import cli as cli_module
from xueji_review.entrypoints.cli import cli


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(cli_module, "console", Console(width=250))


def run(review, *args, role="school_leader", org=SCHOOL):
    result = CliRunner().invoke(cli, [*args, "--address", review.address, "--role", role, "--org", org])
    return result.exit_code, result.output


def test_a_leader_reviews_and_a_registrar_reports_from_the_command_line(review):
    a, b = review.submit("no_document", name="赵一"), review.submit("no_document", name="钱二")
    blocked = review.submit("hmt_foreign", name="孙三")
    code, out = run(review, "summary")
    assert code == 0 and "待审核学生" in out and "无证件" in out and "暂不能审核" in out
    code, out = run(review, "list", "--category", "no_document")
    assert code == 0 and "赵一" in out and "共 2 名" in out
    code, out = run(review, "reject", a, "--opinion", "出生日期有误")
    assert code == 0 and "审核不通过" in out
    code, out = run(review, "approve-all")
    assert code == 0 and "审核通过 1 名学生" in out and "孙三" in out and "证件号查重" in out
    code, out = run(review, "report-all", role="school_registrar")
    assert code == 0 and "已上报 1 名学生" in out
    code, out = run(review, "history", a, role="school_registrar")
    assert code == 0 and "出生日期有误" in out and "审核不通过" in out and "杭州市上城区胜利小学" in out
    assert b and blocked


def test_refusals_are_shown_in_chinese(review):
    app = review.submit("no_document")
    code, out = run(review, "approve", app, role="school_registrar")
    assert code == 1 and "PERMISSION_DENIED" in out and "无权执行此操作" in out
    code, out = run(review, "reject", app, "--opinion", " ")
    assert code == 1 and "审核不通过时必须填写审核意见" in out
