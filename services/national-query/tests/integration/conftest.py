"""national-query on a fresh PostgreSQL database, served over a real socket."""

from __future__ import annotations

import grpc
import pytest
from nq_support import policy

from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.testing.infra import free_port
from xueji_national_query.service_layer.lookup import LookupPolicy
from xueji_national_query.spec import SPEC


@pytest.fixture
def runtime(service_runtime):
    return service_runtime(SPEC)


@pytest.fixture
def serve(runtime):
    """serve(policy) → a channel to national-query running with that lookup policy.
    serve.stop() stops every server started so far cleanly: calls finish, then each servicer closes
    (which commits the lookup audit entries still queued), as a server process does on SIGTERM."""
    servers, channels = [], []

    def start(lookup_policy: LookupPolicy | None = None) -> grpc.Channel:
        address = f"127.0.0.1:{free_port()}"
        bindings = SPEC.grpc_bindings(runtime, lookup_policy or policy())
        server = GrpcServer(bindings, address, runtime.tokens, public_methods=SPEC.public_methods)
        server.start()
        servers.append((server, [b.servicer for b in bindings if hasattr(b.servicer, "close")]))
        channels.append(grpc.insecure_channel(address))
        return channels[-1]

    def stop() -> None:
        for ch in channels:
            ch.close()
        channels.clear()
        while servers:
            server, closeable = servers.pop()
            server.stop(grace=5)
            for servicer in closeable:
                servicer.close()

    start.stop = stop
    yield start
    stop()


@pytest.fixture
def auth(runtime):
    def make(role=Role.SCHOOL_REGISTRAR, org="1330102001", user="u1"):
        return bearer(runtime.tokens.mint(user, role, org))

    return make


@pytest.fixture
def national_dedup(service_runtime, runtime):
    """A real national dedup (its gRPC server on a socket) as national-query's peer `dedup-national`:
    the loads over gRPC feed its holdings (Dedup.LoadRecordHoldings)."""
    from xueji_common.config import Settings
    from xueji_dedup.spec import SPEC as DEDUP

    address = f"127.0.0.1:{free_port()}"
    dedup = service_runtime(
        DEDUP,
        Settings(grpc_address=address, metrics_port=0, scope="national", hash_key=runtime.settings.hash_key),
    )
    server = GrpcServer(
        DEDUP.grpc_bindings(dedup), address, dedup.tokens, public_methods=DEDUP.public_methods
    )
    server.start()
    runtime.settings = runtime.settings.with_(peers={**runtime.settings.peers, "dedup-national": address})
    yield dedup
    server.stop(0)
