"""Bad input against the real servers: property-based fuzzing (hypothesis) of gRPC requests and of
imported workbooks. Every answer is OK or a clear status the API documents (never UNKNOWN or
INTERNAL: a crash), a refused call writes nothing (applications and outbox rows unchanged), and
every server is still SERVING afterwards.

Invalid UTF-8 cannot be put in a protobuf string from Python, so it goes on the wire by hand: the
request is serialized, then a field holding the bad bytes is appended (a parser merges it into the
message, the last value of a field winning) and the bytes are sent through a generic unary call.
"""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.e2e.actors import NON_PRIMARY, RESIDENT, S, identity_form, sql
from tests.e2e.coverage import coverage

from xueji.v1 import common_pb2, dedup_pb2, review_pb2
from xueji.v1 import national_query_pb2 as nq
from xueji.v1 import registration_pb2 as rg
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.convert import dict_to_message
from xueji_registration.testing import sample_form

pytestmark = pytest.mark.slow
CLEAR = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.ABORTED,
}
FUZZ = settings(
    max_examples=30, deadline=None, database=None, print_blob=True, suppress_health_check=list(HealthCheck)
)
INT64 = st.integers(-(2**63), 2**63 - 1)
ENUM = st.one_of(st.integers(0, 12), st.integers(-(2**31), 2**31 - 1))  # known and unknown values
TEXT = st.one_of(
    st.text(max_size=40),  # NUL and control characters too
    st.text(min_size=1, max_size=4).map(lambda s: s * 25_000),  # up to 100,000 characters
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "张三\x00",
            "1330102001",
            "330102",
            "G" + "9" * 18,
            "'; DROP TABLE x;--",
            "𠀀𠀁",
            "\u202e",
            "a" * 101,
        ]
    ),
)
INVALID_UTF8 = st.builds(
    lambda a, bad, b: a + bad + b,
    st.binary(max_size=8),
    st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"]),
    st.binary(max_size=8),
).filter(lambda raw: not _utf8(raw))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def with_raw_string(message, path: str, raw: bytes) -> bytes:
    """The message's bytes with the string field at dotted `path` holding `raw` (any bytes)."""
    descriptor, numbers = message.DESCRIPTOR, []
    for name in path.split("."):
        field = descriptor.fields_by_name[name]
        numbers.append(field.number)
        descriptor = field.message_type
    payload = raw
    for number in reversed(numbers):
        payload = _varint(number << 3 | 2) + _varint(len(payload)) + payload
    return message.SerializeToString() + payload


def send(channel, method: str, payload: bytes, metadata) -> tuple[grpc.StatusCode, str, bytes]:
    rpc = channel.unary_unary(method)  # bytes in, bytes out
    coverage.bad_inputs += 1
    try:
        return grpc.StatusCode.OK, "", rpc(payload, metadata=metadata, timeout=30)
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or "", b""


def serialized(request, bad) -> bytes:
    return with_raw_string(request, *bad) if bad else request.SerializeToString()


def assert_clear(code, details, what) -> None:
    assert code in CLEAR, f"{what}: {code} {details!r}"


def counts(cluster, db: str, table: str = "") -> tuple:
    """(outbox rows, rows of `table`) of one database."""
    other = f", (SELECT count(*) FROM {table})" if table else ""
    [row] = sql(cluster, db, "SELECT (SELECT count(*) FROM outbox)" + other)
    return tuple(row)


def assert_serving(zj, *servers: str) -> None:
    for name in servers:
        assert zj.cluster.running(name), f"{name} exited"
        status = (
            health_pb2_grpc.HealthStub(zj.channel(name.removeprefix("zj-")))
            .Check(health_pb2.HealthCheckRequest(), timeout=10)
            .status
        )
        assert status == health_pb2.HealthCheckResponse.SERVING, name


# -- the requests ---------------------------------------------------------------------------------

FORM_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "name": TEXT,
        "className": TEXT,
        "grade": TEXT,
        "phone": TEXT,
        "postalCode": TEXT,
        "currentAddress": TEXT,
        "ethnicityCode": TEXT,
        "nationalityCode": TEXT,
        "admissionYearMonth": TEXT,
        "birthplaceCode": TEXT,
        "gender": ENUM,
        "healthStatus": ENUM,
        "admissionMethod": ENUM,
        "disabilityType": ENUM,
        "inclusiveEducation": ENUM,
        "leftBehind": ENUM,
        "birthDate": st.fixed_dictionaries(
            {
                "year": st.integers(-(2**31), 2**31 - 1),
                "month": st.integers(-5, 20),
                "day": st.integers(-5, 40),
            }
        ),
        "document": st.fixed_dictionaries({"type": ENUM, "number": TEXT}),
        "commuteDistanceKm": st.floats(allow_nan=True, allow_infinity=True),
        "familyMembers": st.lists(
            st.fixed_dictionaries(
                {
                    "name": TEXT,
                    "relationshipCode": TEXT,
                    "document": st.fixed_dictionaries({"type": ENUM, "number": TEXT}),
                }
            ),
            max_size=3,
        ),
    },
)
FORM_STRINGS = [
    "student.name",
    "student.class_name",
    "student.document.number",
    "student.phone",
    "student.current_address",
    "student.family_members.name",
]


def student_form(base_identity: dict, changes: dict) -> rg.StudentRecordForm:
    form = {**sample_form("resident"), **base_identity}
    form.update(changes)
    message = rg.StudentRecordForm()
    for key, value in form.items():  # one field at a time: values the JSON mapping refuses are left out
        try:
            message.MergeFrom(dict_to_message({key: value}, rg.StudentRecordForm()))
        except Exception:
            pass
    return message


@pytest.fixture(scope="module")
def owned(zj, people):
    """Identities this module may use, and one application of its own left DEDUP_FAILED (editable)."""
    person, other = people.older(), people.older()
    app = zj.create(NON_PRIMARY, RESIDENT, identity_form(RESIDENT, other, name=other.name + "某"))
    failed = zj.wait_state(app.application_id, S.APPLICATION_STATE_DEDUP_FAILED)
    return identity_form(RESIDENT, person), failed


@FUZZ
@given(data=st.data())
def test_create_application_fuzzed(zj, owned, data):
    identity, _ = owned
    request = rg.CreateApplicationRequest(
        school_code=data.draw(st.one_of(st.just(zj.school), TEXT), "school_code"),
        kind=data.draw(st.one_of(st.just(NON_PRIMARY), ENUM), "kind"),
        category=data.draw(st.one_of(st.just(RESIDENT), ENUM), "category"),
        student=student_form(identity, data.draw(FORM_CHANGES, "form changes")),
        proof_material_ids=data.draw(st.lists(TEXT, max_size=3), "proof_material_ids"),
        request_id=data.draw(TEXT, "request_id"),
    )
    bad = data.draw(
        st.none() | st.tuples(st.sampled_from(["school_code", "request_id", *FORM_STRINGS]), INVALID_UTF8),
        "invalid utf-8",
    )
    before = counts(zj.cluster, "zj-registration", "applications")
    code, details, _ = send(
        zj.channel("registration"),
        "/xueji.v1.Registrations/CreateApplication",
        serialized(request, bad),
        zj.md(Role.SCHOOL_REGISTRAR),
    )
    assert_clear(code, details, "CreateApplication")
    after = counts(zj.cluster, "zj-registration", "applications")
    if code == grpc.StatusCode.OK:
        assert after[1] == before[1] + 1
    else:
        assert after == before, details


@FUZZ
@given(data=st.data())
def test_update_application_fuzzed(zj, owned, data):
    identity, failed = owned
    app_id = data.draw(st.one_of(st.just(failed.application_id), TEXT), "application_id")
    current = zj.application(failed.application_id)
    request = rg.UpdateApplicationRequest(
        application_id=app_id,
        student=student_form(identity, data.draw(FORM_CHANGES, "form changes")),
        proof_material_ids=data.draw(st.lists(TEXT, max_size=2), "proof_material_ids"),
        expected_version=data.draw(st.one_of(st.just(current.version), INT64), "expected_version"),
    )
    request.update_mask.paths.extend(
        data.draw(
            st.lists(
                st.one_of(
                    st.sampled_from(
                        [
                            "student",
                            "student.phone",
                            "student.class_name",
                            "student.name",
                            "proof_material_ids",
                            "student.family_members",
                            "student.document",
                            "state",
                            "school_code",
                        ]
                    ),
                    TEXT,
                ),
                max_size=3,
            ),
            "update_mask",
        )
    )
    bad = data.draw(st.none() | st.tuples(st.sampled_from(["application_id", *FORM_STRINGS]), INVALID_UTF8))
    before = counts(zj.cluster, "zj-registration", "applications")
    code, details, _ = send(
        zj.channel("registration"),
        "/xueji.v1.Registrations/UpdateApplication",
        serialized(request, bad),
        zj.md(Role.SCHOOL_REGISTRAR),
    )
    assert_clear(code, details, "UpdateApplication")
    if code != grpc.StatusCode.OK:
        assert counts(zj.cluster, "zj-registration", "applications") == before
        assert zj.application(failed.application_id).version == current.version, details


@FUZZ
@given(data=st.data())
def test_lookup_student_fuzzed(zj, data):
    request = nq.LookupStudentRequest(
        name=data.draw(TEXT, "name"),
        captcha_id=data.draw(TEXT, "captcha_id"),
        captcha_answer=data.draw(TEXT, "captcha_answer"),
    )
    key = data.draw(st.sampled_from(["document_number", "national_student_number", None]), "key")
    if key:
        setattr(request, key, data.draw(TEXT, key))
    bad = data.draw(
        st.none()
        | st.tuples(
            st.sampled_from(["name", "document_number", "national_student_number", "captcha_answer"]),
            INVALID_UTF8,
        )
    )
    # The system role: no captcha and no rate limit, so every example reaches the query itself.
    md = bearer(zj.cluster.token(Role.SYSTEM, "000000", "fuzz-ministry-app"))
    code, details, _ = send(
        zj.channel("national-query"), "/xueji.v1.NationalQuery/LookupStudent", serialized(request, bad), md
    )
    assert_clear(code, details, "LookupStudent")


@FUZZ
@given(data=st.data())
def test_approve_case_fuzzed(zj, owned, data):
    _, failed = owned
    request = review_pb2.ApproveCaseRequest(
        case_id=data.draw(st.one_of(st.just(failed.application_id), TEXT), "case_id"),
        opinion=data.draw(TEXT, "opinion"),
        expected_version=data.draw(INT64, "expected_version"),
    )
    bad = data.draw(st.none() | st.tuples(st.sampled_from(["case_id", "opinion"]), INVALID_UTF8))
    role, unit = data.draw(
        st.sampled_from(
            [
                (Role.SCHOOL_LEADER, zj.school),
                (Role.DEPARTMENT_REGISTRAR, zj.county),
                (Role.SCHOOL_REGISTRAR, zj.school),
            ]
        ),
        "caller",
    )
    before = counts(zj.cluster, "zj-review")
    code, details, _ = send(
        zj.channel("review"), "/xueji.v1.Reviews/ApproveCase", serialized(request, bad), zj.md(role, unit)
    )
    assert_clear(code, details, "ApproveCase")
    assert code != grpc.StatusCode.OK, "the case of a failed gate is closed"
    assert counts(zj.cluster, "zj-review") == before


IDENTITY = st.fixed_dictionaries(
    {
        "name": TEXT,
        "gender": ENUM,
        "document": st.fixed_dictionaries({"type": ENUM, "number": TEXT}),
        "birthDate": st.fixed_dictionaries(
            {"year": st.integers(-9999, 99999), "month": st.integers(-1, 13), "day": st.integers(-1, 32)}
        ),
    }
)


@FUZZ
@given(data=st.data())
def test_resolve_problem_group_fuzzed(zj, data):
    request = dedup_pb2.ResolveProblemGroupRequest(
        group_id=data.draw(TEXT, "group_id"),
        opinion=data.draw(TEXT, "opinion"),
        expected_version=data.draw(INT64, "expected_version"),
    )
    for _ in range(data.draw(st.integers(0, 3), "resolutions")):
        resolution = request.resolutions.add(record_id=data.draw(TEXT), resolution=data.draw(ENUM))
        if data.draw(st.booleans()):
            resolution.corrected_identity.CopyFrom(
                dict_to_message(data.draw(IDENTITY), common_pb2.StudentIdentity())
            )
    for _ in range(data.draw(st.integers(0, 2), "proof files")):
        request.proof_files.add(
            file_name=data.draw(TEXT),
            content=data.draw(st.binary(max_size=2000)),
            content_type=data.draw(st.one_of(TEXT, st.sampled_from(["image/png", "application/pdf"]))),
        )
    bad = data.draw(
        st.none() | st.tuples(st.sampled_from(["group_id", "opinion", "resolutions.record_id"]), INVALID_UTF8)
    )
    role, unit = data.draw(
        st.sampled_from(
            [
                (Role.DEPARTMENT_REGISTRAR, zj.county),
                (Role.SCHOOL_REGISTRAR, zj.school),
                (Role.SCHOOL_LEADER, zj.school),
            ]
        ),
        "caller",
    )
    before = counts(zj.cluster, "zj-dedup")
    code, details, _ = send(
        zj.channel("dedup"),
        "/xueji.v1.ProblemRecords/ResolveProblemGroup",
        serialized(request, bad),
        zj.md(role, unit),
    )
    assert_clear(code, details, "ResolveProblemGroup")
    assert code != grpc.StatusCode.OK, "there is no such problem group"
    assert counts(zj.cluster, "zj-dedup") == before


# -- workbooks ------------------------------------------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.text(min_size=1, max_size=3).map(lambda s: s * 12_000),
)


def _template():
    from xueji_common.documents import DocumentCategory
    from xueji_common.vocabulary import RegistrationKind
    from xueji_registration.domain.template.columns import registration_template

    return registration_template(
        RegistrationKind.from_proto(NON_PRIMARY), DocumentCategory.from_proto(RESIDENT)
    )


def _workbook(template, rows) -> bytes | None:
    """The file, or None when openpyxl itself refuses a value (characters illegal in XML)."""
    from openpyxl.utils.exceptions import IllegalCharacterError

    from xueji_registration.adapters.excel import samples

    try:
        return samples.workbook(template, rows)
    except (IllegalCharacterError, ValueError, TypeError, OverflowError):
        return None


@pytest.fixture(scope="module")
def good_row(owned):
    from xueji_registration.domain.template.rows import form_cells

    identity, _ = owned
    return form_cells(_template(), {**sample_form("resident"), **identity})


@FUZZ
@given(data=st.data())
def test_import_fuzzed_workbooks(zj, good_row, data):
    template = _template()
    shape = data.draw(st.sampled_from(["cells", "bytes", "damaged"]), "file")
    if shape == "bytes":
        content = data.draw(st.binary(max_size=4000), "bytes")
    else:
        rows = []
        for _ in range(data.draw(st.integers(1, 4), "rows")):
            row = list(good_row)
            for _ in range(data.draw(st.integers(1, 6), "changed cells")):
                row[data.draw(st.integers(0, len(row) - 1))] = data.draw(CELL, "cell")
            rows.append(row + data.draw(st.lists(CELL, max_size=3), "extra cells"))
        content = _workbook(template, rows)
        if content is None:
            return
        if shape == "damaged":
            at = data.draw(st.integers(0, len(content) - 1), "damage at")
            content = (
                content[:at] + data.draw(st.binary(min_size=1, max_size=64), "damage") + content[at + 64 :]
            )
    before = counts(zj.cluster, "zj-registration", "applications")
    request = rg.ImportApplicationsRequest(
        school_code=zj.school,
        kind=NON_PRIMARY,
        category=RESIDENT,
        file=common_pb2.FileContent(
            file_name=data.draw(st.sampled_from(["新生.xlsx", "a.xls", ""])), content=content
        ),
    )
    code, details, body = send(
        zj.channel("registration"),
        "/xueji.v1.Registrations/ImportApplications",
        request.SerializeToString(),
        zj.md(Role.SCHOOL_REGISTRAR),
    )
    assert_clear(code, details, "ImportApplications")
    after = counts(zj.cluster, "zj-registration", "applications")
    if code != grpc.StatusCode.OK:
        assert after == before, details
        return
    report = rg.ImportReport.FromString(body)
    assert report.rows_passed + report.rows_failed == report.rows_total
    assert len(report.created_ids) == report.rows_passed == after[1] - before[1]
    assert report.rows_failed == 0 or report.errors


def test_every_server_is_still_serving(zj):
    assert_serving(zj, "zj-registration", "zj-review", "zj-dedup", "national-query")
