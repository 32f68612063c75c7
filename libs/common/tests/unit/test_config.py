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
    with pytest.raises(ConfigError, match="XUEJI_TRUSTED_ISSUERS"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_TRUSTED_ISSUERS", "zj=http://x")
    with pytest.raises(ConfigError, match="JSON list"):
        Settings.from_env()
    monkeypatch.setenv(
        "XUEJI_TRUSTED_ISSUERS", '[{"issuer": "zj", "jwks": "http://a/jwks.json", "units": ["330000"]}]'
    )
    with pytest.raises(ConfigError, match="XUEJI_HASH_KEY"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_HASH_KEY", "h")
    with pytest.raises(ConfigError, match="XUEJI_DATA_KEY"):
        Settings.from_env()
    monkeypatch.setenv("XUEJI_DATA_KEY", new_key_text("k1"))
    monkeypatch.setenv("XUEJI_DATA_KEY_PREVIOUS", DEV_DATA_KEY)  # nor as a previous key
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
    assert Settings.from_env().worker_concurrency == 0  # 0: the service's own default
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


def test_production_holds_no_signing_key_outside_the_accounts_service(monkeypatch, tmp_path):
    monkeypatch.setenv("XUEJI_MODE", "production")
    monkeypatch.setenv("XUEJI_DATABASE_URL", "postgresql+psycopg://x@h/db")
    monkeypatch.setenv("XUEJI_HASH_KEY", "h")
    monkeypatch.setenv("XUEJI_DATA_KEY", __import__("xueji_common.datakeys").datakeys.new_key_text("t"))
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("XUEJI_TRUSTED_ISSUERS", '[{"issuer": "zj", "jwks": "http://a/jwks.json"}]')
    tokens = Settings.from_env().token_service()
    assert tokens.signer is None and set(tokens.issuers) == {"zj"}
    assert not list(tmp_path.iterdir())  # no development key made


def test_embedded_mode_makes_its_development_key_once_in_the_data_directory(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first, again = settings.token_service(), settings.token_service()
    key_file = tmp_path / "dev-signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (
        again.verify(first.mint("u", __import__("xueji_common.auth").auth.Role.SYSTEM, "000000")).user_id
        == "u"
    )


def test_the_issuer_signs_with_its_current_key_and_still_publishes_the_previous_one(tmp_path):
    from xueji_common.auth import Role, TokenSigner
    from xueji_common.signing import SigningKey, jwks

    old, new = SigningKey.generate(), SigningKey.generate()
    (tmp_path / "old.pem").write_bytes(old.pem())
    (tmp_path / "new.pem").write_bytes(new.pem())
    settings = Settings(
        mode="production",
        token_issuer="xueji-330000",
        signing_key_file=str(tmp_path / "new.pem"),
        signing_key_previous_files=(str(tmp_path / "old.pem"),),
        trusted_issuers=(("xueji-330000", "http://unused", ()),),
    )
    tokens = settings.token_service(sign=True)
    assert tokens.signer.key.kid == new.kid
    assert [k["kid"] for k in jwks(settings.signing_keys())["keys"]] == [new.kid, old.kid]
    before_rotation = TokenSigner(old, "xueji-330000").mint("u", Role.SYSTEM, "330000")
    assert tokens.verify(before_rotation).user_id == "u"
    assert settings.token_service(sign=False).signer is None  # the other services of the tier


@pytest.mark.parametrize(
    "env, named",
    [
        ({"XUEJI_TLS_CERT_FILE": "{f}"}, "XUEJI_TLS_CERT_FILE and XUEJI_TLS_KEY_FILE"),
        ({"XUEJI_TLS_CLIENT_CERT_FILE": "{f}"}, "XUEJI_TLS_CLIENT_CERT_FILE and XUEJI_TLS_CLIENT_KEY_FILE"),
        ({"XUEJI_TLS_CLIENT_AUTH": "optional"}, "XUEJI_TLS_CLIENT_AUTH must be none or require"),
        (
            {"XUEJI_TLS_CERT_FILE": "{f}", "XUEJI_TLS_KEY_FILE": "{f}", "XUEJI_TLS_CLIENT_AUTH": "require"},
            "XUEJI_TLS_CLIENT_AUTH=require needs XUEJI_TLS_CA_FILE",
        ),
        ({"XUEJI_TLS_CA_FILE": "/nonexistent/ca.pem"}, "XUEJI_TLS_CA_FILE: cannot read /nonexistent/ca.pem"),
    ],
)
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


@pytest.mark.parametrize(
    "variable, value, reason",
    [
        ("XUEJI_METRICS_PORT", "70000", "less than or equal to 65535"),
        ("XUEJI_TRACE_SAMPLE_RATIO", "1.5", "less than or equal to 1"),
        ("XUEJI_RELAY_INTERVAL", "soon", "valid number"),
        ("XUEJI_OUTBOX_PURGE_INTERVAL_SECONDS", "-1", "greater than or equal to 0"),
        ("XUEJI_ACCESS_LOG_SUMMARY_SECONDS", "-5", "greater than or equal to 0"),
        ("XUEJI_SCOPE", "county", "'province' or 'national'"),
    ],
)
def test_a_value_of_the_wrong_type_or_out_of_bounds_names_its_variable_and_the_value(
    monkeypatch, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        Settings.from_env()
    assert str(raised.value).startswith(f"{variable}: ")
    assert reason in str(raised.value) and repr(value) in str(raised.value)


def test_every_bad_variable_is_named_at_once(monkeypatch):
    monkeypatch.setenv("XUEJI_GRPC_WORKERS", "0")
    monkeypatch.setenv("XUEJI_HEALTH_INTERVAL", "often")
    with pytest.raises(ConfigError, match=r"XUEJI_GRPC_WORKERS: .*; XUEJI_HEALTH_INTERVAL: "):
        Settings.from_env()


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("XUEJI_GRPC_WORKERS", "")
    monkeypatch.setenv("XUEJI_HASH_KEY", "")
    settings = Settings.from_env()
    assert settings.grpc_workers == 16 and settings.hash_key == Settings().hash_key


def test_lists_and_renamed_variables_are_read(monkeypatch):
    monkeypatch.setenv("XUEJI_SIGNING_KEY_PREVIOUS_FILES", "a.pem, b.pem,")
    monkeypatch.setenv("XUEJI_OUTBOX_PURGE_INTERVAL_SECONDS", "60")
    monkeypatch.setenv("XUEJI_ACCESS_LOG_SUMMARY_SECONDS", "10")
    monkeypatch.setenv("XUEJI_TLS_CA_FILE", __file__)
    settings = Settings.from_env()
    assert settings.signing_key_previous_files == ("a.pem", "b.pem")
    assert (settings.outbox_purge_interval, settings.access_log_summary_interval) == (60, 10)
    assert settings.tls.ca_file == __file__


def test_values_given_win_over_the_environment_and_secrets_stay_out_of_repr(monkeypatch):
    monkeypatch.setenv("XUEJI_GRPC_ADDRESS", "0.0.0.0:1")
    monkeypatch.setenv("XUEJI_PEER_DEDUP", "dedup:50051")
    settings = Settings(grpc_address="127.0.0.1:2", peers={"review": "r:1"}, hash_key="secret-hash-key")
    assert settings.grpc_address == "127.0.0.1:2" and settings.peers == {"review": "r:1"}
    assert "secret-hash-key" not in repr(settings)
    assert Settings().peer("dedup") == "dedup:50051"
