"""`xueji special-ed ...`: operator commands of the special-ed service (added to the `xueji` CLI by entry point)."""
import click


@click.group(name="special-ed", help="特殊教育信息: special-education information.")
def cli() -> None:
    pass
