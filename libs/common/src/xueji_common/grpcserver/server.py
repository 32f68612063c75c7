"""Building and running a gRPC server for one or several services (plain threads, no eventlet)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from xueji_common import tracing
from xueji_common.auth import TokenService
from xueji_common.config import TlsConfig
from xueji_common.grpcserver import tls as tls_ports
from xueji_common.grpcserver.access_log import AccessLog
from xueji_common.grpcserver.interceptor import ServerInterceptor
from xueji_common.orgunits import OrgTree, load_default_tree

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # Excel uploads travel as bytes
CALLS_GRACE_SECONDS = 10.0  # running calls may finish this long once a server stops


@dataclass(frozen=True)
class GrpcBinding:
    """One gRPC service: its full name, the generated add_XServicer_to_server, the servicer."""

    full_name: str
    add_to_server: Callable
    servicer: object


class GrpcServer:
    def __init__(
        self,
        bindings: list[GrpcBinding],
        address: str,
        tokens: TokenService,
        *,
        public_methods: frozenset[str] = frozenset(),
        max_workers: int = 16,
        readiness_names: tuple[str, ...] = (),
        drain: float = 0.0,
        tree: OrgTree | None = None,
        tls: TlsConfig | None = None,
        health_address: str = "",
        access_log_interval: float = 60.0,
    ) -> None:
        # The org-unit tree the callers' claims are checked against (grpcserver.claims).
        tree = tree if tree is not None else load_default_tree()
        self.access_log = AccessLog(access_log_interval)
        # Tracing's interceptor (when on) comes first: its span is current while ours logs.
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            interceptors=[
                *tracing.server_interceptors(),
                ServerInterceptor(tokens, public_methods, tree=tree, access_log=self.access_log),
            ],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
                *_connection_age(drain),
            ],
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        self.service_names: list[str] = []
        # Health: "" is liveness (SERVING while the process serves); the readiness names (the
        # xueji service's own, e.g. "registration", and every gRPC service's full name) follow
        # set_ready: NOT_SERVING while a dependency is down, and from the start of a shutdown.
        self.readiness_names = list(readiness_names)
        self.add_bindings(bindings)
        self._ready = True
        self._stopping = False
        self.drain = drain
        self._health_lock = threading.Lock()
        self.port = tls_ports.add_port(self._server, address, tls)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {address}")
        # ":0" asks for a free port (the embedded system's tier servers): the address names the one taken.
        self.address = f"{address[:-2]}:{self.port}" if address.endswith(":0") else address
        self._health_server = self._plaintext_health(health_address) if health_address else None

    def add_bindings(self, bindings: list[GrpcBinding], readiness_names: list[str] = ()) -> None:
        """More services (and readiness names), before start (the embedded system listens first:
        its services call each other at the addresses its servers got)."""
        for binding in bindings:
            binding.add_to_server(binding.servicer, self._server)
        names = [b.full_name for b in bindings]
        self.service_names += names
        self.readiness_names = list(dict.fromkeys([*self.readiness_names, *readiness_names, *names]))

    def _plaintext_health(self, address: str) -> grpc.Server:
        """Health alone, in plaintext, for probes that cannot speak TLS (the kubelet's)."""
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="grpc-health"),
            options=[("grpc.so_reuseport", 0)],
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        if server.add_insecure_port(address) == 0:
            raise RuntimeError(f"cannot listen on {address}")
        return server

    def start(self) -> None:
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        self._server.start()
        if self._health_server is not None:
            self._health_server.start()
        self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        self._publish_readiness()
        log.info(
            "grpc server listening",
            extra={"fields": {"address": self.address, "services": self.service_names}},
        )

    def set_ready(self, ready: bool) -> None:
        """Readiness from the dependencies (runtime.health.DependencyMonitor); ignored once stopping."""
        with self._health_lock:
            self._ready = ready
            self._publish_readiness()

    def _publish_readiness(self) -> None:
        ok = self._ready and not self._stopping
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in self.readiness_names:
            self.health.set(name, status)

    def stop(self, grace: float = CALLS_GRACE_SECONDS, drain: float | None = None) -> None:
        """Readiness NOT_SERVING first; keep serving `drain` seconds while load balancers and
        clients move away (connections age out meanwhile, see _connection_age); then refuse new
        calls and finish the running ones."""
        drain = self.drain if drain is None else drain
        with self._health_lock:
            self._stopping = True
            self._publish_readiness()
        if drain > 0:
            log.info("grpc server draining", extra={"fields": {"address": self.address, "seconds": drain}})
            time.sleep(drain)
        self.health.enter_graceful_shutdown()
        self._server.stop(grace).wait()
        if self._health_server is not None:
            self._health_server.stop(0)
        self.access_log.flush()
        log.info("grpc server stopped", extra={"fields": {"address": self.address}})

    def wait_for_termination(self, on_stop: Callable[[], None] = lambda: None) -> None:
        """Block until SIGTERM or SIGINT, then shut down gracefully (see stop)."""
        stopping = threading.Event()

        def request_stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        stopping.wait()
        self.stop()
        on_stop()


def _connection_age(drain: float) -> list[tuple[str, int]]:
    """With a drain, a connection lives at most 0.8 × drain (gRPC adds ±10 % jitter): each client
    gets a graceful GOAWAY while this server still takes calls, and reconnects through its Service
    to a ready replica. Without it a client behind an L4 Service (kube-proxy) keeps its one
    connection to a stopping pod until the stop itself, and calls racing the stop are cancelled.
    It also spreads clients over replicas that an autoscaler adds."""
    if drain <= 0:
        return []
    return [
        ("grpc.max_connection_age_ms", int(drain * 800)),
        ("grpc.max_connection_age_grace_ms", int(CALLS_GRACE_SECONDS * 1000)),
    ]
