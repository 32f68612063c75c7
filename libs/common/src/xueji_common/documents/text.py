"""Number text helpers: normalisation, the GB 11643 check digit, masking."""

from __future__ import annotations

import operator
import re

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


def mask_document_number(number: str) -> str:
    """Mask a number for display and logs; the length is always kept.

    * 10 or more characters: keep the first 3 and the last 4 (``110***********123X``);
    * 4 to 9 characters: keep the first 1 and the last 2 (``A******45``);
    * 1 to 3 characters: mask everything; the empty string stays empty.

    So at most 7 characters are ever shown, and at least one is always hidden.
    """
    n = len(number)
    if n >= 10:
        return number[:3] + "*" * (n - 7) + number[-4:]
    if n >= 4:
        return number[:1] + "*" * (n - 3) + number[-2:]
    return "*" * n
