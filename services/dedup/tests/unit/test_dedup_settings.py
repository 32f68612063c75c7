"""dedup's own setting: the pull interval, a bad value naming its variable."""

import pytest

from xueji_common.config import ConfigError
from xueji_dedup.entrypoints.maintenance import pull_interval


def test_the_national_events_are_pulled_every_two_seconds_unless_set(monkeypatch):
    monkeypatch.delenv("XUEJI_DEDUP_PULL_INTERVAL_SECONDS", raising=False)
    assert pull_interval() == 2.0
    monkeypatch.setenv("XUEJI_DEDUP_PULL_INTERVAL_SECONDS", "0")
    assert pull_interval() == 0


@pytest.mark.parametrize("raw", ["often", "-1"])
def test_a_bad_pull_interval_names_its_variable(monkeypatch, raw):
    monkeypatch.setenv("XUEJI_DEDUP_PULL_INTERVAL_SECONDS", raw)
    with pytest.raises(ConfigError, match=r"^XUEJI_DEDUP_PULL_INTERVAL_SECONDS: "):
        pull_interval()
