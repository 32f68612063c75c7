"""Settings of the accounts service (XUEJI_* environment variables, beside the shared ones).

argon2id defaults are OWASP's minimum (m=19 MiB, t=2, p=1): sign-in stays well under 300 ms on a
loaded 2-core machine (bench/accounts_sign_in.py). Raising them upgrades each hash at its user's
next sign-in.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from xueji_common.config import ConfigError


def _int(name: str, default: int) -> int:
    raw = os.environ.get(f"XUEJI_{name}", str(default))
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"XUEJI_{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class ServiceClient:
    client_id: str
    unit: str  # the province it acts for, or 000000 for the nation
    secret_sha256: str  # hex SHA-256 of its secret (secrets are random: no slow hash needed)


@dataclass(frozen=True)
class AccountsSettings:
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    access_ttl_seconds: int = 15 * 60
    refresh_ttl_seconds: int = 8 * 3600
    service_ttl_seconds: int = 5 * 60
    service_clients: dict[str, ServiceClient] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> AccountsSettings:
        return cls(
            argon2_time_cost=_int("ARGON2_TIME_COST", 2),
            argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 19456),
            argon2_parallelism=_int("ARGON2_PARALLELISM", 1),
            access_ttl_seconds=_int("ACCESS_TOKEN_TTL", 15 * 60),
            refresh_ttl_seconds=_int("REFRESH_TOKEN_TTL", 8 * 3600),
            service_clients=_clients(os.environ.get("XUEJI_SERVICE_CLIENTS", "")),
        )


def _clients(raw: str) -> dict[str, ServiceClient]:
    """XUEJI_SERVICE_CLIENTS: {"<client id>": {"unit": "330000", "secret_sha256": "<hex>"}, ...}."""
    if not raw.strip():
        return {}
    try:
        return {
            cid: ServiceClient(cid, str(c["unit"]), str(c["secret_sha256"]).lower())
            for cid, c in json.loads(raw).items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ConfigError(
            'XUEJI_SERVICE_CLIENTS must be JSON {"<id>": {"unit": ..., "secret_sha256": ...}}'
        ) from None
