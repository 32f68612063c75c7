"""`xueji national-query ...`: operator commands of the national-query service (added to the `xueji` CLI by entry point)."""
import click


@click.group(name="national-query", help="全国学籍查询: lookups and bulk load.")
def cli() -> None:
    pass
