"""`xueji dedup ...`: operator commands of the dedup service (added to the `xueji` CLI by entry point)."""
import click


@click.group(name="dedup", help="查重认证与问题学籍: documents and problem records.")
def cli() -> None:
    pass
