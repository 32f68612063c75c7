"""`xueji review ...`: operator commands of the review service (added to the `xueji` CLI by entry point)."""
import click


@click.group(name="review", help="审核与上报: school and department review, report.")
def cli() -> None:
    pass
