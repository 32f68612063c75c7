"""Keyed hashes of identity documents, so that indexes never store a document number."""

from __future__ import annotations

import hmac


def document_hash(key: str, document_type: str, number: str) -> str:
    """HMAC-SHA256 over (type, normalised number); hex. Same inputs and key, same hash."""
    message = f"{document_type}:{number.strip().upper()}".encode()
    return hmac.digest(key.encode(), message, "sha256").hex()  # one-shot: a bulk load hashes millions


def student_number_hash(key: str, number: str) -> str:
    """The keyed hash of a national student number (G + a resident ID, or an L number): the index
    every store looks a number up by, its clear value being encrypted or masked (docs/MASKING.md)."""
    return document_hash(key, "NSN", number)


def loaded_record_id(number_hash: str) -> str:
    """The record id of a national record loaded from a file (national-query's bulk load): "nq-" and
    the first 128 bits of its number's keyed hash (student_number_hash). Derived, so a file loaded
    twice gives one id (dedup holds the same ids); never the number itself, a G number being the
    resident ID. Fits the 36 characters of a record id."""
    return "nq-" + number_hash[:32]
