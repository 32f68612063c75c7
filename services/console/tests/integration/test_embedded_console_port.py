"""The console in the embedded process takes its port when it is built: a taken port is an error
naming it (it once went unnoticed while the banner printed the address of another server)."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from xueji_common.config import Settings
from xueji_console.main import EmbeddedConsole


def test_an_embedded_console_on_a_taken_port_refuses_to_start_and_names_the_port(tmp_path, monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setenv("XUEJI_CONSOLE_PORT", str(port))
        with pytest.raises(RuntimeError, match=f"console cannot listen on 127.0.0.1:{port}"):
            EmbeddedConsole(Settings(data_dir=tmp_path))


def test_an_embedded_console_holds_its_port_from_construction_and_serves_it_once_started(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XUEJI_CONSOLE_PORT", "0")
    console = EmbeddedConsole(Settings(data_dir=tmp_path))
    port = int(console.url.rsplit(":", 1)[1])
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", port))  # taken before start: no free-port request can be given it
    console.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/signin", timeout=5) as page:
            assert page.status == 200 and "用户登录" in page.read().decode()
    finally:
        console.stop()
