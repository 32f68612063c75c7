"""Encryption at rest of personal data (document numbers, forms, uploaded cells): AES-256-GCM.

One key ring per process, from XUEJI_DATA_KEY (the current key) and XUEJI_DATA_KEY_PREVIOUS (keys
still read during a rotation), each written `<key id>:<base64 of 32 bytes>`. An encrypted value is the
text `xj1:<key id>:<base64url(nonce | ciphertext | tag)>`: the key id beside the ciphertext says which
key of the ring opens it, so after a rotation old rows stay readable until `xueji registration rehash`
re-encrypts them with the current key (deploy/OPERATIONS.md §8). The associated data is the value's
purpose (e.g. "applications.document_number"): a ciphertext copied into another column does not open.

The keyed hash (hashing.document_hash) stays the index: a ciphertext is random, never compared.

The same ring seals the rare clear value an event must carry between services of one deployment
(ProblemResolved's corrected number, a record's national student number): the associated data
names the event field (`event_purpose`), so a sealed number opens only as that field; the key id
inside lets a rotation in flight still open it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "xj1:"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
NONCE_BYTES = 12
KEY_BYTES = 32
# The development key (embedded mode, tests); production mode refuses it (config.Settings.check).
DEV_DATA_KEY = (
    "dev:"
    + base64.b64encode(hashlib.sha256(b"xueji-development-data-key-not-for-production").digest()).decode()
)


def event_purpose(message: str, field: str) -> str:
    """The associated data of a value sealed into an event's field (e.g. ProblemResolved's number)."""
    return f"event:{message}.{field}"


# ProblemResolved.corrected_document_number_sealed: sealed by dedup, opened by registration.
CORRECTED_NUMBER = event_purpose("ProblemResolved", "corrected_document_number")
# StudentRecordSnapshot.national_student_number_sealed: sealed by registration, opened by its readers.
STUDENT_NUMBER = event_purpose("StudentRecordSnapshot", "national_student_number")


class DataKeyError(ValueError):
    """A key is malformed, or a ciphertext names a key the ring lacks or does not open (never carries
    data)."""


def parse_key(text: str, variable: str = "XUEJI_DATA_KEY") -> tuple[str, bytes]:
    """`<id>:<base64 of 32 bytes>` → (id, key); DataKeyError naming the variable otherwise."""
    key_id, sep, encoded = text.strip().partition(":")
    if not sep or not key_id or not key_id.isalnum() or len(key_id) > 32:
        raise DataKeyError(
            f"{variable} must be <key id>:<base64 key> with an alphanumeric id of at most 32 characters"
        )
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError(f"{variable}: the key after '{key_id}:' is not base64") from None
    if len(key) != KEY_BYTES:
        raise DataKeyError(f"{variable}: the key must be {KEY_BYTES} bytes (AES-256), got {len(key)}")
    return key_id, key


def new_key_text(key_id: str) -> str:
    """A fresh key in the setting's format (tests; operators use openssl, deploy/OPERATIONS.md §2)."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes] = field(repr=False)
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # one AESGCM per key: building one costs more than sealing a number
        object.__setattr__(self, "_ciphers", {key_id: AESGCM(key) for key_id, key in self.keys.items()})

    @classmethod
    def from_texts(cls, current: str, previous: tuple[str, ...] = ()) -> KeyRing:
        current_id, key = parse_key(current)
        keys = dict(parse_key(p, "XUEJI_DATA_KEY_PREVIOUS") for p in previous)
        keys[current_id] = key
        return cls(current_id, keys)

    def encrypt(self, plaintext: str, purpose: str) -> str:
        """The empty string stays empty (nothing to hide; partial indexes test for '')."""
        if not plaintext:
            return plaintext
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{PREFIX}{self.current_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def encrypt_many(self, plaintexts: list[str], purpose: str) -> list[str]:
        """`encrypt` of each value, for a bulk load's column: the nonces of the whole batch are read
        from the system's random source at once (one call instead of one per value) and the base64
        is binascii's with the URL-safe alphabet swapped in (what urlsafe_b64encode does, without its
        Python layers). Each nonce is still 12 random bytes of its own; the text is the same format."""
        seal, to_base64, alphabet = self._ciphers[self.current_id].encrypt, binascii.b2a_base64, _URLSAFE
        aad = purpose.encode()
        prefix = f"{PREFIX}{self.current_id}:"
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        return [
            prefix
            + to_base64(
                (nonce := nonces[at : at + NONCE_BYTES]) + seal(nonce, text.encode(), aad), newline=False
            )
            .translate(alphabet)
            .decode()
            if text
            else text
            for at, text in zip(range(0, len(nonces), NONCE_BYTES), plaintexts)
        ]

    def decrypt(self, value: str, purpose: str) -> str:
        if not value:
            return value
        key_id, blob = _split(value)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DataKeyError(f"no data key with id {key_id!r} (XUEJI_DATA_KEY / XUEJI_DATA_KEY_PREVIOUS)")
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], purpose.encode()).decode()
        except InvalidTag:
            raise DataKeyError(f"a value under key {key_id!r} does not open for {purpose}") from None

    def is_current(self, value: str) -> bool:
        """Encrypted with the current key (or empty): nothing for a rotation to do."""
        return not value or (is_encrypted(value) and key_id_of(value) == self.current_id)


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def key_id_of(value: str) -> str:
    return _split(value)[0]


def _split(value: str) -> tuple[str, bytes]:
    if not is_encrypted(value):
        raise DataKeyError("not an encrypted value")
    key_id, _, encoded = value[len(PREFIX) :].partition(":")
    try:
        return key_id, base64.urlsafe_b64decode(encoded)
    except (binascii.Error, ValueError):
        raise DataKeyError("a damaged encrypted value") from None
