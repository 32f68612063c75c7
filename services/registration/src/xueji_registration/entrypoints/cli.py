"""`xueji registration ...`: operator commands of the registration service (added to the `xueji` CLI by entry point)."""
import click


@click.group(name="registration", help="学籍注册: applications, imports, templates.")
def cli() -> None:
    pass
