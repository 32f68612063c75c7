"""`xueji-console serve` exposes /metrics on its own port at the console's host, with the pages it
served counted by route template."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from xueji_common.testing.infra import free_port

CONSOLE = Path(sys.executable).parent / "xueji-console"


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_the_served_console_counts_its_pages_on_its_metrics_port(tmp_path):
    http, metrics = free_port(), free_port()
    env = {
        **os.environ,
        "XUEJI_CONSOLE_PORT": str(http),
        "XUEJI_METRICS_PORT": str(metrics),
        "XUEJI_DATA_DIR": str(tmp_path),
        "XUEJI_LOG_LEVEL": "WARNING",
    }
    env.pop("XUEJI_METRICS_HOST", None)
    process = subprocess.Popen(
        [str(CONSOLE), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"http://127.0.0.1:{http}/signin")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
                time.sleep(0.2)
        exposed = get(f"http://127.0.0.1:{metrics}/metrics")
        assert 'xueji_console_requests_total{method="GET",route="/signin",status="200"} 1.0' in exposed
    finally:
        process.terminate()
        process.wait(timeout=10)
