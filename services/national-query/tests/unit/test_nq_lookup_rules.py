"""Rules of the national lookup without I/O: the query, masks, captcha checks, rate limits."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from limits.storage import MemoryStorage

from xueji_common.auth import Role
from xueji_common.errors import InvalidArgument
from xueji_common.hashing import document_hash
from xueji_national_query.adapters.rate_limits import CountedLimit
from xueji_national_query.domain import captcha
from xueji_national_query.domain.lookup import LookupQuery, mask_name, shown_document_number
from xueji_national_query.domain.rate_limit import Limit
from xueji_national_query.domain.records import loaded_row_applies, problem_flag, snapshot_applies
from xueji_national_query.domain.vocabulary import EnrolmentStatus, Stage

NUMBER = "33010220150601123X"
NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def fields(exc: InvalidArgument) -> list[str]:
    return [v.field for v in exc.violations]


def test_a_query_needs_a_name_and_a_key():
    with pytest.raises(InvalidArgument) as exc:
        LookupQuery.parse(" ", "", "")
    assert fields(exc.value) == ["name", "document_number"]


def test_a_malformed_student_number_is_refused():
    with pytest.raises(InvalidArgument) as exc:
        LookupQuery.parse("张三", national_student_number="X123")
    assert fields(exc.value) == ["national_student_number"]


def test_a_document_query_is_normalised_and_hashed_under_every_type():
    query = LookupQuery.parse(" 张三 ", "３３０１０２２０１５０６０１１２３ｘ")
    assert (query.name, query.document_number, query.kind) == ("张三", NUMBER, "document")
    assert document_hash("k", "1", NUMBER) in query.document_hashes("k")
    assert len(query.document_hashes("k")) == 7


def test_hk_identity_cards_are_hashed_in_their_canonical_form():
    query = LookupQuery.parse("陈大文", "A1234563")
    assert document_hash("k", "6", "A123456(3)") in query.document_hashes("k")


@pytest.mark.parametrize(
    "number",
    [
        NUMBER,
        "810000200001011238",
        "820000200001011238",
        "830000200001011238",
        "A1234563",
        "A123456(3)",
        "AB9876543",
        "12345678",
        "1234567890",
        "1234567890A",
        "1234567890(A)",
        "1234567(8)",
        "12345678",
        "H1234567890",
        "M12345678",
        "K12345678",
        "E12345678901234",
        "ABC123456789012",
        "9" * 17 + "X",
        "X" * 30,
    ],
)
def test_document_hashes_are_those_of_the_number_validated_under_every_type(number):
    from xueji_common.documents import DocumentError, DocumentType, validate_document

    expected = set()
    for doc_type in DocumentType:
        canonical = number
        if doc_type in (DocumentType.HK, DocumentType.MACAO, DocumentType.TAIWAN):
            try:
                canonical = validate_document(doc_type, number).number
            except DocumentError:
                pass
        expected.add(document_hash("k", doc_type.value, canonical))
    assert LookupQuery.parse("张三", number).document_hashes("k") == sorted(expected)


def test_the_audit_keeps_the_query_masked():
    assert LookupQuery.parse("张三丰", NUMBER).masked() == ("张**", "330***********123X")
    assert mask_name("李") == "李*"


def test_document_numbers_are_shown_in_clear_only_to_roles_that_may_see_them():
    query = LookupQuery.parse("张三", NUMBER)
    assert shown_document_number(query, Role.SYSTEM, "330***********123X") == NUMBER
    assert shown_document_number(query, Role.DEPARTMENT_REGISTRAR, "330***********123X") == NUMBER
    assert shown_document_number(query, Role.SCHOOL_REGISTRAR, "330***********123X") == "330***********123X"
    by_number = LookupQuery.parse("张三", national_student_number="G" + NUMBER)
    assert shown_document_number(by_number, Role.SYSTEM, "330***********123X") == "330***********123X"


def challenge(**kw):
    values = dict(
        captcha_id="c1",
        answer_digest=captcha.answer_digest("k", "c1", "AB3K"),
        user_id="u1",
        expire_time=NOW + dt.timedelta(minutes=2),
    )
    values.update(kw)
    return captcha.Challenge(**values)


def check(ch, *, claimed=True, user="u1", answer="ab3k", now=NOW):
    captcha.check_redeemed(ch, claimed=claimed, user_id=user, answer=answer, key="k", now=now)


def test_a_right_answer_passes_case_insensitively():
    check(challenge())


@pytest.mark.parametrize(
    "case, message",
    [
        (dict(answer="XXXX"), "验证码错误"),
        (dict(claimed=False), "验证码已使用"),
        (dict(now=NOW + dt.timedelta(minutes=2)), "验证码已过期"),
        (dict(user="u2"), "验证码无效"),
    ],
)
def test_captcha_refusals_name_the_field(case, message):
    with pytest.raises(InvalidArgument) as exc:
        check(challenge(), **case)
    [violation] = exc.value.violations
    assert violation.field == "captcha_answer" and message in violation.description


def test_an_unknown_captcha_is_refused():
    with pytest.raises(InvalidArgument):
        check(None)


def test_answers_avoid_look_alike_characters():
    answers = "".join(captcha.new_answer() for _ in range(200))
    assert not set(answers) & set("0O1IL")


def test_rate_limit_allows_n_calls_per_window_per_key_then_frees_them_as_the_window_moves():
    limiter = CountedLimit("lookup-user", Limit.parse("3/1"), MemoryStorage())
    assert [limiter.allow("u1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("u2")  # per caller
    time.sleep(1.05)
    assert [limiter.allow("u1") for _ in range(4)] == [True, True, True, False]


def test_a_call_refused_by_one_key_counts_against_none():
    limiter = CountedLimit("lookup", Limit.parse("1/60"), MemoryStorage())
    assert limiter.allow("user:a", "addr:x")
    assert not limiter.allow("user:b", "addr:x")  # the address is spent: b's own count stays whole
    assert limiter.allow("user:b", "addr:y")


def test_limits_of_the_same_size_count_apart_in_one_storage():
    counts = MemoryStorage()
    lookups, captchas = (
        CountedLimit("lookup-user", Limit.parse("1/60"), counts),
        CountedLimit("captcha-user", Limit.parse("1/60"), counts),
    )
    assert lookups.allow("user:u1") and captchas.allow("user:u1")


def test_rate_limit_of_zero_means_none():
    assert Limit.parse("0") is None
    assert all(CountedLimit("x", None, MemoryStorage()).allow("u") for _ in range(1000))
    with pytest.raises(ValueError):
        Limit.parse("0/60")


def test_events_apply_in_order_and_loads_by_change_time():
    assert snapshot_applies(2, None) and snapshot_applies(3, 2)
    assert not snapshot_applies(2, 2) and not snapshot_applies(1, 2)
    assert loaded_row_applies(NOW, NOW - dt.timedelta(days=1)) and not loaded_row_applies(NOW, NOW)
    # the same file again after the hashing key was rotated: same change time, another hash
    assert loaded_row_applies(NOW, NOW, "b" * 64, "a" * 64) and not loaded_row_applies(
        NOW, NOW, "a" * 64, "a" * 64
    )
    assert problem_flag(False, 1) and problem_flag(True, 0) and not problem_flag(False, 0)


def test_stage_and_status_codes_parse_chinese_labels():
    assert Stage.parse("学前") is Stage.PRESCHOOL and Stage.parse("3") is Stage.JUNIOR_SECONDARY
    assert EnrolmentStatus.parse("在读") is EnrolmentStatus.ENROLLED
    assert Stage.from_proto(Stage.SPECIAL.to_proto()) is Stage.SPECIAL
    with pytest.raises(ValueError):
        Stage.parse("大学")
