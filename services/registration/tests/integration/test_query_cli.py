"""`xueji registration list|show|records` against a running service: Chinese tables, masked numbers."""

from __future__ import annotations

from click.testing import CliRunner
from registration_harness import SCHOOL, _system, harness  # noqa: F401 (fixtures)

from xueji_registration.entrypoints.cli import cli
from xueji_registration.testing import resident_id

NUMBER = resident_id(seq="777")


def run(h, *args, role="school_registrar", org=SCHOOL):
    result = CliRunner().invoke(
        cli,
        [*args, "--address", h.address, "--role", role, "--org", org],
        env={"COLUMNS": "250", "XUEJI_DATA_DIR": str(h.runtime.settings.data_dir)},
    )
    return result


def test_list_show_and_records(harness):
    app = harness.create(number=NUMBER)
    harness.dedup_completed(app)
    harness.through_review(harness.get(app))
    listed = run(harness, "list", "--category", "resident", role="department_registrar", org="330102")
    assert listed.exit_code == 0, listed.output
    assert (
        "学籍注册查询（共 1 条）" in listed.output and "张三" in listed.output and "注册完成" in listed.output
    )
    assert NUMBER[:3] + "*" * 11 + NUMBER[-4:] in listed.output  # the document number masked for the county
    shown = run(harness, "show", app.application_id)
    assert shown.exit_code == 0 and "全国学籍号" in shown.output and "G" + NUMBER in shown.output
    records = run(harness, "records", "--no-problem", role="department_registrar", org="330100")
    # the city sees the G number masked as the document it contains (docs/MASKING.md)
    assert records.exit_code == 0 and "G" + NUMBER[:3] + "*" * 11 + NUMBER[-4:] in records.output
    assert "G" + NUMBER not in records.output and "初中" in records.output


def test_rejection_details_and_errors(harness):
    app = harness.create("no_document", proofs=[harness.upload()])
    harness.returned(app, opinion="材料不全")
    shown = run(harness, "show", app.application_id)
    assert "审核意见" in shown.output and "材料不全" in shown.output and "驳回单位" in shown.output
    denied = run(harness, "show", app.application_id, org="1330105001")
    assert denied.exit_code == 1 and "PERMISSION_DENIED" in denied.output
    empty = run(harness, "list", "--state", "approved")
    assert empty.exit_code == 0 and "共 0 条" in empty.output
