"""PreschoolTransfers over gRPC on PostgreSQL, with national-query's matching as a test double."""

import io

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from intake_harness import SCHOOL, intake, record  # noqa: F401 (fixture)
from openpyxl import load_workbook

from xueji.v1 import common_pb2, registration_pb2
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.grpcserver.errors import field_violations, precondition_violations
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE, registration_template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.testing import resident_id, sample_form

P = registration_pb2
MATCHED, NOT_FOUND, TO_CONFIRM = (
    P.PRESCHOOL_MATCH_STATUS_MATCHED,
    P.PRESCHOOL_MATCH_STATUS_NOT_FOUND,
    P.PRESCHOOL_MATCH_STATUS_TO_CONFIRM,
)
FRESHMAN_RESIDENT = registration_template(RegistrationKind.PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)


def identity(number=None, name="张三", doc_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID, **kw):
    return common_pb2.StudentIdentity(
        name=name,
        document=common_pb2.IdentityDocument(
            type=doc_type, number=resident_id() if number is None else number
        ),
        **kw,
    )


def create(intake, ident=None, **kw):
    return intake.call(
        "CreatePreschoolTransfer",
        P.CreatePreschoolTransferRequest(school_code=SCHOOL, identity=ident or identity()),
        **kw,
    )


def refused(intake, method, req, code):
    with pytest.raises(grpc.RpcError) as err:
        intake.call(method, req)
    assert err.value.code() is code, err.value.details()
    return err.value


def test_add_matches_at_once_and_the_registrar_confirms_one_of_several(intake):
    one, several = resident_id(seq="123"), resident_id(seq="125")
    intake.records.by_number = {one: [record("r1")], several: [record("r2"), record("r3")]}
    matched = create(intake, identity(one))
    assert matched.match_status == MATCHED and matched.matched_record.record_id == "r1"
    assert matched.identity.gender == common_pb2.GENDER_MALE and matched.identity.birth_date.year == 2015
    none = create(intake, identity(resident_id(seq="127")))
    assert none.match_status == NOT_FOUND
    pending = create(intake, identity(several, name="李四"))
    assert pending.match_status == TO_CONFIRM and len(pending.candidates) == 2
    err = refused(
        intake,
        "ConfirmPreschoolMatch",
        P.ConfirmPreschoolMatchRequest(
            transfer_id=pending.transfer_id, candidate_record_id="r9", expected_version=pending.version
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(err)[0][0] == "candidate_record_id"
    chosen = intake.call(
        "ConfirmPreschoolMatch",
        P.ConfirmPreschoolMatchRequest(
            transfer_id=pending.transfer_id, candidate_record_id="r3", expected_version=pending.version
        ),
    )
    assert chosen.match_status == MATCHED and chosen.matched_record.record_id == "r3"
    refused(
        intake,
        "ConfirmPreschoolMatch",
        P.ConfirmPreschoolMatchRequest(
            transfer_id=pending.transfer_id, none_match=True, expected_version=chosen.version
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    # a child without a number is matched by name, gender and birth date
    intake.records.by_name = {"王五": [record("r4", "王五"), record("r5", "王五")]}
    nodoc = create(
        intake,
        identity(
            "",
            "王五",
            common_pb2.DOCUMENT_TYPE_OTHER,
            gender=2,
            birth_date=common_pb2.Date(year=2018, month=3, day=4),
        ),
    )
    assert nodoc.match_status == TO_CONFIRM
    none_match = intake.call(
        "ConfirmPreschoolMatch",
        P.ConfirmPreschoolMatchRequest(
            transfer_id=nodoc.transfer_id, none_match=True, expected_version=nodoc.version
        ),
    )
    assert none_match.match_status == NOT_FOUND and none_match.match_confirmed_by.user_id == "u1"


def test_identity_rules_duplicates_and_national_query_down(intake):
    create(intake)
    refused(
        intake,
        "CreatePreschoolTransfer",
        P.CreatePreschoolTransferRequest(school_code=SCHOOL, identity=identity(name="另一个")),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    err = refused(
        intake,
        "CreatePreschoolTransfer",
        P.CreatePreschoolTransferRequest(
            school_code=SCHOOL, identity=identity(resident_id(seq="131"), gender=2)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(err) == [("identity.gender", "性别与身份证件号不符")]
    intake.records.unavailable = True
    pending = create(intake, identity(resident_id(seq="133")))
    assert pending.match_status == P.PRESCHOOL_MATCH_STATUS_PENDING
    with pytest.raises(grpc.RpcError) as err:
        create(intake, identity(resident_id(seq="135")), role=Role.SCHOOL_LEADER)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED


def test_a_change_takes_only_the_masked_identity_fields(intake):
    before = create(intake, identity(resident_id(seq="161"), name="王五"))
    # the request carries another number, but only the name is in the mask
    changed = intake.call(
        "UpdatePreschoolTransfer",
        P.UpdatePreschoolTransferRequest(
            transfer_id=before.transfer_id,
            identity=identity(resident_id(seq="163"), name="王小五"),
            update_mask=FieldMask(paths=["identity.name"]),
            expected_version=before.version,
        ),
    )
    assert changed.identity.name == "王小五" and changed.version == before.version + 1
    assert changed.identity.document.number == before.identity.document.number == resident_id(seq="161")
    for paths in ([], ["identity.nationality"], ["school_code"], ["*", "identity.name"]):
        err = refused(
            intake,
            "UpdatePreschoolTransfer",
            P.UpdatePreschoolTransferRequest(
                transfer_id=before.transfer_id,
                identity=identity(name="赵六"),
                update_mask=FieldMask(paths=paths),
                expected_version=changed.version,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert {f for f, _ in field_violations(err)} == {"update_mask"}, paths
    unchanged = intake.call(
        "GetPreschoolTransfer", P.GetPreschoolTransferRequest(transfer_id=before.transfer_id)
    )
    assert (unchanged.identity.name, unchanged.version) == ("王小五", changed.version)


def test_change_rematches_and_listing_filters_and_pages(intake):
    first = create(intake)
    other = resident_id(seq="141")
    intake.records.by_number = {other: [record("r7")]}
    changed = intake.call(
        "UpdatePreschoolTransfer",
        P.UpdatePreschoolTransferRequest(
            transfer_id=first.transfer_id,
            identity=identity(other),
            update_mask=FieldMask(paths=["identity"]),
            expected_version=first.version,
        ),
    )
    assert changed.match_status == MATCHED and changed.version == first.version + 1
    refused(
        intake,
        "UpdatePreschoolTransfer",
        P.UpdatePreschoolTransferRequest(
            transfer_id=first.transfer_id,
            identity=identity(other),
            update_mask=FieldMask(paths=["identity"]),
            expected_version=first.version,
        ),
        grpc.StatusCode.ABORTED,
    )
    for seq in ("143", "145", "147"):
        create(intake, identity(resident_id(seq=seq), name="李" + seq))
    page = intake.call("ListPreschoolTransfers", P.ListPreschoolTransfersRequest(page_size=3))
    assert len(page.transfers) == 3 and page.total_size == 4 and page.next_page_token
    rest = intake.call(
        "ListPreschoolTransfers",
        P.ListPreschoolTransfersRequest(page_size=3, page_token=page.next_page_token),
    )
    assert len(rest.transfers) == 1 and not rest.next_page_token
    err = refused(
        intake,
        "ListPreschoolTransfers",
        P.ListPreschoolTransfersRequest(  # other filters
            page_size=3, name="李", page_token=page.next_page_token
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert [f for f, _ in field_violations(err)] == ["page_token"]
    assert [
        t.identity.name
        for t in intake.call("ListPreschoolTransfers", P.ListPreschoolTransfersRequest(name="李14")).transfers
    ] != []
    assert [
        t.transfer_id
        for t in intake.call(
            "ListPreschoolTransfers", P.ListPreschoolTransfersRequest(match_statuses=[MATCHED])
        ).transfers
    ] == [first.transfer_id]
    assert (
        len(
            intake.call(
                "ListPreschoolTransfers", P.ListPreschoolTransfersRequest(document_number=other)
            ).transfers
        )
        == 1
    )
    county = intake.call(
        "ListPreschoolTransfers",
        P.ListPreschoolTransfersRequest(),
        role=Role.DEPARTMENT_REGISTRAR,
        org="330102",
    )
    assert county.total_size == 4 and "*" in county.transfers[0].identity.document.number  # masked
    deleted = intake.call("ListPreschoolTransfers", P.ListPreschoolTransfersRequest(name="李143")).transfers[
        0
    ]
    intake.call(
        "DeletePreschoolTransfer",
        P.DeletePreschoolTransferRequest(transfer_id=deleted.transfer_id, expected_version=deleted.version),
    )
    assert intake.count("preschool_transfers") == 3


def test_export_import_and_supplementary_entry_start_registration_and_lock_the_child(intake):
    a, b, c = resident_id(seq="151"), resident_id(seq="153"), resident_id(seq="155")
    intake.records.by_number = {a: [record("r1")], b: [record("r2")], c: [record("r3"), record("r4")]}
    ta, tb, tc = (create(intake, identity(n, name=name)) for n, name in ((a, "甲"), (b, "乙"), (c, "丙")))
    nodoc = create(
        intake,
        identity(
            "",
            "丁",
            common_pb2.DOCUMENT_TYPE_OTHER,
            gender=1,
            birth_date=common_pb2.Date(year=2018, month=1, day=2),
        ),
    )
    err = refused(
        intake,
        "ExportPreschoolTransfers",
        P.ExportPreschoolTransfersRequest(
            school_code=SCHOOL, transfer_ids=[ta.transfer_id, tc.transfer_id, nodoc.transfer_id]
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert {v[0] for v in precondition_violations(err)} == {"TO_CONFIRM", "NO_DOCUMENT_NOT_EXPORTABLE"}
    exported = intake.call(
        "ExportPreschoolTransfers",
        P.ExportPreschoolTransfersRequest(school_code=SCHOOL, transfer_ids=[ta.transfer_id]),
    )
    sheet = load_workbook(io.BytesIO(exported.content))["学生信息"]
    assert sheet.cell(row=2, column=1).value == "甲" and sheet.cell(row=2, column=9).value == a
    # the registrar completes the exported row and imports it as primary freshman registration
    row = form_cells(
        FRESHMAN_RESIDENT,
        {
            **sample_form(grade="11"),
            "name": "甲",
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": a},
        },
    )
    unknown = form_cells(
        FRESHMAN_RESIDENT,
        {
            **sample_form(grade="11"),
            "name": "戊",
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id(seq="157")},
        },
    )
    report = intake.call(
        "ImportApplications",
        P.ImportApplicationsRequest(
            school_code=SCHOOL,
            kind=common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN,
            category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
            file=common_pb2.FileContent(content=samples.workbook(FRESHMAN_RESIDENT, [row, unknown])),
        ),
    )
    assert (report.rows_passed, report.rows_failed) == (1, 1) and "学前调档" in report.errors[0].message
    started = intake.call("GetPreschoolTransfer", P.GetPreschoolTransferRequest(transfer_id=ta.transfer_id))
    assert started.application_id == report.created_ids[0]
    for method, req in (
        (
            "UpdatePreschoolTransfer",
            P.UpdatePreschoolTransferRequest(
                transfer_id=ta.transfer_id,
                identity=identity(a, name="甲甲"),
                update_mask=FieldMask(paths=["identity"]),
                expected_version=started.version,
            ),
        ),
        (
            "DeletePreschoolTransfer",
            P.DeletePreschoolTransferRequest(transfer_id=ta.transfer_id, expected_version=started.version),
        ),
        (
            "ExportPreschoolTransfers",
            P.ExportPreschoolTransfersRequest(school_code=SCHOOL, transfer_ids=[ta.transfer_id]),
        ),
    ):
        err = refused(intake, method, req, grpc.StatusCode.FAILED_PRECONDITION)
        assert precondition_violations(err)[0][0] == "REGISTRATION_STARTED"
    # 补录: the matched child b is entered in the system instead of exported; its identity is the transfer's
    other_name = dict_to_message({**sample_form(grade="11"), "name": "别人"}, P.StudentRecordForm())
    err = refused(
        intake,
        "SubmitSupplementaryEntry",
        P.SubmitSupplementaryEntryRequest(
            transfer_id=tb.transfer_id, student=other_name, expected_version=tb.version
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert field_violations(err)[0][0] == "student.name"
    student = dict_to_message({**sample_form(grade="11"), "name": "乙"}, P.StudentRecordForm())
    app = intake.call(
        "SubmitSupplementaryEntry",
        P.SubmitSupplementaryEntryRequest(
            transfer_id=tb.transfer_id, student=student, expected_version=tb.version
        ),
    )
    assert app.entry_channel == P.ENTRY_CHANNEL_SUPPLEMENTARY and app.preschool_transfer_id == tb.transfer_id
    assert app.kind == common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN
    again = refused(
        intake,
        "SubmitSupplementaryEntry",
        P.SubmitSupplementaryEntryRequest(
            transfer_id=tb.transfer_id, student=student, expected_version=tb.version
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert precondition_violations(again)[0][0] == "REGISTRATION_STARTED"
    not_matched = refused(
        intake,
        "SubmitSupplementaryEntry",
        P.SubmitSupplementaryEntryRequest(
            transfer_id=tc.transfer_id, student=student, expected_version=tc.version
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert precondition_violations(not_matched)[0][0] == "NOT_MATCHED"
    open_for_entry = intake.call(
        "ListPreschoolTransfers",
        P.ListPreschoolTransfersRequest(match_statuses=[MATCHED], registration_started=False),
    )
    assert open_for_entry.total_size == 0


def test_preschool_import_reports_rows_and_matches_the_good_ones(intake):
    good, dup = resident_id(seq="161"), resident_id(seq="163")
    intake.records.by_number = {good: [record("r1")]}
    create(intake, identity(dup))
    content = samples.workbook(
        PRESCHOOL_TEMPLATE,
        [
            ["甲", "", "", "居民身份证", good],
            ["乙", "", "", "居民身份证", dup],
            ["丙", "", "", "其他", ""],
            ["丁", "女", "2018-02-03", "其他", ""],
            ["戊", "", "", "居民身份证", good],
        ],
    )
    report = intake.call(
        "ImportPreschoolTransfers",
        P.ImportPreschoolTransfersRequest(
            school_code=SCHOOL, file=common_pb2.FileContent(file_name="调档.xlsx", content=content)
        ),
    )
    assert (report.rows_total, report.rows_passed, report.rows_failed) == (5, 2, 3)
    assert {(e.row_number, e.column) for e in report.errors} == {
        (3, "身份证件号"),
        (4, "性别"),
        (4, "出生日期"),
        (6, "身份证件号"),
    }
    listed = intake.call("ListPreschoolTransfers", P.ListPreschoolTransfersRequest(name="甲")).transfers[0]
    assert listed.match_status == MATCHED
    template = intake.call("DownloadPreschoolTemplate", P.DownloadPreschoolTemplateRequest())
    assert template.file_name == "学前调档导入模板.xlsx"
    with pytest.raises(grpc.RpcError) as err:
        intake.call(
            "ImportPreschoolTransfers",
            P.ImportPreschoolTransfersRequest(
                school_code=SCHOOL,
                file=common_pb2.FileContent(content=samples.workbook(FRESHMAN_RESIDENT, [])),
            ),
        )
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT and intake.count("imports") == 1
