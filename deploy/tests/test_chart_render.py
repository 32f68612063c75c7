"""The chart lints, renders for every profile, and every object passes the strict Kubernetes schema."""

from __future__ import annotations

import shutil

import kubernetes_validate
import pytest
from conftest import CHART, KUBE_VERSION, PROFILE_VALUES, parse
from expected_objects import EXPECTED_OBJECTS
from monitoring_models import check_prometheus_operator_object

CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}


def validate(doc: dict) -> None:
    """Strict schema validation: unknown fields fail, as they would on a server with strict decoding."""
    if doc["kind"] in CRD_KINDS:
        check_prometheus_operator_object(doc)
    else:
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_helm_lint_strict(helm_cli, profile):
    args = ["lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION]
    for values in PROFILE_VALUES[profile]:
        args += ["-f", str(values)]
    done = helm_cli.run(*args)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_profile_renders_the_expected_objects(rendered, profile):
    objects = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in rendered[profile])
    print(f"\n{profile}: {len(objects)} objects\n  " + "\n  ".join(objects))
    assert objects == EXPECTED_OBJECTS[profile]


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_every_object_passes_the_strict_schema(rendered, profile):
    failures = []
    for doc in rendered[profile]:
        try:
            validate(doc)
        except Exception as exc:  # collect them all: one run shows every broken object
            failures.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc}")
    assert not failures, "\n".join(failures)


def test_a_template_with_an_unknown_field_fails_validation(helm_cli, tmp_path):
    """A typo'd field renders and lints fine; the schema check is what catches it."""
    broken = tmp_path / "xueji"
    shutil.copytree(CHART, broken)
    deployments = broken / "templates" / "deployments.yaml"
    source = deployments.read_text()
    marker = "          imagePullPolicy: {{ $.Values.image.pullPolicy }}\n"
    assert marker in source
    deployments.write_text(source.replace(marker, marker + "          imagePullPolicyy: Always\n", 1))

    assert (
        helm_cli.run("lint", "--strict", str(broken), "-f", str(PROFILE_VALUES["evaluation"][0])).returncode
        == 0
    )
    docs = helm_cli.render(PROFILE_VALUES["evaluation"], chart=broken)
    errors = []
    for doc in docs:
        try:
            validate(doc)
        except kubernetes_validate.ValidationError as exc:
            errors.append(str(exc))
    assert errors and all("imagePullPolicyy" in e for e in errors)


def test_an_unknown_field_in_the_service_monitor_fails_validation(rendered):
    [monitor] = [d for d in rendered["province"] if d["kind"] == "ServiceMonitor"]
    monitor["spec"]["endpoints"][0]["scrapeIntervall"] = "30s"
    with pytest.raises(ValueError, match="scrapeIntervall"):
        check_prometheus_operator_object(monitor)


def test_duplicate_keys_are_rejected_when_parsing():
    with pytest.raises(Exception, match="duplicate"):
        parse("kind: ConfigMap\nmetadata: {name: a, name: b}\n")
