"""national-query's own settings: defaults, and a bad value naming its variable."""

import datetime as dt

import pytest

from xueji_common.config import ConfigError, Settings
from xueji_national_query.config import NationalQuerySettings, lookup_policy_from_env


@pytest.fixture
def env(monkeypatch):
    for name in NationalQuerySettings.model_fields:
        monkeypatch.delenv(NationalQuerySettings.variable(name), raising=False)
    return monkeypatch


def test_the_defaults_are_the_documented_limits(env):
    policy = lookup_policy_from_env(Settings())
    assert policy.captcha_ttl == dt.timedelta(seconds=120)
    assert policy.trusted_proxies == ()
    assert NationalQuerySettings().lookup_rate_limit == "30/60"


@pytest.mark.parametrize(
    "variable, value, reason",
    [
        ("XUEJI_LOOKUP_RATE_LIMIT", "thirty", "must look like 30/60"),
        ("XUEJI_CAPTCHA_RATE_LIMIT", "30/0", "must look like 30/60"),
        ("XUEJI_CAPTCHA_TTL_SECONDS", "0", "greater than or equal to 1"),
        ("XUEJI_CAPTCHA_TTL_SECONDS", "2m", "valid integer"),
    ],
)
def test_a_bad_value_stops_the_start_naming_its_variable(env, variable, value, reason):
    env.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"^{variable}: .*{reason}"):
        lookup_policy_from_env(Settings())
