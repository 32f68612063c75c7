"""The service's own settings (XUEJI_* environment variables, beside the shared ones), read where the
servicer is built; each declared once below (xueji_common.config.XuejiSettings).

| variable | meaning | default |
|---|---|---|
| XUEJI_LOOKUP_RATE_LIMIT | lookups per signed-in user, "N/SECONDS" ("0": no limit) | 30/60 |
| XUEJI_LOOKUP_ADDRESS_RATE_LIMIT | lookups per client address of signed-in users | 120/60 |
| XUEJI_LOOKUP_SYSTEM_RATE_LIMIT | lookups per system caller (ministry systems) | 0 |
| XUEJI_CAPTCHA_RATE_LIMIT | captchas per user | 30/60 |
| XUEJI_CAPTCHA_TTL_SECONDS | life of a captcha | 120 |
| XUEJI_REDIS_URL | Redis holding the counts, shared by the replicas (required in production) | memory |
| XUEJI_RATE_LIMIT_PREFIX | prefix of the Redis keys (deployments sharing a Redis) | xueji-national-query |
| XUEJI_TRUSTED_PROXIES | gateways whose x-forwarded-for names the client (CIDRs, comma-separated) | none |
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field

from xueji_common.config import ConfigError, Settings, XuejiSettings
from xueji_common.grpcserver.client_address import trusted_networks
from xueji_national_query.adapters.rate_limits import CountedLimit, storage
from xueji_national_query.domain.rate_limit import Limit
from xueji_national_query.service_layer.lookup import LookupPolicy


def _limit_text(raw: str) -> str:
    try:
        Limit.parse(raw)
    except ValueError:
        raise ValueError("must look like 30/60 (calls/seconds) or 0") from None
    return raw


def _networks_text(raw: str) -> str:
    try:
        trusted_networks(raw)
    except ValueError as exc:  # names the variable, which the ConfigError puts first already
        raise ValueError(str(exc).removeprefix("XUEJI_TRUSTED_PROXIES: ")) from None
    return raw


RateLimit = Annotated[str, AfterValidator(_limit_text)]


class NationalQuerySettings(XuejiSettings):
    lookup_rate_limit: RateLimit = "30/60"
    lookup_address_rate_limit: RateLimit = "120/60"
    lookup_system_rate_limit: RateLimit = "0"
    captcha_rate_limit: RateLimit = "30/60"
    captcha_ttl_seconds: int = Field(120, ge=1)
    redis_url: str = ""  # empty: counts in the process (embedded mode)
    rate_limit_prefix: str = "xueji-national-query"
    trusted_proxies: Annotated[str, AfterValidator(_networks_text)] = ""


def lookup_policy_from_env(settings: Settings) -> LookupPolicy:
    own = NationalQuerySettings.from_env()
    if settings.mode == "production" and not own.redis_url:
        # Per-process counts would multiply the limits by the number of replicas.
        raise ConfigError(
            "XUEJI_REDIS_URL must be set in production mode (rate limits shared by the replicas)"
        )
    counts = storage(own.redis_url, own.rate_limit_prefix)
    return LookupPolicy(
        people=CountedLimit("lookup-user", Limit.parse(own.lookup_rate_limit), counts),
        addresses=CountedLimit("lookup-address", Limit.parse(own.lookup_address_rate_limit), counts),
        systems=CountedLimit("lookup-system", Limit.parse(own.lookup_system_rate_limit), counts),
        captchas=CountedLimit("captcha-user", Limit.parse(own.captcha_rate_limit), counts),
        captcha_ttl=dt.timedelta(seconds=own.captcha_ttl_seconds),
        trusted_proxies=trusted_networks(own.trusted_proxies),
    )
