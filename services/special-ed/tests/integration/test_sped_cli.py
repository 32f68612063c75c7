"""`xueji special-ed candidates | add | edit | list` against a running server."""
from __future__ import annotations

from click.testing import CliRunner

from xueji_special_ed.entrypoints.cli import cli

from test_sped_grpc import ID, SCHOOL, address, record, runtime  # noqa: F401 (fixtures)


def test_candidates_add_edit_list(runtime, address):  # noqa: F811
    record(runtime)
    runner = CliRunner(env={"XUEJI_DATA_DIR": str(runtime.settings.data_dir),  # its development key
                                 "COLUMNS": "250"})
    caller = ["--address", address, "--role", "school_registrar", "--org", SCHOOL]

    def run(*args):
        result = runner.invoke(cli, [*args, *caller])
        assert result.exit_code == 0, result.output
        return result.output

    assert "r1" in run("candidates")
    refused = runner.invoke(cli, ["add", "r1", "--proof", "残疾证", "--inclusive", "视力残疾随班就读", *caller])
    assert refused.exit_code == 1 and "info.degree" in refused.output and "info.certificate_number" in refused.output
    assert "版本 1" in run("add", "r1", "--proof", "certificate", "--degree", "二级", "--certificate-number", ID + "12",
                             "--inclusive", "visual")
    assert "版本 2" in run("edit", "r1", "--degree", "grade_3")
    listed = run("list")
    assert "三级" in listed and "330*************3X12" in listed and "共 1 人" in listed
