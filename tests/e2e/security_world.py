"""What the security matrix aims at: real resources at four schools, made through the public API by
each school's own users, so that every refused request of the matrix is one the right caller could
make (valid ids, current versions, the state the operation needs).

    SCHOOL (上城区 330102)     the callers' own school; also the "child" of the callers' county
    SIBLING (上城区 330102)    a sibling school of the same county
    COUSIN (拱墅区 330105)     a school of the sibling county (the county callers' "sibling")
    OTHER (江苏 秦淮区 320104)  a school of another province, served by that province's servers

Schools no other end-to-end module uses, so that the allowed "approve all" and "report all" of the
matrix touch nothing but these. At SCHOOL every operation an allowed cell performs has its own
resource ("dedicated"), so that each allowed cell finds what it needs; elsewhere one resource of a
kind serves every refused cell."""

from __future__ import annotations

import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import grpc
from tests.e2e.actors import (
    NO_DOC,
    NON_PRIMARY,
    PRESCHOOL,
    PRIMARY,
    RESIDENT,
    Province,
    S,
    _dedup_preschool_numbers,
    identity_form,
    wait_for,
)

from xueji.v1 import (
    common_pb2,
    dedup_pb2,
    dedup_pb2_grpc,
    national_query_pb2,
    national_query_pb2_grpc,
    registration_pb2,
    review_pb2,
    special_ed_pb2_grpc,
)
from xueji.v1 import (
    special_ed_pb2 as sp,
)
from xueji_common.auth import Role

SCHOOL, SIBLING, COUSIN, OTHER = "1330102003", "1330102004", "1330105003", "1320104003"
COUNTY, SIBLING_COUNTY, CITY, OTHER_COUNTY = "330102", "330105", "330100", "320104"
MINISTRY = "000000"
MATCHED = registration_pb2.PRESCHOOL_MATCH_STATUS_MATCHED
DISABLED = dict(
    className="3班", disabilityType="DISABILITY_TYPE_VISUAL", inclusiveEducation="INCLUSIVE_EDUCATION_VISUAL"
)
# applications waiting at the school review, returned, waiting to be reported, at the county review
SCHOOL_REVIEW = ("main", "withdraw", "approve", "reject", "review")
RETURNED, REPORT, COUNTY_REVIEW = (
    ("update", "resubmit"),
    ("report",),
    ("county", "county_approve", "county_reject", "county_review"),
)


@dataclass
class Site:
    """The resources of one school by purpose; a purpose the school has no resource of (only SCHOOL
    has dedicated ones) falls back to the shared one of its kind."""

    school: str
    actor: Province
    transfers: dict = field(default_factory=dict)  # main, delete, supplementary, confirm → transfer id
    apps: dict = field(default_factory=dict)  # purpose → application id (= review case id)
    people: dict = field(default_factory=dict)  # purpose → identity (protobuf JSON) of a transfer / chain
    records: dict = field(default_factory=dict)  # problem, info (, problem2) → record id
    groups: dict = field(default_factory=dict)  # problem (, problem2) → problem group id
    proof: str = ""  # an uploaded proof, for CreateApplication
    spare_proof: str = ""  # another (SCHOOL), for a probe that may use it up
    import_id: str = ""  # an import with a failed row
    lookup: tuple = ()  # (name, national student number) of the "info" record

    def app(self, purpose: str) -> str:
        fallback = "county" if purpose.startswith("county") else "update" if purpose in RETURNED else "main"
        return self.apps.get(purpose) or self.apps[fallback]

    def transfer(self, purpose: str) -> str:
        return self.transfers.get(purpose) or self.transfers["main"]

    def person(self, purpose: str) -> dict:
        return self.people.get(purpose) or self.people["main"]

    def group(self, purpose: str = "problem") -> str:
        return self.groups.get(purpose) or self.groups["problem"]


@dataclass
class World:
    sites: dict  # school code → Site
    spare_freshman: dict  # an identity no transfer holds (CreatePreschoolTransfer)
    reservations: dict  # commit, release → national reservation id

    def site(self, unit: str) -> Site:
        """The school's site; for a department code (a "parent" put in a school field) SCHOOL's, so
        that the rest of the request is the one the caller could otherwise send."""
        return self.sites[unit] if len(unit) == 10 else self.sites[SCHOOL]

    def close(self) -> None:
        for site in self.sites.values():
            site.actor.close()


def build(cluster, people) -> World:
    shared = sorted(_dedup_preschool_numbers())
    plan = {SCHOOL: ("zj", True), SIBLING: ("zj", False), COUSIN: ("zj", False), OTHER: ("js", False)}
    # people drawn here, in one thread: the session's dispenser hands each out once
    wanted = {
        school: dict(
            chain=[people.freshman() for _ in range(3 if dedicated else 2)],
            transfers=[people.freshman() for _ in range(3 if dedicated else 1)],
            confirm=shared.pop(),
            serial=[people.serial() for _ in range(16)],
        )
        for school, (_, dedicated) in plan.items()
    }
    with ThreadPoolExecutor(len(plan)) as pool:
        futures = {s: pool.submit(_site, cluster, p, s, d, wanted[s]) for s, (p, d) in plan.items()}
        sites = {s: f.result() for s, f in futures.items()}
    spare = identity_form(RESIDENT, people.freshman())
    return World(sites, spare, _reservations(sites[SCHOOL].actor))


def _site(cluster, prefix: str, school: str, dedicated: bool, wanted: dict) -> Site:
    site = Site(school, Province(cluster, prefix, school))
    p = site.actor
    chain = _start_chain(site, wanted["chain"])
    _transfers(site, wanted["transfers"], wanted["confirm"], dedicated)
    waiting = _applications(site, wanted["serial"], dedicated)
    site.proof = p.upload_proof()
    site.spare_proof = p.upload_proof() if dedicated else ""
    site.import_id = _failed_import(p)
    _move_applications(site, waiting)
    _finish_chain(site, chain)
    return site


# -- freshmen through every level: numbered records, problem groups, special-education data ------


def _start_chain(site: Site, persons: list) -> dict:
    """Freshmen by preschool transfer and 补录: "problem" (and "problem2") under a name the register
    does not know (authentication fails: a problem record), "info" under their own; all disabled."""
    p, apps = site.actor, {}
    for purpose, person in zip(("info", "problem", "problem2"), persons):
        identity = identity_form(RESIDENT, person, name=person.name + ("" if purpose == "info" else "某"))
        transfer = p.transfer(identity)
        assert transfer.match_status == MATCHED, transfer
        apps[purpose] = p.supplementary(transfer, identity, **DISABLED).application_id
        if purpose == "info":
            site.lookup = (person.name,)
    return apps


def _finish_chain(site: Site, apps: dict) -> None:
    p = site.actor
    for app_id in apps.values():
        case = p.wait_case(app_id, review_pb2.REVIEW_CASE_STATE_AWAITING_SCHOOL_REVIEW, reviewable=True)
        _retry(
            lambda app_id=app_id: p.reviews.ApproveCase(
                review_pb2.ApproveCaseRequest(case_id=app_id), metadata=p.md(Role.SCHOOL_LEADER), timeout=10
            )
        )
        reported = p.reports.ReportCases(
            review_pb2.ReportCasesRequest(
                school_code=p.school, cases=[review_pb2.CaseVersion(case_id=app_id)]
            ),
            metadata=p.md(Role.SCHOOL_REGISTRAR),
            timeout=10,
        )
        assert [r.case_id for r in reported.reported] == [app_id], (case, reported)
        _retry(
            lambda app_id=app_id: p.reviews.ApproveCase(
                review_pb2.ApproveCaseRequest(case_id=app_id),
                metadata=p.md(Role.DEPARTMENT_REGISTRAR),
                timeout=10,
            )
        )
    for purpose, app_id in apps.items():
        _app, record = p.approved(app_id)
        site.records[purpose] = record.record_id
        if purpose == "info":
            site.lookup = (site.lookup[0], record.national_student_number)
        else:
            site.groups[purpose] = wait_for(
                lambda record=record: p.record(record.record_id).problem_group_id,
                f"problem group of {record.record_id}",
            )
    special_ed = special_ed_pb2_grpc.SpecialEdStub(p.channel("special-ed"))
    md = p.md(Role.SCHOOL_REGISTRAR)

    def candidates():
        page = special_ed.ListCandidates(
            sp.ListCandidatesRequest(school_code=p.school, page_size=100), metadata=md, timeout=10
        )
        return {c.record_id for c in page.candidates} >= set(site.records.values())

    wait_for(candidates, f"the disabled students of {p.school} in special-ed")
    special_ed.CreateSpecialEdInfo(
        sp.CreateSpecialEdInfoRequest(
            info=sp.SpecialEdInfo(
                record_id=site.records["info"],
                proof_type=sp.DISABILITY_PROOF_TYPE_OTHER,
                inclusive_education=common_pb2.INCLUSIVE_EDUCATION_VISUAL,
            )
        ),
        metadata=md,
        timeout=10,
    )
    lookup = national_query_pb2_grpc.NationalQueryStub(p.channel("national-query"))
    wait_for(lambda: _found(lookup, p, *site.lookup), "the record in the national lookup")


def _found(lookup, p: Province, name: str, number: str) -> bool:
    try:
        request = national_query_pb2.LookupStudentRequest(name=name, national_student_number=number)
        return bool(lookup.LookupStudent(request, metadata=p.md(Role.SYSTEM, MINISTRY), timeout=10).results)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return False


def _retry(call, attempts: int = 5):
    """ABORTED: an event (e.g. the authentication result) changed the case meanwhile; read again."""
    for attempt in range(attempts):
        try:
            return call()
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.ABORTED or attempt == attempts - 1:
                raise


# -- preschool transfers ---------------------------------------------------------------------------


def _transfers(site: Site, persons: list, shared_number: str, dedicated: bool) -> None:
    p = site.actor
    for purpose, person in zip(("main", "delete", "supplementary") if dedicated else ("main",), persons):
        site.people[purpose] = identity_form(RESIDENT, person)
        transfer = p.transfer(site.people[purpose])
        assert transfer.match_status == MATCHED, transfer
        site.transfers[purpose] = transfer.transfer_id
    record = next(r for r in PRESCHOOL if r.document_number == shared_number)
    identity = {
        "name": record.name,
        "gender": int(record.gender),
        "birthDate": {
            "year": record.birth_date.year,
            "month": record.birth_date.month,
            "day": record.birth_date.day,
        },
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": shared_number},
    }
    transfer = p.transfer(identity)
    assert transfer.match_status == registration_pb2.PRESCHOOL_MATCH_STATUS_TO_CONFIRM, transfer
    site.transfers["confirm"] = transfer.transfer_id


# -- applications in every state a decision needs ----------------------------------------------------


def _applications(site: Site, serial: list, dedicated: bool) -> dict:
    """No-document freshmen (straight to the school review): purpose → application id."""
    purposes = (
        [*SCHOOL_REVIEW, *RETURNED, *REPORT, *COUNTY_REVIEW]
        if dedicated
        else ["main", "update", "report", "county"]
    )
    for purpose, n in zip(purposes, serial):
        identity = identity_form(NO_DOC, name=f"矩阵{n}")
        site.apps[purpose] = site.actor.create(PRIMARY, NO_DOC, identity, grade="11").application_id
    return dict(site.apps)


def _move_applications(site: Site, apps: dict) -> None:
    p = site.actor
    leader, registrar = p.md(Role.SCHOOL_LEADER), p.md(Role.SCHOOL_REGISTRAR)
    for purpose, app_id in apps.items():
        p.wait_case(app_id, review_pb2.REVIEW_CASE_STATE_AWAITING_SCHOOL_REVIEW, reviewable=True)
        if purpose in RETURNED:
            p.reviews.RejectCase(
                review_pb2.RejectCaseRequest(case_id=app_id, opinion="材料不全"), metadata=leader, timeout=10
            )
        elif purpose in REPORT or purpose in COUNTY_REVIEW:
            p.reviews.ApproveCase(review_pb2.ApproveCaseRequest(case_id=app_id), metadata=leader, timeout=10)
            if purpose in COUNTY_REVIEW:
                reported = p.reports.ReportCases(
                    review_pb2.ReportCasesRequest(
                        school_code=p.school, cases=[review_pb2.CaseVersion(case_id=app_id)]
                    ),
                    metadata=registrar,
                    timeout=10,
                )
                assert [r.case_id for r in reported.reported] == [app_id], reported
    for purpose, app_id in apps.items():
        if purpose in RETURNED:
            p.wait_state(app_id, S.APPLICATION_STATE_RETURNED)


def _failed_import(p: Province) -> str:
    report = p.registrations.ImportApplications(
        import_request(p.school), metadata=p.md(Role.SCHOOL_REGISTRAR), timeout=30
    )
    assert (report.rows_passed, report.rows_failed) == (0, 1), report
    return report.import_id


BAD_IDENTITY = {
    "name": "号码错",
    "gender": 1,
    "birthDate": {"year": 2012, "month": 5, "day": 6},
    "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": "110101"},
}


@cache
def import_request(school: str) -> registration_pb2.ImportApplicationsRequest:
    """A non-freshman resident import whose only row fails (the number is no resident ID number)."""
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import registration_template
    from xueji_registration.domain.template.rows import form_cells
    from xueji_registration.testing import sample_form

    template = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
    content = samples.workbook(template, [form_cells(template, {**sample_form("resident"), **BAD_IDENTITY})])
    return registration_pb2.ImportApplicationsRequest(
        school_code=school,
        kind=NON_PRIMARY,
        category=RESIDENT,
        file=common_pb2.FileContent(file_name="新生.xlsx", content=content),
    )


@cache
def preschool_import_request(school: str) -> registration_pb2.ImportPreschoolTransfersRequest:
    """A preschool transfer import whose only row fails, as above."""
    from xueji_registration.adapters.excel import samples
    from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE
    from xueji_registration.domain.template.rows import form_cells

    content = samples.workbook(PRESCHOOL_TEMPLATE, [form_cells(PRESCHOOL_TEMPLATE, BAD_IDENTITY)])
    return registration_pb2.ImportPreschoolTransfersRequest(
        school_code=school, file=common_pb2.FileContent(file_name="学前调档.xlsx", content=content)
    )


def _reservations(p: Province) -> dict:
    """Active national reservations for the system's CommitReservation and ReleaseReservation."""
    dedup = dedup_pb2_grpc.DedupStub(p.channel("dedup-national"))
    out = {}
    for purpose in ("commit", "release"):
        out[purpose] = dedup.ReserveIdentity(
            dedup_pb2.ReserveIdentityRequest(
                document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
                document_hash=secrets.token_hex(32),
                application_id=str(uuid.uuid4()),
                province_code="330000",
                school_code=SCHOOL,
            ),
            metadata=p.md(Role.SYSTEM, MINISTRY),
            timeout=10,
        ).reservation_id
    return out
