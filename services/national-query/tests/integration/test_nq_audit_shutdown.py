"""The production server process (`xueji-national-query serve`) stopped with SIGTERM, as Kubernetes
stops it, straight after a burst of answered lookups: every audit entry it queued is committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from nq_support import AuditHeld, created

from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import national_query_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.testing import infra
from xueji_common.testing.infra import free_port

SERVE = Path(sys.executable).parent / "xueji-national-query"


def wait_serving(address: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    def alive() -> None:
        assert proc.poll() is None, "the server process exited"

    assert infra.wait_serving(address, alive, timeout), "the server did not start"


def test_sigterm_commits_every_queued_audit_entry(runtime, amqp_uri, tmp_path):
    created(runtime, number="33010220150601123X")
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "XUEJI_DATABASE_URL": runtime.database_url,
        "XUEJI_AMQP_URI": amqp_uri,
        "XUEJI_GRPC_ADDRESS": address,
        "XUEJI_METRICS_PORT": "0",
        "XUEJI_LOG_FORMAT": "text",
    }
    with open(tmp_path / "serve.log", "wb") as log:
        proc = subprocess.Popen([str(SERVE), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        channel = grpc.insecure_channel(address)
        wait_serving(address, proc)
        stub = national_query_pb2_grpc.NationalQueryStub(channel)
        meta = bearer(runtime.tokens.mint("ministry-app", Role.SYSTEM, "000000"))
        request = nq.LookupStudentRequest(name="张三", document_number="33010220150601123X")
        held = AuditHeld(runtime)  # the entries stay queued in the server's memory
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: stub.LookupStudent(request, metadata=meta), range(300)))
        assert all(len(a.results) == 1 for a in answers)
        proc.send_signal(signal.SIGTERM)
        threading.Timer(1.0, held.release).start()  # while the process is stopping
        assert proc.wait(60) == 0, (tmp_path / "serve.log").read_text()
        channel.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with runtime.uow_factory() as uow:
        entries = uow.audit.entries("ministry-app")
    assert len(entries) == 300 and {e["outcome"] for e in entries} == {"found"}


def test_closing_the_runtime_commits_the_queued_audit_entries_first(runtime):
    # The process's stop path (service_main, the embedded system) closes the runtime, not the servicers:
    # the lookup servicer hooks its audit flush there (ServiceRuntime.on_close), before the engine goes.
    from xueji_common.config import Settings
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime
    from xueji_national_query.spec import SPEC

    created(runtime, number="33010220150601123X")
    rt = ServiceRuntime(SPEC, Settings(), database_url=runtime.database_url)
    address = f"127.0.0.1:{free_port()}"
    server = GrpcServer(SPEC.grpc_bindings(rt), address, rt.tokens)
    server.start()
    held = AuditHeld(runtime)
    try:
        with grpc.insecure_channel(address) as channel:
            stub = national_query_pb2_grpc.NationalQueryStub(channel)
            meta = bearer(rt.tokens.mint("ministry-closer", Role.SYSTEM, "000000"))
            request = nq.LookupStudentRequest(name="张三", document_number="33010220150601123X")
            for _ in range(20):
                stub.LookupStudent(request, metadata=meta)
    finally:
        server.stop(grace=5)
        threading.Timer(1.0, held.release).start()  # the entries stay queued until then
        rt.close()  # returns once they are committed
    with runtime.uow_factory() as uow:
        assert len(uow.audit.entries("ministry-closer")) == 20
