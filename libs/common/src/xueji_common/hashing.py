"""Keyed hashes of identity documents, so that indexes never store a document number."""
from __future__ import annotations

import hashlib
import hmac


def document_hash(key: str, document_type: str, number: str) -> str:
    """HMAC-SHA256 over (type, normalised number); hex. Same inputs and key, same hash."""
    message = f"{document_type}:{number.strip().upper()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def student_number_hash(key: str, number: str) -> str:
    """The keyed hash of a national student number (G + a resident ID, or an L number): the index
    every store looks a number up by, its clear value being encrypted or masked (docs/MASKING.md)."""
    return document_hash(key, "NSN", number)
