"""Number text helpers: normalisation, the GB 11643 check digit; masking is xueji_common.masking's
(one policy in one place: docs/MASKING.md), re-exported here for the callers that mask a document."""

from __future__ import annotations

import operator
import re

from xueji_common.masking import mask_document_number  # noqa: F401 (re-exported)

# Full-width ASCII block (U+FF01..U+FF5E) and the ideographic space to their ASCII counterparts.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_FIRST17 = re.compile(r"[0-9]{17}")
_ZEROS = ord("0") * sum(_WEIGHTS)


def normalize_document_number(raw: str) -> str:
    """Upper-case, convert full-width characters to ASCII and drop all whitespace (idempotent)."""
    if raw.isascii() and raw.isalnum():   # the usual number: nothing to convert or drop
        return raw.upper()
    return "".join(raw.upper().translate(_FULL_WIDTH).split())


def resident_id_check_digit(first17: str) -> str:
    """GB 11643-1999 (ISO 7064 MOD 11-2) check character for the first 17 digits.

    Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the weighted sum mod 11 indexes "10X98765432".
    """
    if not _FIRST17.fullmatch(first17):
        raise ValueError("first17 must be 17 ASCII digits")
    return check_character(first17)


def check_character(first17: str) -> str:
    """`resident_id_check_digit` for 17 characters already known to be ASCII digits."""
    # Byte values are the digits plus ord("0"), whose weighted sum is taken off once.
    return "10X98765432"[(sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZEROS) % 11]
