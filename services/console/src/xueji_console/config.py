"""Console settings (XUEJI_CONSOLE_HOST, XUEJI_CONSOLE_PORT, XUEJI_REDIS_URL, and the shared ones),
declared once below (xueji_common.config.XuejiSettings)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from xueji_common.config import ConfigError, Settings, XuejiSettings, not_from_env

IDLE_TIMEOUT_SECONDS = 30 * 60  # the manual's sessions: signed out after 30 minutes without a request


class ConsoleSettings(XuejiSettings):
    model_config = SettingsConfigDict(env_prefix="XUEJI_CONSOLE_")

    services: Settings = not_from_env(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    # Production: Redis, so that every replica sees every session. Embedded mode: in-process.
    redis_url: str = Field("", validation_alias="XUEJI_REDIS_URL")
    idle_timeout: ClassVar[int] = IDLE_TIMEOUT_SECONDS

    @property
    def production(self) -> bool:
        return self.services.mode == "production"

    @property
    def metrics_host(self) -> str:
        """Where `xueji-console serve` exposes /metrics (on XUEJI_METRICS_PORT, 0: none):
        XUEJI_METRICS_HOST, else the console's own host, so a console on localhost keeps its
        metrics there too."""
        return self.services.metrics_host or self.host

    @property
    def secure_cookies(self) -> bool:
        # Behind TLS (the Ingress) in production; plain http://localhost in embedded mode.
        return self.production

    @classmethod
    def from_env(cls, services: Settings | None = None) -> ConsoleSettings:  # type: ignore[override]
        settings = super().from_env(services=services or Settings.from_env())
        if settings.production and not settings.redis_url:
            raise ConfigError(
                "XUEJI_REDIS_URL must be set in production mode (the console's sessions; "
                "memory:// for a single replica keeping them in-process)"
            )
        return settings
