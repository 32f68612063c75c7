"""The embedded system the browser tests sign in to, its users, and students put in through the
public gRPC API (as the school registrar would by hand) so that the pages have work to show."""
from __future__ import annotations

import io
import itertools
import time

import grpc
from PIL import Image
from xueji.v1 import (
    accounts_pb2,
    accounts_pb2_grpc,
    common_pb2,
    registration_pb2,
    registration_pb2_grpc,
    review_pb2,
    review_pb2_grpc,
)
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_accounts.service_layer import admin
from xueji_common.auth import Role, TokenSigner
from xueji_common.config import DEV_SIGNING_KEY_FILE
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.signing import SigningKey
from xueji_registration.testing import sample_form

SCHOOL, OTHER_SCHOOL = "1330102001", "1330105001"
PASSWORD = "Console#Test-2026"
NON_PRIMARY = common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN
NO_DOC = common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT
_serial = itertools.count(1)


def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class World:
    def __init__(self, system) -> None:
        self.system = system
        self.channel = grpc.insecure_channel(system.settings.grpc_address)
        self.registrations = registration_pb2_grpc.RegistrationsStub(self.channel)
        self.transfers = registration_pb2_grpc.PreschoolTransfersStub(self.channel)
        self.reviews = review_pb2_grpc.ReviewsStub(self.channel)
        self.accounts = accounts_pb2_grpc.AccountsStub(self.channel)
        s = system.settings
        self._signer = TokenSigner(SigningKey.load(s.data_dir / DEV_SIGNING_KEY_FILE), s.token_issuer, "xueji")

    def md(self, role: Role, org: str = SCHOOL):
        return bearer(self._signer.mint(f"{role.value}-{org}", role, org, 3600))

    # -- users ------------------------------------------------------------------------------------

    def user(self, login: str, role: Role, unit: str, *, change_password: bool = True) -> str:
        """A user made by the first administrator's path; returns the password that signs in now
        (its temporary password when `change_password` is False: the first sign-in must change it)."""
        accounts = accounts_of(self.system.runtime("accounts"))
        _, temporary = admin.create_user(accounts, None, login, f"{login} 测试", role, unit)
        if not change_password:
            return temporary
        self.accounts.ChangePassword(accounts_pb2.ChangePasswordRequest(
            login_name=login, current_password=temporary, new_password=PASSWORD), timeout=10)
        return PASSWORD

    # -- students ---------------------------------------------------------------------------------

    def no_document_student(self, name: str = "", school: str = SCHOOL) -> registration_pb2.Application:
        """A 非小学新生 without a document: reviewable by the school as soon as it is submitted."""
        name = name or f"赵{next(_serial)}无证"
        out = io.BytesIO()
        Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
        proof = self.registrations.UploadProofMaterial(registration_pb2.UploadProofMaterialRequest(
            school_code=school, purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
            file=common_pb2.FileContent(file_name="户口簿.png", content_type="image/png", content=out.getvalue())),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school), timeout=10).file_id
        identity = {"name": name, "gender": common_pb2.GENDER_MALE, "birthDate": {"year": 2012, "month": 5, "day": 6},
                    "document": {"type": "DOCUMENT_TYPE_OTHER"}}
        form = dict_to_message({**sample_form("resident"), **identity}, registration_pb2.StudentRecordForm())
        return self.registrations.CreateApplication(registration_pb2.CreateApplicationRequest(
            school_code=school, kind=NON_PRIMARY, category=NO_DOC, student=form, proof_material_ids=[proof]),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school), timeout=15)

    def pending_case(self, application_id: str, school: str = SCHOOL) -> review_pb2.ReviewCase:
        def find():
            cases = self.reviews.ListPendingCases(review_pb2.ListPendingCasesRequest(
                school_code=school, page_size=500),
                metadata=self.md(Role.SCHOOL_LEADER, school), timeout=10).cases
            return next((c for c in cases if c.application_id == application_id and c.reviewable), None)
        return wait_for(find, f"the review case of {application_id}")

    def approve(self, case: review_pb2.ReviewCase, school: str = SCHOOL) -> None:
        self.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=case.case_id, expected_version=case.version),
                                 metadata=self.md(Role.SCHOOL_LEADER, school), timeout=10)


def hmt_identity(name: str) -> dict:
    return {"name": name, "gender": common_pb2.GENDER_FEMALE, "birthDate": {"year": 2019, "month": 3, "day": 1},
            "document": {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": f"H{30180000 + next(_serial):08d}"}}


def freshman_workbook(world: World, good: list[str], without_transfer: list[str]) -> bytes:
    """A filled-in 小学新生 港澳台和外籍 template: children whose preschool transfer the school has
    entered (学前调档), and children without one (refused by the registration service)."""
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.excel import samples
    from xueji_registration.excel.columns import registration_template
    from xueji_registration.excel.rows import form_cells

    rows = []
    for name in good + without_transfer:
        identity = hmt_identity(name)
        if name in good:
            world.transfers.CreatePreschoolTransfer(registration_pb2.CreatePreschoolTransferRequest(
                school_code=SCHOOL, identity=dict_to_message(identity, common_pb2.StudentIdentity())),
                metadata=world.md(Role.SCHOOL_REGISTRAR), timeout=15)
        rows.append({**sample_form("hmt_foreign", grade="11"), **identity})
    template = registration_template(RegistrationKind.PRIMARY_FRESHMAN, DocumentCategory.HMT_FOREIGN)
    return samples.workbook(template, [form_cells(template, row) for row in rows])
