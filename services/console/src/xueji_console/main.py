"""`xueji-console serve`: the console under uvicorn. In embedded mode `xueji serve` starts it too
(FRONTEND, entry point group `xueji.frontends`) beside the services, on port 8080."""

from __future__ import annotations

import socket
import threading
import time

import click
import uvicorn

from xueji_common import logs
from xueji_common.metrics import serve_metrics
from xueji_console.app import create_app
from xueji_console.config import ConsoleSettings


def server(settings: ConsoleSettings, quiet: bool = False) -> uvicorn.Server:
    """`quiet`: embedded mode, where the terminal shows the banner, not every request."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=not quiet,
        log_level="warning" if quiet else "info",
        proxy_headers=settings.production,
        forwarded_allow_ips="*" if settings.production else None,
    )
    return uvicorn.Server(config)


def listening_socket(host: str, port: int) -> socket.socket:
    """The console's port, taken now: a port already in use is an error naming it, not a console
    that silently never starts while the banner prints its address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise RuntimeError(f"the console cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    return sock


class EmbeddedConsole:
    """The console in a thread of the embedded process (signals stay with the gRPC server).

    It takes its port at construction, before the embedded system's tier servers take free
    loopback ports: one of them could otherwise be given the console's port first."""

    name = "console"

    def __init__(self, services_settings) -> None:
        self.settings = ConsoleSettings.from_env(services_settings)
        self._socket = listening_socket(self.settings.host, self.settings.port)
        self._server = server(self.settings, quiet=True)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="console", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://localhost:{self._socket.getsockname()[1]}"

    def start(self) -> None:
        """Start serving; returns once listening, raises if the console could not start."""
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self._server.started:
            raise RuntimeError(f"the console did not start on {self.settings.host}:{self.settings.port}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


FRONTEND = EmbeddedConsole


@click.group()
def main() -> None:
    """Xueji web console."""


@main.command()
def serve() -> None:
    """Serve the console (XUEJI_CONSOLE_HOST:XUEJI_CONSOLE_PORT) over the services' gRPC APIs."""
    settings = ConsoleSettings.from_env()
    logs.configure(settings.services.log_level, settings.services.log_format, service="console")
    # In embedded mode the console's metrics are in the process's one registry, served with the
    # services' (xueji serve); here the console is a process of its own.
    serve_metrics(settings.services.metrics_port, settings.metrics_host)
    server(settings).run()
