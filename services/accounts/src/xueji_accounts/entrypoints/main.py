"""`xueji-accounts serve | migrate | create-admin | reset-password`."""

from __future__ import annotations

import sys

import click

from xueji_common.auth import Role
from xueji_common.errors import DomainError
from xueji_common.runtime.service_main import _runtime, service_cli

main = service_cli("accounts")


def _accounts():
    from xueji_accounts.entrypoints.wiring import accounts_of

    runtime = _runtime("accounts")
    runtime.migrate()  # a no-op once the migration Job ran; needed in embedded mode
    return runtime, accounts_of(runtime)


@main.command(
    "create-admin",
    help="Create the first user administrator (password from "
    "XUEJI_ADMIN_PASSWORD, else generated and printed once). Does nothing when the login exists.",
)
@click.option("--login", default="admin", show_default=True)
@click.option("--name", "display_name", default="系统用户管理员", show_default=True)
@click.option(
    "--org", default="000000", show_default=True, help="Unit of the administrator (the tier's root)."
)
def create_admin(login: str, display_name: str, org: str) -> None:
    from xueji_accounts.service_layer import admin

    runtime, accounts = _accounts()
    given = accounts.settings.admin_password.get_secret_value()
    try:
        with accounts.uow() as uow:
            exists = uow.repo.user(login.strip().lower()) is not None
        if exists:
            click.echo(f"用户 {login} 已存在，未作改动")
            return
        _, password = admin.create_user(
            accounts,
            None,
            login,
            display_name,
            Role.USER_ADMIN,
            org,
            given,
        )
        shown = "(from XUEJI_ADMIN_PASSWORD)" if given else password
        click.echo(f"已创建用户管理员 {login}（{org}），初始密码：{shown}；首次登录须修改密码")
    except DomainError as exc:
        click.echo(f"创建失败：{exc.message}", err=True)
        sys.exit(1)
    finally:
        runtime.close()


@main.command(
    "reset-password",
    help="Give a user a new temporary password (printed once; changed at first "
    "sign-in). For operators and embedded mode's demo accounts.",
)
@click.argument("login")
def reset_password(login: str) -> None:
    from xueji_accounts.service_layer import admin
    from xueji_common.auth import Principal

    runtime, accounts = _accounts()
    try:  # the operator acts as an administrator of the whole tree
        root = next(u.code for u in runtime.tree.units() if u.parent_code is None)
        operator = Principal("cli", Role.USER_ADMIN, root)
        _, password = admin.reset_password(accounts, operator, login)
        click.echo(f"用户 {login} 的临时密码：{password}（首次登录须修改）")
    except DomainError as exc:
        click.echo(f"重置失败：{exc.message}", err=True)
        sys.exit(1)
    finally:
        runtime.close()
