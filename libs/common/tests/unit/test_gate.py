"""The non-freshman authentication gate: who waits for dedup / authentication before school review."""

from __future__ import annotations

import pytest

from xueji_common.documents import DocumentCategory as C
from xueji_common.gate import gated_before_school_review
from xueji_common.vocabulary import RegistrationKind as K


@pytest.mark.parametrize(
    "kind, category, gated",
    [
        (K.PRIMARY_FRESHMAN, C.RESIDENT, False),  # authentication runs beside school review
        (K.NON_PRIMARY_FRESHMAN, C.RESIDENT, True),  # chapter 9: 未查重认证 cannot be reviewed
        (K.PRIMARY_FRESHMAN, C.HMT_FOREIGN, True),  # document dedup first, any kind
        (K.NON_PRIMARY_FRESHMAN, C.HMT_FOREIGN, True),
        (K.PRIMARY_FRESHMAN, C.NO_DOCUMENT, False),  # identity confirmed offline: no gate
        (K.NON_PRIMARY_FRESHMAN, C.NO_DOCUMENT, False),
    ],
)
def test_who_waits_for_the_gate(kind, category, gated):
    assert gated_before_school_review(kind, category) is gated
    assert gated_before_school_review(kind.value, category.value) is gated  # review stores the values
