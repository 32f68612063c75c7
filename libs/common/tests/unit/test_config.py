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


def test_metrics_listen_on_the_grpc_host_unless_told_otherwise(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("XUEJI_"):
            monkeypatch.delenv(key)
    assert Settings.from_env().metrics_bind_host() == "localhost"
    monkeypatch.setenv("XUEJI_GRPC_ADDRESS", "0.0.0.0:50051")
    assert Settings.from_env().metrics_bind_host() == "0.0.0.0"
    monkeypatch.setenv("XUEJI_GRPC_ADDRESS", "[::1]:50051")
    assert Settings.from_env().metrics_bind_host() == "::1"
    monkeypatch.setenv("XUEJI_METRICS_HOST", "10.0.0.5")
    assert Settings.from_env().metrics_bind_host() == "10.0.0.5"
