"""What the rendered objects must guarantee: secrets referenced only, hardened pods, probes, hooks,
settings per profile, database isolation, autoscaling and monitoring wiring."""

from __future__ import annotations

import tomllib

import pytest
from conftest import DEPLOY, EXAMPLES, PROFILE_VALUES, PROFILES

SECRET_SETTINGS = {"XUEJI_DATABASE_URL", "XUEJI_AMQP_URI", "XUEJI_HASH_KEY"}
SERVICES_DIR = DEPLOY.parent / "services"


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def named(docs, kind, name):
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def xueji_pods(docs):
    """(owner, pod spec) of every pod the services run (bundled databases excluded), helm tests too."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d, d["spec"]["template"]["spec"]
        elif d["kind"] == "Pod":
            yield d, d["spec"]


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
            if owner["kind"] == "Pod":  # helm test: health needs no key at all
                assert not SECRET_SETTINGS & set(env), owner["metadata"]["name"]
                continue
            # The console holds no database or hash key, only its Redis address (with a password).
            needed = {"XUEJI_REDIS_URL"} if owner["metadata"]["name"] == "xueji-console" else SECRET_SETTINGS
            if env.get("XUEJI_REDIS_URL", {}).get("value") == "memory://":  # sessions in memory (evaluation)
                needed, env = (
                    needed - {"XUEJI_REDIS_URL"},
                    {k: v for k, v in env.items() if k != "XUEJI_REDIS_URL"},
                )
            if owner["metadata"]["name"].startswith("xueji-national-query") and profile == "national":
                needed = SECRET_SETTINGS | {"XUEJI_REDIS_URL"}  # its rate-limit Redis, with a password
            for name in needed:
                assert "secretKeyRef" in env[name]["valueFrom"], (owner["metadata"]["name"], name)
            assert not (SECRET_SETTINGS | {"XUEJI_REDIS_URL"}) - needed & set(env), owner["metadata"]["name"]


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
            # liveness and startup: the server (""); readiness: the service's name, which follows
            # its database and broker (runtime.health). The national example serves TLS: the probes
            # ask the plaintext health-only port.
            port = 50052 if profile == "national" else 50051
            for probe in ("startupProbe", "livenessProbe"):
                assert container[probe]["grpc"] == {"port": port}
            assert container["readinessProbe"]["grpc"] == {"port": port, "service": service}
        elif component == "worker":
            assert container["command"] == [f"xueji-{service}-worker"]
            assert f"xueji-{service}-worker" in console_scripts(service)
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        elif component == "web":  # the console: HTTP, probed on its sign-in page
            assert container["command"] == ["xueji-console", "serve"] and "xueji-console" in console_scripts(
                "console"
            )
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["httpGet"] == {"path": "/signin", "port": "http"}
        else:  # bundled databases are StatefulSets
            pytest.fail(f"unexpected Deployment component {component}")


@pytest.mark.parametrize("profile", ["province", "national"])
def test_migrations_run_as_a_hook_job_before_install_and_upgrade(rendered, profile):
    docs = rendered[profile]
    jobs = [j for j in of_kind(docs, "Job") if j["metadata"]["name"].endswith("-migrate")]
    servers = [
        d
        for d in of_kind(docs, "Deployment")
        if d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "grpc"
    ]
    assert len(jobs) == len(servers)
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
    assert [j["metadata"]["name"] for j in of_kind(docs, "Job")] == ["xueji-accounts-create-admin"]
    for dep in of_kind(docs, "Deployment"):
        spec = dep["spec"]["template"]["spec"]
        if dep["metadata"]["name"].endswith("-worker") or dep["metadata"]["name"] == "xueji-console":
            assert "initContainers" not in spec  # the console has no database
        else:
            [init] = spec["initContainers"]
            assert init["command"][1] == "migrate"


@pytest.mark.parametrize(
    "profile, scope", [("province", "province"), ("national", "national"), ("evaluation", "province")]
)
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
        assert {
            "name": "proof-files",
            "persistentVolumeClaim": {"claimName": pvc["metadata"]["name"]},
        } in pod["volumes"]
        mounts = pod["containers"][0]["volumeMounts"]
        assert {"name": "proof-files", "mountPath": settings["XUEJI_FILES_DIR"]} in mounts
    assert "XUEJI_FILES_DIR" not in settings_of(docs, "review")


@pytest.mark.parametrize("profile", ["province", "national"])
def test_each_database_is_reached_only_by_its_own_service(rendered, profile):
    policies = {
        p["spec"]["podSelector"]["matchLabels"]["xueji.io/service"]: p
        for p in of_kind(rendered[profile], "NetworkPolicy")
    }
    console = policies.pop("console", None)  # no database at all: its sessions are in Redis
    if console is not None:
        assert not [r for r in console["spec"]["egress"] if r["ports"][0]["port"] == 5432]
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
    assert sorted(selector["values"]) == [
        "accounts",
        "dedup",
        "national-query",
        "registration",
        "review",
        "special-ed",
    ]


@pytest.mark.parametrize("profile", ALL)
def test_selectors_of_services_pdbs_and_hpas_match_the_deployments(rendered, profile):
    docs = rendered[profile]
    pods = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet")
    }

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
        assert kinds == (
            ["Resource", "External"] if hpa["metadata"]["name"] == "xueji-dedup-worker" else ["Resource"]
        )


@pytest.mark.parametrize("profile", ["province", "national"])
def test_service_monitor_scrapes_every_process(rendered, profile):
    docs = rendered[profile]
    [monitor] = of_kind(docs, "ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    scraped = [s for s in of_kind(docs, "Service") if selector.items() <= s["metadata"]["labels"].items()]
    processes = of_kind(docs, "Deployment")  # the console too (its own /metrics)
    assert len(scraped) == len(processes)
    for svc in scraped:
        assert "metrics" in {p["name"] for p in svc["spec"]["ports"]}
    if profile == "province":
        [container] = named(docs, "Deployment", "xueji-console")["spec"]["template"]["spec"]["containers"]
        assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
        assert {"name": "XUEJI_METRICS_PORT", "value": "9464"} in container["env"]
        policy = named(docs, "NetworkPolicy", "xueji-console")["spec"]
        [scrape] = [r for r in policy["ingress"] if r["ports"] == [{"port": 9464, "protocol": "TCP"}]]
        assert scrape["from"] == [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
        ]
        # and an absent() alert when no console pod is scraped, as for every service.
        [rules] = of_kind(docs, "PrometheusRule")
        [absent] = [g for g in rules["spec"]["groups"] if g["name"] == "xueji.absent"]
        assert [r for r in absent["rules"] if 'xueji_service="console", component="web"' in r["expr"]]


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
    assert "services.dedup.scope must be one of" in done.stderr  # values.schema.json


def test_org_unit_csv_can_be_shipped_in_a_chart_configmap(helm_cli):
    csv = DEPLOY.parent / "libs" / "common" / "src" / "xueji_common" / "data" / "org_units_demo.csv"
    docs = helm_cli.render(PROFILE_VALUES["evaluation"], "--set-file", f"orgUnits.csv={csv}")
    cm = named(docs, "ConfigMap", "xueji-org-units")
    assert cm["data"]["org_units.csv"] == csv.read_text().rstrip("\n")
    dep = named(docs, "Deployment", "xueji-dedup")
    assert "checksum/org-units" in dep["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.parametrize("profile", ALL)
def test_no_shared_signing_secret_only_the_issuer_holds_a_private_key(rendered, profile):
    docs = rendered[profile]
    text = repr(docs)
    assert "XUEJI_TOKEN_SECRET" not in text and "token-secret" not in text
    for owner, pod in xueji_pods(docs):
        name = owner["metadata"]["name"]
        mounted = {
            v["secret"]["secretName"]
            for v in pod.get("volumes", [])
            if "secret" in v and not v["name"].startswith("tls-")
        }  # TLS certificates aside
        [container] = pod["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        if name == "xueji-accounts":
            assert mounted == {"xueji-signing-key"}
            assert env["XUEJI_SIGNING_KEY_FILE"]["value"] == "/etc/xueji/signing/signing-key.pem"
            assert env["XUEJI_SERVICE_CLIENTS"]["valueFrom"]["secretKeyRef"]["key"] == "clients.json"
        else:
            assert "xueji-signing-key" not in mounted and "XUEJI_SIGNING_KEY_FILE" not in env, name
        if owner["kind"] == "Pod":  # a helm test Pod: calls health, holds no identity
            continue
        service = owner["spec"]["template"]["metadata"]["labels"]["xueji.io/service"]
        if service == "console":  # acts with its users' tokens only: no identity of its own
            assert "XUEJI_SERVICE_CLIENT_SECRET" not in env and not mounted
        elif service != "accounts":  # each service its own client secret
            assert env["XUEJI_SERVICE_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {
                "name": "xueji-service-clients",
                "key": service,
            }


@pytest.mark.parametrize(
    "profile, trusted",
    [
        ("province", [("xueji-330000", ["330000"]), ("xueji-000000", None)]),
        ("national", [("xueji-000000", []), ("xueji-330000", ["330000"]), ("xueji-320000", ["320000"])]),
    ],
)
def test_each_tier_trusts_its_own_issuer_and_the_other_tiers(rendered, profile, trusted):
    import json

    docs = rendered[profile]
    for cm in of_kind(docs, "ConfigMap"):
        if not cm["metadata"]["name"].endswith("-settings"):
            continue
        issuers = json.loads(cm["data"]["XUEJI_TRUSTED_ISSUERS"])
        assert [(i["issuer"], i.get("units")) for i in issuers] == trusted
        assert issuers[0]["jwks"] == "http://xueji-accounts:8080/.well-known/jwks.json"
        service = cm["metadata"]["name"].removeprefix("xueji-").removesuffix("-settings")
        if service != "accounts":
            assert cm["data"]["XUEJI_SERVICE_CLIENT_ID"] == service
            assert cm["data"]["XUEJI_PEER_ACCOUNTS"] == "xueji-accounts:50051"
    service = named(docs, "Service", "xueji-accounts")
    assert {"name": "jwks", "port": 8080, "targetPort": "jwks", "protocol": "TCP"} in service["spec"]["ports"]


def test_the_first_administrator_comes_from_a_post_install_job_reading_a_secret(rendered):
    job = named(rendered["province"], "Job", "xueji-accounts-create-admin")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["xueji-accounts", "create-admin", "--login", "admin", "--org", "330000"]
    env = {e["name"]: e for e in container["env"]}
    assert env["XUEJI_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "xueji-first-admin",
        "key": "password",
    }
    assert "create-admin" in console_scripts_commands("accounts")


def console_scripts_commands(service):
    from xueji_accounts.entrypoints.main import main

    return set(main.commands)


def test_the_console_is_served_over_tls_with_its_sessions_in_the_operators_redis(rendered):
    docs = rendered["province"]
    ingress = named(docs, "Ingress", "xueji-console")
    [tls] = ingress["spec"]["tls"]
    assert tls == {"hosts": ["xueji.zj.example"], "secretName": "xueji-zj-tls"}
    [rule] = ingress["spec"]["rules"]
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": "xueji-console",
        "port": {"name": "http"},
    }
    [container] = named(docs, "Deployment", "xueji-console")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["XUEJI_REDIS_URL"]["valueFrom"]["secretKeyRef"] == {"name": "xueji-redis", "key": "url"}
    assert env["XUEJI_MODE"]["value"] == "production"  # Secure cookies, Redis required
    for peer in ("ACCOUNTS", "REGISTRATION", "REVIEW", "DEDUP", "SPECIAL_ED"):
        assert env[f"XUEJI_PEER_{peer}"]["value"] == f"xueji-{peer.lower().replace('_', '-')}:50051"
    policy = named(docs, "NetworkPolicy", "xueji-console")
    redis_rule = [r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 6379]
    assert redis_rule == [
        {"ports": [{"port": 6379, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "10.33.20.20/32"}}]}
    ]
    assert named(docs, "HorizontalPodAutoscaler", "xueji-console")["spec"]["minReplicas"] == 2
    assert named(docs, "PodDisruptionBudget", "xueji-console")["spec"]["maxUnavailable"] == 1


def test_a_console_without_host_or_certificate_fails(helm_cli):
    done = helm_cli.template(
        [PROFILES / "province.yaml", EXAMPLES / "province-zhejiang.yaml"],
        "--set",
        "console.ingress.tlsSecretName=",
    )
    assert (
        done.returncode != 0
        and "console.ingress.host and console.ingress.tlsSecretName are required" in done.stderr
    )


def test_the_province_console_calls_the_national_tiers_national_query_over_mutual_tls(rendered):
    docs = rendered["province"]
    pod = named(docs, "Deployment", "xueji-console")["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["XUEJI_PEER_NATIONAL_QUERY"] == "https://national-query.xueji.example"
    assert env["XUEJI_TLS_CLIENT_CERT_FILE"] == "/etc/xueji/tls/client/tls.crt"
    assert env["XUEJI_TLS_CA_FILE"].startswith("/etc/xueji/tls/ca/")
    assert {"name": "tls-client", "secret": {"secretName": "xueji-zj-national-client"}} in pod["volumes"]
    # The national gateway is reachable as it is from the services (networkPolicy.externalPeers).
    egress = named(docs, "NetworkPolicy", "xueji-console")["spec"]["egress"]
    assert {
        "ports": [{"port": 443, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.0.8.0/24"}}],
    } in egress


def test_a_province_console_without_the_national_query_address_fails_naming_it(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", "console.peers.NATIONAL_QUERY=")
    assert done.returncode != 0 and "console.peers.NATIONAL_QUERY is empty" in done.stderr


def test_the_evaluation_console_is_one_replica_with_sessions_in_memory(rendered):
    docs = rendered["evaluation"]
    deployment = named(docs, "Deployment", "xueji-console")
    assert deployment["spec"]["replicas"] == 1
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["XUEJI_REDIS_URL"] == "memory://"
    assert env["XUEJI_PEER_NATIONAL_QUERY"] == "xueji-national-query:50051"  # this release's
    assert not of_kind(
        [d for d in docs if d["metadata"]["name"] == "xueji-console"], "HorizontalPodAutoscaler"
    )
    assert not of_kind([d for d in docs if d["metadata"]["name"] == "xueji-console"], "Ingress")
    egress = named(docs, "NetworkPolicy", "xueji-console")["spec"]["egress"]
    assert not [r for r in egress if r["ports"][0]["port"] == 6379]


def test_an_in_memory_console_of_more_than_one_replica_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["evaluation"], "--set", "console.replicas=2")
    assert done.returncode != 0 and "console.redis.url memory:// keeps sessions in one pod" in done.stderr
    done = helm_cli.template(PROFILE_VALUES["evaluation"], "--set", "console.redis.url=redis://r:6379")
    assert done.returncode != 0 and "console.redis.url" in done.stderr  # the schema: memory:// or ""
