"""`/.well-known/jwks.json` over HTTP: the public keys every service verifies tokens with."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xueji_common.signing import jwks

log = logging.getLogger(__name__)
PATH = "/.well-known/jwks.json"


def jwks_document(runtime) -> bytes:
    return json.dumps(jwks(runtime.settings.signing_keys())).encode()


def start(runtime) -> None:
    """Serve the JWKS on XUEJI_JWKS_PORT (0: not served) until the runtime closes. The issuer does
    not start without its signing key."""
    from xueji_common.config import ConfigError

    if runtime.tokens.signer is None:
        raise ConfigError(
            "the accounts service needs XUEJI_SIGNING_KEY_FILE (its ES256 private key) to serve"
        )
    port = runtime.settings.jwks_port
    if not port:
        return
    body = jwks_document(runtime)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != PATH:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "max-age=300")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # requests are not worth a log line each
            pass

    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    threading.Thread(target=server.serve_forever, name="jwks-http", daemon=True).start()
    runtime.on_close(server.shutdown)
    log.info("jwks served", extra={"fields": {"port": port, "path": PATH}})
