"""The people of one province acting through the public gRPC API: a school registrar, the school
leader, and the registrars of the county, city and province above the school. Tests drive the
flows of chapter 3 with these and read outcomes back through the same API."""

from __future__ import annotations

import io
import itertools
import time
from datetime import date

import grpc
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from tests.e2e.cluster import Cluster

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    events_pb2,
    registration_pb2,
    registration_pb2_grpc,
    review_pb2,
    review_pb2_grpc,
)
from xueji_common import demo
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message
from xueji_common.orgunits import load_default_tree
from xueji_registration.testing import sample_form

WAIT = 30.0
TREE = load_default_tree()
PEOPLE = demo.population_register(TREE)  # what the cluster's population register holds
PRESCHOOL = demo.preschool_records(TREE, PEOPLE)  # what national-query holds
S = registration_pb2  # application states: S.APPLICATION_STATE_...
C = review_pb2  # case states: C.REVIEW_CASE_STATE_...
PRIMARY, NON_PRIMARY = (
    common_pb2.REGISTRATION_KIND_PRIMARY_FRESHMAN,
    common_pb2.REGISTRATION_KIND_NON_PRIMARY_FRESHMAN,
)
RESIDENT, HMT, NO_DOC = (
    common_pb2.DOCUMENT_CATEGORY_RESIDENT,
    common_pb2.DOCUMENT_CATEGORY_HMT_FOREIGN,
    common_pb2.DOCUMENT_CATEGORY_NO_DOCUMENT,
)
CATEGORY_KEY = {RESIDENT: "resident", HMT: "hmt_foreign", NO_DOC: "no_document"}


def wait_for(predicate, what: str, timeout: float = WAIT, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def sql(cluster: Cluster, db: str, statement: str, **params) -> list:
    """Rows of a read-only statement on one database of the cluster (assertions on final state)."""
    engine = create_engine(cluster.db[db], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(statement), params).all()
    finally:
        engine.dispose()


def _dedup_preschool_numbers() -> set[str]:
    numbers = [r.document_number for r in PRESCHOOL if r.document_number]
    return {n for n in numbers if numbers.count(n) > 1}


class People:
    """Hands out people of the demo register that no other test of the session has used."""

    def __init__(self) -> None:
        today = demo.reference_day()
        shared = _dedup_preschool_numbers()
        preschool_ids = {r.document_number for r in PRESCHOOL}
        self._older = iter([p for p in PEOPLE if demo.age_on(p.birth_date, today) >= 9])
        self._freshmen = iter(
            [p for p in PEOPLE if p.resident_id in preschool_ids and p.resident_id not in shared]
        )
        self._serial = itertools.count(1)

    def older(self) -> demo.Person:
        return next(self._older)

    def freshman(self) -> demo.Person:
        """A child with exactly one preschool record (a transfer matches it)."""
        return next(self._freshmen)

    def hk_number(self) -> str:
        return f"H{20180000 + next(self._serial):08d}"

    def serial(self) -> int:
        return next(self._serial)


def identity_form(
    category: int,
    person: demo.Person | None = None,
    *,
    number: str = "",
    name: str = "",
    birth: date = date(2012, 5, 6),
    gender: int = common_pb2.GENDER_MALE,
) -> dict:
    """The identity block of a form (protobuf JSON)."""
    if category == RESIDENT:
        return {
            "name": name or person.name,
            "gender": int(person.gender),
            "birthDate": {
                "year": person.birth_date.year,
                "month": person.birth_date.month,
                "day": person.birth_date.day,
            },
            "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": number or person.resident_id},
        }
    b = {"year": birth.year, "month": birth.month, "day": birth.day}
    if category == HMT:
        return {
            "name": name or "陈大文",
            "gender": gender,
            "birthDate": b,
            "document": {"type": "DOCUMENT_TYPE_HK_PERMIT", "number": number},
        }
    return {
        "name": name or "赵无证",
        "gender": gender,
        "birthDate": b,
        "document": {"type": "DOCUMENT_TYPE_OTHER"},
    }


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class Province:
    """One school of a province and the departments above it."""

    def __init__(self, cluster: Cluster, prefix: str = "zj", school: str = "1330102001") -> None:
        self.cluster, self.prefix, self.school = cluster, prefix, school
        county = school[1:7]  # 学校标识码: "1" + county division + sequence
        self.county, self.city, self.province = county, county[:4] + "00", county[:2] + "0000"
        self._channels: dict[str, grpc.Channel] = {}

    # -- plumbing -------------------------------------------------------------------------------

    def channel(self, svc: str) -> grpc.Channel:
        name = f"{self.prefix}-{svc}" if svc in ("registration", "review", "dedup", "special-ed") else svc
        if name not in self._channels:
            self._channels[name] = grpc.insecure_channel(self.cluster.address(name))
        return self._channels[name]

    def md(self, role: Role, org: str | None = None, user: str = "") -> list:
        org = org or (self.school if role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER) else self.county)
        return bearer(self.cluster.token(role, org, user or f"{role.value}-{org}"))

    @property
    def registrations(self):
        return registration_pb2_grpc.RegistrationsStub(self.channel("registration"))

    @property
    def transfers(self):
        return registration_pb2_grpc.PreschoolTransfersStub(self.channel("registration"))

    @property
    def reviews(self):
        return review_pb2_grpc.ReviewsStub(self.channel("review"))

    @property
    def reports(self):
        return review_pb2_grpc.ReportsStub(self.channel("review"))

    def close(self) -> None:
        for ch in self._channels.values():
            ch.close()

    # -- the school registrar -------------------------------------------------------------------

    def upload_proof(self) -> str:
        ref = self.registrations.UploadProofMaterial(
            registration_pb2.UploadProofMaterialRequest(
                school_code=self.school,
                purpose=registration_pb2.UPLOAD_PURPOSE_PROOF_MATERIAL,
                file=common_pb2.FileContent(file_name="户口簿.png", content_type="image/png", content=png()),
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )
        return ref.file_id

    def form(self, category: int, identity: dict, **changes) -> registration_pb2.StudentRecordForm:
        return dict_to_message(
            {**sample_form(CATEGORY_KEY[category] if category == HMT else "resident", **changes), **identity},
            registration_pb2.StudentRecordForm(),
        )

    def create(self, kind: int, category: int, identity: dict, **changes) -> registration_pb2.Application:
        proofs = [self.upload_proof()] if category == NO_DOC else []
        return self.registrations.CreateApplication(
            registration_pb2.CreateApplicationRequest(
                school_code=self.school,
                kind=kind,
                category=category,
                student=self.form(category, identity, **changes),
                proof_material_ids=proofs,
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=15,
        )

    def transfer(self, identity: dict) -> registration_pb2.PreschoolTransfer:
        ident = dict_to_message(
            {k: identity[k] for k in ("name", "gender", "birthDate", "document")},
            common_pb2.StudentIdentity(),
        )
        return self.transfers.CreatePreschoolTransfer(
            registration_pb2.CreatePreschoolTransferRequest(school_code=self.school, identity=ident),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=15,
        )

    def supplementary(self, transfer, identity: dict, **changes) -> registration_pb2.Application:
        form = self.form(RESIDENT, identity, grade="11", **changes)
        return self.transfers.SubmitSupplementaryEntry(
            registration_pb2.SubmitSupplementaryEntryRequest(
                transfer_id=transfer.transfer_id, student=form, expected_version=transfer.version
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=15,
        )

    def import_rows(self, kind: int, category: int, forms: list[dict]) -> registration_pb2.ImportReport:
        from xueji_common.documents import DocumentCategory
        from xueji_common.vocabulary import RegistrationKind
        from xueji_registration.adapters.excel import samples
        from xueji_registration.domain.template.columns import registration_template
        from xueji_registration.domain.template.rows import form_cells

        template = registration_template(
            RegistrationKind.from_proto(kind), DocumentCategory.from_proto(category)
        )
        content = samples.workbook(template, [form_cells(template, f) for f in forms])
        return self.registrations.ImportApplications(
            registration_pb2.ImportApplicationsRequest(
                school_code=self.school,
                kind=kind,
                category=category,
                file=common_pb2.FileContent(file_name="新生.xlsx", content=content),
            ),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=60,
        )

    def application(self, app_id: str) -> registration_pb2.Application:
        return self.registrations.GetApplication(
            registration_pb2.GetApplicationRequest(application_id=app_id),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )

    def wait_state(self, app_id: str, *states: int, timeout: float = WAIT) -> registration_pb2.Application:
        names = [S.ApplicationState.Name(s) for s in states]
        return wait_for(
            lambda: (a := self.application(app_id)).state in states and a,
            f"application {app_id} in {names}",
            timeout,
        )

    def record(self, record_id: str) -> registration_pb2.StudentRecord:
        return self.registrations.GetStudentRecord(
            registration_pb2.GetStudentRecordRequest(record_id=record_id),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )

    def resubmit(self, app_id: str, **form_changes) -> registration_pb2.Application:
        app = self.application(app_id)
        if form_changes:
            from google.protobuf import field_mask_pb2

            student = registration_pb2.StudentRecordForm()
            student.CopyFrom(app.student)
            for key, value in form_changes.items():
                setattr(student, key, value)
            app = self.registrations.UpdateApplication(
                registration_pb2.UpdateApplicationRequest(
                    application_id=app_id,
                    student=student,
                    expected_version=app.version,
                    update_mask=field_mask_pb2.FieldMask(paths=[f"student.{k}" for k in form_changes]),
                ),
                metadata=self.md(Role.SCHOOL_REGISTRAR),
                timeout=10,
            )
        return self.registrations.ResubmitApplication(
            registration_pb2.ResubmitApplicationRequest(application_id=app_id, expected_version=app.version),
            metadata=self.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )

    # -- review ---------------------------------------------------------------------------------

    def case(
        self, app_id: str, role: Role = Role.SCHOOL_LEADER, org: str | None = None
    ) -> review_pb2.ReviewCase:
        return self.reviews.GetCase(
            review_pb2.GetCaseRequest(case_id=app_id), metadata=self.md(role, org), timeout=10
        )

    def wait_case(
        self,
        app_id: str,
        state: int,
        *,
        revision: int = 1,
        reviewable: bool = False,
        unit: str = "",
        timeout: float = WAIT,
    ) -> review_pb2.ReviewCase:
        def ready():
            try:
                c = self.case(app_id, Role.SYSTEM, "000000")
            except grpc.RpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
            ok = c.state == state and c.revision >= revision and (c.reviewable or not reviewable)
            return c if ok and (not unit or c.current_unit_code == unit) else None

        return wait_for(ready, f"case {app_id} in {C.ReviewCaseState.Name(state)} {unit}", timeout)

    def decide(
        self, app_id: str, level: str, approve: bool = True, revision: int = 1, opinion: str = "材料不全"
    ) -> review_pb2.ReviewCase:
        """Approve or reject at `level`: school, county, city or province. ABORTED (an event changed
        the case between our read and our decision, e.g. a freshman's authentication result) is
        what a user sees as 请刷新后重试: reload and decide again."""
        for attempt in range(5):
            try:
                return self._decide(app_id, level, approve, revision, opinion)
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED or attempt == 4:
                    raise
                time.sleep(0.2)

    def _decide(
        self, app_id: str, level: str, approve: bool, revision: int, opinion: str
    ) -> review_pb2.ReviewCase:
        if level == "school":
            case = self.wait_case(
                app_id, C.REVIEW_CASE_STATE_AWAITING_SCHOOL_REVIEW, revision=revision, reviewable=True
            )
            md = self.md(Role.SCHOOL_LEADER)
        else:
            unit = {"county": self.county, "city": self.city, "province": self.province}[level]
            case = self.wait_case(
                app_id, C.REVIEW_CASE_STATE_AWAITING_DEPARTMENT_REVIEW, revision=revision, unit=unit
            )
            md = self.md(Role.DEPARTMENT_REGISTRAR, unit)
        if approve:
            return self.reviews.ApproveCase(
                review_pb2.ApproveCaseRequest(case_id=app_id, expected_version=case.version),
                metadata=md,
                timeout=10,
            )
        return self.reviews.RejectCase(
            review_pb2.RejectCaseRequest(case_id=app_id, expected_version=case.version, opinion=opinion),
            metadata=md,
            timeout=10,
        )

    def report(self, app_id: str, revision: int = 1) -> None:
        for _attempt in range(5):  # refused as VERSION_CONFLICT when an event changed the case meanwhile
            case = self.wait_case(app_id, C.REVIEW_CASE_STATE_AWAITING_REPORT, revision=revision)
            result = self.reports.ReportCases(
                review_pb2.ReportCasesRequest(
                    school_code=self.school,
                    cases=[review_pb2.CaseVersion(case_id=app_id, expected_version=case.version)],
                ),
                metadata=self.md(Role.SCHOOL_REGISTRAR),
                timeout=10,
            )
            if [r.case_id for r in result.reported] == [app_id]:
                return
            time.sleep(0.2)
        raise AssertionError(f"case {app_id} not reported: {result}")

    def levels(self, category: int) -> list[str]:
        return ["county", "city", "province"] if category == NO_DOC else ["county"]

    def approve_all_levels(self, app_id: str, category: int, revision: int = 1) -> None:
        self.decide(app_id, "school", revision=revision)
        self.report(app_id, revision=revision)
        for level in self.levels(category):
            self.decide(app_id, level, revision=revision)

    def approved(
        self, app_id: str, timeout: float = WAIT
    ) -> tuple[registration_pb2.Application, registration_pb2.StudentRecord]:
        """Waits for the application to be APPROVED with its record numbered."""
        app = wait_for(
            lambda: (
                (a := self.application(app_id)).state == S.APPLICATION_STATE_APPROVED
                and a.national_student_number
                and a
            ),
            f"application {app_id} approved and numbered",
            timeout,
        )
        return app, self.record(app.record_id)

    def history(self, app_id: str) -> list:
        return list(
            self.reviews.GetCaseHistory(
                review_pb2.GetCaseHistoryRequest(application_id=app_id),
                metadata=self.md(Role.SCHOOL_LEADER),
                timeout=10,
            ).entries
        )

    def records_of(self, app_id: str) -> list:
        """Every student record of the school generated for `app_id` (one, never two)."""
        out, token = [], ""
        while True:
            page = self.registrations.ListStudentRecords(
                registration_pb2.ListStudentRecordsRequest(
                    org_unit_code=self.school, page_size=200, page_token=token
                ),
                metadata=self.md(Role.SCHOOL_REGISTRAR),
                timeout=10,
            )
            out += [r for r in page.records if r.application_id == app_id]
            token = page.next_page_token
            if not token:
                return out

    def count_records(self, app_id: str) -> int:
        return len(self.records_of(app_id))

    # -- problem records (dedup) ----------------------------------------------------------------

    @property
    def problems(self):
        return dedup_pb2_grpc.ProblemRecordsStub(self.channel("dedup"))

    def problem_group(self, group_id: str) -> dedup_pb2.ProblemGroup:
        return self.problems.GetProblemGroup(
            dedup_pb2.GetProblemGroupRequest(group_id=group_id),
            metadata=self.md(Role.SYSTEM, "000000"),
            timeout=10,
        )

    def resolver_md(self, group: dedup_pb2.ProblemGroup) -> list:
        if group.resolver_level == common_pb2.ORG_UNIT_LEVEL_SCHOOL:
            return self.md(Role.SCHOOL_REGISTRAR, group.resolver_unit_code)
        return self.md(Role.DEPARTMENT_REGISTRAR, group.resolver_unit_code)

    def correct_problem(self, group: dedup_pb2.ProblemGroup, record_id: str, **identity_changes):
        record = self.record(record_id)
        corrected = common_pb2.StudentIdentity(
            name=record.student.name,
            gender=record.student.gender,
            birth_date=record.student.birth_date,
            document=record.student.document,
        )
        for key, value in identity_changes.items():
            setattr(corrected, key, value)
        return self.problems.ResolveProblemGroup(
            dedup_pb2.ResolveProblemGroupRequest(
                group_id=group.group_id,
                opinion="核对户口簿后修正姓名",
                expected_version=group.version,
                resolutions=[
                    dedup_pb2.RecordResolution(
                        record_id=record_id,
                        resolution=events_pb2.PROBLEM_RESOLUTION_CORRECT,
                        corrected_identity=corrected,
                    )
                ],
                proof_files=[
                    common_pb2.FileContent(file_name="户口簿.png", content_type="image/png", content=png())
                ],
            ),
            metadata=self.resolver_md(group),
            timeout=15,
        )
