"""The service's own settings (environment variables, 12-factor), read where the servicer is built.

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
import os

from xueji_common.config import ConfigError, Settings
from xueji_common.grpcserver.client_address import trusted_networks
from xueji_national_query.adapters.rate_limits import CountedLimit, storage
from xueji_national_query.domain.rate_limit import Limit
from xueji_national_query.service_layer.lookup import LookupPolicy


def _limit(name: str, default: str) -> Limit | None:
    raw = os.environ.get(f"XUEJI_{name}", default)
    try:
        return Limit.parse(raw)
    except ValueError:
        raise ConfigError(f"XUEJI_{name} must look like 30/60 (calls/seconds) or 0, got {raw!r}") from None


def lookup_policy_from_env(settings: Settings) -> LookupPolicy:
    ttl = os.environ.get("XUEJI_CAPTCHA_TTL_SECONDS", "120")
    if not ttl.isdigit() or int(ttl) < 1:
        raise ConfigError(f"XUEJI_CAPTCHA_TTL_SECONDS must be a positive integer, got {ttl!r}")
    redis_url = os.environ.get("XUEJI_REDIS_URL", "")
    if settings.mode == "production" and not redis_url:
        # Per-process counts would multiply the limits by the number of replicas.
        raise ConfigError(
            "XUEJI_REDIS_URL must be set in production mode (rate limits shared by the replicas)"
        )
    try:
        trusted = trusted_networks(os.environ.get("XUEJI_TRUSTED_PROXIES", ""))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    counts = storage(redis_url, os.environ.get("XUEJI_RATE_LIMIT_PREFIX", "xueji-national-query"))
    return LookupPolicy(
        people=CountedLimit("lookup-user", _limit("LOOKUP_RATE_LIMIT", "30/60"), counts),
        addresses=CountedLimit("lookup-address", _limit("LOOKUP_ADDRESS_RATE_LIMIT", "120/60"), counts),
        systems=CountedLimit("lookup-system", _limit("LOOKUP_SYSTEM_RATE_LIMIT", "0"), counts),
        captchas=CountedLimit("captcha-user", _limit("CAPTCHA_RATE_LIMIT", "30/60"), counts),
        captcha_ttl=dt.timedelta(seconds=int(ttl)),
        trusted_proxies=trusted,
    )
