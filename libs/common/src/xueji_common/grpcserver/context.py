"""The authenticated caller of the RPC running on this thread."""

from __future__ import annotations

import contextvars

from xueji_common.auth import Principal

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal | None:
    """The caller, or None for a public method (health, reflection, captcha lookups)."""
    return _principal.get()


def set_principal(principal: Principal | None) -> contextvars.Token:
    return _principal.set(principal)


def reset_principal(token: contextvars.Token) -> None:
    _principal.reset(token)
