"""Item 4 of issue 7: every RPC of every service × role × jurisdiction, across the real processes.

The table is security_rpcs.RPCS (cells and jurisdictions: security_table; the resources aimed at:
security_world). A refused cell must be PERMISSION_DENIED and leave the database of the server that
answered unchanged (security_probe.Probe.fingerprint before and after); an allowed cell must get
through (OK, or the status its entry names). What fails today is a strict xfail naming the hole
(`Rpc.xfail`, `reference(hole=...)`), for the service's owner to close.

The completeness test reads the services from the generated descriptors: an RPC added to a .proto
without an entry here fails it."""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from dataclasses import dataclass

import pytest
from tests.e2e import security_world
from tests.e2e.coverage import coverage
from tests.e2e.masking_check import unmasked_numbers
from tests.e2e.security_probe import Probe, server_of
from tests.e2e.security_rpcs import REFERENCES, RPCS
from tests.e2e.security_table import ordered
from tests.e2e.test_security import assert_no_unmasked_document_number

import xueji.v1

pytestmark = pytest.mark.slow
CELLS = ordered(RPCS, REFERENCES)


def declared_rpcs() -> dict[str, bool]:
    """ "Service/Method" → client streaming, for every service of every xueji.v1 proto."""
    out = {}
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            descriptor = importlib.import_module(f"xueji.v1.{module.name}").DESCRIPTOR
            for service in descriptor.services_by_name.values():
                out.update({f"{service.name}/{m.name}": m.client_streaming for m in service.methods})
    return out


def test_every_rpc_of_every_service_has_one_matrix_entry():
    declared = declared_rpcs()
    listed = [f"{r.service}/{r.method}" for r in RPCS]
    assert len(declared) >= 54
    assert sorted(set(declared) - set(listed)) == [], "RPCs without a security matrix entry"
    assert sorted(set(listed) - set(declared)) == [], "matrix entries of RPCs that do not exist"
    assert len(listed) == len(set(listed)), "an RPC listed twice"
    assert sorted(k for k, streaming in declared.items() if streaming) == sorted(
        f"{r.service}/{r.method}" for r in RPCS if r.streaming
    )


@dataclass
class Matrix:
    world: security_world.World | None
    probe: Probe
    setup_error: str = ""  # a failed setup fails the first cell only; the others skip


@pytest.fixture(scope="module")
def matrix(system_cluster, people):
    probe, world, error = Probe(system_cluster), None, ""
    try:
        world = security_world.build(system_cluster, people)
        probe.wait_quiet(list(system_cluster.db))  # every event of the setup handled
    except Exception:
        error = traceback.format_exc()
    yield Matrix(world, probe, error)
    probe.close()
    if world is not None:
        world.close()


def _check_setup(matrix: Matrix) -> None:
    if matrix.setup_error == "reported":
        pytest.skip("the matrix setup failed (reported by the first cell)")
    if matrix.setup_error:
        error, matrix.setup_error = matrix.setup_error, "reported"
        pytest.fail(f"the matrix setup failed:\n{error}")


def _param(cell):
    marks = [pytest.mark.xfail(strict=True, reason=cell.hole)] if cell.hole else []
    return pytest.param(cell, id=cell.id, marks=marks)


@pytest.mark.parametrize("cell", [_param(c) for c in CELLS])
def test_rpc_role_jurisdiction(matrix, cell):
    _check_setup(matrix)
    server = server_of(cell.rpc.server, cell.province)
    request = cell.request(matrix.world)
    metadata = matrix.probe.metadata(cell.caller.role, cell.caller.unit)
    before = None if cell.allowed else matrix.probe.fingerprint(server)
    code, answer = matrix.probe.call(
        server, cell.rpc.path, request, metadata, cell.rpc.streaming, cell.rpc.replies
    )
    changed = [] if cell.allowed else sorted(set(matrix.probe.fingerprint(server)) ^ set(before))
    if (code in cell.expected and not changed) or cell.hole:
        coverage.matrix_cells += 1
    assert code in cell.expected, f"{cell.id} on {server}: {code.name} {answer if code.value[0] else ''}"
    assert not changed, f"{cell.id} was refused but changed {server}: {changed}"
    assert not unmasked_numbers(cell, request, answer if code.value[0] == 0 else None), (
        f"{cell.id}: numbers in full"
    )


def test_no_process_logged_a_document_number_of_the_matrix(matrix, system_cluster):
    assert_no_unmasked_document_number(system_cluster)
