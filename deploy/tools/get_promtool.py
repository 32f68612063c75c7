"""Find promtool, or fetch it from Debian's `prometheus` package without installing the package.

`apt-get install prometheus` would also start a Prometheus server; instead the .deb is downloaded
(`apt-get download`) and unpacked (`dpkg -x`) into a cache directory, and only promtool is used.

    python deploy/tools/get_promtool.py        # fetch when missing; prints the binary's path
    XUEJI_PROMTOOL_CACHE=/some/dir python deploy/tools/get_promtool.py

`find()` only looks (PATH, then the cache): the tests use it and skip, or fail under CI, without
it; `.ci/run` runs this script first. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class PromtoolUnavailable(RuntimeError):
    """promtool could not be had; the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("XUEJI_PROMTOOL_CACHE") or Path.home() / ".cache" / "xueji"
    return Path(base) / "prometheus-deb"


def find() -> Path | None:
    on_path = shutil.which("promtool")
    if on_path:
        return Path(on_path)
    cached = cache_dir() / "usr" / "bin" / "promtool"
    return cached if cached.is_file() and os.access(cached, os.X_OK) else None


def ensure() -> Path:
    found = find()
    if found:
        return found
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        raise PromtoolUnavailable(
            "promtool not on PATH and no apt-get/dpkg to fetch Debian's prometheus package"
        )
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["apt-get", "download", "prometheus"], cwd=tmp, capture_output=True, text=True)
        debs = list(Path(tmp).glob("prometheus_*.deb"))
        if done.returncode != 0 or not debs:
            raise PromtoolUnavailable(f"apt-get download prometheus failed: {done.stderr.strip()[-500:]}")
        target = cache_dir()
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["dpkg", "-x", str(debs[0]), str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            raise PromtoolUnavailable(f"dpkg -x failed: {done.stderr.strip()[-500:]}")
    found = find()
    if not found:
        raise PromtoolUnavailable(f"no usr/bin/promtool in Debian's prometheus package ({cache_dir()})")
    return found


if __name__ == "__main__":
    try:
        print(ensure())
    except PromtoolUnavailable as exc:
        sys.exit(f"get_promtool: {exc}")
