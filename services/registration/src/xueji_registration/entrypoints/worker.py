"""`xueji-registration-worker`: the service's nameko worker (event handlers), and its periodic jobs
(preschool rematch, upload purge: ServiceSpec.periodic_tasks) on threads beside them."""

from xueji_common.runtime import worker_main  # first: patches the process for eventlet


def main() -> None:
    worker_main.run("registration")
