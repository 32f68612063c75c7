"""The student-number port's `reserve_many` over gRPC (adapters/dedup_numbers.py) against the peer
contract of Dedup.ReserveStudentNumbers (registration_harness's double): one call for the batch, a G
number held elsewhere None for that item only, a tier down "try again later"."""

from __future__ import annotations

import datetime as dt

import pytest
from registration_harness import _system, harness  # noqa: F401 (fixtures)

from xueji_registration.adapters.dedup_numbers import NumberServiceError, from_runtime
from xueji_registration.domain.records import NumberKind
from xueji_registration.service_layer.ports import NumberRequest
from xueji_registration.testing import resident_id

BORN = dt.date(2015, 6, 1)


def test_a_batch_of_numbers_is_one_call_and_a_taken_g_is_none_for_its_item_only(harness):
    numbers = from_runtime(harness.runtime)
    taken, free = resident_id(seq="301"), resident_id(seq="303")
    harness.dedup.taken["G" + taken] = "a record of another province"
    got = numbers.reserve_many(
        [
            NumberRequest(NumberKind.FORMAL, "r1", "330102", BORN, taken),
            NumberRequest(NumberKind.FORMAL, "r2", "330102", BORN, free),
            NumberRequest(NumberKind.TEMPORARY, "r3", "330102", BORN),
        ]
    )
    assert (
        got[0] is None
        and got[1] == "G" + free
        and got[2] is not None
        and got[2].startswith("L33010220150601")
    )
    assert harness.dedup.batches == 1
    assert numbers.reserve_many([]) == [] and harness.dedup.batches == 1
    harness.dedup.unavailable = True
    with pytest.raises(NumberServiceError):
        numbers.reserve_many([NumberRequest(NumberKind.TEMPORARY, "r4", "330102", BORN)])
