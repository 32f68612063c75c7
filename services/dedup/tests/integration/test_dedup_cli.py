"""`xueji dedup check | problems | resolve` against the running service, output in Chinese."""

from __future__ import annotations

from click.testing import CliRunner
from dedup_helpers import HASH_KEY, SCHOOL_B, deliver, record_created, submitted

from xueji_dedup.entrypoints.cli import cli


def run(rt, *args):
    return CliRunner().invoke(
        cli,
        [*args, "--address", rt.settings.grpc_address],
        env={"XUEJI_HASH_KEY": HASH_KEY},
        catch_exceptions=False,
    )


def test_check_list_and_resolve(dedup, tmp_path):
    free = run(dedup, "check", "--type", "护照", "--number", "E12345678")
    assert free.exit_code == 0 and "护照 E******78：未被占用，可以注册" in free.output
    first, second = (
        submitted("E12345678", doc_type="A"),
        submitted("E12345678", doc_type="A", school=SCHOOL_B),
    )
    deliver(dedup, first)
    deliver(dedup, record_created(first, record_id="r1"))
    deliver(dedup, record_created(second, record_id="r2"))
    held = run(dedup, "check", "--type", "A", "--number", "E12345678")
    assert held.exit_code == 2 and "已被占用" in held.output and "E12345678" not in held.output

    listed = run(dedup, "problems", "--role", "department_registrar", "--org", "330102")
    assert listed.exit_code == 0 and "一人多籍" in listed.output and "共 1 组" in listed.output
    from sqlalchemy import select

    from xueji_dedup.adapters.tables import problem_groups

    with dedup.session_factory() as s:
        group_id = s.execute(select(problem_groups.c.group_id)).scalar_one()
    proof = tmp_path / "证明.pdf"
    proof.write_bytes(b"%PDF-1.4")
    done = run(
        dedup,
        "resolve",
        group_id,
        "--keep",
        "r1",
        "--delete",
        "r2",
        "--opinion",
        "保留胜利小学学籍",
        "--proof",
        str(proof),
        "--version",
        "1",
        "--role",
        "department_registrar",
        "--org",
        "330102",
    )
    assert done.exit_code == 0 and "已处理" in done.output
    shown = run(dedup, "show", group_id, "--role", "department_registrar", "--org", "330102")
    assert "已删除" in shown.output and "保留胜利小学学籍" in shown.output


def test_check_without_a_token_in_production_mode_says_what_it_needs(dedup):
    from xueji_common.datakeys import new_key_text

    result = CliRunner().invoke(
        cli,
        ["check", "--type", "A", "--number", "E12345678", "--address", dedup.settings.grpc_address],
        env={
            "XUEJI_MODE": "production",
            "XUEJI_HASH_KEY": HASH_KEY,
            "XUEJI_DATA_KEY": new_key_text("t"),
            "XUEJI_DATABASE_URL": "postgresql+psycopg://x@h/d",
            "XUEJI_TRUSTED_ISSUERS": '[{"issuer": "a", "jwks": "http://a"}]',
        },
    )
    assert result.exit_code == 1 and "需要系统令牌" in result.output and "Traceback" not in result.output
