"""The services a hash-key rotation touches, each on its own PostgreSQL database as in production:
registration, the province dedup tier, the national dedup tier (with the default population
register), national-query and special-ed. The three gRPC servers listen on real sockets; events go
from each outbox through the services' own consumers when `pump()` relays them (review's steps are
delivered as review would publish them). `start(key)` again on the same databases is a restart with
another XUEJI_HASH_KEY."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from xueji.v1 import common_pb2, events_pb2, registration_pb2, registration_pb2_grpc
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver import client
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.messaging.bus import InProcessBus
from xueji_common.messaging.envelope import new_envelope
from xueji_common.messaging.relay import OutboxRelay
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.runtime.spec import load_specs
from xueji_common.testing.infra import free_port

SCHOOL = "1330102001"
SERVICES = {
    "registration": "registration",
    "dedup": "dedup",
    "dedup-national": "dedup",
    "national-query": "national-query",
    "special-ed": "special-ed",
}
SERVED = ("registration", "dedup-national", "national-query")


@dataclass
class System:
    runtimes: dict[str, ServiceRuntime]
    servers: list[GrpcServer] = field(default_factory=list)
    relays: list[OutboxRelay] = field(default_factory=list)
    bus: InProcessBus = field(default_factory=InProcessBus)
    channels: dict = field(default_factory=dict)

    def stub(self, name: str, stub_class):
        return stub_class(self.channels[name])

    def metadata(self, role: Role = Role.SYSTEM, org: str = "000000"):
        return client.bearer(self.runtimes["registration"].tokens.mint("tester", role, org))

    def pump(self) -> None:
        """Relay every outbox until all are empty (each consumer runs as its worker would)."""
        for _ in range(100):
            if not sum(relay.publish_pending() for relay in self.relays):
                return
        raise AssertionError("events keep coming")

    def create(self, request) -> registration_pb2.Application:
        stub = self.stub("registration", registration_pb2_grpc.RegistrationsStub)
        app = stub.CreateApplication(
            request, metadata=self.metadata(Role.SCHOOL_REGISTRAR, SCHOOL), timeout=20
        )
        self.pump()
        return self.get(app.application_id)

    def upload(self) -> str:
        stub = self.stub("registration", registration_pb2_grpc.RegistrationsStub)
        return stub.UploadProofMaterial(
            registration_pb2.UploadProofMaterialRequest(
                school_code=SCHOOL,
                purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
                file=common_pb2.FileContent(file_name="证明.pdf", content=b"%PDF-1.4\n% proof\n"),
            ),
            metadata=self.metadata(Role.SCHOOL_REGISTRAR, SCHOOL),
            timeout=20,
        ).file_id

    def get(self, application_id: str) -> registration_pb2.Application:
        stub = self.stub("registration", registration_pb2_grpc.RegistrationsStub)
        return stub.GetApplication(
            registration_pb2.GetApplicationRequest(application_id=application_id),
            metadata=self.metadata(Role.SCHOOL_REGISTRAR, SCHOOL),
            timeout=20,
        )

    def approve(self, app) -> registration_pb2.Application:
        """Review's steps up to the county's approval, as review publishes them."""
        for stage, unit in (
            (events_pb2.REVIEW_STAGE_AWAITING_REPORT, SCHOOL),
            (events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW, "330102"),
        ):
            self._review(
                events_pb2.ReviewProgressed(
                    application_id=app.application_id,
                    revision=app.revision,
                    stage=stage,
                    handling_unit_code=unit,
                )
            )
        self._review(
            events_pb2.RegistrationApproved(application_id=app.application_id, revision=app.revision)
        )
        self.pump()
        return self.get(app.application_id)

    def _review(self, event) -> None:
        body = new_envelope(event, producer="review", aggregate_id=event.application_id).SerializeToString()
        self.bus.publish("review", type(event).__name__, body)

    def stop(self) -> None:
        for channel in self.channels.values():
            channel.close()
        for server in self.servers:
            server.stop(0)
        for runtime in self.runtimes.values():
            runtime.close()


def start(databases: dict[str, str], hash_key: str, data_dir: Path) -> System:
    addresses = {name: f"127.0.0.1:{free_port()}" for name in SERVED}
    national = addresses["dedup-national"]
    peers = {
        "dedup-national": national,
        "population-register": national,
        "national-query": addresses["national-query"],
        "registration": addresses["registration"],
    }
    specs = {s.name: s for s in load_specs(sorted(set(SERVICES.values())))}
    system = System({})
    for name, service in SERVICES.items():
        settings = Settings(
            hash_key=hash_key,
            metrics_port=0,
            data_dir=data_dir,
            peers=peers,
            scope="national" if name == "dedup-national" else "province",
        )
        runtime = ServiceRuntime(specs[service], settings, database_url=databases[name])
        runtime.migrate()
        system.runtimes[name] = runtime
        if name != "dedup-national":  # the national tier is reached over gRPC only
            for consumer in runtime.consumers():
                sub = consumer.subscription
                system.bus.subscribe(sub.producer, sub.event_type, consumer)
        system.relays.append(
            OutboxRelay(runtime.name, runtime.session_factory, runtime.spec.outbox, system.bus)
        )
    for name in SERVED:
        runtime = system.runtimes[name]
        server = GrpcServer(
            runtime.spec.grpc_bindings(runtime),
            addresses[name],
            runtime.tokens,
            public_methods=runtime.spec.public_methods,
        )
        server.start()
        system.servers.append(server)
        system.channels[name] = client.channel(addresses[name])
    return system


def register_file(path: Path, people) -> Path:
    """The population register as `xueji dedup load-register` reads it."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["resident_id", "name", "gender", "birth_date", "household_division"])
        for p in people:
            writer.writerow(
                [p.resident_id, p.name, int(p.gender), p.birth_date.isoformat(), p.household_division]
            )
    return path
