"""Who and what the code on this thread works for: the request id and the user, for the logs.

A request id is taken from the caller's `x-request-id` metadata or made at the edge (the gRPC
interceptor), sent on to the services this one calls (grpcserver.client.ServiceCaller) and carried
in the envelopes of the events it causes (messaging.envelope), so that every log line of one upload,
in every service and worker, carries the same id. The user is the authenticated caller of the RPC,
or for an event handler the user whose call started the flow. Both are plain context variables:
reading them costs next to nothing, whether tracing is on or off
(docs/OBSERVABILITY.md#request-ids-and-users).
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 64  # a caller's id longer than this is cut (it goes into every log line)

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_user: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="")


def request_id() -> str:
    return _request_id.get()


def user() -> str:
    return _user.get()


def fields() -> dict[str, str]:
    """request_id and user of this context, those set (for log lines and event envelopes)."""
    return {k: v for k, v in (("request_id", _request_id.get()), ("user", _user.get())) if v}


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(raw: str) -> str:
    """A caller's request id as logs may carry it: printable ASCII, bounded; else a new one."""
    raw = raw[:MAX_REQUEST_ID]
    if raw and raw.isascii() and raw.isprintable() and " " not in raw:
        return raw
    return new_request_id()


def bind(request_id: str, user: str = "") -> tuple[contextvars.Token[str], contextvars.Token[str]]:
    return _request_id.set(request_id), _user.set(user)


def set_user(user: str) -> None:
    """The caller once authenticated (inside a `bind`, which resets it)."""
    _user.set(user)


def unbind(tokens: tuple[contextvars.Token[str], contextvars.Token[str]]) -> None:
    _request_id.reset(tokens[0])
    _user.reset(tokens[1])


@contextmanager
def bound(request_id: str, user: str = "") -> Iterator[None]:
    tokens = bind(request_id, user)
    try:
        yield
    finally:
        unbind(tokens)
