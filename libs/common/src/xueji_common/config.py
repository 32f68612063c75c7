"""Settings from the environment (12-factor), with the embedded defaults.

Every setting is an environment variable `XUEJI_<NAME>`. In embedded mode (the default) nothing
needs to be set: SQLite files under the data directory, the in-process bus, a development token key.
Production mode refuses to start with the development keys.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEV_TOKEN_SECRET = "xueji-development-token-key-not-for-production"
DEV_HASH_KEY = "xueji-development-hash-key-not-for-production"
TLS_CLIENT_AUTH_VALUES = ("none", "require")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message names the variable."""


def _env(name: str, default: str) -> str:
    return os.environ.get(f"XUEJI_{name}", default)


def _int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"XUEJI_{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class TlsConfig:
    """TLS of the gRPC server and of calls to `https://` peers (xueji_common.grpcserver.tls)."""

    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    client_auth: str = "none"        # none | require
    # The certificate presented to TLS peers (mutual TLS); default: the server's. A process whose
    # server stays plaintext (inside its tier) can still call another tier with a certificate.
    client_cert_file: str = ""
    client_key_file: str = ""

    @property
    def client_pair(self) -> tuple[str, str]:
        if self.client_cert_file:
            return self.client_cert_file, self.client_key_file
        return self.cert_file, self.key_file

    @property
    def serving(self) -> bool:
        """The server listens with TLS (a certificate is configured)."""
        return bool(self.cert_file)

    def problems(self) -> list[str]:
        """What is wrong with the settings, each naming its variable (empty: fine)."""
        found = []
        if bool(self.cert_file) != bool(self.key_file):
            found.append("XUEJI_TLS_CERT_FILE and XUEJI_TLS_KEY_FILE must be set together")
        if bool(self.client_cert_file) != bool(self.client_key_file):
            found.append("XUEJI_TLS_CLIENT_CERT_FILE and XUEJI_TLS_CLIENT_KEY_FILE must be set together")
        if self.client_auth not in TLS_CLIENT_AUTH_VALUES:
            found.append(f"XUEJI_TLS_CLIENT_AUTH must be none or require, got {self.client_auth!r}")
        elif self.client_auth == "require" and not (self.ca_file and self.cert_file):
            found.append("XUEJI_TLS_CLIENT_AUTH=require needs XUEJI_TLS_CA_FILE and a server certificate")
        files = {"CERT_FILE": self.cert_file, "KEY_FILE": self.key_file, "CA_FILE": self.ca_file,
                 "CLIENT_CERT_FILE": self.client_cert_file, "CLIENT_KEY_FILE": self.client_key_file}
        for variable, path in files.items():
            if path and not os.access(path, os.R_OK):
                found.append(f"XUEJI_TLS_{variable}: cannot read {path}")
        return found


@dataclass(frozen=True)
class Settings:
    mode: str = "embedded"                  # embedded | production
    scope: str = "province"                 # province | national (dedup tier)
    data_dir: Path = Path("data")
    grpc_address: str = "localhost:50051"
    grpc_workers: int = 16
    metrics_port: int = 9464                # 0 disables the metrics endpoint
    database_url: str = ""                  # one service's database (production)
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    token_secret: str = DEV_TOKEN_SECRET
    # Keys still accepted while a rotation is under way (XUEJI_TOKEN_SECRET_PREVIOUS, comma-separated).
    token_previous_secrets: tuple[str, ...] = ()
    token_audience: str = "xueji"
    token_issuer: str = "xueji"
    hash_key: str = DEV_HASH_KEY
    org_units_file: str = ""                # empty: the packaged demo tree
    log_level: str = "INFO"
    log_format: str = "json"                # json | text
    relay_interval: float = 0.2             # seconds between outbox polls
    worker_concurrency: int = 0             # handlers at once per worker process; 0: the service's own
    # Addresses of the services this one calls (embedded: all on grpc_address).
    peers: dict[str, str] = field(default_factory=dict)
    tls: TlsConfig = TlsConfig()
    # A plaintext listener serving only grpc.health.v1, for probes that cannot speak TLS (the
    # kubelet's gRPC probes); empty: none.
    health_address: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        mode = _env("MODE", "embedded")
        if mode not in ("embedded", "production"):
            raise ConfigError(f"XUEJI_MODE must be embedded or production, got {mode!r}")
        scope = _env("SCOPE", "province")
        if scope not in ("province", "national"):
            raise ConfigError(f"XUEJI_SCOPE must be province or national, got {scope!r}")
        settings = cls(
            mode=mode,
            scope=scope,
            data_dir=Path(_env("DATA_DIR", "data")),
            grpc_address=_env("GRPC_ADDRESS", "localhost:50051"),
            grpc_workers=_int("GRPC_WORKERS", 16),
            metrics_port=_int("METRICS_PORT", 9464),
            database_url=_env("DATABASE_URL", ""),
            amqp_uri=_env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            token_secret=_env("TOKEN_SECRET", DEV_TOKEN_SECRET),
            token_previous_secrets=tuple(k for k in _env("TOKEN_SECRET_PREVIOUS", "").split(",") if k),
            token_audience=_env("TOKEN_AUDIENCE", "xueji"),
            token_issuer=_env("TOKEN_ISSUER", "xueji"),
            hash_key=_env("HASH_KEY", DEV_HASH_KEY),
            org_units_file=_env("ORG_UNITS_FILE", ""),
            log_level=_env("LOG_LEVEL", "INFO"),
            log_format=_env("LOG_FORMAT", "json"),
            relay_interval=float(_env("RELAY_INTERVAL", "0.2")),
            worker_concurrency=_int("WORKER_CONCURRENCY", 0),
            peers=_peers_from_env(),
            tls=TlsConfig(_env("TLS_CERT_FILE", ""), _env("TLS_KEY_FILE", ""), _env("TLS_CA_FILE", ""),
                          _env("TLS_CLIENT_AUTH", "none"), _env("TLS_CLIENT_CERT_FILE", ""),
                          _env("TLS_CLIENT_KEY_FILE", "")),
            health_address=_env("HEALTH_ADDRESS", ""),
        )
        settings.check()
        return settings

    def check(self) -> None:
        problems = self.tls.problems()
        if problems:
            raise ConfigError("; ".join(problems))
        if self.mode != "production":
            return
        if self.token_secret == DEV_TOKEN_SECRET:
            raise ConfigError("XUEJI_TOKEN_SECRET must be set in production mode")
        if len(self.token_secret) < 32:
            raise ConfigError("XUEJI_TOKEN_SECRET must be at least 32 characters (HS256 key)")
        if self.hash_key == DEV_HASH_KEY:
            raise ConfigError("XUEJI_HASH_KEY must be set in production mode")
        if not self.database_url:
            raise ConfigError("XUEJI_DATABASE_URL must be set in production mode")

    def database_url_for(self, service: str) -> str:
        """The database of one service: the configured URL, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / (service + '.db')}"

    def peer(self, service: str) -> str:
        """Address of another service: XUEJI_PEER_<SERVICE>, else this process's own address (over
        TLS when this server listens with TLS)."""
        own = f"https://{self.grpc_address}" if self.tls.serving else self.grpc_address
        return self.peers.get(service, own)

    def token_service(self):
        from xueji_common.auth import TokenService

        return TokenService(self.token_secret, self.token_audience, self.token_issuer, self.token_previous_secrets)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


def _peers_from_env() -> dict[str, str]:
    """XUEJI_PEER_NATIONAL_QUERY=host:port → {"national-query": "host:port"}."""
    prefix = "XUEJI_PEER_"
    return {
        key[len(prefix):].lower().replace("_", "-"): value
        for key, value in os.environ.items()
        if key.startswith(prefix) and value
    }
