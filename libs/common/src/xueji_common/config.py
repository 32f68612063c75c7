"""Settings from the environment (12-factor), with the embedded defaults.

Every setting is an environment variable `XUEJI_<NAME>`. In embedded mode (the default) nothing
needs to be set: SQLite files under the data directory, the in-process bus, a development signing
key made at first start in the data directory. Production mode refuses to start with the development
keys and verifies tokens only with the public keys of the issuers it is configured to trust.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xueji_common.datakeys import DEV_DATA_KEY, DataKeyError, KeyRing

if TYPE_CHECKING:  # imported where used: auth and signing need cryptography and jwt
    from xueji_common.auth import TokenService
    from xueji_common.orgunits import OrgTree
    from xueji_common.signing import SigningKey

DEV_SIGNING_KEY_FILE = "dev-signing-key.pem"  # in the data directory, embedded mode only
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


def _float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"XUEJI_{name} must be a number >= 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class TlsConfig:
    """TLS of the gRPC server and of calls to `https://` peers (xueji_common.grpcserver.tls)."""

    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    client_auth: str = "none"  # none | require
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
        files = {
            "CERT_FILE": self.cert_file,
            "KEY_FILE": self.key_file,
            "CA_FILE": self.ca_file,
            "CLIENT_CERT_FILE": self.client_cert_file,
            "CLIENT_KEY_FILE": self.client_key_file,
        }
        for variable, path in files.items():
            if path and not os.access(path, os.R_OK):
                found.append(f"XUEJI_TLS_{variable}: cannot read {path}")
        return found


@dataclass(frozen=True)
class Settings:
    mode: str = "embedded"  # embedded | production
    scope: str = "province"  # province | national (dedup tier)
    data_dir: Path = Path("data")
    grpc_address: str = "localhost:50051"
    grpc_workers: int = 16
    metrics_port: int = 9464  # 0 disables the metrics endpoint
    metrics_host: str = ""  # empty: the host gRPC listens on (see metrics_bind_host)
    database_url: str = ""  # one service's database (production)
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    token_audience: str = "xueji"
    token_issuer: str = "xueji"  # this tier's issuer name (the accounts service signs as it)
    # Issuers whose tokens are accepted: (name, JWKS address, units it speaks for). Production
    # needs at least one; embedded mode trusts its development key too (docs/ACCOUNTS.md).
    trusted_issuers: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    signing_key_file: str = ""  # accounts service: PEM of the current ES256 key
    signing_key_previous_files: tuple[str, ...] = ()  # public parts served until their tokens expire
    jwks_port: int = 0  # accounts service: HTTP port of /.well-known/jwks.json
    service_client_id: str = ""  # this service's identity at the accounts service
    service_client_secret: str = ""
    hash_key: str = DEV_HASH_KEY
    # Encryption at rest (datakeys): `<id>:<base64 32 bytes>`; previous keys still read during a rotation.
    data_key: str = DEV_DATA_KEY
    data_key_previous: tuple[str, ...] = ()
    org_units_file: str = ""  # empty: the packaged demo tree
    log_level: str = "INFO"
    log_format: str = "json"  # json | text
    relay_interval: float = 0.2  # seconds between outbox polls
    outbox_retention_hours: float = 24.0  # published outbox rows kept this long (0: for ever)
    outbox_purge_interval: float = 3600.0  # seconds between purges (messaging.outbox_purge)
    worker_concurrency: int = 0  # handlers at once per worker process; 0: the service's own
    health_interval: float = 5.0  # seconds between readiness checks of the database and broker
    shutdown_delay: float = 0.0  # seconds a stopping server keeps serving, NOT_SERVING
    # Addresses of the services this one calls (embedded: all on grpc_address).
    peers: dict[str, str] = field(default_factory=dict)
    tls: TlsConfig = TlsConfig()
    # A plaintext listener serving only grpc.health.v1, for probes that cannot speak TLS (the
    # kubelet's gRPC probes); empty: none.
    health_address: str = ""
    # Tracing (xueji_common.tracing): the OTLP/gRPC collector spans go to (http://host:4317);
    # empty: tracing off. The share of new traces kept (a trace that comes in keeps its caller's choice).
    otlp_endpoint: str = ""
    trace_sample_ratio: float = 1.0
    # Access logs: a line per RPC at INFO, except methods called in bulk (health checks, reflection,
    # the services' own lists), summarised once per this many seconds (grpcserver.access_log).
    access_log_summary_interval: float = 60.0

    @classmethod
    def from_env(cls) -> Settings:
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
            metrics_host=_env("METRICS_HOST", ""),
            database_url=_env("DATABASE_URL", ""),
            amqp_uri=_env("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            token_audience=_env("TOKEN_AUDIENCE", "xueji"),
            token_issuer=_env("TOKEN_ISSUER", "xueji"),
            trusted_issuers=_trusted_issuers(_env("TRUSTED_ISSUERS", "")),
            signing_key_file=_env("SIGNING_KEY_FILE", ""),
            signing_key_previous_files=tuple(
                p for p in _env("SIGNING_KEY_PREVIOUS_FILES", "").split(",") if p
            ),
            jwks_port=_int("JWKS_PORT", 0),
            service_client_id=_env("SERVICE_CLIENT_ID", ""),
            service_client_secret=_env("SERVICE_CLIENT_SECRET", ""),
            hash_key=_env("HASH_KEY", DEV_HASH_KEY),
            data_key=_env("DATA_KEY", DEV_DATA_KEY),
            data_key_previous=tuple(k for k in _env("DATA_KEY_PREVIOUS", "").split(",") if k.strip()),
            org_units_file=_env("ORG_UNITS_FILE", ""),
            log_level=_env("LOG_LEVEL", "INFO"),
            log_format=_env("LOG_FORMAT", "json"),
            relay_interval=float(_env("RELAY_INTERVAL", "0.2")),
            outbox_retention_hours=_float("OUTBOX_RETENTION_HOURS", 24.0),
            outbox_purge_interval=_float("OUTBOX_PURGE_INTERVAL_SECONDS", 3600.0),
            worker_concurrency=_int("WORKER_CONCURRENCY", 0),
            health_interval=float(_env("HEALTH_INTERVAL", "5")),
            shutdown_delay=float(_env("SHUTDOWN_DELAY", "0")),
            peers=_peers_from_env(),
            tls=TlsConfig(
                _env("TLS_CERT_FILE", ""),
                _env("TLS_KEY_FILE", ""),
                _env("TLS_CA_FILE", ""),
                _env("TLS_CLIENT_AUTH", "none"),
                _env("TLS_CLIENT_CERT_FILE", ""),
                _env("TLS_CLIENT_KEY_FILE", ""),
            ),
            health_address=_env("HEALTH_ADDRESS", ""),
            otlp_endpoint=_env("OTLP_ENDPOINT", ""),
            trace_sample_ratio=_float("TRACE_SAMPLE_RATIO", 1.0),
            access_log_summary_interval=_float("ACCESS_LOG_SUMMARY_SECONDS", 60.0),
        )
        settings.check()
        return settings

    def check(self) -> None:
        self.data_keyring()  # a malformed key fails at start, naming the variable
        problems = self.tls.problems()
        if self.trace_sample_ratio > 1:
            problems.append(
                f"XUEJI_TRACE_SAMPLE_RATIO must be between 0 and 1, got {self.trace_sample_ratio}"
            )
        if problems:
            raise ConfigError("; ".join(problems))
        if self.mode != "production":
            return
        if not self.trusted_issuers:
            raise ConfigError("XUEJI_TRUSTED_ISSUERS must name at least one issuer in production mode")
        if self.hash_key == DEV_HASH_KEY:
            raise ConfigError("XUEJI_HASH_KEY must be set in production mode")
        if self.data_key == DEV_DATA_KEY or DEV_DATA_KEY in self.data_key_previous:
            raise ConfigError("XUEJI_DATA_KEY must be set in production mode (not the development key)")
        if not self.database_url:
            raise ConfigError("XUEJI_DATABASE_URL must be set in production mode")

    def database_url_for(self, service: str) -> str:
        """The database of one service: the configured URL, else a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / (service + '.db')}"

    def metrics_bind_host(self) -> str:
        """Where /metrics listens: XUEJI_METRICS_HOST, else the host of the gRPC address, so that an
        embedded system on localhost does not expose its metrics on every interface."""
        if self.metrics_host:
            return self.metrics_host
        host = self.grpc_address.rpartition(":")[0] or "localhost"
        return host[1:-1] if host.startswith("[") and host.endswith("]") else host

    def peer(self, service: str) -> str:
        """Address of another service: XUEJI_PEER_<SERVICE>, else this process's own address (over
        TLS when this server listens with TLS)."""
        own = f"https://{self.grpc_address}" if self.tls.serving else self.grpc_address
        return self.peers.get(service, own)

    def data_keyring(self) -> KeyRing:
        try:
            return KeyRing.from_texts(self.data_key, self.data_key_previous)
        except DataKeyError as exc:
            raise ConfigError(str(exc)) from None

    def token_service(self, tree: OrgTree | None = None, sign: bool = False) -> TokenService:
        """Verification with the trusted issuers' public keys. Embedded mode also trusts (and signs
        with) the development key of the data directory; in production only the accounts service
        (`sign`) holds a private key, from XUEJI_SIGNING_KEY_FILE."""
        from xueji_common.auth import TokenService, TokenSigner, TrustedIssuer
        from xueji_common.signing import JwksKeys, SigningKey, StaticKeys

        issuers = {
            name: TrustedIssuer(name, JwksKeys(url), units) for name, url, units in self.trusted_issuers
        }
        signer = None
        if self.mode == "embedded":
            key = SigningKey.load_or_create(self.data_dir / DEV_SIGNING_KEY_FILE)
            signer = TokenSigner(key, self.token_issuer, self.token_audience)
            issuers[self.token_issuer] = TrustedIssuer(self.token_issuer, StaticKeys([key]))
        elif sign and self.signing_key_file:
            keys = [SigningKey.load(p) for p in (self.signing_key_file, *self.signing_key_previous_files)]
            signer = TokenSigner(keys[0], self.token_issuer, self.token_audience)
            units = issuers[self.token_issuer].units if self.token_issuer in issuers else ()
            issuers[self.token_issuer] = TrustedIssuer(self.token_issuer, StaticKeys(keys), units)
        return TokenService(issuers, self.token_audience, signer, tree)

    def signing_keys(self) -> list[SigningKey]:
        """The issuer's keys, current first (what its JWKS serves)."""
        from xueji_common.signing import SigningKey

        if self.mode == "embedded":
            return [SigningKey.load_or_create(self.data_dir / DEV_SIGNING_KEY_FILE)]
        return [SigningKey.load(p) for p in (self.signing_key_file, *self.signing_key_previous_files) if p]

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _peers_from_env() -> dict[str, str]:
    """XUEJI_PEER_NATIONAL_QUERY=host:port → {"national-query": "host:port"}."""
    prefix = "XUEJI_PEER_"
    return {
        key[len(prefix) :].lower().replace("_", "-"): value
        for key, value in os.environ.items()
        if key.startswith(prefix) and value
    }


def _trusted_issuers(raw: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """XUEJI_TRUSTED_ISSUERS: a JSON list of {"issuer", "jwks", "units"} (units optional)."""
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
        return tuple(
            (str(e["issuer"]), str(e["jwks"]), tuple(str(u) for u in e.get("units", ()))) for e in entries
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ConfigError(
            'XUEJI_TRUSTED_ISSUERS must be a JSON list of {"issuer": ..., "jwks": ..., "units": [...]}'
        ) from None
