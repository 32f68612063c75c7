"""TLS between tiers over real sockets, with certificates made here (trustme): server TLS checked
against a CA bundle, mutual TLS refusing clients without a certificate of the CA, a plaintext
health listener for probes, and certificates re-read when their files change."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
import trustme
from grpc_health.v1 import health_pb2, health_pb2_grpc

from xueji_common.config import TlsConfig
from xueji_common.grpcserver import tls
from xueji_common.grpcserver.client import channel
from xueji_common.grpcserver.server import GrpcServer
from xueji_common.testing.infra import free_port
from xueji_common.testing.issuer import TestIssuer

TOKENS = TestIssuer("tls-test").token_service()


class Pki:
    """A CA and PEM files of certificates it issues, under one directory."""

    def __init__(self, where: Path, name: str = "ca") -> None:
        self.dir, self.ca = where, trustme.CA()
        self.ca_file = str(where / f"{name}.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)

    def issue(self, name: str, *identities: str) -> tuple[str, str]:
        cert = self.ca.issue_cert(*(identities or ("localhost", "127.0.0.1")))
        cert_file, key_file = self.dir / f"{name}.pem", self.dir / f"{name}.key"
        cert_file.write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key_file))
        return str(cert_file), str(key_file)


@pytest.fixture
def pki(tmp_path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def start(pki):
    servers = []

    def run(config: TlsConfig, health_address: str = "") -> str:
        port = free_port()
        server = GrpcServer(
            [],
            f"127.0.0.1:{port}",
            TOKENS,
            tls=config,
            health_address=health_address,
            readiness_names=("dedup",),
        )
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"

    yield run
    for server in servers:
        server.stop(grace=0)


def health(ch: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5).status


def refused(ch: grpc.Channel) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as exc:
        health(ch)
    return exc.value.code()


SERVING = health_pb2.HealthCheckResponse.SERVING


def test_a_tls_server_answers_clients_that_trust_its_ca_and_no_plaintext_client(pki, start):
    cert, key = pki.issue("server")
    address = start(TlsConfig(cert_file=cert, key_file=key))
    assert health(channel(f"https://{address}", TlsConfig(ca_file=pki.ca_file))) == SERVING
    assert refused(grpc.insecure_channel(address)) == grpc.StatusCode.UNAVAILABLE
    stranger = Pki(pki.dir, "other-ca")
    assert (
        refused(channel(f"https://{address}", TlsConfig(ca_file=stranger.ca_file)))
        == grpc.StatusCode.UNAVAILABLE
    )


def test_mutual_tls_refuses_a_client_without_a_certificate_of_the_ca(pki, start):
    cert, key = pki.issue("server")
    address = start(TlsConfig(cert_file=cert, key_file=key, ca_file=pki.ca_file, client_auth="require"))
    province_cert, province_key = pki.issue("province", "province.example")
    with_cert = TlsConfig(ca_file=pki.ca_file, client_cert_file=province_cert, client_key_file=province_key)
    assert health(channel(f"https://{address}", with_cert)) == SERVING
    assert (
        refused(channel(f"https://{address}", TlsConfig(ca_file=pki.ca_file))) == grpc.StatusCode.UNAVAILABLE
    )
    stranger = Pki(pki.dir, "other-ca")
    forged_cert, forged_key = stranger.issue("forged")
    forged = TlsConfig(ca_file=pki.ca_file, client_cert_file=forged_cert, client_key_file=forged_key)
    assert refused(channel(f"https://{address}", forged)) == grpc.StatusCode.UNAVAILABLE


def test_probes_get_health_in_plaintext_on_their_own_port_and_nothing_else(pki, start):
    cert, key = pki.issue("server")
    health_address = f"127.0.0.1:{free_port()}"
    start(
        TlsConfig(cert_file=cert, key_file=key, ca_file=pki.ca_file, client_auth="require"),
        health_address=health_address,
    )
    with grpc.insecure_channel(health_address) as ch:
        assert health(ch) == SERVING
        reflection = ch.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        with pytest.raises(grpc.RpcError) as exc:
            list(reflection(iter([b""]), timeout=5))
        assert exc.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_xueji_health_checks_named_services_on_the_health_only_port(pki, start):
    """helm test's Pods under server TLS: no reflection there, so the service's name is given."""
    from click.testing import CliRunner

    from xueji_common.cli.main import main

    cert, key = pki.issue("server")
    health_address = f"127.0.0.1:{free_port()}"
    start(
        TlsConfig(cert_file=cert, key_file=key, ca_file=pki.ca_file, client_auth="require"),
        health_address=health_address,
    )
    runner = CliRunner()
    done = runner.invoke(main, ["health", "--address", health_address, "--service", "dedup"])
    assert done.exit_code == 0, done.output
    assert "(server)" in done.output and "dedup" in done.output and "SERVING" in done.output
    reflected = runner.invoke(main, ["health", "--address", health_address])  # no reflection: fails
    assert reflected.exit_code != 0


def test_the_server_presents_a_renewed_certificate_without_a_restart(pki, start):
    cert, key = pki.issue("server")
    address = start(TlsConfig(cert_file=cert, key_file=key))
    renewed_ca = Pki(pki.dir, "renewed-ca")
    trusting_renewed = TlsConfig(ca_file=renewed_ca.ca_file)
    assert refused(channel(f"https://{address}", trusting_renewed)) == grpc.StatusCode.UNAVAILABLE
    new_cert, new_key = renewed_ca.issue("renewed")
    Path(key).write_bytes(Path(new_key).read_bytes())  # as the kubelet swaps a Secret's files
    Path(cert).write_bytes(Path(new_cert).read_bytes())
    assert health(channel(f"https://{address}", trusting_renewed)) == SERVING


def test_a_client_presents_a_renewed_certificate_through_the_stubs_it_already_has(pki, start, monkeypatch):
    cert, key = pki.issue("server")
    address = start(TlsConfig(cert_file=cert, key_file=key, ca_file=pki.ca_file, client_auth="require"))
    stranger = Pki(pki.dir, "other-ca")
    client_cert, client_key = stranger.issue("client")  # not of the server's CA: refused
    monkeypatch.setattr(tls.ReloadingChannel, "CHECK_SECONDS", 0.0)
    ch = channel(
        f"https://{address}",
        TlsConfig(ca_file=pki.ca_file, client_cert_file=client_cert, client_key_file=client_key),
    )
    stub = health_pb2_grpc.HealthStub(ch)
    with pytest.raises(grpc.RpcError):
        stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    good_cert, good_key = pki.issue("good-client")
    Path(client_key).write_bytes(Path(good_key).read_bytes())
    Path(client_cert).write_bytes(Path(good_cert).read_bytes())
    assert stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING


def test_a_half_written_rotation_keeps_the_previous_certificate(pki, start):
    cert, key = pki.issue("server")
    address = start(TlsConfig(cert_file=cert, key_file=key))
    other_cert, _ = Pki(pki.dir, "other-ca").issue("other")
    Path(cert).write_bytes(Path(other_cert).read_bytes())  # the new chain without its key
    assert health(channel(f"https://{address}", TlsConfig(ca_file=pki.ca_file))) == SERVING


@pytest.mark.parametrize(
    "address, target",
    [
        ("https://dedup.xueji.example", ("dedup.xueji.example:443", True)),
        ("https://dedup.xueji.example:8443/", ("dedup.xueji.example:8443", True)),
        ("https://[::1]", ("[::1]:443", True)),
        ("nq:50051", ("nq:50051", False)),
    ],
)
def test_peer_addresses_say_tls_with_https(address, target):
    assert tls.split_address(address) == target
