"""TLS between tiers: a server certificate that reloads when its files change, client credentials
per peer (a CA bundle, and this process's certificate for mutual TLS).

Settings (README, "TLS"): XUEJI_TLS_CERT_FILE / XUEJI_TLS_KEY_FILE (PEM chain and key of this
process: the server listens with TLS when they are set, and presents them as its client certificate
to peers called over TLS unless XUEJI_TLS_CLIENT_CERT_FILE / XUEJI_TLS_CLIENT_KEY_FILE name
another pair), XUEJI_TLS_CA_FILE (CA bundle trusted for peers' certificates and for
client certificates; unset: the system's roots for peers), XUEJI_TLS_CLIENT_AUTH (`none` or
`require`: mutual TLS). A peer is called over TLS when its address says `https://`.

Certificates come from Kubernetes Secrets mounted as files; the kubelet swaps a Secret's files
atomically. The server re-reads them at the next handshake after they change; clients at the next
call (at most once per CHECK_SECONDS), so a renewed certificate needs no restart.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time

import grpc

from xueji_common.config import TlsConfig

log = logging.getLogger(__name__)

TLS_SCHEME = "https://"


def split_address(address: str) -> tuple[str, bool]:
    """ "https://host[:port]" → ("host:port", True) (port 443 by default); "host:port" → (it, False)."""
    if not address.startswith(TLS_SCHEME):
        return address, False
    target = address[len(TLS_SCHEME) :].rstrip("/")
    host_part = target.rsplit("]", 1)[-1]  # an IPv6 literal has colons of its own
    return (target if ":" in host_part else f"{target}:443"), True


class _Files:
    """PEM files (a CA bundle, a certificate chain and its key), read again when they change."""

    def __init__(self, ca_file: str, cert_file: str, key_file: str) -> None:
        self.ca_file, self.cert_file, self.key_file = ca_file, cert_file, key_file
        self._paths = [p for p in (cert_file, key_file, ca_file) if p]
        self.stamp = self._stamp()

    def _stamp(self) -> tuple:
        stamps = []
        for path in self._paths:
            try:
                st = os.stat(path)
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def changed(self) -> bool:
        stamp = self._stamp()
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        return True

    def read(self) -> tuple[bytes | None, bytes | None, bytes | None]:
        """(CA bundle, key, chain), after checking that the key belongs to the chain (a half-written
        rotation raises here, and the previous certificate stays in use)."""
        if self.cert_file:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(self.cert_file, self.key_file)
        return (_read(self.ca_file), _read(self.key_file), _read(self.cert_file))


def _read(path: str) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def server_credentials(config: TlsConfig) -> grpc.ServerCredentials:
    """TLS (mutual with client_auth=require) whose certificate and CA are re-read when they change."""
    files = _Files(config.ca_file, config.cert_file, config.key_file)
    require = config.client_auth == "require"

    def configuration(ca, key, chain) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration(
            [(key, chain)], root_certificates=ca if require else None
        )

    lock = threading.Lock()

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        # Called by gRPC before each handshake; None keeps the current certificate.
        with lock:
            if not files.changed():
                return None
            try:
                fresh = configuration(*files.read())
            except (OSError, ssl.SSLError, ValueError) as exc:
                log.warning(
                    "tls certificate not reloaded, the previous one stays in use",
                    extra={"fields": {"cert_file": config.cert_file, "error": str(exc)}},
                )
                return None
        log.info("tls certificate reloaded", extra={"fields": {"cert_file": config.cert_file}})
        return fresh

    return grpc.dynamic_ssl_server_credentials(
        configuration(*files.read()), fetch, require_client_authentication=require
    )


def add_port(server: grpc.Server, address: str, config: TlsConfig | None) -> int:
    """Listen on `address`: TLS when a certificate is configured, else plaintext."""
    if config is not None and config.serving:
        return server.add_secure_port(address, server_credentials(config))
    return server.add_insecure_port(address)


class ReloadingChannel(grpc.Channel):
    """A TLS channel that builds a fresh inner channel when the certificate files change.

    Stubs bind their methods once, at creation; the methods handed out here look up the current
    inner channel at each call, so a stub made before a renewal presents the renewed certificate.
    Calls under way finish on the channel they started on."""

    CHECK_SECONDS = 5.0

    def __init__(self, target: str, config: TlsConfig, options: list[tuple[str, object]]) -> None:
        self._target, self._options = target, options
        self._files = _Files(config.ca_file, *config.client_pair)
        self._lock = threading.Lock()
        self._inner = self._open()
        self._checked = time.monotonic()

    def _open(self) -> grpc.Channel:
        ca, key, chain = self._files.read()
        return grpc.secure_channel(
            self._target, grpc.ssl_channel_credentials(ca, key, chain), options=self._options
        )

    def current(self) -> grpc.Channel:
        now = time.monotonic()
        if now - self._checked >= self.CHECK_SECONDS:
            with self._lock:
                if now - self._checked >= self.CHECK_SECONDS:
                    self._checked = now
                    if self._files.changed():
                        try:
                            self._inner = self._open()
                            log.info(
                                "tls client certificate reloaded", extra={"fields": {"target": self._target}}
                            )
                        except (OSError, ssl.SSLError, ValueError) as exc:
                            log.warning(
                                "tls client certificate not reloaded",
                                extra={"fields": {"target": self._target, "error": str(exc)}},
                            )
        return self._inner

    def _method(self, kind: str, args, kwargs) -> _Method:
        return _Method(self, kind, args, kwargs)

    def unary_unary(self, *args, **kwargs):
        return self._method("unary_unary", args, kwargs)

    def unary_stream(self, *args, **kwargs):
        return self._method("unary_stream", args, kwargs)

    def stream_unary(self, *args, **kwargs):
        return self._method("stream_unary", args, kwargs)

    def stream_stream(self, *args, **kwargs):
        return self._method("stream_stream", args, kwargs)

    def subscribe(self, callback, try_to_connect=False):
        self.current().subscribe(callback, try_to_connect)

    def unsubscribe(self, callback):
        self._inner.unsubscribe(callback)

    def close(self):
        self._inner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class _Method:
    """A multicallable bound to whichever inner channel is current."""

    def __init__(self, owner: ReloadingChannel, kind: str, args, kwargs) -> None:
        self._owner, self._kind, self._args, self._kwargs = owner, kind, args, kwargs
        self._bound: tuple[grpc.Channel, object] | None = None

    def _callable(self):
        inner = self._owner.current()
        bound = self._bound
        if bound is None or bound[0] is not inner:
            bound = (inner, getattr(inner, self._kind)(*self._args, **self._kwargs))
            self._bound = bound
        return bound[1]

    def __call__(self, *args, **kwargs):
        return self._callable()(*args, **kwargs)

    def __getattr__(self, name):  # with_call, future
        return getattr(self._callable(), name)
