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
    dedup_pb2_grpc,
    registration_pb2,
    registration_pb2_grpc,
    review_pb2,
    review_pb2_grpc,
    special_ed_pb2_grpc,
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
        self.reports = review_pb2_grpc.ReportsStub(self.channel)
        self.accounts = accounts_pb2_grpc.AccountsStub(self.channel)
        self.problems = dedup_pb2_grpc.ProblemRecordsStub(self.channel)
        self.special_ed = special_ed_pb2_grpc.SpecialEdStub(self.channel)
        s = system.settings
        self._signer = TokenSigner(
            SigningKey.load(s.data_dir / DEV_SIGNING_KEY_FILE), s.token_issuer, "xueji"
        )

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
        self.accounts.ChangePassword(
            accounts_pb2.ChangePasswordRequest(
                login_name=login, current_password=temporary, new_password=PASSWORD
            ),
            timeout=10,
        )
        return PASSWORD

    # -- students ---------------------------------------------------------------------------------

    def no_document_student(
        self, name: str = "", school: str = SCHOOL, **form
    ) -> registration_pb2.Application:
        """A 非小学新生 without a document: reviewable by the school as soon as it is submitted.
        `form`: fields of the student form to change (protobuf JSON names)."""
        name = name or f"赵{next(_serial)}无证"
        proof = self.registrations.UploadProofMaterial(
            registration_pb2.UploadProofMaterialRequest(
                school_code=school,
                purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
                file=common_pb2.FileContent(file_name="户口簿.png", content_type="image/png", content=png()),
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school),
            timeout=10,
        ).file_id
        identity = {
            "name": name,
            "gender": common_pb2.GENDER_MALE,
            "birthDate": {"year": 2012, "month": 5, "day": 6},
            "document": {"type": "DOCUMENT_TYPE_OTHER"},
        }
        form = dict_to_message(
            {**sample_form("resident", **form), **identity}, registration_pb2.StudentRecordForm()
        )
        return self.registrations.CreateApplication(
            registration_pb2.CreateApplicationRequest(
                school_code=school,
                kind=NON_PRIMARY,
                category=NO_DOC,
                student=form,
                proof_material_ids=[proof],
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school),
            timeout=15,
        )

    def pending_case(self, application_id: str, school: str = SCHOOL) -> review_pb2.ReviewCase:
        def find():
            cases = self.reviews.ListPendingCases(
                review_pb2.ListPendingCasesRequest(school_code=school, page_size=500),
                metadata=self.md(Role.SCHOOL_LEADER, school),
                timeout=10,
            ).cases
            return next((c for c in cases if c.application_id == application_id and c.reviewable), None)

        return wait_for(find, f"the review case of {application_id}")

    def preschool_transfer(self, person, school: str = SCHOOL) -> registration_pb2.PreschoolTransfer:
        """学前调档 of a person of the demo register whose preschool record exists: MATCHED."""
        identity = {
            "name": person.name,
            "gender": int(person.gender),
            "birthDate": {
                "year": person.birth_date.year,
                "month": person.birth_date.month,
                "day": person.birth_date.day,
            },
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": person.resident_id},
        }
        transfer = self.transfers.CreatePreschoolTransfer(
            registration_pb2.CreatePreschoolTransferRequest(
                school_code=school, identity=dict_to_message(identity, common_pb2.StudentIdentity())
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school),
            timeout=15,
        )
        assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_MATCHED, transfer
        return transfer

    def preschool_hmt_transfer(self, name: str, school: str = SCHOOL) -> registration_pb2.PreschoolTransfer:
        """学前调档 of a child with a Hong Kong document."""
        return self.transfers.CreatePreschoolTransfer(
            registration_pb2.CreatePreschoolTransferRequest(
                school_code=school, identity=dict_to_message(hmt_identity(name), common_pb2.StudentIdentity())
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school),
            timeout=15,
        )

    def reject(self, case: review_pb2.ReviewCase, opinion: str, school: str = SCHOOL) -> None:
        self.reviews.RejectCase(
            review_pb2.RejectCaseRequest(
                case_id=case.case_id, opinion=opinion, expected_version=case.version
            ),
            metadata=self.md(Role.SCHOOL_LEADER, school),
            timeout=10,
        )

    def application(self, application_id: str, school: str = SCHOOL) -> registration_pb2.Application:
        return self.registrations.GetApplication(
            registration_pb2.GetApplicationRequest(application_id=application_id),
            metadata=self.md(Role.SCHOOL_REGISTRAR, school),
            timeout=10,
        )

    def approve(self, case: review_pb2.ReviewCase, school: str = SCHOOL) -> None:
        self.reviews.ApproveCase(
            review_pb2.ApproveCaseRequest(case_id=case.case_id, expected_version=case.version),
            metadata=self.md(Role.SCHOOL_LEADER, school),
            timeout=10,
        )

    def reported(self, application_id: str, school: str) -> review_pb2.ReviewCase:
        """The case approved by its school and reported (上报): waiting for its county."""
        self.approve(self.pending_case(application_id, school), school)
        md = self.md(Role.SCHOOL_REGISTRAR, school)

        def report():
            case = self.reviews.GetCase(
                review_pb2.GetCaseRequest(case_id=application_id), metadata=md, timeout=10
            )
            if case.state == review_pb2.REVIEW_CASE_STATE_AWAITING_REPORT:
                self.reports.ReportCases(
                    review_pb2.ReportCasesRequest(
                        school_code=school,
                        cases=[review_pb2.CaseVersion(case_id=case.case_id, expected_version=case.version)],
                    ),
                    metadata=md,
                    timeout=10,
                )
            return case if case.state == review_pb2.REVIEW_CASE_STATE_AWAITING_DEPARTMENT_REVIEW else None

        return wait_for(report, f"the case of {application_id} reported")

    def registered(self, application_id: str, school: str) -> None:
        """Approved by its school, the county, the city and the province (a no-document student)."""
        county, city, province = "33" + school[3:7], "33" + school[3:5] + "00", "330000"
        self.reported(application_id, school)
        for unit in (county, city, province):
            md = self.md(Role.DEPARTMENT_REGISTRAR, unit)

            def waiting(unit=unit, md=md):
                case = self.reviews.GetCase(
                    review_pb2.GetCaseRequest(case_id=application_id), metadata=md, timeout=10
                )
                return case if case.current_unit_code == unit else None

            case = wait_for(waiting, f"the case of {application_id} at {unit}")
            self.reviews.ApproveCase(
                review_pb2.ApproveCaseRequest(case_id=case.case_id, expected_version=case.version),
                metadata=md,
                timeout=10,
            )

    def captcha_answer(self, captcha_id: str) -> str:
        """What a person reads in the captcha image. The national-query service keeps only a keyed
        digest of the answer and offers no hook: the test inverts the digest over every possible
        answer, with the embedded system's key (as tests/e2e/test_flows_national_lookup.py does)."""
        import hashlib
        import itertools

        import sqlalchemy as sa

        from xueji_national_query.domain.captcha import ALPHABET, LENGTH

        with self.system.runtime("national-query").engine.connect() as db:
            digest = db.execute(
                sa.text("SELECT answer_digest FROM captchas WHERE captcha_id = :i"), {"i": captcha_id}
            ).scalar_one()
        key = self.system.settings.hash_key.encode().ljust(64, b"\0")  # HMAC pads a short key
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + f"{captcha_id}:".encode())
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        target = bytes.fromhex(digest)
        for letters in itertools.product(ALPHABET, repeat=LENGTH):
            answer = "".join(letters).encode()
            i, o = inner.copy(), outer.copy()
            i.update(answer)
            o.update(i.digest())
            if o.digest() == target:
                return answer.decode()
        raise AssertionError(f"no answer matches captcha {captcha_id}")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# The demo register and preschool records the embedded national-query is seeded with: freshmen with
# exactly one preschool record (matched at once), and records sharing one number (待确认学前学籍).
def _demo():
    from xueji_common import demo
    from xueji_common.orgunits import load_default_tree

    tree = load_default_tree()
    people = demo.population_register(tree)
    return people, demo.preschool_records(tree, people)


_PEOPLE, _PRESCHOOL = _demo()
_NUMBERS = [r.document_number for r in _PRESCHOOL if r.document_number]
_SHARED = {n for n in _NUMBERS if _NUMBERS.count(n) > 1}
_FRESHMEN = iter([p for p in _PEOPLE if p.resident_id in set(_NUMBERS) and p.resident_id not in _SHARED])
_SHARED_RECORDS = iter(
    sorted(
        {r.document_number: r for r in _PRESCHOOL if r.document_number in _SHARED}.values(),
        key=lambda r: r.document_number,
    )
)


def freshman_person():
    """A child of the register with exactly one preschool record, not used by another test."""
    return next(_FRESHMEN)


def shared_preschool_person():
    """A preschool record whose number another record holds too (matching finds several)."""
    return next(_SHARED_RECORDS)


def non_primary_workbook(good: list[str], bad: list[str]) -> bytes:
    """A filled-in 非小学新生 居民身份证 template: `good` rows complete, `bad` rows without 班级."""
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import registration_template
    from xueji_registration.domain.template.rows import form_cells
    from xueji_registration.testing import resident_id

    rows = []
    for name in good + bad:
        number = resident_id("20150601", f"{next(_serial) % 1000:03d}", "330105")
        row = {
            **sample_form("resident", grade="13"),
            "name": name,
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": number},
        }
        if name in bad:
            row.pop("className")
        rows.append(row)
    template = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
    return samples.workbook(template, [form_cells(template, row) for row in rows])


def hmt_identity(name: str) -> dict:
    return {
        "name": name,
        "gender": common_pb2.GENDER_FEMALE,
        "birthDate": {"year": 2019, "month": 3, "day": 1},
        "document": {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": f"H{30180000 + next(_serial):08d}"},
    }


def freshman_workbook(world: World, good: list[str], without_transfer: list[str]) -> bytes:
    """A filled-in 小学新生 港澳台和外籍 template: children whose preschool transfer the school has
    entered (学前调档), and children without one (refused by the registration service)."""
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import registration_template
    from xueji_registration.domain.template.rows import form_cells

    rows = []
    for name in good + without_transfer:
        identity = hmt_identity(name)
        if name in good:
            world.transfers.CreatePreschoolTransfer(
                registration_pb2.CreatePreschoolTransferRequest(
                    school_code=SCHOOL, identity=dict_to_message(identity, common_pb2.StudentIdentity())
                ),
                metadata=world.md(Role.SCHOOL_REGISTRAR),
                timeout=15,
            )
        rows.append({**sample_form("hmt_foreign", grade="11"), **identity})
    template = registration_template(RegistrationKind.PRIMARY_FRESHMAN, DocumentCategory.HMT_FOREIGN)
    return samples.workbook(template, [form_cells(template, row) for row in rows])
