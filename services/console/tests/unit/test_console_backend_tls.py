"""The console calls an https:// peer (a province's console: the national tier's national-query)
with the process's TLS settings: the CA bundle and the client certificate of XUEJI_TLS_*."""

import grpc

from xueji_common.config import Settings, TlsConfig
from xueji_console import backend


def test_an_https_peer_is_called_with_the_configured_ca_and_client_certificate(monkeypatch):
    made = {}

    def channel(address, tls=None):  # records the TLS settings; connects nowhere
        made[address] = tls
        return grpc.insecure_channel("localhost:1")

    monkeypatch.setattr(backend.client, "channel", channel)
    tls = TlsConfig(
        ca_file="/etc/xueji/tls/ca/ca.crt",
        client_cert_file="/etc/xueji/tls/client/tls.crt",
        client_key_file="/etc/xueji/tls/client/tls.key",
    )
    backend.Backend(Settings(peers={"national-query": "https://national-query.xueji.example"}, tls=tls))
    assert made["https://national-query.xueji.example"] is tls
