"""The people of one county driving the registration of a cohort through the public gRPC API, as in
September: each school's registrar imports the preschool transfers and the registration workbooks
and enters the students without a document one by one (with a proof file); then "approve all" at
every level — school review (Reviews.ApproveAll), report (Reports.ReportAll), county, city and
province (Reviews.ApproveAll) — pass after pass until every student has a numbered record.

`progress()` is given by the system under test: it reads the registration database (numbered
records, applications per state) so that waiting costs the services nothing.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
from e2e_data import COUNTY, SCHOOLS, Files, Student
from PIL import Image

from xueji.v1 import (
    common_pb2,
    registration_pb2_grpc,
    review_pb2_grpc,
)
from xueji.v1 import (
    registration_pb2 as rp,
)
from xueji.v1 import (
    review_pb2 as vp,
)
from xueji_common.auth import Role, TokenService
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message

CITY, PROVINCE = COUNTY[:4] + "00", COUNTY[:2] + "0000"
PAUSE = 1.0  # between two rounds of "approve all": a person clicking, not a busy loop
Progress = Callable[[], tuple[int, dict[str, int]]]  # (numbered records, applications per state)


@dataclass
class Timeline:
    students: int
    started: float = 0.0
    imported: float = 0.0  # every import and manual entry answered
    first_number: float = 0.0
    last_number: float = 0.0
    passes: int = 0  # rounds of "approve all" over every level
    approved: dict[str, int] = field(default_factory=dict)  # decisions per level
    numbered: int = 0
    states: dict[str, int] = field(default_factory=dict)  # at the end

    def seconds(self, mark: float) -> float:
        return mark - self.started if mark else float("nan")


class County:
    def __init__(self, registration: str, review: str, tokens: TokenService) -> None:
        self.tokens = tokens
        self.reg_channel, self.rev_channel = (
            grpc.insecure_channel(registration),
            grpc.insecure_channel(review),
        )
        self.registrations = registration_pb2_grpc.RegistrationsStub(self.reg_channel)
        self.transfers = registration_pb2_grpc.PreschoolTransfersStub(self.reg_channel)
        self.reviews = review_pb2_grpc.ReviewsStub(self.rev_channel)
        self.reports = review_pb2_grpc.ReportsStub(self.rev_channel)
        self._png = _png()

    def md(self, role: Role, org: str) -> list:
        return bearer(self.tokens.mint(f"bench-{role.value}-{org}", role, org))

    # -- entry ----------------------------------------------------------------------------------

    def import_school(self, school: str, files: Files) -> int:
        """The registrar of one school: preschool transfers first, then every registration workbook."""
        md = self.md(Role.SCHOOL_REGISTRAR, school)
        report = self.transfers.ImportPreschoolTransfers(
            rp.ImportPreschoolTransfersRequest(
                school_code=school,
                file=common_pb2.FileContent(file_name="学前调档.xlsx", content=files.preschool[school]),
            ),
            metadata=md,
            timeout=600,
        )
        _check(report, f"preschool transfers of {school}")
        created = 0
        for kind, category, content, _rows in files.imports[school]:
            report = self.registrations.ImportApplications(
                rp.ImportApplicationsRequest(
                    school_code=school,
                    kind=kind.to_proto(),
                    category=category.to_proto(),
                    file=common_pb2.FileContent(file_name="注册.xlsx", content=content),
                ),
                metadata=md,
                timeout=600,
            )
            _check(report, f"{kind.value}/{category.value} of {school}")
            created += report.rows_passed
        return created

    def enter_manually(self, student: Student) -> None:
        md = self.md(Role.SCHOOL_REGISTRAR, student.school)
        proof = self.registrations.UploadProofMaterial(
            rp.UploadProofMaterialRequest(
                school_code=student.school,
                purpose=rp.UPLOAD_PURPOSE_PROOF_MATERIAL,
                file=common_pb2.FileContent(
                    file_name="户口簿.png", content_type="image/png", content=self._png
                ),
            ),
            metadata=md,
            timeout=60,
        )
        self.registrations.CreateApplication(
            rp.CreateApplicationRequest(
                school_code=student.school,
                kind=student.kind.to_proto(),
                category=student.category.to_proto(),
                student=dict_to_message(student.form(), rp.StudentRecordForm()),
                proof_material_ids=[proof.file_id],
            ),
            metadata=md,
            timeout=60,
        )

    # -- approve all ----------------------------------------------------------------------------

    def approve_pass(self, tally: dict[str, int]) -> int:
        """One round of "approve all" at every level; returns the decisions it made."""
        done = 0
        for school in SCHOOLS:
            r = self.reviews.ApproveAll(
                vp.ApproveAllRequest(school_codes=[school]),
                metadata=self.md(Role.SCHOOL_LEADER, school),
                timeout=600,
            )
            done += _tally(tally, "school", len(r.approved))
            r = self.reports.ReportAll(
                vp.ReportAllRequest(school_code=school),
                metadata=self.md(Role.SCHOOL_REGISTRAR, school),
                timeout=600,
            )
            done += _tally(tally, "report", len(r.reported))
        for level, unit in (("county", COUNTY), ("city", CITY), ("province", PROVINCE)):
            r = self.reviews.ApproveAll(
                vp.ApproveAllRequest(school_codes=SCHOOLS),
                metadata=self.md(Role.DEPARTMENT_REGISTRAR, unit),
                timeout=600,
            )
            done += _tally(tally, level, len(r.approved))
        return done

    def close(self) -> None:
        self.reg_channel.close()
        self.rev_channel.close()


def run(
    county: County,
    files: Files,
    students: int,
    progress: Progress,
    *,
    timeout: float = 600.0,
    threads: int = 4,
    log=print,
    backlog=dict,
    every: float = 5.0,
) -> Timeline:
    """Import to the last number; the clock starts at the first upload."""
    t = Timeline(students)
    t.started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        imports = [pool.submit(county.import_school, school, files) for school in files.imports]
        manual = [pool.submit(county.enter_manually, s) for s in files.manual]
        entered = sum(f.result() for f in imports) + len([f.result() for f in manual])
    t.imported = time.perf_counter()
    log(f"  entered {entered:,} applications in {t.seconds(t.imported):.1f} s")
    deadline = t.started + timeout
    shown = t.imported
    while time.perf_counter() < deadline:
        if time.perf_counter() - shown > every:  # where the events wait, for the report
            shown = time.perf_counter()
            log(f"  {t.seconds(shown):5.1f} s: {t.numbered:,} numbered; waiting messages {backlog()}")
        county.approve_pass(t.approved)
        t.passes += 1
        t.numbered, t.states = progress()
        if t.numbered and not t.first_number:
            t.first_number = time.perf_counter()
        if t.numbered >= students:
            t.last_number = time.perf_counter()
            break
        time.sleep(PAUSE)
    log(
        f"  {t.numbered:,} numbered after {t.passes} passes of approve-all; decisions {t.approved}; "
        f"applications {t.states}"
    )
    return t


def _tally(tally: dict[str, int], level: str, n: int) -> int:
    tally[level] = tally.get(level, 0) + n
    return n


def _check(report, what: str) -> None:
    if report.rows_failed:
        errors = "; ".join(f"row {e.row_number}: {e.message}" for e in list(report.errors)[:3])
        raise RuntimeError(f"import of {what}: {report.rows_failed} rows failed: {errors}")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()
