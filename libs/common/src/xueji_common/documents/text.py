"""Number text helpers: normalisation, the GB 11643 check digit; masking is xueji_common.masking's
(one policy in one place: docs/MASKING.md), re-exported here for the callers that mask a document."""

from __future__ import annotations

import re

from stdnum.cn.ric import calc_check_digit

from xueji_common.masking import mask_document_number as mask_document_number  # re-exported

# Full-width ASCII block (U+FF01..U+FF5E) and the ideographic space to their ASCII counterparts.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_FIRST17 = re.compile(r"[0-9]{17}")


def normalize_document_number(raw: str) -> str:
    """Upper-case, convert full-width characters to ASCII and drop all whitespace (idempotent)."""
    if raw.isascii() and raw.isalnum():  # the usual number: nothing to convert or drop
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
    """`resident_id_check_digit` for 17 characters already known to be ASCII digits (int() would
    also take other text, so the digits must be checked first)."""
    # python-stdnum's cn.ric (the weights are powers of 2 mod 11, so one base-13 int() does the sum)
    # takes 0.2-0.6 x the time of the weighted sum we wrote before (bench/check_digit.py, 7 December,
    # five runs on a loaded 2-core machine). It takes the whole number, check digit included: a
    # placeholder stands for it.
    digit: str = calc_check_digit(first17 + "0")  # python-stdnum has no type hints
    return digit
