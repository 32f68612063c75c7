"""Bearer tokens (JWT, ES256) carrying user id, role and org unit, and the caller they describe.

Tokens are signed by an issuer (the accounts service of a tier) with a private key only it holds;
every service verifies them with the public keys of the issuers it trusts (federation: a national
tier trusts its own issuer and each province's). See docs/ACCOUNTS.md.
"""

from __future__ import annotations

import enum
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from cachetools import TLRUCache

from xueji_common.signing import KeySet, SigningKey

if TYPE_CHECKING:
    from xueji_common.orgunits import OrgTree

ALGORITHM = "ES256"  # the only algorithm accepted: no HS256 shared secret, no "none"
MINISTRY = "000000"


class Role(str, enum.Enum):
    SCHOOL_REGISTRAR = "school_registrar"  # 学校学籍管理员
    SCHOOL_LEADER = "school_leader"  # 学校学籍主管领导
    DEPARTMENT_REGISTRAR = "department_registrar"  # 教育部门学籍管理员
    SYSTEM = "system"  # services and ministry systems
    USER_ADMIN = "user_admin"  # 用户管理员 (manages the accounts of a department)

    @property
    def label_zh(self) -> str:
        return {
            Role.SCHOOL_REGISTRAR: "学校学籍管理员",
            Role.SCHOOL_LEADER: "学校学籍主管领导",
            Role.DEPARTMENT_REGISTRAR: "教育部门学籍管理员",
            Role.SYSTEM: "系统",
            Role.USER_ADMIN: "用户管理员",
        }[self]

    @property
    def proto(self) -> int:
        """The xueji.v1.Role enum number."""
        return list(Role).index(self) + 1

    @classmethod
    def from_proto(cls, number: int) -> Role | None:
        return list(Role)[number - 1] if 1 <= number <= len(Role) else None

    @property
    def at_school(self) -> bool:
        return self in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)


_SCHOOL_CODE = re.compile(r"^\d{10}$")
_DIVISION_CODE = re.compile(r"^\d{6}$")


def role_fits_unit(role: Role, org_unit: str) -> bool:
    """School roles belong to a school (10-digit code), the others to a department (6-digit
    division code: the ministry, a province, city or county). One rule for tokens and accounts."""
    return bool((_SCHOOL_CODE if role.at_school else _DIVISION_CODE).match(org_unit or ""))


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    role: Role
    org_unit: str
    issuer: str = ""

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class TokenError(Exception):
    """The token is missing, expired, forged, from an untrusted issuer or for another audience."""


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer whose tokens this process accepts: its public keys and the units it speaks for
    (a province's issuer: that province; empty: any unit)."""

    name: str
    keys: KeySet
    units: tuple[str, ...] = ()


class TokenSigner:
    """Mints ES256 tokens with the issuer's current private key."""

    def __init__(self, key: SigningKey, issuer: str, audience: str = "xueji") -> None:
        self.key, self.issuer, self.audience = key, issuer, audience

    def mint(
        self,
        user_id: str,
        role: Role,
        org_unit: str,
        ttl_seconds: int = 15 * 60,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "role": role.value,
            "org": org_unit,
            **(extra or {}),
        }
        return jwt.encode(claims, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid})


def _verified_tokens() -> TLRUCache[str, tuple[Principal, int]]:
    """token → (principal, exp): an entry lives until its token expires (`ttu`, on the wall clock)."""
    return TLRUCache(TokenService.CACHE_SIZE, ttu=lambda _token, hit, _now: hit[1], timer=lambda: time.time())


@dataclass
class TokenService:
    """Verifies tokens of the trusted issuers; mints only when this process holds a signer (the
    accounts service, or embedded mode's development key)."""

    issuers: dict[str, TrustedIssuer]
    audience: str = "xueji"
    signer: TokenSigner | None = None
    tree: OrgTree | None = None  # checks that an issuer speaks for the token's unit
    # Verified tokens, each kept until its own `exp` (cachetools' TLRUCache, least recently used
    # evicted past CACHE_SIZE). A hit costs 1-3 us more than the OrderedDict it replaced
    # (bench/token_cache.py), under 1 % of the cheapest call measured (LookupStudent, ~490 us of CPU).
    _verified: TLRUCache[str, tuple[Principal, int]] = field(
        default_factory=lambda: _verified_tokens(), repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    CACHE_SIZE = 10_000

    def mint(self, user_id: str, role: Role, org_unit: str, ttl_seconds: int = 15 * 60) -> str:
        if self.signer is None:
            raise TokenError("this process holds no signing key")
        return self.signer.mint(user_id, role, org_unit, ttl_seconds)

    def verify(self, token: str) -> Principal:
        # Verified tokens are kept until they expire: a caller sends the same token with every call,
        # and the signature check is a large share of a fast call's cost.
        with self._lock:  # cachetools' caches are not thread-safe
            hit: tuple[Principal, int] | None = self._verified.get(token)
        if hit is not None:
            return hit[0]
        principal, expires = self._decode(token)
        with self._lock:
            self._verified[token] = (principal, expires)
        return principal

    def _decode(self, token: str) -> tuple[Principal, int]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid token: {type(exc).__name__}") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError(f"algorithm not accepted: {header.get('alg')!r}")
        issuer = self.issuers.get(str(unverified.get("iss", "")))
        if issuer is None:
            raise TokenError("issuer not trusted")
        key = issuer.keys.key(str(header.get("kid", "")))
        if key is None:
            raise TokenError("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=issuer.name,
                options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
            )
            if not all(isinstance(claims.get(k), str) for k in ("sub", "role", "org")):
                raise TokenError("claims of the wrong shape: sub, role and org must be strings")
            principal = Principal(claims["sub"], Role(claims["role"]), claims["org"], issuer.name)
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
            raise TokenError(f"invalid token: {type(exc).__name__}") from None
        if not role_fits_unit(principal.role, principal.org_unit):
            raise TokenError("role does not fit the org unit")
        if issuer.units and not self._speaks_for(issuer, principal.org_unit):
            raise TokenError("issuer does not speak for the org unit")
        return principal, int(claims["exp"])

    def _speaks_for(self, issuer: TrustedIssuer, unit: str) -> bool:
        if unit in issuer.units:
            return True
        return self.tree is not None and any(self.tree.is_within(unit, u) for u in issuer.units)
