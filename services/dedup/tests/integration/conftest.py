"""Dedup on a fresh PostgreSQL database with its gRPC server on a real socket: the province tier's
event handlers reach the national tier and the population register over that socket (peers default
to the process's own address, as in the embedded mode)."""

from __future__ import annotations

import pytest
from dedup_helpers import HASH_KEY, start_server
from sqlalchemy import insert

from xueji_common import demo
from xueji_common.config import Settings
from xueji_common.hashing import document_hash
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.tables import population
from xueji_dedup.spec import SPEC
from xueji_registration.spec import SPEC as REGISTRATION


@pytest.fixture
def people():
    from xueji_common.orgunits import load_default_tree

    return demo.population_register(load_default_tree(), size=30)


@pytest.fixture
def make_dedup(service_runtime, people):
    servers = []

    def make(**settings_changes):
        address = f"127.0.0.1:{free_port()}"
        settings = Settings(grpc_address=address, metrics_port=0, hash_key=HASH_KEY).with_(**settings_changes)
        rt = service_runtime(SPEC, settings)
        with rt.engine.begin() as conn:
            conn.execute(
                insert(population),
                [
                    dict(
                        document_hash=document_hash(HASH_KEY, "1", p.resident_id),
                        name=p.name,
                        gender=int(p.gender),
                        birth_date=p.birth_date,
                        household_division=p.household_division,
                    )
                    for p in people
                ],
            )
        # Registration beside it (its own database, the same server): the owner dedup asks for a
        # resident's number (events carry none); dedup_helpers.deliver stores the applications there.
        rt.registration = service_runtime(REGISTRATION, settings)
        servers.append(
            start_server(rt, [*SPEC.grpc_bindings(rt), *REGISTRATION.grpc_bindings(rt.registration)])
        )
        return rt

    yield make
    for server in servers:
        server.stop(0)


@pytest.fixture
def dedup(make_dedup):
    return make_dedup()
