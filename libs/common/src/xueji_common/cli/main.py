"""`xueji`: run the embedded system, mint tokens, inspect org units, call services."""

from __future__ import annotations

import json
import sys
from importlib.metadata import entry_points

import click
import grpc
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console
from rich.table import Table

from xueji_common.auth import Role, role_fits_unit
from xueji_common.cli.context import caller_options, make_context, print_rpc_error, role_choice
from xueji_common.config import Settings

console = Console()


@click.group(help="学籍 Xueji command line: run the embedded system and call the services.")
def main() -> None:
    pass


@main.command(help="Run all services in one process (embedded mode: SQLite, in-process buses, demo data).")
@click.option(
    "--provinces",
    envvar="XUEJI_PROVINCES",
    default="",
    metavar="zj,js",
    help="Provinces to run, each with its own services and data (keys or codes; default: every "
    "province of the org tree).",
)
def serve(provinces: str) -> None:
    from xueji_common.runtime import embedded
    from xueji_common.runtime.bootstrap import org_tree
    from xueji_common.runtime.provinces import ProvinceChoiceError, choose

    try:
        choose(org_tree(Settings.from_env()), provinces)
    except ProvinceChoiceError as exc:
        raise click.BadParameter(str(exc), param_hint="--provinces") from None
    embedded.run(provinces=provinces)


@main.command(
    help="Mint a development token for a role and an org unit (embedded mode only: signed with "
    "the development key of the data directory; production refuses it, use `xueji login`)."
)
@click.option("--role", type=role_choice, required=True)
@click.option("--org", required=True, help="Org unit code: school code or division code.")
@click.option("--user", default="dev-user", show_default=True)
@click.option("--ttl", default=8 * 3600, show_default=True, help="Lifetime in seconds.")
def token(role: str, org: str, user: str, ttl: int) -> None:
    settings = Settings.from_env()
    if settings.mode != "embedded":
        raise click.ClickException("xueji token 仅用于开发（嵌入模式）；生产模式请用 xueji login 登录")
    from xueji_common.orgunits import load_default_tree

    tree = load_default_tree()
    if org not in tree:
        raise click.BadParameter(f"未知的机构代码 {org}", param_hint="--org")
    if not role_fits_unit(Role(role), org):
        raise click.BadParameter(f"角色 {Role(role).label_zh} 与机构 {org} 的级别不符", param_hint="--role")
    click.echo(settings.token_service().mint(user, Role(role), org, ttl_seconds=ttl))


@main.command(help="List org units of the configured tree (XUEJI_ORG_UNITS_FILE or the demo).")
@click.option("--level", type=click.Choice(["ministry", "province", "city", "county", "school"]))
@click.option("--under", help="Only units within this unit.")
def orgs(level: str | None, under: str | None) -> None:
    from xueji_common.orgunits import OrgLevel, load_default_tree

    tree = load_default_tree()
    units = tree.descendants(under) if under else list(tree.units())
    if under:
        units = [tree.get(under), *units]
    table = Table("代码", "名称", "级别", "上级")
    for unit in units:
        if level and unit.level != OrgLevel.parse(level):
            continue
        table.add_row(unit.code, unit.name, unit.level.label_zh, unit.parent_code or "")
    console.print(table)


@main.command(help="Health of every service (grpc.health.v1).")
@click.option(
    "--service",
    "services",
    multiple=True,
    help="Check these names instead of the services reflection lists (a health-only port has no reflection).",
)
@caller_options
def health(services, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    stub = health_pb2_grpc.HealthStub(ctx.channel())
    names = list(services) or _service_names(ctx)
    table = Table("service", "status")
    worst = 0
    for name in ["", *names]:
        try:
            status = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
            label = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        except grpc.RpcError as exc:
            label, worst = exc.code().name, 1
        worst = worst or int(label != "SERVING")
        table.add_row(name or "(server)", label)
    console.print(table)
    sys.exit(worst)


@main.command(help="Call a method with a JSON request: xueji call xueji.v1.Service/Method '{...}'.")
@click.argument("method")
@click.argument("request_json", default="{}")
@caller_options
def call(method, request_json, address, token, role, org, user) -> None:
    ctx = make_context(address, token, role, org, user)
    descriptor = _method_descriptor(method)
    from google.protobuf import message_factory

    request_cls = message_factory.GetMessageClass(descriptor.input_type)
    response_cls = message_factory.GetMessageClass(descriptor.output_type)
    request = json_format.Parse(request_json, request_cls())
    rpc = ctx.channel().unary_unary(
        f"/{descriptor.containing_service.full_name}/{descriptor.name}",
        request_serializer=request_cls.SerializeToString,
        response_deserializer=response_cls.FromString,
    )
    try:
        response = rpc(request, metadata=ctx.metadata(), timeout=60)
    except grpc.RpcError as exc:
        print_rpc_error(exc, console)
        sys.exit(1)
    # Zero counts and empty texts printed too: proto3 leaves default values out of JSON otherwise.
    printed = json_format.MessageToDict(response, always_print_fields_with_no_presence=True)
    click.echo(json.dumps(printed, ensure_ascii=False, indent=2))


def _load_contracts():
    import importlib
    import pkgutil

    import xueji.v1

    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"xueji.v1.{module.name}")


def _service_names(ctx) -> list[str]:
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    database = ProtoReflectionDescriptorDatabase(ctx.channel())
    return [s for s in database.get_services() if s.startswith("xueji.")]


def _method_descriptor(method: str):
    from google.protobuf import descriptor_pool

    _load_contracts()
    service_name, _, method_name = method.strip("/").rpartition("/")
    try:
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except KeyError:
        raise click.BadParameter(f"unknown service {service_name!r}", param_hint="METHOD") from None
    found = service.methods_by_name.get(method_name)
    if found is None:
        raise click.BadParameter(f"{service_name} has no method {method_name!r}", param_hint="METHOD")
    return found


def _register_plugins() -> None:
    from xueji_common.cli import session

    session.register(main)
    for ep in entry_points(group="xueji.cli"):
        main.add_command(ep.load(), name=ep.name)


_register_plugins()
