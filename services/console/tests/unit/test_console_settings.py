"""The console's own settings: read from XUEJI_CONSOLE_*, a bad value naming its variable."""

import pytest

from xueji_common.config import ConfigError, Settings
from xueji_console.config import ConsoleSettings


def test_the_console_listens_where_its_variables_say(monkeypatch):
    monkeypatch.setenv("XUEJI_CONSOLE_HOST", "0.0.0.0")
    monkeypatch.setenv("XUEJI_CONSOLE_PORT", "8443")
    settings = ConsoleSettings.from_env(Settings())
    assert (settings.host, settings.port, settings.idle_timeout) == ("0.0.0.0", 8443, 30 * 60)


def test_a_port_that_is_not_a_number_stops_the_start_naming_its_variable(monkeypatch):
    monkeypatch.setenv("XUEJI_CONSOLE_PORT", "http")
    with pytest.raises(ConfigError, match=r"^XUEJI_CONSOLE_PORT: .*'http'"):
        ConsoleSettings.from_env(Settings())
