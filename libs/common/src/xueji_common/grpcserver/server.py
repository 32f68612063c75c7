"""Building and running a gRPC server for one or several services (plain threads, no eventlet)."""
from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from dataclasses import dataclass
from typing import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from xueji_common.auth import TokenService
from xueji_common.config import TlsConfig
from xueji_common.grpcserver import tls as tls_ports
from xueji_common.grpcserver.interceptor import ServerInterceptor

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # Excel uploads travel as bytes


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
        tls: TlsConfig | None = None,
        health_address: str = "",
    ) -> None:
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
            interceptors=[ServerInterceptor(tokens, public_methods)],
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
        )
        self.health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        for binding in bindings:
            binding.add_to_server(binding.servicer, self._server)
        names = [b.full_name for b in bindings]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        self.service_names = names
        self.port = tls_ports.add_port(self._server, address, tls)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {address}")
        self.address = address
        self._health_server = self._plaintext_health(health_address) if health_address else None

    def _plaintext_health(self, address: str) -> grpc.Server:
        """Health alone, in plaintext, for probes that cannot speak TLS (the kubelet's)."""
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="grpc-health"),
                             options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        if server.add_insecure_port(address) == 0:
            raise RuntimeError(f"cannot listen on {address}")
        return server

    def start(self) -> None:
        self._server.start()
        if self._health_server is not None:
            self._health_server.start()
        for name in ["", *self.service_names]:
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("grpc server listening", extra={"fields": {"address": self.address, "services": self.service_names}})

    def stop(self, grace: float = 10.0) -> None:
        """Stop taking calls (health NOT_SERVING first, for load balancers), finish running ones."""
        self.health.enter_graceful_shutdown()
        self._server.stop(grace).wait()
        if self._health_server is not None:
            self._health_server.stop(0)
        log.info("grpc server stopped", extra={"fields": {"address": self.address}})

    def wait_for_termination(self, on_stop: Callable[[], None] = lambda: None) -> None:
        """Block until SIGTERM or SIGINT, then shut down gracefully."""
        stopping = threading.Event()

        def request_stop(signum, frame):
            stopping.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        stopping.wait()
        self.stop()
        on_stop()
