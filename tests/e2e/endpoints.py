"""A Kubernetes Service in miniature, for rolling-restart tests: a TCP proxy (kube-proxy) over the
backends an endpoints controller finds ready (their gRPC readiness name SERVING), re-checked every
`period` seconds as kubelet's readiness probe would. Like kube-proxy it picks a backend per new
connection and leaves established connections alone; like the controller it notices a change only
at its next check, so a backend that stops listening before it is taken out refuses connections.
"""

from __future__ import annotations

import itertools
import socket
import threading

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


class ServiceProxy:
    def __init__(self, backends: list[str], readiness_name: str, period: float = 0.5) -> None:
        self.backends, self.readiness_name, self.period = backends, readiness_name, period
        self.ready: list[str] = []
        self._rr = itertools.count()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._refresh()
        threading.Thread(target=self._controller, daemon=True).start()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _is_ready(self, backend: str) -> bool:
        with grpc.insecure_channel(backend) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=self.readiness_name), timeout=0.5
                )
            except grpc.RpcError:
                return False
            return reply.status == health_pb2.HealthCheckResponse.SERVING

    def _refresh(self) -> None:
        self.ready = [b for b in self.backends if self._is_ready(b)]

    def _controller(self) -> None:
        while not self._stop.wait(self.period):
            self._refresh()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            ready = list(self.ready)
            if not ready:
                client.close()
                continue
            host, port = ready[next(self._rr) % len(ready)].rsplit(":", 1)
            try:
                upstream = socket.create_connection((host, int(port)), timeout=2)
            except OSError:  # the backend is gone but still listed: the connection fails
                client.close()
                continue
            upstream.settimeout(None)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
