"""Columns stored encrypted (xueji_common.datakeys): repositories read and write clear values, the
database only ever holds ciphertext.

The key ring travels with the engine (`bind_keyring(engine, ring)`, done by ServiceRuntime from the
settings): a column type gets only the dialect, so the ring hangs on the engine's own dialect object.
An engine without a ring refuses to read or write these columns (fails closed) rather than store a
number in clear. Bulk COPY (db.bulk) applies the same conversion (`bind_value`).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.schema import Column
from sqlalchemy.types import TypeDecorator

from xueji_common.datakeys import DataKeyError, KeyRing

_ATTRIBUTE = "xueji_data_keyring"
_HASH_ATTRIBUTE = "xueji_hash_key"
# An encrypted JSON column holds {"enc": "<ciphertext of the JSON text>"}.
ENVELOPE = "enc"


def bind_keyring(engine: Engine, ring: KeyRing) -> None:
    setattr(engine.dialect, _ATTRIBUTE, ring)


def bind_hash_key(engine: Engine, key: str) -> None:
    """The keyed-hash key (XUEJI_HASH_KEY) beside the ring: repositories and migrations that store a
    number's hash beside its ciphertext (a national student number) read it from the engine."""
    setattr(engine.dialect, _HASH_ATTRIBUTE, key)


def hash_key_of(dialect: Dialect) -> str:
    key: str | None = getattr(dialect, _HASH_ATTRIBUTE, None)
    if not key:
        raise DataKeyError(
            "no hash key bound to this database engine (xueji_common.db.encrypted.bind_hash_key)"
        )
    return key


def keyring_of(dialect: Dialect) -> KeyRing:
    ring: KeyRing | None = getattr(dialect, _ATTRIBUTE, None)
    if ring is None:
        raise DataKeyError(
            "no data key bound to this database engine (xueji_common.db.encrypted.bind_keyring)"
        )
    return ring


class EncryptedString(TypeDecorator[str]):
    """A short text (a document number) stored as its ciphertext; '' and NULL stay as they are."""

    impl = String
    cache_ok = True

    def __init__(self, purpose: str, length: int = 200) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).encrypt(value, self.purpose)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).decrypt(value, self.purpose)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored as {"enc": ciphertext of its JSON text}; NULL stays NULL. The column
    stays JSON (no type change for existing databases; the migration rewrites the values)."""

    impl = JSON
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any | None, dialect: Dialect) -> dict[str, str] | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return {ENVELOPE: keyring_of(dialect).encrypt(text, self.purpose)}

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Any | None:
        if value is None:
            return None
        if not (isinstance(value, dict) and set(value) == {ENVELOPE}):
            raise DataKeyError(f"{self.purpose}: a value stored in clear (run the migrations)")
        return json.loads(keyring_of(dialect).decrypt(value[ENVELOPE], self.purpose))


def is_encrypted_column(column: Column[Any]) -> bool:
    return isinstance(column.type, (EncryptedString, EncryptedJSON))


def bind_value(column: Column[Any], value: Any, dialect: Dialect) -> Any:
    """The value as an INSERT would store it in `column` (ciphertext for the encrypted types)."""
    if isinstance(column.type, (EncryptedString, EncryptedJSON)):  # is_encrypted_column
        return column.type.process_bind_param(value, dialect)
    return value
