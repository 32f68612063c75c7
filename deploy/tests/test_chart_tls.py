"""TLS between tiers and the shared rate limits as the chart renders them: certificates from
Secrets mounted whole (so renewals reach the processes), probes on the plaintext health port,
the national endpoints behind an Ingress or GRPCRoutes with TLS, Redis for national-query."""

from __future__ import annotations

from conftest import PROFILE_VALUES
from test_chart_behaviour import named, of_kind, settings_of


def container_of(docs, deployment):
    [container] = named(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return container


def env_of(container) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_national_servers_listen_with_mutual_tls_from_a_secret_mounted_whole(rendered):
    docs = rendered["national"]
    for name in ("xueji-dedup", "xueji-national-query"):
        pod = named(docs, "Deployment", name)["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = env_of(container)
        assert env["XUEJI_TLS_CERT_FILE"] == "/etc/xueji/tls/server/tls.crt"
        assert env["XUEJI_TLS_KEY_FILE"] == "/etc/xueji/tls/server/tls.key"
        assert env["XUEJI_TLS_CA_FILE"] == "/etc/xueji/tls/ca/ca.crt"
        assert env["XUEJI_TLS_CLIENT_AUTH"] == "require"
        assert env["XUEJI_HEALTH_ADDRESS"] == "0.0.0.0:50052"
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert (
            mounts["tls-server"]["mountPath"] == "/etc/xueji/tls/server"
            and "subPath" not in mounts["tls-server"]
        )
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["tls-server"]["secret"]["secretName"] == "xueji-national-grpc-tls"
        assert {"name": "health", "containerPort": 50052, "protocol": "TCP"} in container["ports"]
    # Migrations do not serve: no certificate needed there.
    job = named(docs, "Job", "xueji-dedup-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert not any(e["name"].startswith("XUEJI_TLS_") for e in job["env"])


def test_province_calls_the_national_tier_at_https_addresses_with_its_client_certificate(rendered):
    docs = rendered["province"]
    assert settings_of(docs, "dedup")["XUEJI_PEER_DEDUP_NATIONAL"] == "https://dedup.xueji.example"
    for deployment in ("xueji-dedup-worker", "xueji-registration"):
        env = env_of(container_of(docs, deployment))
        assert env["XUEJI_TLS_CLIENT_CERT_FILE"] == "/etc/xueji/tls/client/tls.crt"
        assert env["XUEJI_TLS_CA_FILE"] == "/etc/xueji/tls/ca/ca.crt"
        assert "XUEJI_TLS_CERT_FILE" not in env  # its own servers stay plaintext in-cluster
    assert container_of(docs, "xueji-dedup")["readinessProbe"]["grpc"] == {"port": 50051, "service": "dedup"}


def test_the_national_endpoints_are_exposed_through_an_ingress_with_tls(rendered):
    ingress = named(rendered["national"], "Ingress", "xueji-grpc")
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPCS"
    [tls] = ingress["spec"]["tls"]
    assert tls == {
        "secretName": "xueji-national-edge-tls",
        "hosts": ["dedup.xueji.example", "national-query.xueji.example"],
    }
    backends = {r["host"]: r["http"]["paths"][0]["backend"]["service"] for r in ingress["spec"]["rules"]}
    assert backends == {
        "dedup.xueji.example": {"name": "xueji-dedup", "port": {"name": "grpc"}},
        "national-query.xueji.example": {"name": "xueji-national-query", "port": {"name": "grpc"}},
    }


def test_grpc_routes_attach_each_host_to_the_gateway(helm_cli):
    docs = helm_cli.render(
        PROFILE_VALUES["national"],
        "--set",
        "ingress.enabled=false",
        "--set",
        "grpcRoute.enabled=true",
        "--set",
        "grpcRoute.parentRefs[0].name=xueji-gateway",
        "--set",
        "grpcRoute.hosts[0].host=dedup.xueji.example",
        "--set",
        "grpcRoute.hosts[0].service=dedup",
    )
    [route] = of_kind(docs, "GRPCRoute")
    assert route["spec"]["hostnames"] == ["dedup.xueji.example"]
    assert route["spec"]["parentRefs"] == [{"name": "xueji-gateway"}]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "xueji-dedup", "port": 50051}]}]


def test_an_ingress_without_a_certificate_or_with_an_unknown_service_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "ingress.tlsSecretName=")
    assert done.returncode != 0 and "ingress.tlsSecretName must be set" in done.stderr
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "ingress.hosts[0].service=review")
    assert done.returncode != 0 and "names service review, which is not enabled here" in done.stderr


def test_mutual_tls_without_a_ca_bundle_fails(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "tls.caBundle.secretName=")
    assert (
        done.returncode != 0 and "tls.server.clientAuth=require needs tls.caBundle.secretName" in done.stderr
    )


def test_national_query_counts_in_the_redis_of_the_values(rendered, helm_cli):
    docs = rendered["national"]
    settings = settings_of(docs, "national-query")
    assert settings["XUEJI_RATE_LIMIT_PREFIX"] == "xueji-national-query"
    assert settings["XUEJI_TRUSTED_PROXIES"] == "10.0.30.0/24"
    env = env_of(container_of(docs, "xueji-national-query"))
    assert env["XUEJI_REDIS_URL"] == {"secretKeyRef": {"name": "xueji-redis", "key": "url"}}
    policy = named(docs, "NetworkPolicy", "xueji-national-query")
    assert {
        "ports": [{"port": 6380, "protocol": "TCP"}],
        "to": [{"ipBlock": {"cidr": "10.0.20.30/32"}}],
    } in policy["spec"]["egress"]
    assert "XUEJI_REDIS_URL" not in env_of(container_of(docs, "xueji-dedup"))
    plain = helm_cli.render(
        PROFILE_VALUES["national"],
        "--set",
        "redis.urlSecret.name=",
        "--set",
        "redis.url=redis://redis.internal:6379/0",
    )
    assert settings_of(plain, "national-query")["XUEJI_REDIS_URL"] == "redis://redis.internal:6379/0"
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "redis.urlSecret.name=")
    assert done.returncode != 0 and "redis.url or redis.urlSecret.name must be set" in done.stderr


def test_helm_test_pods_ask_the_plaintext_health_port_under_server_tls(rendered):
    docs = rendered["national"]
    for service in ("dedup", "national-query"):
        [container] = named(docs, "Pod", f"xueji-{service}-test-health")["spec"]["containers"]
        assert container["command"] == [
            "xueji",
            "health",
            "--address",
            f"xueji-{service}:50052",
            "--service",
            service,
        ]
        ports = named(docs, "Service", f"xueji-{service}")["spec"]["ports"]
        assert {"name": "health", "port": 50052, "targetPort": "health", "protocol": "TCP"} in ports
        policy = named(docs, "NetworkPolicy", f"xueji-{service}")["spec"]
        assert any(r["ports"] == [{"port": 50052, "protocol": "TCP"}] for r in policy["ingress"])
        assert any(
            {"port": 50052, "protocol": "TCP"} in r["ports"] and r["to"][0].get("podSelector")
            for r in policy["egress"]
        )
    # Without server TLS: the gRPC port, every service reflection lists; no health port exposed.
    [container] = named(rendered["province"], "Pod", "xueji-dedup-test-health")["spec"]["containers"]
    assert container["command"] == ["xueji", "health", "--address", "xueji-dedup:50051"]
    assert all(
        p["name"] != "health" for p in named(rendered["province"], "Service", "xueji-dedup")["spec"]["ports"]
    )


def test_the_console_with_server_tls_fails_naming_why(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["province"], "--set", "tls.server.secretName=grpc-tls")
    assert done.returncode != 0 and "console.enabled with tls.server.secretName" in done.stderr


def test_the_schema_checks_the_tls_and_redis_values(helm_cli):
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "tls.server.clientAuth=optional")
    assert done.returncode != 0 and "clientAuth" in done.stderr
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "tls.healthport=50052")
    assert done.returncode != 0 and "healthport" in done.stderr
    done = helm_cli.template(PROFILE_VALUES["national"], "--set", "redis.port=none")
    assert done.returncode != 0 and "port" in done.stderr
