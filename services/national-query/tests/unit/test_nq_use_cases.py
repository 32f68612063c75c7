"""National-query's use cases on the in-memory unit of work (tests/unit/nq_fakes.py): the read model
kept from events, the lookup's captcha and audit, preschool matching. SQL, gRPC and the inbox are
tested in tests/integration."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from limits.storage import MemoryStorage
from nq_fakes import FakeNationalQueryUoW

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentType
from xueji_common.errors import InvalidArgument, NotFound, PermissionDenied
from xueji_common.hashing import document_hash
from xueji_national_query.adapters.rate_limits import CountedLimit
from xueji_national_query.domain import captcha
from xueji_national_query.domain.lookup import AuditEntry
from xueji_national_query.domain.rate_limit import Limit, RateLimited
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.service_layer import lookup, preschool, projection

KEY = "test-key"
NUMBER = "33010220150601123X"
NOW = dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC)
ANSWER = "AB3K"
SCHOOL_USER = Principal("u1", Role.SCHOOL_REGISTRAR, "1330102001")
MINISTRY_APP = Principal("ministry-app", Role.SYSTEM, "000000")


def record(record_id: str = "r1", version: int = 1, **kw: object) -> NationalRecord:
    values: dict[str, object] = dict(
        record_id=record_id,
        national_student_number="G" + NUMBER,
        name="张三",
        gender=1,
        birth_date=dt.date(2015, 6, 1),
        document_type="1",
        document_hash=document_hash(KEY, "1", NUMBER),
        document_masked="330***********123X",
        province_code="330000",
        school_code="1330102001",
        school_name="杭州市某小学",
        stage="primary",
        enrolment_status="enrolled",
        problem=False,
        version=version,
        changed_at=NOW + dt.timedelta(hours=version),
    )
    return NationalRecord(**{**values, **kw})  # type: ignore[arg-type]


@pytest.fixture
def uow() -> FakeNationalQueryUoW:
    return FakeNationalQueryUoW(KEY)


# -- the read model from events -------------------------------------------------------------------


def test_a_stale_snapshot_is_ignored(uow):
    assert projection.apply_snapshot(uow, record(version=3, name="新名字"))
    assert not projection.apply_snapshot(uow, record(version=2, name="旧名字"))
    stored = uow.records.get("r1")
    assert (stored.name, stored.version) == ("新名字", 3)
    assert uow.commits == 1


def test_problem_groups_flag_the_record_until_resolved(uow):
    projection.apply_snapshot(uow, record())
    projection.apply_snapshot(uow, record("r2", national_student_number="L330102201506010001"))
    projection.problem_raised(uow, "g1", ["r1", "r2"])
    assert uow.records.get("r1").problem and uow.records.get("r2").problem
    projection.apply_snapshot(uow, record(version=2))  # a later snapshot keeps the open group's flag
    assert uow.records.get("r1").problem
    projection.problem_resolved(uow, "g1", ["r1", "r2"])
    assert not uow.records.get("r1").problem and not uow.records.get("r2").problem


def test_a_problem_raised_before_the_record_arrives_still_counts(uow):
    projection.problem_raised(uow, "g1", ["r1"])
    projection.apply_snapshot(uow, record())
    assert uow.records.get("r1").problem


def test_a_record_in_two_open_groups_stays_flagged_until_both_close(uow):
    projection.apply_snapshot(uow, record())
    projection.problem_raised(uow, "g1", ["r1"])
    projection.problem_raised(uow, "g2", ["r1"])
    projection.problem_resolved(uow, "g1", [])  # no records named: all of the group's
    assert uow.records.get("r1").problem
    projection.problem_resolved(uow, "g2", ["r1"])
    assert not uow.records.get("r1").problem


def test_a_snapshot_replaces_a_loaded_record_of_the_same_number(uow):
    uow.records.put(record("loaded-1", version=0), exists=False)
    projection.apply_snapshot(uow, record("r1"))
    assert uow.records.get("loaded-1") is None and uow.records.get("r1") is not None


def test_a_snapshot_flagged_by_registration_stays_a_problem_without_open_groups(uow):
    projection.apply_snapshot(uow, record(problem=True))
    assert uow.records.get("r1").problem


# -- lookup: captcha, audit, limits ---------------------------------------------------------------


def policy(people: str = "100/60", systems: str = "0", captchas: str = "100/60") -> lookup.LookupPolicy:
    counts = MemoryStorage()
    return lookup.LookupPolicy(
        CountedLimit("lookup-user", Limit.parse(people), counts),
        CountedLimit("lookup-address", Limit.parse("1000/60"), counts),
        CountedLimit("lookup-system", Limit.parse(systems), counts),
        CountedLimit("captcha-user", Limit.parse(captchas), counts),
    )


@pytest.fixture
def answer(monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: ANSWER)


def caller(principal: Principal = SCHOOL_USER) -> lookup.Caller:
    return lookup.Caller(principal, "ipv4:10.0.0.7")


def issue(uow, rules, who: Principal = SCHOOL_USER, now: dt.datetime = NOW) -> str:
    return lookup.create_captcha(uow, caller(who), rules, lambda answer: b"png", now).captcha_id


def stores(uow, written: list[AuditEntry]) -> lookup.LookupStores:
    return lookup.LookupStores(lambda: uow, uow.records, written.append, KEY)


def ask(uow, rules, captcha_id: str, answer: str = ANSWER, *, who=SCHOOL_USER, now=NOW, written=None):
    request = lookup.LookupRequest("张三", NUMBER, captcha_id=captcha_id, captcha_answer=answer)
    return lookup.lookup_student(
        stores(uow, [] if written is None else written), request, caller(who), rules, now
    )


def outcomes(uow) -> list[str]:
    return [e.outcome for e in uow.audit.rows]


@pytest.fixture
def stored(uow):
    projection.apply_snapshot(uow, record())


def test_a_person_looks_up_with_a_captcha_and_the_lookup_is_audited_masked(uow, answer, stored):
    rules = policy()
    query, [found] = ask(uow, rules, issue(uow, rules))
    assert found.record_id == "r1" and query.document_number == NUMBER
    [entry] = uow.audit.rows
    assert (entry.outcome, entry.result_count, entry.name_masked) == ("found", 1, "张*")
    assert NUMBER not in entry.key_masked


def test_a_captcha_is_used_once_even_when_the_answer_was_wrong(uow, answer, stored):
    rules = policy()
    captcha_id = issue(uow, rules)
    with pytest.raises(InvalidArgument, match="验证码错误"):
        ask(uow, rules, captcha_id, "XXXX")
    with pytest.raises(InvalidArgument, match="已使用"):
        ask(uow, rules, captcha_id)
    assert outcomes(uow) == ["captcha_refused", "captcha_refused"]  # committed with the refusal


def test_a_captcha_of_another_user_or_expired_is_refused(uow, answer, stored):
    rules = policy()
    with pytest.raises(InvalidArgument, match="无效"):
        ask(uow, rules, issue(uow, rules, Principal("u2", Role.SCHOOL_REGISTRAR, "1330102001")))
    with pytest.raises(InvalidArgument, match="已过期"):
        ask(uow, rules, issue(uow, rules), now=NOW + dt.timedelta(minutes=3))
    with pytest.raises(InvalidArgument, match="请输入验证码"):
        ask(uow, rules, "")


def test_a_wrong_name_finds_nothing_and_is_audited_as_such(uow, answer, stored):
    rules = policy()
    request = lookup.LookupRequest("李四", NUMBER, captcha_id=issue(uow, rules), captcha_answer=ANSWER)
    with pytest.raises(NotFound):
        lookup.lookup_student(stores(uow, []), request, caller(), rules, NOW)
    assert outcomes(uow) == ["not_found"]


def test_the_ministrys_registrar_looks_up_like_any_person_and_its_administrator_is_refused(
    uow, answer, stored
):
    """全国学籍查询 of the ministry's console (a department registrar of the nation's unit): a captcha
    per lookup, audited under 000000; the nation's user administrator has no lookup."""
    rules, ministry = policy(), Principal("moe-1", Role.DEPARTMENT_REGISTRAR, "000000")
    with pytest.raises(InvalidArgument, match="请输入验证码"):
        ask(uow, rules, "", "", who=ministry)
    _, [found] = ask(uow, rules, issue(uow, rules, ministry), who=ministry)
    assert found.record_id == "r1"
    assert [(e.org_unit, e.outcome) for e in uow.audit.rows] == [
        ("000000", "captcha_refused"),
        ("000000", "found"),
    ]
    administrator = Principal("moe-admin", Role.USER_ADMIN, "000000")
    with pytest.raises(PermissionDenied):
        issue(uow, rules, administrator)
    with pytest.raises(PermissionDenied):
        ask(uow, rules, "", "", who=administrator)


def test_ministry_systems_need_no_captcha_and_are_audited_through_the_writer(uow, stored):
    written: list[AuditEntry] = []
    _, [found] = ask(uow, policy(), "", "", who=MINISTRY_APP, written=written)
    assert found.record_id == "r1"
    assert [e.outcome for e in written] == ["found"] and not uow.audit.rows


def test_lookups_and_captchas_beyond_the_limits_are_refused_and_audited(uow, answer, stored):
    rules = policy(people="1/60", captchas="2/60")
    written: list[AuditEntry] = []
    ask(uow, rules, issue(uow, rules))
    with pytest.raises(RateLimited):
        ask(uow, rules, issue(uow, rules), written=written)
    assert [e.outcome for e in written] == ["rate_limited"]
    with pytest.raises(RateLimited):
        issue(uow, rules)


def test_expired_captchas_are_purged_when_a_new_one_is_issued(uow, answer):
    rules = policy()
    old = issue(uow, rules)
    issue(uow, rules, now=NOW + dt.timedelta(hours=2))
    assert old not in uow.captchas.rows and len(uow.captchas.rows) == 1


# -- preschool matching ---------------------------------------------------------------------------


def match_document(uow, doc_type: DocumentType, number: str):
    [found] = preschool.match_keys(uow, [preschool.document_key(uow.hash_key, doc_type, number)])
    return found


def match_person(uow, name: str, gender: int, birth_date: dt.date | None):
    [found] = preschool.match_keys(uow, [preschool.person_key(name, gender, birth_date)])
    return found.candidates


def test_a_document_matches_preschool_records_and_tells_of_formal_ones(uow):
    preschool_record = record("p1", stage="preschool", national_student_number="L330102201506010002")
    for r in (preschool_record, record("f1")):
        uow.records.put(r, exists=False)
    found = match_document(uow, DocumentType.RESIDENT_ID, NUMBER.lower())
    assert [r.record_id for r in found.candidates] == ["p1"] and [r.record_id for r in found.formal] == ["f1"]


def test_children_without_a_document_match_by_name_gender_and_birth_date(uow):
    child = record("p1", stage="preschool", document_type="Z", document_hash="", document_masked="")
    uow.records.put(child, exists=False)
    uow.records.put(replace(child, record_id="p2", national_student_number="L1", gender=2), exists=False)
    assert [r.record_id for r in match_person(uow, "张三", 1, dt.date(2015, 6, 1))] == ["p1"]


def test_a_match_needs_its_key(uow):
    with pytest.raises(InvalidArgument) as exc:
        match_person(uow, " ", 0, None)
    assert [v.field for v in exc.value.violations] == ["person.name", "person.gender", "person.birth_date"]
    with pytest.raises(InvalidArgument):
        match_document(uow, DocumentType.RESIDENT_ID, "")


# -- the fake itself behaves as the SQL unit of work ------------------------------------------------


def test_what_was_not_committed_is_rolled_back(uow):
    with uow:
        uow.records.put(record(), exists=False)
    assert uow.records.get("r1") is None
