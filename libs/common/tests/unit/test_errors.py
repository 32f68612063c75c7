from google.rpc import code_pb2, error_details_pb2

from xueji_common.errors import FieldViolation, InvalidArgument, PermissionDenied
from xueji_common.grpcserver.errors import to_rpc_status


def test_invalid_argument_carries_one_field_violation_per_field():
    status = to_rpc_status(
        InvalidArgument(
            [
                FieldViolation("student.name", "姓名不能为空"),
                FieldViolation("student.document.number", "居民身份证号校验位错误"),
            ]
        )
    )
    assert status.code == code_pb2.INVALID_ARGUMENT
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    assert [(v.field, v.description) for v in bad_request.field_violations] == [
        ("student.name", "姓名不能为空"),
        ("student.document.number", "居民身份证号校验位错误"),
    ]


def test_other_errors_map_to_their_status_with_the_chinese_message():
    status = to_rpc_status(PermissionDenied("无权访问"))
    assert status.code == code_pb2.PERMISSION_DENIED
    assert status.message == "无权访问"
    assert not status.details


def test_a_status_stays_small_whatever_the_input_it_echoes():
    """Trailers beyond 8-16 KiB are dropped by clients: texts are clipped, violations budgeted."""
    huge = "0" * 100_000
    status = to_rpc_status(
        InvalidArgument([FieldViolation(f"rows[{i}]." + huge, "无效" + huge) for i in range(500)])
    )
    assert len(status.message) == 300 and status.message.endswith("…")
    bad_request = error_details_pb2.BadRequest()
    status.details[0].Unpack(bad_request)
    assert status.ByteSize() < 4000
    *kept, last = bad_request.field_violations
    assert kept and all(len(v.field) <= 300 and len(v.description) <= 300 for v in kept)
    assert last.description == f"另有{500 - len(kept)}处错误未列出"
    assert to_rpc_status(PermissionDenied("无权访问学校 " + huge)).ByteSize() < 1000
