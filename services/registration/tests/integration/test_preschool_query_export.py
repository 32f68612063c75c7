"""ExportPreschoolTransferQuery over gRPC on PostgreSQL: the whole query's children in the category's
template, read a page at a time and streamed; a child of the query that cannot be exported refuses
the export, named, before any piece is sent."""

import io

import grpc
import pytest
from intake_harness import SCHOOL, intake, record  # noqa: F401 (fixture)
from openpyxl import load_workbook

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.grpcserver.errors import field_violations, precondition_violations
from xueji_registration.service_layer import preschool_exports
from xueji_registration.testing import resident_id

P = registration_pb2
RESIDENT = common_pb2.DOCUMENT_CATEGORY_RESIDENT


def create(intake, name: str, number: str):
    return intake.call(
        "CreatePreschoolTransfer",
        P.CreatePreschoolTransferRequest(
            school_code=SCHOOL,
            identity=common_pb2.StudentIdentity(
                name=name,
                document=common_pb2.IdentityDocument(
                    type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, number=number
                ),
            ),
        ),
    )


def export(intake, **query) -> bytes:
    pieces = list(
        intake.call(
            "ExportPreschoolTransferQuery",
            P.ExportPreschoolTransferQueryRequest(**query),
        )
    )
    assert pieces[0].file_name == "学前调档导出-居民身份证.xlsx"
    return b"".join(p.data for p in pieces)


@pytest.fixture
def children(intake, monkeypatch):
    monkeypatch.setattr(preschool_exports, "PAGE", 2)  # several pages from a few children
    twins = resident_id(seq="131")
    intake.records.by_number = {twins: [record("r2"), record("r3")]}
    names = [f"王{i}" for i in range(5)]
    for i, name in enumerate(names):
        create(intake, name, resident_id(seq=str(101 + 2 * i)))
    create(intake, "李待确认", twins)
    return names


def test_the_whole_query_is_exported_in_the_template_excel_opens(intake, children):
    content = export(
        intake,
        category=RESIDENT,
        match_statuses=[P.PRESCHOOL_MATCH_STATUS_MATCHED, P.PRESCHOOL_MATCH_STATUS_NOT_FOUND],
    )
    sheet = load_workbook(io.BytesIO(content), read_only=True)["学生信息"]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert sorted(names) == sorted(children)


def test_a_child_of_the_query_that_cannot_be_exported_refuses_the_export_by_name(intake, children):
    with pytest.raises(grpc.RpcError) as err:
        export(intake, category=RESIDENT)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert [v[0] for v in precondition_violations(err.value)] == ["TO_CONFIRM"]
    assert "李待确认：学前学籍待确认" in err.value.details()


def test_a_query_without_a_category_is_refused_at_the_category(intake, children):
    with pytest.raises(grpc.RpcError) as err:
        export(intake, name="王")
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["category"]
