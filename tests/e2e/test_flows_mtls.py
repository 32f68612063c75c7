"""Tiers over mutual TLS (Cluster(mtls=True)): the national servers listen with TLS only and
require a client certificate of the cluster's CA; the province calls them at https:// addresses
with its certificate. A student registered in the province passes the national identity check
(province dedup → dedup-national and the population register), gets the national number reserved
by the national tier and is found by the national lookup, every national call crossing over
mutual TLS; a client without a certificate, or in plaintext, is refused."""

from __future__ import annotations

import os

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tests.e2e.actors import NON_PRIMARY, RESIDENT, Province, S, identity_form, wait_for
from tests.e2e.cluster import Cluster, system
from tests.e2e.conftest import require_servers

from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import national_query_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer

pytestmark = pytest.mark.slow
NATIONAL = (
    "dedup-national",
    "population-register",
    "national-query",
    "accounts-nation",
)  # the nation's issuer too


@pytest.fixture(scope="module")
def mtls_cluster(request):
    require_servers()
    c = Cluster(system(["zj"]), mtls=True)
    yield c
    c.close(
        keep_dir=getattr(request.session, "_cluster_failed", False)
        or bool(os.environ.get("XUEJI_E2E_KEEP_LOGS"))
    )


@pytest.fixture(scope="module")
def province(mtls_cluster):
    zj = Province(mtls_cluster, "zj", "1330102001")
    yield zj
    zj.close()


def health(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status


@pytest.mark.flow
def test_a_province_registers_a_student_whose_national_check_crosses_tiers_over_mutual_tls(province, people):
    cluster = province.cluster
    person = people.older()
    app = province.create(NON_PRIMARY, RESIDENT, identity_form(RESIDENT, person))
    # Passing dedup's gate needs dedup-national's reservation and the population register's answer.
    checked = province.wait_state(
        app.application_id, S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, S.APPLICATION_STATE_DEDUP_FAILED
    )
    assert checked.state == S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, checked.dedup_failure_reason
    province.approve_all_levels(app.application_id, RESIDENT)
    app, record = province.approved(app.application_id)
    assert record.national_student_number == "G" + person.resident_id

    system = bearer(cluster.token(Role.SYSTEM, "000000", "zj-ministry-app"))
    with cluster.channel("national-query") as channel:  # the province's certificate
        stub = national_query_pb2_grpc.NationalQueryStub(channel)

        def found():  # the national projection follows the events
            try:
                return stub.LookupStudent(
                    nq.LookupStudentRequest(name=person.name, document_number=person.resident_id),
                    metadata=system,
                    timeout=10,
                ).results
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                return None

        results = wait_for(found, "the record in the national lookup")
    assert [r.national_student_number for r in results] == [record.national_student_number]


@pytest.mark.parametrize("server", NATIONAL)
def test_national_servers_refuse_clients_without_a_certificate_and_plaintext(province, server):
    cluster = province.cluster
    with cluster.channel(server) as channel:
        assert health(channel) == health_pb2.HealthCheckResponse.SERVING
    for refused in (
        cluster.channel(server, certificate=False),
        grpc.insecure_channel(cluster.address(server)),
    ):
        with refused, pytest.raises(grpc.RpcError) as exc:
            health(refused)
        assert exc.value.code() == grpc.StatusCode.UNAVAILABLE
