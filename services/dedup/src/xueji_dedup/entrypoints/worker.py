"""`xueji-dedup-worker`: the service's nameko worker (event handlers)."""

from xueji_common.runtime import worker_main  # first: patches the process for eventlet


def main() -> None:
    worker_main.run("dedup")
