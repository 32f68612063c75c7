"""The stricter chart: values checked by values.schema.json, NOTES, `helm test` health Pods, a
ServiceAccount per workload, images by digest, and gRPC pods that stop without dropping calls."""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import CHART, KUBE_VERSION, PROFILE_VALUES, RELEASE
from test_chart_behaviour import named, of_kind

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "setting, complaint",
    [
        ("services.review.grpc.replicas=abc", "services.review.grpc.replicas: Invalid type"),
        ("services.review.grpc.replicaz=2", "Additional property replicaz is not allowed"),
        ("servics.review.enabled=true", "Additional property servics is not allowed"),
        ("services.reveiw.enabled=true", "Additional property reveiw is not allowed"),
        ("settings.logFormat=yaml", "settings.logFormat"),
        ("ports.grpc=70000", "ports.grpc"),
        ("image.digests.review=latest", "image.digests.review"),
        ("services.registration.peers.dedup=x:1", "services.registration.peers"),
    ],
)
def test_a_wrong_value_or_an_unknown_key_fails_naming_it(helm_cli, setting, complaint):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", setting)
    assert done.returncode != 0, setting
    assert complaint in done.stderr, done.stderr


def notes(helm_cli, tmp_path, values) -> str:
    """NOTES.txt as `helm install` would print it (helm template skips it: render a YAML copy)."""
    chart = tmp_path / "xueji"
    shutil.copytree(CHART, chart)
    source = (CHART / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "notes-copy.yaml").write_text(
        "notes: |\n" + "".join("  " + line if line.strip() else line for line in source.splitlines(True))
    )
    done = helm_cli.template(values, "--show-only", "templates/notes-copy.yaml", chart=chart)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["notes"]


def test_notes_name_each_service_its_address_image_and_helm_test(helm_cli, tmp_path):
    text = notes(helm_cli, tmp_path, PROFILE_VALUES["national"])
    for name in ("dedup", "national-query"):
        assert f"xueji-{name}.xueji.svc:50051" in text and f"registry.moe.example/xueji/{name}:0.1.0" in text
    assert "registration" not in text
    assert f"helm test {RELEASE} -n xueji" in text
    assert "EVALUATION ONLY" not in text
    assert "EVALUATION ONLY" in notes(helm_cli, tmp_path / "e", PROFILE_VALUES["evaluation"])


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_helm_test_checks_every_enabled_services_health_over_grpc(rendered, profile):
    docs = rendered[profile]
    services = sorted(
        d["metadata"]["labels"]["xueji.io/service"]
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"]["app.kubernetes.io/component"] == "grpc"
    )
    pods = of_kind(docs, "Pod")
    assert sorted(p["metadata"]["labels"]["xueji.io/service"] for p in pods) == services
    for pod in pods:
        name = pod["metadata"]["labels"]["xueji.io/service"]
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        [container] = pod["spec"]["containers"]
        if profile == "national":  # server TLS: the plaintext health-only port, the service named
            assert container["command"] == [
                "xueji",
                "health",
                "--address",
                f"xueji-{name}:50052",
                "--service",
                name,
            ]
        else:
            assert container["command"] == ["xueji", "health", "--address", f"xueji-{name}:50051"]
        assert container["image"].rsplit("/", 1)[1].startswith(f"{name}:")
        assert pod["spec"]["restartPolicy"] == "Never"


def test_helm_test_can_be_turned_off(helm_cli):
    assert not of_kind(helm_cli.render(PROFILE_VALUES["national"], "--set", "tests.enabled=false"), "Pod")


@pytest.mark.parametrize("profile", sorted(PROFILE_VALUES))
def test_every_workload_runs_as_its_own_service_account_without_a_token(rendered, profile):
    docs = rendered[profile]
    accounts = {a["metadata"]["name"]: a for a in of_kind(docs, "ServiceAccount")}
    workloads = of_kind(docs, "Deployment") + of_kind(docs, "Job")
    used = [
        w["spec"]["template"]["spec"]["serviceAccountName"]
        for w in workloads
        if "xueji.io/service" in w["metadata"]["labels"]
    ]
    assert len(used) == len(set(used)) and set(used) <= set(accounts)
    for account in accounts.values():
        assert account["automountServiceAccountToken"] is False
    for job in of_kind(docs, "Job"):  # a pre-install hook: its account must exist before it
        account = accounts[job["spec"]["template"]["spec"]["serviceAccountName"]]
        assert (
            account["metadata"]["annotations"]["helm.sh/hook"]
            == job["metadata"]["annotations"]["helm.sh/hook"]
        )
        assert int(account["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
            job["metadata"]["annotations"]["helm.sh/hook-weight"]
        )


def test_service_account_annotations_reach_every_account_of_the_service(helm_cli):
    docs = helm_cli.render(
        PROFILE_VALUES["national"],
        "--set",
        "services.dedup.serviceAccount.annotations.iam\\.example/role=dedup",
    )
    for name in ("xueji-dedup", "xueji-dedup-worker", "xueji-dedup-migrate"):
        assert named(docs, "ServiceAccount", name)["metadata"]["annotations"]["iam.example/role"] == "dedup"
    assert "annotations" not in named(docs, "ServiceAccount", "xueji-national-query")["metadata"]


def test_images_are_pinned_by_digest_where_one_is_given(helm_cli):
    docs = helm_cli.render(PROFILE_VALUES["national"], "--set", f"image.digests.dedup={DIGEST}")
    images = {}
    for kind in ("Deployment", "Job"):
        for d in of_kind(docs, kind):
            images[d["metadata"]["name"]] = d["spec"]["template"]["spec"]["containers"][0]["image"]
    for pod in of_kind(docs, "Pod"):
        images[pod["metadata"]["name"]] = pod["spec"]["containers"][0]["image"]
    for name, image in images.items():
        if name.startswith("xueji-dedup"):
            assert image == f"registry.moe.example/xueji/dedup@{DIGEST}", name
        else:
            service = "accounts" if name.startswith("xueji-accounts") else "national-query"
            assert image == f"registry.moe.example/xueji/{service}:0.1.0", name


def test_grpc_pods_keep_serving_before_sigterm_and_drain_within_the_grace_period(rendered):
    docs = rendered["province"]
    for dep in of_kind(docs, "Deployment"):
        spec = dep["spec"]["template"]["spec"]
        [container] = spec["containers"]
        if dep["metadata"]["labels"]["app.kubernetes.io/component"] == "grpc":
            assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
            assert spec["terminationGracePeriodSeconds"] >= 5 + 10 + 10
        else:
            assert "lifecycle" not in container
    service = dep["metadata"]["labels"]["xueji.io/service"]
    settings = named(docs, "ConfigMap", f"xueji-{service}-settings")["data"]
    assert settings["XUEJI_SHUTDOWN_DELAY"] == "10" and settings["XUEJI_HEALTH_INTERVAL"] == "5"


def test_a_grace_period_shorter_than_the_drain_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", "terminationGracePeriodSeconds=20")
    assert done.returncode != 0
    assert "terminationGracePeriodSeconds (20) must cover" in done.stderr


def test_lint_uses_the_schema(helm_cli):
    done = helm_cli.run(
        "lint",
        "--strict",
        str(CHART),
        "--kube-version",
        KUBE_VERSION,
        *[a for v in PROFILE_VALUES["province"] for a in ("-f", str(v))],
        "--set",
        "services.review.grpc.replicas=abc",
    )
    assert done.returncode != 0 and "replicas" in done.stdout + done.stderr
