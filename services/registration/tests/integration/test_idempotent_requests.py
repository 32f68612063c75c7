"""Every mutating RPC that takes a `request_id` returns its first outcome on a retry (AIP-155), and
writes nothing more. The RPCs are read from the contracts' descriptors: one added with a request_id
and no case here fails `test_every_rpc_with_a_request_id_has_a_case`."""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from pathlib import Path

import pytest
from intake_harness import SCHOOL, intake, record  # noqa: F401 (fixture)
from registration_harness import create_request
from test_preschool_transfers import create, identity

import xueji.v1
from xueji.v1 import common_pb2
from xueji.v1 import registration_pb2 as P
from xueji_common.documents import DocumentCategory
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE, registration_template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.testing import resident_id, sample_form

NON_FRESHMAN = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)


def rpcs_with_request_id() -> set[str]:
    out = set()
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            for service in importlib.import_module(
                f"xueji.v1.{module.name}"
            ).DESCRIPTOR.services_by_name.values():
                out |= {
                    f"{service.name}/{m.name}"
                    for m in service.methods
                    if "request_id" in m.input_type.fields_by_name
                }
    return out


def _supplementary(intake, request_id):
    number = resident_id(seq="191")
    intake.records.by_number = {number: [record("r9", name="张三")]}
    transfer = create(intake, identity(number))
    student = dict_to_message({**sample_form(grade="11"), "name": "张三"}, P.StudentRecordForm())
    return P.SubmitSupplementaryEntryRequest(
        transfer_id=transfer.transfer_id,
        student=student,
        expected_version=transfer.version,
        request_id=request_id,
    )


# "Service/Method" → (intake, request id) → the request; the tables each call writes to.
CASES = {
    "Registrations/CreateApplication": (
        lambda h, rid: P.CreateApplicationRequest(
            **{**_fields(create_request(number=resident_id(seq="181"))), "request_id": rid}
        ),
        ("applications", "outbox"),
    ),
    "Registrations/ImportApplications": (
        lambda h, rid: P.ImportApplicationsRequest(
            school_code=SCHOOL,
            kind=common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
            category=common_pb2.DOCUMENT_CATEGORY_RESIDENT,
            request_id=rid,
            file=common_pb2.FileContent(
                file_name="导入.xlsx",
                content=samples.workbook(
                    NON_FRESHMAN,
                    [
                        form_cells(
                            NON_FRESHMAN,
                            {
                                **sample_form(),
                                "name": "李四",
                                "document": {
                                    "type": "DOCUMENT_TYPE_RESIDENT_ID",
                                    "number": resident_id(seq="183"),
                                },
                            },
                        )
                    ],
                ),
            ),
        ),
        ("applications", "imports", "outbox"),
    ),
    # the same import, its progress streamed: the report is the last message's
    "Registrations/StreamImportApplications": (
        lambda h, rid: CASES["Registrations/ImportApplications"][0](h, rid),
        ("applications", "imports", "outbox"),
    ),
    "PreschoolTransfers/CreatePreschoolTransfer": (
        lambda h, rid: P.CreatePreschoolTransferRequest(
            school_code=SCHOOL, identity=identity(resident_id(seq="185")), request_id=rid
        ),
        ("preschool_transfers",),
    ),
    "PreschoolTransfers/ImportPreschoolTransfers": (
        lambda h, rid: P.ImportPreschoolTransfersRequest(
            school_code=SCHOOL,
            request_id=rid,
            file=common_pb2.FileContent(
                file_name="调档.xlsx",
                content=samples.workbook(
                    PRESCHOOL_TEMPLATE, [["王五", "", "", "居民身份证", resident_id(seq="187")]]
                ),
            ),
        ),
        ("preschool_transfers", "imports"),
    ),
    "PreschoolTransfers/SubmitSupplementaryEntry": (_supplementary, ("applications", "outbox")),
}


def _fields(message) -> dict:
    return {f.name: v for f, v in message.ListFields()}


def _outcome(answer):
    """A unary call's answer; a stream's last message (StreamImportApplications: the import's id and
    counts)."""
    if hasattr(answer, "DESCRIPTOR"):
        return answer
    *_, last = answer
    assert last.import_id
    return last


# RPCs of other services, their retry tested beside them over their own harness: RPC -> the test.
TESTED_ELSEWHERE = {
    "Dedup/RefreshProblemStudent": "services/dedup/tests/integration/test_dedup_national_view.py"
    "::test_a_members_name_corrected_in_its_province_is_the_national_groups_copy",
}
ROOT = Path(__file__).resolve().parents[4]


def test_every_rpc_with_a_request_id_has_a_case():
    assert sorted(rpcs_with_request_id()) == sorted([*CASES, *TESTED_ELSEWHERE])
    for pointer in TESTED_ELSEWHERE.values():
        path, _, name = pointer.partition("::")
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), pointer


@pytest.mark.parametrize("rpc", sorted(CASES))
def test_a_retry_with_the_same_request_id_returns_the_first_outcome_and_writes_nothing(intake, rpc):
    build, tables = CASES[rpc]
    request = build(intake, str(uuid.uuid4()))
    method = rpc.split("/")[1]
    first = _outcome(intake.call(method, request))
    written = {t: intake.count(t) for t in tables}
    again = _outcome(intake.call(method, request))
    assert again == first
    assert {t: intake.count(t) for t in tables} == written
