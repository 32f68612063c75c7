"""`xueji special-ed candidates | add | edit | list` against a running server."""

from __future__ import annotations

from click.testing import CliRunner
from test_sped_grpc import ID, SCHOOL, address, auth, new_info, record, runtime, stub  # noqa: F401 (fixtures)

from xueji_special_ed.entrypoints.cli import cli


def test_candidates_add_edit_list(runtime, address):
    record(runtime)
    runner = CliRunner(
        env={
            "XUEJI_DATA_DIR": str(runtime.settings.data_dir),  # its development key
            "COLUMNS": "250",
        }
    )
    caller = ["--address", address, "--role", "school_registrar", "--org", SCHOOL]

    def run(*args):
        result = runner.invoke(cli, [*args, *caller])
        assert result.exit_code == 0, result.output
        return result.output

    assert "r1" in run("candidates")
    refused = runner.invoke(
        cli, ["add", "r1", "--proof", "残疾证", "--inclusive", "视力残疾随班就读", *caller]
    )
    assert (
        refused.exit_code == 1
        and "info.degree" in refused.output
        and "info.certificate_number" in refused.output
    )
    assert "版本 1" in run(
        "add",
        "r1",
        "--proof",
        "certificate",
        "--degree",
        "二级",
        "--certificate-number",
        ID + "12",
        "--inclusive",
        "visual",
    )
    assert "版本 2" in run("edit", "r1", "--degree", "grade_3")
    listed = run("list")
    assert "三级" in listed and "330*************3X12" in listed and "共 1 人" in listed


def test_national_student_numbers_are_stored_encrypted_and_reencrypt_moves_them_to_a_new_key(
    runtime, stub, auth
):
    from sqlalchemy import text

    from xueji.v1 import special_ed_pb2 as se
    from xueji_common.datakeys import key_id_of, new_key_text

    record(runtime)
    stub.CreateSpecialEdInfo(
        se.CreateSpecialEdInfoRequest(info=new_info()), metadata=auth()
    )  # its certificate too
    with runtime.engine.connect() as conn:
        [stored] = conn.execute(text("SELECT national_student_number FROM students")).scalars()
    assert ID not in stored and key_id_of(stored) == runtime.settings.data_keyring().current_id
    new = new_key_text("k2027")
    env = {
        "XUEJI_DATABASE_URL": runtime.database_url,
        "XUEJI_DATA_KEY": new,
        "XUEJI_DATA_KEY_PREVIOUS": runtime.settings.data_key,
        "XUEJI_DATA_DIR": str(runtime.settings.data_dir),
    }
    first = CliRunner(env=env).invoke(cli, ["reencrypt"])
    assert first.exit_code == 0, first.output
    assert "特教学生 1 行，特教信息 1 行" in first.output
    with runtime.engine.connect() as conn:
        [stored] = conn.execute(text("SELECT national_student_number FROM students")).scalars()
        [certificate] = conn.execute(text("SELECT certificate_number FROM special_ed_infos")).scalars()
    assert key_id_of(stored) == key_id_of(certificate) == "k2027"
    assert "特教学生 0 行，特教信息 0 行" in CliRunner(env=env).invoke(cli, ["reencrypt"]).output
