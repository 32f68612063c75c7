"""Profile of one worker's event handling in the production cluster (what limits the end-to-end run).

Starts the cluster of e2e_throughput.py, stops the worker under study (e.g. zj-dedup-worker), enters
the cohort, lets that worker's queue fill, then handles its messages here, in this process and on
the cluster's databases, peers and broker, with the service's own consumers under pyinstrument —
the handler code without nameko. Prints the handling rate next to the rate of the real worker
process measured on the same messages afterwards (restarted: it drains what is left), and the
profile.

    .venv/bin/python bench/e2e_profile.py [--worker zj-dedup] [--students 600] [--messages 300]
        [--html profile.html]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e_data
import e2e_driver
import e2e_systems


def waiting(cluster, dep) -> int:
    return sum(m for m, _ in cluster.queues(dep).values())


def handle_here(cluster, dep, count: int, html: str | None) -> tuple[int, float]:
    from kombu import Connection
    from pyinstrument import Profiler

    from xueji_common.config import Settings
    from xueji_common.messaging.bus import decode_body, queue_name
    from xueji_common.runtime.bootstrap import ServiceRuntime

    saved = dict(os.environ)
    os.environ.update(cluster.env(dep))
    try:
        runtime = ServiceRuntime(cluster._spec(dep.service), Settings.from_env())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    consumers = {queue_name(dep.service, c.subscription): c for c in runtime.consumers()}
    handled, elapsed = 0, 0.0
    profiler = Profiler(interval=0.0005)
    with Connection(cluster.amqp[dep.broker]) as conn:
        channel = conn.channel()
        while handled < count:
            got = False
            for name, consumer in consumers.items():
                message = channel.basic_get(name, no_ack=False)
                if message is None:
                    continue
                got = True
                body = decode_body(json.loads(message.body))
                started = time.perf_counter()
                profiler.start()
                consumer(body)
                profiler.stop()
                elapsed += time.perf_counter() - started
                channel.basic_ack(message.delivery_tag)
                handled += 1
            if not got:
                break
    runtime.close()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if html:
        Path(html).write_text(profiler.output_html())
    return handled, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", default="zj-dedup")
    parser.add_argument("--students", type=int, default=600)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--html")
    args = parser.parse_args()
    students = e2e_data.cohort(args.students)
    files = e2e_data.files(students)
    sys.path.insert(0, str(e2e_systems.ROOT))
    from tests.e2e.cluster import Cluster, system

    with Cluster(system(["zj"]), seed_demo=False) as c:
        from xueji_common.config import Settings

        settings = Settings(hash_key=c.hash_key, data_dir=c.dir, metrics_port=0)
        e2e_systems.seed("dedup", c.db["population-register"], settings, students)
        e2e_systems.seed("national-query", c.db["national-query"], settings, students)
        dep = c.deployments[args.worker]
        c.stop(f"{args.worker}-worker")
        county = e2e_driver.County(c.address("zj-registration"), c.address("zj-review"), c.issuer)
        for school in files.imports:
            county.import_school(school, files)
        for s in files.manual:
            county.enter_manually(s)
        for _ in range(3):  # other workers produce this one's input too
            county.approve_pass({})
            time.sleep(2)
        print(f"load average {os.getloadavg()[0]:.1f}; {waiting(c, dep)} messages wait for {args.worker}")
        handled, elapsed = handle_here(c, dep, args.messages, args.html)
        print(
            f"in this process (no nameko): {handled} messages in {elapsed:.2f} s = "
            f"{handled / elapsed:.1f}/s, "
            f"{elapsed / handled * 1000:.1f} ms each"
        )
        left = waiting(c, dep)
        started = time.perf_counter()
        c.start(f"{args.worker}-worker")
        while waiting(c, dep) and time.perf_counter() - started < 300:
            time.sleep(0.2)
        took = time.perf_counter() - started
        print(
            f"worker process (nameko, eventlet, tpool): {left} messages in {took:.2f} s = "
            f"{left / took:.1f}/s "
            f"(start-up included); load average {os.getloadavg()[0]:.1f}"
        )
        county.close()


if __name__ == "__main__":
    main()
