"""Keyed hashes of document numbers, as xueji_common.hashing.document_hash computes them (HMAC-SHA256
over "type:NUMBER", hex), made cheaper per call: a lookup hashes a number under every type, a bulk
load hashes millions of rows.

HMAC (RFC 2104) is H((K ^ opad) || H((K ^ ipad) || m)): the two keyed SHA-256 states are computed
once per key and copied per message, which skips the per-call key setup (and OpenSSL 3's per-call
algorithm fetch) of hmac.new / hmac.digest; about 2.5 times faster, same digest (see the tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

Hasher = Callable[[str, str], str]  # (document type code, number) → hex digest
_BLOCK = 64  # SHA-256 block size


@lru_cache(maxsize=16)
def hasher(key: str) -> Hasher:
    secret = key.encode()
    if len(secret) > _BLOCK:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(_BLOCK, b"\0")
    inner_state = hashlib.sha256(bytes(b ^ 0x36 for b in secret))
    outer_state = hashlib.sha256(bytes(b ^ 0x5C for b in secret))

    def document_hash(document_type: str, number: str) -> str:
        inner = inner_state.copy()
        inner.update(f"{document_type}:{number.strip().upper()}".encode())
        outer = outer_state.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    return document_hash
