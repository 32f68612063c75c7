"""The non-freshman authentication gate (学籍查重认证): which students the school may review only
after dedup / authentication passed (docs/DOMAIN.md#the-non-freshman-authentication-gate).

Registration parks such an application in AWAITING_DEDUP (`first_state`); review refuses to review
it (`school_review_block`) and closes its case when the gate fails (`gate_closes_case`). One rule for
both services, here. No framework imports.
"""

from __future__ import annotations

from xueji_common.documents import DocumentCategory
from xueji_common.vocabulary import RegistrationKind


def gated_before_school_review(kind: str, category: str) -> bool:
    """HMT/foreign students (any kind) and non-freshman residents wait for the gate; a freshman
    resident's authentication runs beside school review; no-document students have no gate.
    `kind` and `category` are the enums' values or members (both are str enums)."""
    if category == DocumentCategory.HMT_FOREIGN:
        return True
    return category == DocumentCategory.RESIDENT and kind == RegistrationKind.NON_PRIMARY_FRESHMAN
