"""Bearer tokens (JWT, HS256) carrying user id, role and org unit, and the caller they describe."""
from __future__ import annotations

import enum
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import jwt


class Role(str, enum.Enum):
    SCHOOL_REGISTRAR = "school_registrar"          # 学校学籍管理员
    SCHOOL_LEADER = "school_leader"                # 学校学籍主管领导
    DEPARTMENT_REGISTRAR = "department_registrar"  # 教育部门学籍管理员
    SYSTEM = "system"                              # services and ministry systems

    @property
    def label_zh(self) -> str:
        return {
            Role.SCHOOL_REGISTRAR: "学校学籍管理员",
            Role.SCHOOL_LEADER: "学校学籍主管领导",
            Role.DEPARTMENT_REGISTRAR: "教育部门学籍管理员",
            Role.SYSTEM: "系统",
        }[self]

    @property
    def proto(self) -> int:
        """The xueji.v1.Role enum number."""
        return list(Role).index(self) + 1


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    role: Role
    org_unit: str

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class TokenError(Exception):
    """The token is missing, expired, forged or for another audience."""


class TokenService:
    """Mints with the current key; verifies with the current key or a previous one, so that the key
    can be rotated without a window in which tokens minted just before the change are refused."""

    def __init__(
        self, secret: str, audience: str = "xueji", issuer: str = "xueji", previous: tuple[str, ...] = ()
    ) -> None:
        self._secret = secret
        self._keys = (secret, *[key for key in previous if key])
        self._audience = audience
        self._issuer = issuer
        # Verified tokens until they expire: a caller sends the same token with every call, and the
        # signature check is a large share of a fast call's cost.
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()
        self._lock = threading.Lock()

    def mint(self, user_id: str, role: Role, org_unit: str, ttl_seconds: int = 8 * 3600) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "role": role.value,
            "org": org_unit,
            "aud": self._audience,
            "iss": self._issuer,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    CACHE_SIZE = 10_000

    def verify(self, token: str) -> Principal:
        with self._lock:
            hit = self._verified.get(token)
            if hit is not None:
                if hit[1] > time.time():
                    return hit[0]
                del self._verified[token]
        principal, expires = self._decode(token)
        if expires <= time.time():
            raise TokenError("token expired")
        with self._lock:
            self._verified[token] = (principal, expires)
            if len(self._verified) > self.CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> tuple[Principal, int]:
        for key in self._keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["HS256"],
                    audience=self._audience,
                    issuer=self._issuer,
                    options={"require": ["exp", "sub", "aud", "iss"]},
                )
                principal = Principal(user_id=claims["sub"], role=Role(claims["role"]), org_unit=claims["org"])
                return principal, int(claims["exp"])
            except jwt.InvalidSignatureError:
                continue  # perhaps signed with a previous key
            except jwt.ExpiredSignatureError:
                raise TokenError("token expired") from None
            except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
                raise TokenError(f"invalid token: {type(exc).__name__}") from None
        raise TokenError("invalid token: InvalidSignatureError")
