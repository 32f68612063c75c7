"""`xueji login | whoami | logout` against the running accounts service, and `xueji token` by mode."""

from __future__ import annotations

import json
import time

from accounts_harness import create
from click.testing import CliRunner

from xueji_common.auth import Role
from xueji_common.cli.main import main
from xueji_common.datakeys import new_key_text


def _runner(system, tmp_path, monkeypatch, answers):
    monkeypatch.setattr("xueji_common.cli.session.getpass.getpass", lambda prompt="": answers.pop(0))
    return CliRunner(
        env={
            "XUEJI_TOKEN_FILE": str(tmp_path / "token.json"),
            "XUEJI_TOKEN": None,
            "XUEJI_ADDRESS": system.settings.grpc_address,
            "XUEJI_DATA_DIR": str(system.settings.data_dir),
        }
    )


def test_login_changes_a_first_password_stores_the_token_0600_and_logout_revokes_it(
    system, stub, root, tmp_path, monkeypatch
):
    temporary = create(stub, root, "cli.user", Role.SCHOOL_REGISTRAR, "1330102001", name="命令行用户")
    runner = _runner(system, tmp_path, monkeypatch, [temporary, "Cli-Pass.2026x", "Cli-Pass.2026x"])
    result = runner.invoke(main, ["login", "--user", "cli.user"])
    assert result.exit_code == 0, result.output
    assert "首次登录或密码重置后须先修改密码" in result.output and "已登录：命令行用户" in result.output
    stored = tmp_path / "token.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert "Cli-Pass" not in stored.read_text()
    whoami = runner.invoke(main, ["whoami"])
    assert whoami.exit_code == 0 and "cli.user" in whoami.output and "学校学籍管理员" in whoami.output

    data = json.loads(stored.read_text())  # about to expire: the next command refreshes it
    data["expires_at"] = time.time() + 5
    stored.write_text(json.dumps(data))
    assert runner.invoke(main, ["whoami"]).exit_code == 0
    assert json.loads(stored.read_text())["refresh_token"] != data["refresh_token"]

    assert runner.invoke(main, ["logout"]).exit_code == 0 and not stored.exists()
    assert runner.invoke(main, ["whoami"]).exit_code != 0


def test_login_refusal_is_printed_in_chinese(system, tmp_path, monkeypatch):
    runner = _runner(system, tmp_path, monkeypatch, ["Wrong.Password-1"])
    result = runner.invoke(main, ["login", "--user", "nobody"])
    assert result.exit_code == 1 and "用户名或密码错误" in result.output


def test_development_tokens_only_in_embedded_mode(system, tmp_path):
    args = ["token", "--role", "school_registrar", "--org", "1330102001"]
    embedded = CliRunner(env={"XUEJI_DATA_DIR": str(system.settings.data_dir)}).invoke(main, args)
    assert embedded.exit_code == 0 and embedded.output.count(".") == 2
    production = CliRunner(
        env={
            "XUEJI_MODE": "production",
            "XUEJI_DATABASE_URL": "postgresql+psycopg://x@h/d",
            "XUEJI_HASH_KEY": "k",
            "XUEJI_DATA_KEY": new_key_text("t"),
            "XUEJI_TRUSTED_ISSUERS": '[{"issuer": "a", "jwks": "http://a"}]',
        }
    ).invoke(main, args)
    assert production.exit_code != 0 and "仅用于开发" in production.output
