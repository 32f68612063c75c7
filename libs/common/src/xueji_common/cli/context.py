"""Shared options of the `xueji` commands: where the server is and who the caller is."""

from __future__ import annotations

import os
from dataclasses import dataclass

import click
import grpc
from rich.console import Console

from xueji_common.auth import Role, TokenService
from xueji_common.config import Settings
from xueji_common.grpcserver import client


@dataclass
class CliContext:
    settings: Settings
    address: str
    token: str | None
    role: str | None
    org: str | None
    user: str

    def tokens(self) -> TokenService:
        return self.settings.token_service()

    def metadata(self) -> list[tuple[str, str]]:
        """Bearer metadata: --token / XUEJI_TOKEN, else a development token minted for --role and
        --org (embedded mode only), else the stored token of `xueji login` (refreshed)."""
        if self.token:
            return client.bearer(self.token)
        if self.role and self.org:
            if self.settings.mode != "embedded":
                raise click.ClickException("--role/--org 仅用于开发（嵌入模式）；生产模式请先 xueji login")
            return client.bearer(self.tokens().mint(self.user, Role(self.role), self.org))
        from xueji_common.cli.session import stored_token

        token = stored_token(self.address)
        return client.bearer(token) if token else []

    def channel(self):
        return client.channel(self.address, self.settings.tls)


def default_address() -> str:
    """Without --address or XUEJI_ADDRESS: the address the server of this environment listens on."""
    return os.environ.get("XUEJI_GRPC_ADDRESS") or Settings.model_fields["grpc_address"].default


role_choice = click.Choice([r.value for r in Role])


def caller_options(fn):
    """--address, --token, --role, --org, --user on a command."""
    fn = click.option(
        "--user", default=lambda: os.environ.get("XUEJI_USER", "cli"), help="User id in minted tokens."
    )(fn)
    fn = click.option("--org", envvar="XUEJI_ORG", help="Org unit code of the caller (to mint a token).")(fn)
    fn = click.option(
        "--role", type=role_choice, envvar="XUEJI_ROLE", help="Role of the caller (to mint a token)."
    )(fn)
    fn = click.option(
        "--token", envvar="XUEJI_TOKEN", help="Bearer token (default: minted from --role/--org)."
    )(fn)
    fn = click.option(
        "--address",
        envvar="XUEJI_ADDRESS",
        default=default_address,
        show_default="XUEJI_GRPC_ADDRESS, else localhost:50051",
        help="Server to call (XUEJI_ADDRESS).",
    )(fn)
    return fn


def make_context(address, token, role, org, user) -> CliContext:
    return CliContext(Settings.from_env(), address, token, role, org, user)


def print_rpc_error(exc: grpc.RpcError, console: Console | None = None) -> None:
    """A refused call as the user reads it: the status, its message, each field's or rule's reason."""
    from xueji_common.grpcserver.errors import field_violations, precondition_violations

    console = console or Console()
    console.print(f"[red]操作失败（{exc.code().name}）[/red]：{exc.details()}")
    for field, description in field_violations(exc):
        console.print(f"  {field}：{description}")
    for _type, subject, description in precondition_violations(exc):
        console.print(f"  {subject}：{description}")
