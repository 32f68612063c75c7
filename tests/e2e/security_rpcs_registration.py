"""Matrix entries of registration: PreschoolTransfers and Registrations (security_rpcs has the rules).

Roles as the rpc comments of registration.proto say, except where the services admit more readers
than a comment names (noted): the matrix states what the services enforce."""

from __future__ import annotations

import grpc
from google.protobuf import field_mask_pb2
from tests.e2e.actors import NO_DOC, NON_PRIMARY, PRIMARY, RESIDENT, identity_form, png
from tests.e2e.security_table import ALL, DR, SR, SYS, Rpc
from tests.e2e.security_world import MINISTRY, SCHOOL, import_request, preschool_import_request

from xueji.v1 import common_pb2 as cm
from xueji.v1 import registration_pb2 as rg
from xueji_common.grpcserver.convert import dict_to_message


def system(site) -> list:
    return site.actor.md(SYS, MINISTRY)


def transfer_version(site, purpose: str) -> int:
    return site.actor.transfers.GetPreschoolTransfer(
        rg.GetPreschoolTransferRequest(transfer_id=site.transfer(purpose)), metadata=system(site), timeout=10
    ).version


def app_version(site, purpose: str) -> int:
    return site.actor.application(site.app(purpose)).version


def _identity(form: dict) -> cm.StudentIdentity:
    return dict_to_message(
        {k: form[k] for k in ("name", "gender", "birthDate", "document")}, cm.StudentIdentity()
    )


def _update_transfer(w, c, u):
    site = w.site(u)
    return rg.UpdatePreschoolTransferRequest(
        transfer_id=site.transfer("main"),
        identity=_identity(site.person("main")),
        update_mask=field_mask_pb2.FieldMask(paths=["identity"]),
        expected_version=transfer_version(site, "main"),
    )


def _supplementary(w, c, u):
    site = w.site(u)
    return rg.SubmitSupplementaryEntryRequest(
        transfer_id=site.transfer("supplementary"),
        expected_version=transfer_version(site, "supplementary"),
        student=site.actor.form(RESIDENT, site.person("supplementary"), grade="11"),
    )


def _create(w, c, u):
    site = w.site(u)
    return rg.CreateApplicationRequest(
        school_code=u,
        kind=PRIMARY,
        category=NO_DOC,
        proof_material_ids=[site.proof],
        student=site.actor.form(NO_DOC, identity_form(NO_DOC, name="矩阵新生"), grade="11"),
    )


def _update_application(w, c, u):
    site = w.site(u)
    return rg.UpdateApplicationRequest(
        application_id=site.app("update"),
        student=rg.StudentRecordForm(phone="0571-88000000"),
        update_mask=field_mask_pb2.FieldMask(paths=["student.phone"]),
        expected_version=app_version(site, "update"),
    )


# Get/ListPreschoolTransfers: the rpc comments name school and department registrars; the service
# also lets the system role read.
PRESCHOOL_TRANSFERS = [
    Rpc(
        "PreschoolTransfers",
        "CreatePreschoolTransfer",
        (SR,),
        "school_code",
        lambda w, c, u: rg.CreatePreschoolTransferRequest(
            school_code=u, identity=_identity(w.spare_freshman)
        ),
        "registration",
    ),
    Rpc(
        "PreschoolTransfers",
        "GetPreschoolTransfer",
        (SR, DR, SYS),
        "school",
        lambda w, c, u: rg.GetPreschoolTransferRequest(transfer_id=w.site(u).transfer("main")),
        "registration",
    ),
    Rpc("PreschoolTransfers", "UpdatePreschoolTransfer", (SR,), "school", _update_transfer, "registration"),
    Rpc(
        "PreschoolTransfers",
        "DeletePreschoolTransfer",
        (SR,),
        "school",
        lambda w, c, u: rg.DeletePreschoolTransferRequest(
            transfer_id=w.site(u).transfer("delete"), expected_version=transfer_version(w.site(u), "delete")
        ),
        "registration",
    ),
    Rpc(
        "PreschoolTransfers",
        "ListPreschoolTransfers",
        (SR, DR, SYS),
        "unit",
        lambda w, c, u: rg.ListPreschoolTransfersRequest(org_unit_code=u),
        "registration",
    ),
    Rpc(
        "PreschoolTransfers",
        "ImportPreschoolTransfers",
        (SR,),
        "school_code",
        lambda w, c, u: preschool_import_request(u),
        "registration",
    ),
    Rpc(
        "PreschoolTransfers",
        "DownloadPreschoolTemplate",
        (SR,),
        "none",
        lambda w, c, u: rg.DownloadPreschoolTemplateRequest(),
        "registration",
    ),
    Rpc(
        "PreschoolTransfers",
        "ExportPreschoolTransfers",
        (SR,),
        "school_code",
        lambda w, c, u: rg.ExportPreschoolTransfersRequest(
            school_code=u, transfer_ids=[w.site(u).transfer("main")]
        ),
        "registration",
    ),
    # A query of no child: the school registrar's answer is NOTHING_TO_EXPORT, after the authorization.
    Rpc(
        "PreschoolTransfers",
        "ExportPreschoolTransferQuery",
        (SR,),
        "school_code",
        lambda w, c, u: rg.ExportPreschoolTransferQueryRequest(
            org_unit_code=u, name="矩阵无此学生", category=RESIDENT
        ),
        "registration",
        replies=True,
        allowed_code=lambda c, j: grpc.StatusCode.FAILED_PRECONDITION,
    ),
    Rpc(
        "PreschoolTransfers",
        "ConfirmPreschoolMatch",
        (SR,),
        "school",
        lambda w, c, u: rg.ConfirmPreschoolMatchRequest(
            transfer_id=w.site(u).transfer("confirm"),
            none_match=True,
            expected_version=transfer_version(w.site(u), "confirm"),
        ),
        "registration",
    ),
    Rpc("PreschoolTransfers", "SubmitSupplementaryEntry", (SR,), "school", _supplementary, "registration"),
]

# GetImportReport: the rpc comment names the school's registrar and department registrars; the
# service lets every reader of the school read it (its leader, the system role too).
REGISTRATIONS = [
    Rpc("Registrations", "CreateApplication", (SR,), "school_code", _create, "registration"),
    Rpc(
        "Registrations",
        "GetApplication",
        ALL,
        "school",
        lambda w, c, u: rg.GetApplicationRequest(application_id=w.site(u).app("main")),
        "registration",
    ),
    Rpc(
        "Registrations",
        "ListApplications",
        ALL,
        "unit",
        lambda w, c, u: rg.ListApplicationsRequest(org_unit_code=u),
        "registration",
    ),
    Rpc(
        "Registrations",
        "ImportApplications",
        (SR,),
        "school_code",
        lambda w, c, u: import_request(u),
        "registration",
    ),
    Rpc(
        "Registrations",
        "StreamImportApplications",
        (SR,),
        "school_code",
        lambda w, c, u: import_request(u),
        "registration",
        replies=True,
    ),
    Rpc(
        "Registrations",
        "GetImportReport",
        ALL,
        "school",
        lambda w, c, u: rg.GetImportReportRequest(import_id=w.site(u).import_id),
        "registration",
    ),
    Rpc(
        "Registrations",
        "DownloadFailedRows",
        (SR,),
        "school",
        lambda w, c, u: rg.DownloadFailedRowsRequest(import_id=w.site(u).import_id),
        "registration",
    ),
    Rpc(
        "Registrations",
        "DownloadFailedRowsFile",
        (SR,),
        "school",
        lambda w, c, u: rg.DownloadFailedRowsRequest(import_id=w.site(u).import_id),
        "registration",
        replies=True,
    ),
    Rpc(
        "Registrations",
        "DownloadTemplate",
        (SR,),
        "none",
        lambda w, c, u: rg.DownloadTemplateRequest(kind=NON_PRIMARY, category=RESIDENT),
        "registration",
    ),
    Rpc(
        "Registrations",
        "ListCodeTables",
        ALL,
        "none",
        lambda w, c, u: rg.ListCodeTablesRequest(),
        "registration",
    ),
    Rpc("Registrations", "UpdateApplication", (SR,), "school", _update_application, "registration"),
    Rpc(
        "Registrations",
        "ResubmitApplication",
        (SR,),
        "school",
        lambda w, c, u: rg.ResubmitApplicationRequest(
            application_id=w.site(u).app("resubmit"), expected_version=app_version(w.site(u), "resubmit")
        ),
        "registration",
    ),
    Rpc(
        "Registrations",
        "WithdrawApplication",
        (SR,),
        "school",
        lambda w, c, u: rg.WithdrawApplicationRequest(
            application_id=w.site(u).app("withdraw"),
            reason="重复录入",
            expected_version=app_version(w.site(u), "withdraw"),
        ),
        "registration",
    ),
    Rpc(
        "Registrations",
        "UploadProofMaterial",
        (SR,),
        "school_code",
        lambda w, c, u: rg.UploadProofMaterialRequest(
            school_code=u,
            purpose=rg.UPLOAD_PURPOSE_PROOF_MATERIAL,
            file=cm.FileContent(file_name="户口簿.png", content_type="image/png", content=png()),
        ),
        "registration",
    ),
    Rpc(
        "Registrations",
        "GetStudentRecord",
        ALL,
        "school",
        lambda w, c, u: rg.GetStudentRecordRequest(record_id=w.site(u).records["info"]),
        "registration",
    ),
    Rpc(
        "Registrations",
        "ListStudentRecords",
        ALL,
        "unit",
        lambda w, c, u: rg.ListStudentRecordsRequest(org_unit_code=u),
        "registration",
    ),
    # Only the dedup service's own identity (service:dedup) gets a number in clear: no caller of the
    # matrix, the ministry system included, may.
    Rpc(
        "Registrations",
        "GetDocumentNumber",
        (),
        "none",
        lambda w, c, u: rg.GetDocumentNumberRequest(record_id=w.site(SCHOOL).records["info"]),
        "registration",
    ),
    Rpc(
        "Registrations",
        "GetDocumentNumbers",
        (),
        "none",
        lambda w, c, u: rg.GetDocumentNumbersRequest(application_ids=[w.site(SCHOOL).app("main")]),
        "registration",
    ),
]
