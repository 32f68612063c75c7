"""全国学籍查询 (chapter 16) finding a record just created in another province: a 浙江 record, looked up
by a signed-in 江苏 department user with a captcha (验证码), by name + document number and by
name + national student number; a wrong name finds nothing; ministry systems need no captcha.

The test reads a captcha's answer as a person reads the image: it has no OCR, so it recovers the
answer from what national-query stores — the keyed digest of the answer (its own hash key is the
cluster's) — by trying the 31^4 possible answers. The service offers no test hook and gets none."""

from __future__ import annotations

import hashlib
import itertools
from functools import lru_cache

import grpc
import pytest
from tests.e2e.actors import NON_PRIMARY, RESIDENT, identity_form, sql, wait_for
from tests.e2e.topologies import both_modes

from xueji.v1 import common_pb2, events_pb2, national_query_pb2_grpc
from xueji.v1 import national_query_pb2 as nq
from xueji_common.auth import Role
from xueji_common.documents import mask_document_number
from xueji_common.grpcserver.client import bearer
from xueji_common.grpcserver.errors import field_violations
from xueji_national_query.domain.captcha import ALPHABET, LENGTH

pytestmark = pytest.mark.slow
zj, js = both_modes()  # each case in production topology and in embedded mode
JS_DEPARTMENT = "320104"  # 秦淮区: a department of the other province
NOT_FOUND = "未查询到符合条件的学籍信息"


@lru_cache(maxsize=1)
def _answers() -> list[bytes]:
    return ["".join(letters).encode() for letters in itertools.product(ALPHABET, repeat=LENGTH)]


def read_captcha(cluster, captcha_id: str) -> str:
    """The answer of a captcha: HMAC-SHA256(hash key, "<id>:<ANSWER>") inverted over every answer,
    with the key's inner and outer hash states computed once."""
    [(digest,)] = sql(
        cluster, "national-query", "SELECT answer_digest FROM captchas WHERE captcha_id = :i", i=captcha_id
    )
    key = cluster.hash_key.encode().ljust(64, b"\0")  # shorter than a SHA-256 block: padded as HMAC does
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + f"{captcha_id}:".encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    target = bytes.fromhex(digest)
    for answer in _answers():
        i, o = inner.copy(), outer.copy()
        i.update(answer)
        o.update(i.digest())
        if o.digest() == target:
            return answer.decode()
    raise AssertionError(f"no answer matches captcha {captcha_id}")


@pytest.fixture(scope="module")
def created(zj, people):
    """A 浙江 student's new record, once national-query holds it."""
    person = people.older()
    app = zj.create(NON_PRIMARY, RESIDENT, identity_form(RESIDENT, person))
    zj.approve_all_levels(app.application_id, RESIDENT)
    _, record = zj.approved(app.application_id)
    wait_for(
        lambda: sql(
            zj.cluster,
            "national-query",
            "SELECT 1 FROM national_records WHERE record_id = :r",
            r=record.record_id,
        ),
        "the record in national-query",
    )
    return person, record


@pytest.fixture(scope="module")
def lookup(zj):
    return national_query_pb2_grpc.NationalQueryStub(zj.channel("national-query"))


def js_user(cluster, role=Role.DEPARTMENT_REGISTRAR, unit=JS_DEPARTMENT) -> list:
    return bearer(cluster.token(role, unit, f"lookup-{role.value}-{unit}"))


def ask(lookup, cluster, md, name: str, captcha: bool = True, **key) -> nq.LookupStudentResponse:
    challenge = lookup.CreateCaptcha(nq.CreateCaptchaRequest(), metadata=md, timeout=10) if captcha else None
    if challenge is not None:
        assert challenge.png.startswith(b"\x89PNG") and challenge.expire_time.seconds
    return lookup.LookupStudent(
        nq.LookupStudentRequest(
            name=name,
            captcha_id=challenge.captcha_id if challenge else "",
            captcha_answer=read_captcha(cluster, challenge.captcha_id) if challenge else "",
            **key,
        ),
        metadata=md,
        timeout=10,
    )


def assert_shows(result, person, record, shown_number: str) -> None:
    """The manual's fields: 姓名, 全国学籍号, 身份证件号, 所在省份, 就读学段, 就读状态, 是否问题学籍,
    最新学籍变动时间."""
    assert result.name == person.name
    assert result.national_student_number == record.national_student_number == "G" + person.resident_id
    assert result.document.type == common_pb2.DOCUMENT_TYPE_RESIDENT_ID
    assert result.document.number == shown_number
    assert (result.province_code, result.province_name) == ("330000", "浙江省")
    assert result.stage == record.stage != events_pb2.SCHOOL_STAGE_UNSPECIFIED  # grade 21: 初中
    assert result.enrolment_status == events_pb2.ENROLMENT_STATUS_ENROLLED
    assert not result.problem_record and result.last_change_time.seconds


@pytest.mark.flow
def test_a_department_user_of_another_province_finds_the_new_record(lookup, zj, created):
    person, record = created
    md = js_user(zj.cluster)
    [by_document] = ask(lookup, zj.cluster, md, person.name, document_number=person.resident_id).results
    # Department registrars see the number they asked with (national-query's rule); else masked.
    assert_shows(by_document, person, record, person.resident_id)
    [by_number] = ask(
        lookup, zj.cluster, md, person.name, national_student_number=record.national_student_number
    ).results
    assert_shows(by_number, person, record, mask_document_number(person.resident_id))


def test_a_wrong_name_finds_nothing_and_says_only_that(lookup, zj, created):
    person, record = created
    with pytest.raises(grpc.RpcError) as err:
        ask(
            lookup,
            zj.cluster,
            js_user(zj.cluster),
            person.name + "某",
            national_student_number=record.national_student_number,
        )
    assert (err.value.code(), err.value.details()) == (grpc.StatusCode.NOT_FOUND, NOT_FOUND)


def test_a_lookup_without_the_captcha_answer_is_refused(lookup, zj, created):
    person, _ = created
    with pytest.raises(grpc.RpcError) as err:
        ask(
            lookup,
            zj.cluster,
            js_user(zj.cluster),
            person.name,
            captcha=False,
            document_number=person.resident_id,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(err.value)] == ["captcha_answer"]


def test_the_system_role_looks_up_without_a_captcha(lookup, zj, created):
    person, record = created
    md = bearer(zj.cluster.token(Role.SYSTEM, "000000", "ministry-app"))
    [result] = ask(
        lookup, zj.cluster, md, person.name, captcha=False, document_number=person.resident_id
    ).results
    assert_shows(result, person, record, person.resident_id)
    [result] = ask(
        lookup,
        zj.cluster,
        md,
        person.name,
        captcha=False,
        national_student_number=record.national_student_number,
    ).results
    assert_shows(result, person, record, mask_document_number(person.resident_id))
