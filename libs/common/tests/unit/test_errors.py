from google.rpc import code_pb2, error_details_pb2

from xueji_common.errors import FieldViolation, InvalidArgument, PermissionDenied
from xueji_common.grpcserver.errors import to_rpc_status


def test_invalid_argument_carries_one_field_violation_per_field():
    status = to_rpc_status(InvalidArgument([
        FieldViolation("student.name", "姓名不能为空"),
        FieldViolation("student.document.number", "居民身份证号校验位错误"),
    ]))
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
