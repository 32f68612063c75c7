"""ES256 signing keys and the public key sets that verify them (JWKS, RFC 7517).

Only the accounts service (and, in embedded mode, the development key in the data directory) holds
a private key; every other process verifies with public keys fetched from its trusted issuers'
JWKS addresses (see docs/ACCOUNTS.md). The `kid` of a key is its RFC 7638 thumbprint, so that it
needs no setting and two deployments can never pick the same one by accident.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from jwt.utils import base64url_encode

log = logging.getLogger(__name__)


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint of an EC public key (base64url SHA-256 of its canonical JWK)."""
    from cryptography.hazmat.primitives import hashes

    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {
            "crv": "P-256",
            "kty": "EC",
            "x": base64url_encode(numbers.x.to_bytes(32, "big")).decode(),
            "y": base64url_encode(numbers.y.to_bytes(32, "big")).decode(),
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical)
    return base64url_encode(digest.finalize()).decode()


@dataclass(frozen=True)
class SigningKey:
    """A P-256 private key and its kid."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        key = ec.generate_private_key(ec.SECP256R1())
        return cls(thumbprint(key.public_key()), key)

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the signing key must be an EC P-256 private key (ES256)")
        return cls(thumbprint(key.public_key()), key)

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        return cls.from_pem(Path(path).read_bytes())

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The development key of embedded mode: made at first start, mode 0600."""
        if path.exists():
            return cls.load(path)
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.pem())
        return key

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_jwk(self) -> dict[str, str]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}


def jwks(keys: list[SigningKey]) -> dict[str, list[dict[str, str]]]:
    """The JWKS document of these keys (public parts only)."""
    return {"keys": [k.public_jwk() for k in keys]}


class KeySet:
    """Public keys of one issuer by kid."""

    def key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        raise NotImplementedError


class StaticKeys(KeySet):
    """Keys known in-process (the issuer's own keys; the embedded development key)."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {k.kid: k.private_key.public_key() for k in keys}

    def key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        return self._keys.get(kid)


class JwksKeys(KeySet):
    """Keys fetched from a JWKS address (http(s):// or file://), cached for `ttl` seconds; an
    unknown kid triggers a refetch (a rotation) at most every `min_refetch` seconds.

    Not a cachetools TTLCache: what it needs besides a lifetime is a refetch on an unknown kid,
    throttled, and the keys it has kept when a fetch fails (the issuer down must not make every
    token unverifiable); a TTLCache would drop them at expiry. Its state is one dict and a time."""

    def __init__(self, url: str, ttl: float = 300.0, min_refetch: float = 5.0, timeout: float = 5.0) -> None:
        self.url = url
        self._ttl, self._min_refetch, self._timeout = ttl, min_refetch, timeout
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._fetched = float("-inf")
        self._lock = threading.Lock()

    def _due(self, kid: str) -> bool:
        age = time.monotonic() - self._fetched
        return age > self._ttl or (kid not in self._keys and age > self._min_refetch)

    def key(self, kid: str) -> ec.EllipticCurvePublicKey | None:
        if self._due(kid):
            with self._lock:
                if self._due(kid):  # another thread may have fetched meanwhile
                    self._refresh()
        return self._keys.get(kid)

    def _refresh(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=self._timeout) as response:
                document = json.load(response)
            keys: dict[str, ec.EllipticCurvePublicKey] = {}
            for jwk in document.get("keys", []):
                if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256" and jwk.get("kid"):
                    key = ECAlgorithm.from_jwk(json.dumps(jwk))
                    if isinstance(key, ec.EllipticCurvePublicKey):  # never a private key ("d") here
                        keys[jwk["kid"]] = key
            self._keys = keys
        except Exception as exc:
            log.warning("jwks fetch failed", extra={"fields": {"url": self.url, "error": type(exc).__name__}})
        self._fetched = time.monotonic()
