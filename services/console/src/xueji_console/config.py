"""Console settings (environment variables XUEJI_CONSOLE_*, XUEJI_REDIS_URL, and the shared ones)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from xueji_common.config import Settings

IDLE_TIMEOUT_SECONDS = 30 * 60  # the manual's sessions: signed out after 30 minutes without a request


@dataclass(frozen=True)
class ConsoleSettings:
    services: Settings = field(default_factory=Settings)
    host: str = "127.0.0.1"
    port: int = 8080
    # Production: Redis, so that every replica sees every session. Embedded mode: in-process.
    redis_url: str = ""
    idle_timeout: int = IDLE_TIMEOUT_SECONDS

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
    def from_env(cls, services: Settings | None = None) -> ConsoleSettings:
        services = services or Settings.from_env()
        redis_url = os.environ.get("XUEJI_REDIS_URL", "")
        if services.mode == "production" and not redis_url:
            from xueji_common.config import ConfigError

            raise ConfigError(
                "XUEJI_REDIS_URL must be set in production mode (the console's sessions; "
                "memory:// for a single replica keeping them in-process)"
            )
        return cls(
            services=services,
            host=os.environ.get("XUEJI_CONSOLE_HOST", "127.0.0.1"),
            port=int(os.environ.get("XUEJI_CONSOLE_PORT", "8080")),
            redis_url=redis_url,
        )
