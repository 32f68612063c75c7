"""A child who already has a formal record (正式学籍) anywhere, and a preschool record under another
name: what the transfer shows, and what the registrar may still do (manual 4.2-4.5)."""

import grpc
from google.protobuf.field_mask_pb2 import FieldMask
from intake_harness import SCHOOL, intake, record  # noqa: F401 (fixture)
from test_preschool_transfers import create, identity, refused

from xueji.v1 import common_pb2
from xueji.v1 import registration_pb2 as P
from xueji_common.grpcserver.errors import precondition_violations
from xueji_registration.testing import resident_id

ELSEWHERE = common_pb2.FormalRecordHolder(
    national_student_number="G330***********9848",
    school_code="1330105001",
    school_name="拱墅区某小学",
    province_code="330000",
)


def test_a_child_with_a_formal_record_at_another_school_shows_where_and_is_not_exported(intake):
    number = resident_id(seq="171")
    intake.records.by_number = {number: [record("r1", name="余鹰")]}
    intake.records.formal = {number: [ELSEWHERE]}
    transfer = create(intake, identity(number, name="余鹰"))
    assert transfer.has_formal_record and transfer.formal_record == ELSEWHERE
    err = refused(
        intake,
        "ExportPreschoolTransfers",
        P.ExportPreschoolTransfersRequest(school_code=SCHOOL, transfer_ids=[transfer.transfer_id]),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    [(code, subject, reason)] = precondition_violations(err)
    assert (code, subject) == ("HAS_FORMAL_RECORD", transfer.transfer_id)
    assert (
        "已成为正式学籍学生的，不允许导出" in reason
        and "拱墅区某小学" in reason
        and "G330***********9848" in reason
    )
    # the number may have been mistyped: the registrar corrects it, and the child is free again
    fixed = intake.call(
        "UpdatePreschoolTransfer",
        P.UpdatePreschoolTransferRequest(
            transfer_id=transfer.transfer_id,
            identity=identity(resident_id(seq="173"), name="余鹰"),
            update_mask=FieldMask(paths=["identity"]),
            expected_version=transfer.version,
        ),
    )
    assert not fixed.has_formal_record and not fixed.HasField("formal_record")


def test_export_asks_again_for_a_formal_record_made_since_the_matching(intake):
    number = resident_id(seq="175")
    transfer = create(intake, identity(number))
    assert not transfer.has_formal_record
    intake.records.formal = {number: [ELSEWHERE]}  # registered at another school meanwhile
    err = refused(
        intake,
        "ExportPreschoolTransfers",
        P.ExportPreschoolTransfersRequest(school_code=SCHOOL, transfer_ids=[transfer.transfer_id]),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert precondition_violations(err)[0][0] == "HAS_FORMAL_RECORD"


def test_a_preschool_record_found_by_the_number_under_another_name_is_flagged(intake):
    number = resident_id(seq="177")
    intake.records.by_number = {number: [record("r7", name="余英")]}
    transfer = create(intake, identity(number, name="余鹰"))
    assert transfer.match_status == P.PRESCHOOL_MATCH_STATUS_MATCHED
    assert [n for n in transfer.match_notices if "余英" in n and "余鹰" in n], transfer.match_notices
    same = create(intake, identity(resident_id(seq="179"), name="张三"))
    assert not same.match_notices
