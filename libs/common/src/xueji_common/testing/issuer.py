"""A test-only token issuer: an ES256 key pair of its own, its JWKS as a file or served over HTTP,
and tokens for any role and unit. Tests use it where they used to share an HS256 secret; it stands
for the accounts service of a tier (tests of accounts itself sign in through it)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from xueji_common.auth import Role, TokenService, TokenSigner, TrustedIssuer
from xueji_common.signing import SigningKey, StaticKeys, jwks


class TestIssuer:
    __test__ = False  # not a pytest test class

    def __init__(
        self, name: str = "xueji-test", units: tuple[str, ...] = (), audience: str = "xueji"
    ) -> None:
        self.name, self.units, self.audience = name, tuple(units), audience
        self.key = SigningKey.generate()
        self.signer = TokenSigner(self.key, name, audience)
        self._server: ThreadingHTTPServer | None = None

    def mint(self, user: str, role: Role, org_unit: str, ttl_seconds: int = 8 * 3600, **extra) -> str:
        return self.signer.mint(user, role, org_unit, ttl_seconds, extra or None)

    def trusted(self) -> TrustedIssuer:
        return TrustedIssuer(self.name, StaticKeys([self.key]), self.units)

    def token_service(self, *others: TestIssuer, tree=None) -> TokenService:
        """A verifier trusting this issuer (and `others`) that also signs as this issuer."""
        issuers = {i.name: i.trusted() for i in (self, *others)}
        return TokenService(issuers, self.audience, self.signer, tree)

    def jwks_file(self, directory: Path) -> str:
        """Writes the JWKS to a file; returns its file:// address."""
        path = Path(directory) / f"jwks-{self.name}.json"
        path.write_text(json.dumps(jwks([self.key])))
        return path.resolve().as_uri()

    def serve_jwks(self) -> str:
        """Serves the JWKS on a free localhost port until `close`; returns its address."""
        body = json.dumps(jwks([self.key])).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"

    def setting(self, jwks_address: str) -> dict:
        """This issuer's entry of XUEJI_TRUSTED_ISSUERS."""
        return {"issuer": self.name, "jwks": jwks_address, "units": list(self.units)}

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
