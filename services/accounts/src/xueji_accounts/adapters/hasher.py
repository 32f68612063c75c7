"""Password hashes: argon2id (argon2-cffi) with the parameters of the settings."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from xueji_accounts.config import AccountsSettings


class Argon2Hasher:
    def __init__(self, settings: AccountsSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the login name is unknown, so that the answer takes as long.
        self._decoy = self._hasher.hash("decoy-password-never-matches")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (upgraded at the next sign-in)."""
        return self._hasher.check_needs_rehash(password_hash)
