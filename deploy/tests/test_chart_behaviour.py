"""What the rendered objects must guarantee: secrets referenced only, hardened pods, probes, hooks,
settings per profile, database isolation, autoscaling and monitoring wiring."""
from __future__ import annotations

import tomllib

import pytest

from conftest import DEPLOY, PROFILE_VALUES, PROFILES

SECRET_SETTINGS = {"XUEJI_DATABASE_URL", "XUEJI_AMQP_URI", "XUEJI_TOKEN_SECRET", "XUEJI_HASH_KEY"}
SERVICES_DIR = DEPLOY.parent / "services"


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind, name):
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def xueji_pods(docs):
    """(owner, pod spec) of every pod the services run (bundled databases excluded)."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d, d["spec"]["template"]["spec"]


def settings_of(docs, service):
    return named(docs, "ConfigMap", f"xueji-{service}-settings")["data"]


def console_scripts(service):
    pyproject = tomllib.loads((SERVICES_DIR / service / "pyproject.toml").read_text())
    return set(pyproject["project"]["scripts"])


ALL = sorted(PROFILE_VALUES)


@pytest.mark.parametrize("profile", ALL)
def test_secrets_are_referenced_never_rendered(rendered, profile):
    docs = rendered[profile]
    assert not of_kind(docs, "Secret")
    for cm in of_kind(docs, "ConfigMap"):
        assert not SECRET_SETTINGS & set(cm.get("data", {})), cm["metadata"]["name"]
    for owner, pod in xueji_pods(docs):
        for container in pod["containers"] + pod.get("initContainers", []):
            env = {e["name"]: e for e in container.get("env", [])}
            for name in SECRET_SETTINGS:
                assert "secretKeyRef" in env[name]["valueFrom"], (owner["metadata"]["name"], name)


@pytest.mark.parametrize("profile", ALL)
def test_pods_run_as_non_root_on_a_read_only_root_filesystem(rendered, profile):
    for owner, pod in xueji_pods(rendered[profile]):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"] + pod.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= set(container["resources"]), owner["metadata"]["name"]
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


@pytest.mark.parametrize("profile", ALL)
def test_processes_are_the_packages_console_scripts_with_native_probes(rendered, profile):
    for dep in of_kind(rendered[profile], "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        service, component = labels["xueji.io/service"], labels["app.kubernetes.io/component"]
        [container] = dep["spec"]["template"]["spec"]["containers"]
        if component == "grpc":
            assert container["command"] == [f"xueji-{service}", "serve"]
            assert f"xueji-{service}" in console_scripts(service)
            port = 50052 if profile == "national" else 50051   # the national example serves TLS
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["grpc"] == {"port": port}
        elif component == "worker":
            assert container["command"] == [f"xueji-{service}-worker"]
            assert f"xueji-{service}-worker" in console_scripts(service)
            assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
        else:  # bundled databases are StatefulSets
            pytest.fail(f"unexpected Deployment component {component}")


@pytest.mark.parametrize("profile", ["province", "national"])
def test_migrations_run_as_a_hook_job_before_install_and_upgrade(rendered, profile):
    docs = rendered[profile]
    jobs = of_kind(docs, "Job")
    assert len(jobs) == len(of_kind(docs, "Deployment")) // 2
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        [container] = job["spec"]["template"]["spec"]["containers"]
        service = job["spec"]["template"]["metadata"]["labels"]["xueji.io/service"]
        assert container["command"] == [f"xueji-{service}", "migrate"]
        # Hooks run before the release's ConfigMaps exist: settings are inlined.
        assert "envFrom" not in container
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["XUEJI_MODE"] == "production"


def test_evaluation_migrates_in_an_init_container(rendered):
    docs = rendered["evaluation"]
    assert not of_kind(docs, "Job")
    for dep in of_kind(docs, "Deployment"):
        spec = dep["spec"]["template"]["spec"]
        if dep["metadata"]["name"].endswith("-worker"):
            assert "initContainers" not in spec
        else:
            [init] = spec["initContainers"]
            assert init["command"][1] == "migrate"


@pytest.mark.parametrize("profile, scope", [("province", "province"), ("national", "national"), ("evaluation", "province")])
def test_dedup_scope_and_production_settings(rendered, profile, scope):
    settings = settings_of(rendered[profile], "dedup")
    assert settings["XUEJI_SCOPE"] == scope
    assert settings["XUEJI_MODE"] == "production"
    assert settings["XUEJI_LOG_FORMAT"] == "json"
    assert settings["XUEJI_GRPC_ADDRESS"] == "0.0.0.0:50051"


def test_worker_concurrency_is_the_services_own_unless_set(helm_cli, rendered):
    assert "XUEJI_WORKER_CONCURRENCY" not in settings_of(rendered["province"], "review")
    docs = helm_cli.render(PROFILE_VALUES["province"], "--set", "services.review.workerConcurrency=8")
    assert settings_of(docs, "review")["XUEJI_WORKER_CONCURRENCY"] == "8"
    assert "XUEJI_WORKER_CONCURRENCY" not in settings_of(docs, "registration")


def test_province_peers_and_org_units(rendered):
    docs = rendered["province"]
    settings = settings_of(docs, "registration")
    assert settings["XUEJI_PEER_DEDUP"] == "xueji-dedup:50051"  # templated with the release name
    assert settings["XUEJI_PEER_NATIONAL_QUERY"] == "https://national-query.xueji.example"
    assert settings_of(docs, "dedup")["XUEJI_PEER_DEDUP_NATIONAL"] == "https://dedup.xueji.example"
    assert settings["XUEJI_ORG_UNITS_FILE"] == "/etc/xueji/org-units/org_units.csv"
    pod = named(docs, "Deployment", "xueji-review")["spec"]["template"]["spec"]
    assert {"name": "org-units", "configMap": {"name": "xueji-org-units"}} in pod["volumes"]


def test_registration_keeps_proof_material_on_a_shared_volume(rendered):
    docs = rendered["province"]
    settings = settings_of(docs, "registration")
    pvc = named(docs, "PersistentVolumeClaim", "xueji-registration-proof-files")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    for name in ("xueji-registration", "xueji-registration-worker"):
        pod = named(docs, "Deployment", name)["spec"]["template"]["spec"]
        assert {"name": "proof-files", "persistentVolumeClaim": {"claimName": pvc["metadata"]["name"]}} in pod["volumes"]
        mounts = pod["containers"][0]["volumeMounts"]
        assert {"name": "proof-files", "mountPath": settings["XUEJI_FILES_DIR"]} in mounts
    assert "XUEJI_FILES_DIR" not in settings_of(docs, "review")


@pytest.mark.parametrize("profile", ["province", "national"])
def test_each_database_is_reached_only_by_its_own_service(rendered, profile):
    policies = {p["spec"]["podSelector"]["matchLabels"]["xueji.io/service"]: p
                for p in of_kind(rendered[profile], "NetworkPolicy")}
    database_cidrs = {}
    for service, policy in policies.items():
        [rule] = [r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 5432]
        database_cidrs[service] = {peer["ipBlock"]["cidr"] for peer in rule["to"]}
        assert len(database_cidrs[service]) == 1
    assert len(set().union(*database_cidrs.values())) == len(policies)  # no cidr shared
    for service, policy in policies.items():
        others = set().union(*(c for s, c in database_cidrs.items() if s != service))
        for rule in policy["spec"]["egress"]:
            reachable = {p.get("ipBlock", {}).get("cidr") for p in rule.get("to", [])}
            assert not reachable & others, (service, rule)
            if not rule.get("to"):  # "any address" is allowed only for the broker's port
                assert rule["ports"] == [{"port": 5672, "protocol": "TCP"}]


def test_bundled_database_admits_only_the_services(rendered):
    policy = named(rendered["evaluation"], "NetworkPolicy", "xueji-postgresql")
    [rule] = policy["spec"]["ingress"]
    [selector] = rule["from"][0]["podSelector"]["matchExpressions"]
    assert sorted(selector["values"]) == ["dedup", "national-query", "registration", "review", "special-ed"]


@pytest.mark.parametrize("profile", ALL)
def test_selectors_of_services_pdbs_and_hpas_match_the_deployments(rendered, profile):
    docs = rendered[profile]
    pods = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
            for d in docs if d["kind"] in ("Deployment", "StatefulSet")}

    def matches(selector):
        return [n for n, labels in pods.items() if selector.items() <= labels.items()]

    for svc in of_kind(docs, "Service"):
        assert len(matches(svc["spec"]["selector"])) == 1, svc["metadata"]["name"]
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        assert matches(pdb["spec"]["selector"]["matchLabels"]) == [pdb["metadata"]["name"]]
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        assert target in pods and "replicas" not in named(docs, "Deployment", target)["spec"]


def test_worker_scales_on_queue_length_only_where_an_adapter_exists(rendered):
    docs = rendered["province"]
    external = named(docs, "HorizontalPodAutoscaler", "xueji-dedup-worker")["spec"]["metrics"][1]["external"]
    assert external["metric"]["selector"] == {"matchLabels": {"xueji_service": "dedup"}}
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        kinds = [m["type"] for m in hpa["spec"]["metrics"]]
        assert kinds == (["Resource", "External"] if hpa["metadata"]["name"] == "xueji-dedup-worker" else ["Resource"])


@pytest.mark.parametrize("profile", ["province", "national"])
def test_service_monitor_scrapes_every_process(rendered, profile):
    docs = rendered[profile]
    [monitor] = of_kind(docs, "ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [s for s in of_kind(docs, "Service") if selector.items() <= s["metadata"]["labels"].items()]
    assert len(scraped) == len(of_kind(docs, "Deployment"))
    for svc in scraped:
        assert "metrics" in {p["name"] for p in svc["spec"]["ports"]}


def test_a_province_without_site_values_fails_naming_what_is_missing(helm_cli):
    done = helm_cli.template([PROFILES / "province.yaml"])
    assert done.returncode != 0
    assert "database.cidrs is empty" in done.stderr


def test_an_empty_peer_address_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", "services.dedup.peers.DEDUP_NATIONAL=")
    assert done.returncode != 0
    assert "services.dedup.peers.DEDUP_NATIONAL is empty" in done.stderr


def test_an_unknown_dedup_scope_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "services.dedup.scope=county")
    assert done.returncode != 0
    assert "services.dedup.scope must be province or national" in done.stderr


def test_org_unit_csv_can_be_shipped_in_a_chart_configmap(helm_cli):
    csv = DEPLOY.parent / "libs" / "common" / "src" / "xueji_common" / "data" / "org_units_demo.csv"
    docs = helm_cli.render(PROFILE_VALUES["evaluation"], "--set-file", f"orgUnits.csv={csv}")
    cm = named(docs, "ConfigMap", "xueji-org-units")
    assert cm["data"]["org_units.csv"] == csv.read_text().rstrip("\n")
    dep = named(docs, "Deployment", "xueji-dedup")
    assert "checksum/org-units" in dep["spec"]["template"]["metadata"]["annotations"]
