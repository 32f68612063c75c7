"""Manual 4.5 across provinces, in production topology: a child who already has a formal record in
浙江 is added to a preschool transfer at a 江苏 school; the transfer shows where the record is (the
number masked) and the export refuses the child (已成为正式学籍学生的，不允许导出). 江苏's registration
learns it from the national tier (national-query's matching), not from its own database."""

from __future__ import annotations

import grpc
import pytest
from tests.e2e.actors import NON_PRIMARY, RESIDENT, identity_form, sql, wait_for

from xueji.v1 import registration_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.errors import precondition_violations
from xueji_common.masking import mask_student_number

pytestmark = pytest.mark.slow


@pytest.mark.flow
def test_a_child_with_a_formal_record_in_another_province_is_shown_and_not_exported(zj, js, people):
    person = people.older()
    identity = identity_form(RESIDENT, person)
    app = zj.create(NON_PRIMARY, RESIDENT, identity)
    zj.approve_all_levels(app.application_id, RESIDENT)
    _, record = zj.approved(app.application_id)
    wait_for(
        lambda: sql(
            zj.cluster,
            "national-query",
            "SELECT 1 FROM national_records WHERE record_id = :r",
            r=record.record_id,
        ),
        "the record in national-query",
    )

    transfer = js.transfer(identity)
    assert transfer.has_formal_record, transfer
    holder = transfer.formal_record
    assert (holder.school_code, holder.province_code) == (zj.school, "330000")
    assert holder.national_student_number == mask_student_number(record.national_student_number)
    assert person.resident_id not in str(transfer.formal_record)

    with pytest.raises(grpc.RpcError) as err:
        js.transfers.ExportPreschoolTransfers(
            registration_pb2.ExportPreschoolTransfersRequest(
                school_code=js.school, transfer_ids=[transfer.transfer_id]
            ),
            metadata=js.md(Role.SCHOOL_REGISTRAR),
            timeout=15,
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    [(code, subject, reason)] = precondition_violations(err.value)
    assert (code, subject) == ("HAS_FORMAL_RECORD", transfer.transfer_id)
    assert "已成为正式学籍学生的，不允许导出" in reason and person.resident_id not in reason
