"""Settings from the environment (12-factor), with the embedded defaults.

Every setting is an environment variable `XUEJI_<NAME>`, declared once as a field of a pydantic-settings
class (name, type, default, bounds): `Settings` here for what every process shares, one class per
service for its own (docs/ARCHITECTURE.md, "Configuration"). An empty variable counts as unset. A
value of the wrong type or out of bounds stops the process at start with a ConfigError naming the
variable.

In embedded mode (the default) nothing needs to be set: SQLite files under the data directory, the
in-process bus, a development signing key made at first start in the data directory. Production mode
refuses to start with the development keys and verifies tokens only with the public keys of the
issuers it is configured to trust.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

import click
from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from xueji_common.datakeys import DEV_DATA_KEY, DataKeyError, KeyRing

if TYPE_CHECKING:  # imported where used: auth and signing need cryptography and jwt
    from xueji_common.auth import TokenService
    from xueji_common.orgunits import OrgTree
    from xueji_common.signing import SigningKey

DEV_SIGNING_KEY_FILE = "dev-signing-key.pem"  # in the data directory, embedded mode only
DEV_HASH_KEY = "xueji-development-hash-key-not-for-production"
TLS_CLIENT_AUTH_VALUES = ("none", "require")
PEER_PREFIX = "XUEJI_PEER_"


class ConfigError(click.ClickException, RuntimeError):
    """A setting is missing or invalid; the message names the variable. A click exception too: a
    command (`xueji-<service> serve`, `xueji serve`...) stops with `Error: <message>` and status 1,
    not a traceback."""


def not_from_env(**kwargs: Any) -> Any:
    """A field filled otherwise than from its own variable (nested settings, XUEJI_PEER_*)."""
    return Field(json_schema_extra={"from_env": False}, **kwargs)


class _Environment(EnvSettingsSource):
    """The environment, without the fields marked `not_from_env`."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("from_env") is False:
            return None, field_name, False
        return super().get_field_value(field, field_name)


class XuejiSettings(BaseSettings):
    """Base of every settings class: `XUEJI_<FIELD>` variables (or a field's `validation_alias`, the
    whole variable name), frozen, empty means unset; `from_env()` turns a validation error into a
    ConfigError naming each variable."""

    model_config = SettingsConfigDict(
        env_prefix="XUEJI_",
        frozen=True,
        env_ignore_empty=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)  # no .env files, no secrets directory

    @classmethod
    def from_env(cls, **values: Any) -> Self:
        """The settings from the environment (`values` take precedence), or a ConfigError."""
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(settings_problems(exc)) from None

    @classmethod
    def variable(cls, field_name: str) -> str:
        """The environment variable of a field."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, str):
            return alias
        return f"{cls.model_config.get('env_prefix', '')}{field_name}".upper()


def settings_problems(exc: ValidationError) -> str:
    """One line per invalid variable: its name, what is wrong, the value given."""
    model = exc.title
    problems = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        variable = _variable_named(model, name)
        reason = error["msg"].removeprefix("Value error, ")
        given = error.get("input")
        shown = (
            f", got {given!r}"
            if isinstance(given, str | int | float) and error["type"] != "value_error"
            else ""
        )
        problems.append(f"{variable}: {reason}{shown}")
    return "; ".join(problems)


def _variable_named(model: str, name: str) -> str:
    if name.startswith("XUEJI_"):
        return name  # a validation alias is the whole variable
    for cls in _settings_classes(XuejiSettings):
        if cls.__name__ == model and name in cls.model_fields:
            return cls.variable(name)
    return f"XUEJI_{name.upper()}"


def _settings_classes(base: type[XuejiSettings]) -> list[type[XuejiSettings]]:
    found: list[type[XuejiSettings]] = []
    for sub in base.__subclasses__():
        found += [sub, *_settings_classes(sub)]
    return found


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


# A variable holding a comma-separated list ("a,b"), kept as a tuple.
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_separated)]


def _trusted_issuers(raw: Any) -> Any:
    """XUEJI_TRUSTED_ISSUERS: a JSON list of {"issuer", "jwks", "units"} (units optional)."""
    if not isinstance(raw, str):
        return raw
    try:
        entries = json.loads(raw)
        return tuple(
            (str(e["issuer"]), str(e["jwks"]), tuple(str(u) for u in e.get("units", ()))) for e in entries
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValueError('must be a JSON list of {"issuer": ..., "jwks": ..., "units": [...]}') from None


def _peers_from_env() -> dict[str, str]:
    """XUEJI_PEER_NATIONAL_QUERY=host:port → {"national-query": "host:port"}."""
    return {
        key[len(PEER_PREFIX) :].lower().replace("_", "-"): value
        for key, value in os.environ.items()
        if key.startswith(PEER_PREFIX) and value
    }


class TlsConfig(XuejiSettings):
    """TLS of the gRPC server and of calls to `https://` peers (xueji_common.grpcserver.tls):
    XUEJI_TLS_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="XUEJI_TLS_")

    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""
    client_auth: str = "none"  # none | require (checked in `problems`, beside the files it needs)
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
        for name in ("cert_file", "key_file", "ca_file", "client_cert_file", "client_key_file"):
            path = getattr(self, name)
            if path and not os.access(path, os.R_OK):
                found.append(f"{self.variable(name)}: cannot read {path}")
        return found


Seconds = Annotated[float, Field(ge=0)]
Port = Annotated[int, Field(ge=0, le=65535)]


class Settings(XuejiSettings):
    """What every process shares. Built by `Settings.from_env()` at start (which also runs `check`);
    `Settings(field=...)` in tests and tools (values given win over the environment)."""

    mode: Literal["embedded", "production"] = "embedded"
    scope: Literal["province", "national"] = "province"  # national: the dedup tier
    data_dir: Path = Path("data")
    grpc_address: str = "localhost:50051"
    grpc_workers: int = Field(16, ge=1)
    metrics_port: Port = 9464  # 0 disables the metrics endpoint
    metrics_host: str = ""  # empty: the host gRPC listens on (see metrics_bind_host)
    database_url: str = ""  # one service's database (production)
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    token_audience: str = "xueji"
    token_issuer: str = "xueji"  # this tier's issuer name (the accounts service signs as it)
    # Issuers whose tokens are accepted: (name, JWKS address, units it speaks for), from a JSON list.
    # Production needs at least one; embedded mode trusts its development key too (docs/ACCOUNTS.md).
    trusted_issuers: Annotated[
        tuple[tuple[str, str, tuple[str, ...]], ...], NoDecode, BeforeValidator(_trusted_issuers)
    ] = ()
    signing_key_file: str = ""  # accounts service: PEM of the current ES256 key
    signing_key_previous_files: CommaList = ()  # public parts served until their tokens expire
    jwks_port: Port = 0  # accounts service: HTTP port of /.well-known/jwks.json
    service_client_id: str = ""  # this service's identity at the accounts service
    service_client_secret: str = Field("", repr=False)
    hash_key: str = Field(DEV_HASH_KEY, repr=False)
    # Encryption at rest (datakeys): `<id>:<base64 32 bytes>`; previous keys still read during a rotation.
    data_key: str = Field(DEV_DATA_KEY, repr=False)
    data_key_previous: CommaList = Field((), repr=False)
    org_units_file: str = ""  # empty: the packaged demo tree
    log_level: str = "INFO"
    log_format: str = "json"  # json | text
    relay_interval: Seconds = 0.2  # seconds between outbox polls
    outbox_retention_hours: Seconds = 24.0  # published outbox rows kept this long (0: for ever)
    # Seconds between purges (messaging.outbox_purge).
    outbox_purge_interval: Seconds = Field(3600.0, validation_alias="XUEJI_OUTBOX_PURGE_INTERVAL_SECONDS")
    worker_concurrency: int = Field(0, ge=0)  # handlers at once per worker process; 0: the service's own
    health_interval: Seconds = 5.0  # seconds between readiness checks of the database and broker
    shutdown_delay: Seconds = 0.0  # seconds a stopping server keeps serving, NOT_SERVING
    # Addresses of the services this one calls, from XUEJI_PEER_<SERVICE> (embedded: all on grpc_address).
    peers: dict[str, str] = not_from_env(default_factory=_peers_from_env)
    tls: TlsConfig = not_from_env(default_factory=TlsConfig)
    # A plaintext listener serving only grpc.health.v1, for probes that cannot speak TLS (the
    # kubelet's gRPC probes); empty: none.
    health_address: str = ""
    # Tracing (xueji_common.tracing): the OTLP/gRPC collector spans go to (http://host:4317);
    # empty: tracing off. The share of new traces kept (a trace that comes in keeps its caller's choice).
    otlp_endpoint: str = ""
    trace_sample_ratio: float = Field(1.0, ge=0, le=1)
    # Access logs: a line per RPC at INFO, except methods called in bulk (health checks, reflection,
    # the services' own lists), summarised once per this many seconds (grpcserver.access_log).
    access_log_summary_interval: Seconds = Field(60.0, validation_alias="XUEJI_ACCESS_LOG_SUMMARY_SECONDS")

    @classmethod
    def from_env(cls, **values: Any) -> Settings:
        settings = super().from_env(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """The rules between settings, and production's refusals of the development keys."""
        self.data_keyring()  # a malformed key fails at start, naming the variable
        problems = self.tls.problems()
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
        """A copy with some values changed (not validated again: for tests and tools)."""
        return self.model_copy(update=changes)
