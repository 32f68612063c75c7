import pytest

from xueji_common.config import ConfigError, Settings


def test_embedded_defaults_need_nothing(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("XUEJI_"):
            monkeypatch.delenv(key)
    settings = Settings.from_env()
    assert settings.mode == "embedded"
    assert settings.database_url_for("review").endswith("data/review.db")
    assert settings.peer("dedup") == "localhost:50051"


def test_production_refuses_development_keys(monkeypatch):
    monkeypatch.setenv("XUEJI_MODE", "production")
    monkeypatch.setenv("XUEJI_DATABASE_URL", "postgresql+psycopg://x@h/db")
    with pytest.raises(ConfigError, match="XUEJI_TOKEN_SECRET"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_TOKEN_SECRET", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_TOKEN_SECRET", "s" * 32)
    with pytest.raises(ConfigError, match="XUEJI_HASH_KEY"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_HASH_KEY", "h")
    assert Settings.from_env().database_url_for("review") == "postgresql+psycopg://x@h/db"


def test_bad_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("XUEJI_GRPC_WORKERS", "many")
    with pytest.raises(ConfigError, match="XUEJI_GRPC_WORKERS"):
        Settings.from_env()
    monkeypatch.delenv("XUEJI_GRPC_WORKERS")
    monkeypatch.setenv("XUEJI_MODE", "cluster")
    with pytest.raises(ConfigError, match="XUEJI_MODE"):
        Settings.from_env()


def test_peers_from_environment(monkeypatch):
    monkeypatch.setenv("XUEJI_PEER_NATIONAL_QUERY", "nq:50051")
    assert Settings.from_env().peer("national-query") == "nq:50051"


def test_worker_concurrency_from_environment(monkeypatch):
    assert Settings.from_env().worker_concurrency == 0   # 0: the service's own default
    monkeypatch.setenv("XUEJI_WORKER_CONCURRENCY", "8")
    assert Settings.from_env().worker_concurrency == 8


@pytest.mark.parametrize("env, named", [
    ({"XUEJI_TLS_CERT_FILE": "{f}"}, "XUEJI_TLS_CERT_FILE and XUEJI_TLS_KEY_FILE"),
    ({"XUEJI_TLS_CLIENT_CERT_FILE": "{f}"}, "XUEJI_TLS_CLIENT_CERT_FILE and XUEJI_TLS_CLIENT_KEY_FILE"),
    ({"XUEJI_TLS_CLIENT_AUTH": "optional"}, "XUEJI_TLS_CLIENT_AUTH must be none or require"),
    ({"XUEJI_TLS_CERT_FILE": "{f}", "XUEJI_TLS_KEY_FILE": "{f}", "XUEJI_TLS_CLIENT_AUTH": "require"},
     "XUEJI_TLS_CLIENT_AUTH=require needs XUEJI_TLS_CA_FILE"),
    ({"XUEJI_TLS_CA_FILE": "/nonexistent/ca.pem"}, "XUEJI_TLS_CA_FILE: cannot read /nonexistent/ca.pem"),
])
def test_tls_settings_that_cannot_work_name_the_variable(monkeypatch, tmp_path, env, named):
    pem = tmp_path / "x.pem"
    pem.write_text("x")
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(f=pem))
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")):
        Settings.from_env()


def test_peers_over_tls_and_a_tls_server_calls_itself_over_tls(monkeypatch, tmp_path):
    pem = tmp_path / "x.pem"
    pem.write_text("x")
    monkeypatch.setenv("XUEJI_PEER_DEDUP_NATIONAL", "https://dedup.xueji.example")
    monkeypatch.setenv("XUEJI_TLS_CERT_FILE", str(pem))
    monkeypatch.setenv("XUEJI_TLS_KEY_FILE", str(pem))
    settings = Settings.from_env()
    assert settings.peer("dedup-national") == "https://dedup.xueji.example"
    assert settings.peer("review") == "https://localhost:50051"
