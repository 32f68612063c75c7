"""`xueji login | logout | whoami` and the stored token the other commands use.

The token file (XUEJI_TOKEN_FILE, default ~/.config/xueji/token.json, mode 0600) keeps the access
and refresh tokens of the last sign-in and the address they came from; a command refreshes the
access token when it has less than a minute left.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import time
from pathlib import Path

import click
import grpc

from xueji_common.grpcserver import client

REFRESH_BEFORE_SECONDS = 60


def token_file() -> Path:
    default = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "xueji" / "token.json"
    return Path(os.environ.get("XUEJI_TOKEN_FILE", default))


def save(pair, address: str) -> None:
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "address": address,
        "login_name": pair.user.login_name,
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "expires_at": time.time() + pair.expires_in_seconds,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.chmod(path, 0o600)  # an older file may have had other bits


def load() -> dict | None:
    path = token_file()
    return json.loads(path.read_text()) if path.exists() else None


def _stub(address: str):
    from xueji.v1 import accounts_pb2_grpc

    return accounts_pb2_grpc.AccountsStub(client.channel(address))


def stored_token(address: str) -> str | None:
    """The stored access token, refreshed when about to expire; None without a sign-in."""
    data = load()
    if data is None:
        return None
    if data["expires_at"] - time.time() > REFRESH_BEFORE_SECONDS:
        return data["access_token"]
    from xueji.v1 import accounts_pb2

    try:
        pair = _stub(data.get("address") or address).Refresh(
            accounts_pb2.RefreshRequest(refresh_token=data["refresh_token"]), timeout=10
        )
    except grpc.RpcError as exc:
        raise click.ClickException(f"登录已失效，请重新执行 xueji login（{exc.details()}）") from None
    save(pair, data.get("address") or address)
    return pair.access_token


def register(main: click.Group) -> None:
    from xueji.v1 import accounts_pb2

    address_option = click.option(
        "--address", envvar="XUEJI_ADDRESS", default="localhost:50051", show_default=True
    )

    @main.command(help="Sign in (asks for the password) and store the tokens for the other commands.")
    @click.option("--user", "login_name", prompt="登录名")
    @address_option
    def login(login_name: str, address: str) -> None:
        stub = _stub(address)
        password = getpass.getpass("密码：")
        try:
            pair = stub.SignIn(
                accounts_pb2.SignInRequest(login_name=login_name, password=password), timeout=30
            )
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                _fail(exc)
            click.echo(exc.details())
            new = getpass.getpass("新密码：")
            if new != getpass.getpass("再次输入新密码："):
                raise click.ClickException("两次输入的新密码不一致") from None
            try:
                stub.ChangePassword(
                    accounts_pb2.ChangePasswordRequest(
                        login_name=login_name, current_password=password, new_password=new
                    ),
                    timeout=30,
                )
                pair = stub.SignIn(
                    accounts_pb2.SignInRequest(login_name=login_name, password=new), timeout=30
                )
            except grpc.RpcError as again:
                _fail(again)
        save(pair, address)
        click.echo(f"已登录：{pair.user.display_name}（{pair.user.login_name}，{pair.user.org_unit_name}）")

    @main.command(help="Sign out: the stored refresh token is revoked and the token file removed.")
    @address_option
    def logout(address: str) -> None:
        data = load()
        if data is None:
            click.echo("当前未登录")
            return
        try:
            _stub(data.get("address") or address).SignOut(
                accounts_pb2.SignOutRequest(refresh_token=data["refresh_token"]), timeout=10
            )
        finally:
            token_file().unlink(missing_ok=True)
        click.echo("已退出登录")

    @main.command(help="Who the stored token (or XUEJI_TOKEN) signs in as.")
    @address_option
    def whoami(address: str) -> None:
        token = os.environ.get("XUEJI_TOKEN") or stored_token(address)
        if not token:
            raise click.ClickException("当前未登录，请先执行 xueji login")
        try:
            me = _stub(address).WhoAmI(
                accounts_pb2.WhoAmIRequest(), metadata=client.bearer(token), timeout=10
            )
        except grpc.RpcError as exc:
            _fail(exc)
        from xueji_common.auth import Role

        role = Role.from_proto(me.role)
        click.echo(
            f"{me.login_name}  {me.display_name}  {role.label_zh if role else ''}  "
            f"{me.org_unit_code} {me.org_unit_name}"
        )


def _fail(exc: grpc.RpcError) -> None:
    from xueji_common.cli.context import print_rpc_error

    print_rpc_error(exc)
    sys.exit(1)
