"""Settings of the accounts service (XUEJI_* environment variables, beside the shared ones), each
declared once below (xueji_common.config.XuejiSettings).

argon2id defaults are OWASP's minimum (m=19 MiB, t=2, p=1): sign-in stays well under 300 ms on a
loaded 2-core machine (bench/accounts_sign_in.py). Raising them upgrades each hash at its user's
next sign-in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import NoDecode

from xueji_common.config import XuejiSettings


@dataclass(frozen=True)
class ServiceClient:
    client_id: str
    unit: str  # the province it acts for, or 000000 for the nation
    secret_sha256: str  # hex SHA-256 of its secret (secrets are random: no slow hash needed)


def _clients(raw: Any) -> Any:
    """XUEJI_SERVICE_CLIENTS: {"<client id>": {"unit": "330000", "secret_sha256": "<hex>"}, ...}."""
    if not isinstance(raw, str):
        return raw
    try:
        return {
            cid: ServiceClient(cid, str(c["unit"]), str(c["secret_sha256"]).lower())
            for cid, c in json.loads(raw).items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValueError('must be JSON {"<id>": {"unit": ..., "secret_sha256": ...}}') from None


class AccountsSettings(XuejiSettings):
    argon2_time_cost: int = Field(2, ge=1)
    argon2_memory_kib: int = Field(19456, ge=8)
    argon2_parallelism: int = Field(1, ge=1)
    access_ttl_seconds: int = Field(15 * 60, ge=1, validation_alias="XUEJI_ACCESS_TOKEN_TTL")
    refresh_ttl_seconds: int = Field(8 * 3600, ge=1, validation_alias="XUEJI_REFRESH_TOKEN_TTL")
    service_clients: Annotated[dict[str, ServiceClient], NoDecode, BeforeValidator(_clients)] = Field(
        default_factory=dict
    )
    # `xueji-accounts create-admin`: the first user administrator's initial password (empty: made up).
    admin_password: SecretStr = SecretStr("")

    service_ttl_seconds: ClassVar[int] = 5 * 60  # services' own tokens (not a setting)
