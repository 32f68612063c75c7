import pytest

from xueji_common.config import ConfigError, Settings
from xueji_common.datakeys import DEV_DATA_KEY, new_key_text


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
    with pytest.raises(ConfigError, match="XUEJI_DATA_KEY"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_DATA_KEY", new_key_text("k1"))
    monkeypatch.setenv("XUEJI_DATA_KEY_PREVIOUS", DEV_DATA_KEY)   # nor as a previous key
    with pytest.raises(ConfigError, match="XUEJI_DATA_KEY"):
        Settings.from_env()
    monkeypatch.delenv("XUEJI_DATA_KEY_PREVIOUS")
    assert Settings.from_env().database_url_for("review") == "postgresql+psycopg://x@h/db"


@pytest.mark.parametrize("value", ["nokey", "k1:not-base64!", "k1:" + "QUJD", "bad id:" + "A" * 44])
def test_a_malformed_data_key_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("XUEJI_DATA_KEY", value)
    with pytest.raises(ConfigError, match="XUEJI_DATA_KEY"):
        Settings.from_env()


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
