"""Two transactions entering a live application for the same document at the same time.

The applications table holds one live application per document (ux_applications_live_document):
when two imports or entries of the same number run side by side, both see no holder, and the one
that commits second fails on the index (ConcurrentEntry, its transaction lost). It is run again,
and then sees the other's application: the document is refused with the usual duplicate message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

from xueji_common.errors import ConcurrentModification
from xueji_registration.service_layer.repositories import ConcurrentEntry

ATTEMPTS = 3
T = TypeVar("T")


def retried(use_case: Callable[[], T]) -> T:
    """`use_case` (one transaction) run again when it lost to a concurrent entry of a document."""
    try:
        return Retrying(retry=retry_if_exception_type(ConcurrentEntry), stop=stop_after_attempt(ATTEMPTS))(
            use_case
        )
    except RetryError:
        raise ConcurrentModification("同一身份证件号正在被同时录入，请稍后重试") from None
