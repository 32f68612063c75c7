"""The service's own settings (environment variables, 12-factor), read where the servicer is built.

| variable | meaning | default |
|---|---|---|
| XUEJI_LOOKUP_RATE_LIMIT | lookups per signed-in user, "N/SECONDS" ("0": no limit) | 30/60 |
| XUEJI_LOOKUP_ADDRESS_RATE_LIMIT | lookups per client address of signed-in users | 120/60 |
| XUEJI_LOOKUP_SYSTEM_RATE_LIMIT | lookups per system caller (ministry systems) | 0 |
| XUEJI_CAPTCHA_RATE_LIMIT | captchas per user | 30/60 |
| XUEJI_CAPTCHA_TTL_SECONDS | life of a captcha | 120 |
"""
from __future__ import annotations

import datetime as dt
import os

from xueji_common.config import ConfigError
from xueji_national_query.domain.rate_limit import Limit, RateLimiter
from xueji_national_query.service_layer.lookup import LookupPolicy


def _limit(name: str, default: str) -> Limit | None:
    raw = os.environ.get(f"XUEJI_{name}", default)
    try:
        return Limit.parse(raw)
    except ValueError:
        raise ConfigError(f"XUEJI_{name} must look like 30/60 (calls/seconds) or 0, got {raw!r}") from None


def lookup_policy_from_env() -> LookupPolicy:
    ttl = os.environ.get("XUEJI_CAPTCHA_TTL_SECONDS", "120")
    if not ttl.isdigit() or int(ttl) < 1:
        raise ConfigError(f"XUEJI_CAPTCHA_TTL_SECONDS must be a positive integer, got {ttl!r}")
    return LookupPolicy(
        people=RateLimiter(_limit("LOOKUP_RATE_LIMIT", "30/60")),
        addresses=RateLimiter(_limit("LOOKUP_ADDRESS_RATE_LIMIT", "120/60")),
        systems=RateLimiter(_limit("LOOKUP_SYSTEM_RATE_LIMIT", "0")),
        captchas=RateLimiter(_limit("CAPTCHA_RATE_LIMIT", "30/60")),
        captcha_ttl=dt.timedelta(seconds=int(ttl)),
    )
