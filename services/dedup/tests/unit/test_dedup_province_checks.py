"""The province tier's gate on the fakes (tests/unit/dedup_fakes.py): HMT/foreign document dedup and
resident authentication, province index then the national tier; reservations released on withdrawal,
kept on return. The same flows through the bus, SQL and gRPC: tests/integration."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from dedup_fake_peers import FakePeers, Person
from dedup_fakes import FakeDedupUoW

from xueji.v1 import events_pb2
from xueji_common.db.uow import AlreadyHandled
from xueji_common.documents import mask_document_number
from xueji_common.hashing import document_hash
from xueji_common.orgunits import load_default_tree
from xueji_dedup.domain.checks import Outcome
from xueji_dedup.service_layer import province, records
from xueji_dedup.service_layer.ports import ClearNumber, PeerUnavailable

TREE = load_default_tree()
KEY = "test-hash-key"
SCHOOL = "1330102001"  # 浙江省杭州市上城区胜利小学
SCHOOL_JS = "1320102001"  # 江苏省
PASSPORT = "E12345678"
RESIDENT = "330102201506011236"
ZHANG = Person("张三", 1, dt.date(2015, 6, 1))


@pytest.fixture
def nation() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, scope="national", hash_key=KEY)


@pytest.fixture
def peers(nation) -> FakePeers:
    peers = FakePeers(nation)
    peers.register.people[RESIDENT] = ZHANG
    return peers


@pytest.fixture
def uow() -> FakeDedupUoW:
    return FakeDedupUoW(TREE, hash_key=KEY)


def submitted(
    number: str = PASSPORT,
    *,
    doc_type: str = "A",
    category: str = "hmt_foreign",
    school: str = SCHOOL,
    revision: int = 1,
    application_id: str = "",
    person: Person = ZHANG,
) -> province.Submitted:
    return province.Submitted(
        application_id=application_id or str(uuid.uuid4()),
        revision=revision,
        school_code=school,
        kind="primary_freshman",
        category=category,
        document_type=doc_type,
        document_hash=document_hash(KEY, doc_type, number) if number else "",
        document_masked=mask_document_number(number),
        name=person.name,
        gender=person.gender,
        birth_date=person.birth_date,
    )


def resident(peers: FakePeers, **kw: object) -> province.Submitted:
    app = submitted(RESIDENT, doc_type="1", category="resident", **kw)  # type: ignore[arg-type]
    peers.registration.applications[app.application_id] = ClearNumber(RESIDENT, app.revision, 0)
    return app


def check(uow: FakeDedupUoW, app: province.Submitted, peers: FakePeers):
    """As the consumer runs a handler: a fresh transaction, the event claimed in the inbox."""
    with uow:
        uow.claim_event(str(uuid.uuid4()), "dedup", "ApplicationSubmitted")
        return province.application_submitted(uow, app, peers=peers, tree=TREE, retry_delays=())


def test_a_passport_passes_then_a_second_school_in_another_province_is_refused_with_the_holder(uow, peers):
    first, second = submitted(), submitted(school=SCHOOL_JS)
    assert check(uow, first, peers).outcome is Outcome.PASSED
    assert check(uow, second, peers).outcome is Outcome.FAILED
    [ok, refused] = uow.events("DedupCompleted")
    assert (ok.outcome, ok.kind) == (events_pb2.DEDUP_OUTCOME_PASSED, events_pb2.DEDUP_KIND_DOCUMENT_NUMBER)
    assert (ok.application_id, ok.revision) == (first.application_id, 1)
    assert refused.reason_code == "HELD_BY_ANOTHER_APPLICATION"
    assert refused.reason == "该身份证件号已被浙江省杭州市上城区胜利小学的学籍注册申请占用（E******78）"


def test_a_record_in_the_province_index_refuses_the_document(uow, peers):
    first = submitted()
    check(uow, first, peers)
    with uow:
        records.record_created(uow, record_of(first), peers=peers, tree=TREE)
    check(uow, submitted(school="1330105001"), peers)
    refused = uow.events("DedupCompleted")[-1]
    assert refused.reason_code == "HELD_BY_ANOTHER_RECORD"
    assert refused.reason.startswith("该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用")
    assert peers.national.calls.count("reserve") == 1  # the province index answered first


def record_of(app: province.Submitted, record_id: str = "r1") -> records.RecordSnapshot:
    return records.RecordSnapshot(
        record_id=record_id,
        application_id=app.application_id,
        school_code=app.school_code,
        province_code="330000",
        category=app.category,
        document_type=app.document_type,
        document_hash=app.document_hash,
        document_masked=app.document_masked,
        national_student_number="L330102201506011234",
        temporary_number=True,
        name=app.name,
        gender=app.gender,
        birth_date=app.birth_date,
        version=1,
    )


def test_withdrawal_releases_the_reservation_and_return_keeps_it(uow, peers, nation):
    first = submitted()
    check(uow, first, peers)
    # Returned by a reviewer (review's RegistrationReturned, which dedup no longer hears): nothing
    # changes here, the document stays reserved while the application can be resubmitted.
    assert check(uow, submitted(school=SCHOOL_JS), peers).outcome is Outcome.FAILED  # still held
    with uow:
        province.application_withdrawn(uow, first.application_id, peers=peers)
    [reservation] = [
        r for r in nation.national.reservations.values() if r.application_id == first.application_id
    ]
    assert (reservation.state, reservation.release_reason) == ("released", "WITHDRAWN")
    assert check(uow, submitted(school=SCHOOL_JS), peers).outcome is Outcome.PASSED


def test_resident_authentication_passes_for_the_registered_identity(uow, peers):
    assert check(uow, resident(peers), peers).outcome is Outcome.PASSED
    [done] = uow.events("DedupCompleted")
    assert done.kind == events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION


@pytest.mark.parametrize(
    ("person", "code", "reason"),
    [
        (Person("张三某", 1, ZHANG.birth_date), "NAME_MISMATCH", "姓名与身份证件号不符（"),
        (Person("张三", 2, ZHANG.birth_date), "GENDER_MISMATCH", "性别与身份证件号不符（"),
    ],
)
def test_resident_authentication_fails_with_the_registers_reason(uow, peers, person, code, reason):
    result = check(uow, resident(peers, person=person), peers)
    assert (result.outcome, result.reason_code) == (Outcome.FAILED, code)
    assert result.reason.startswith(reason) and RESIDENT not in result.reason


def test_an_unknown_resident_id_fails_as_not_found(uow, peers):
    del peers.register.people[RESIDENT]
    assert check(uow, resident(peers), peers).reason_code == "NOT_FOUND"


def test_a_resident_id_reserved_by_another_application_fails_authentication(uow, peers):
    check(uow, resident(peers), peers)
    check(uow, resident(peers, school=SCHOOL_JS), peers)
    assert [e.reason_code for e in uow.events("DedupCompleted")] == ["", "HELD_BY_ANOTHER_APPLICATION"]


def test_no_document_applications_have_no_gate(uow, peers):
    result = check(uow, submitted("", doc_type="Z", category="no_document"), peers)
    assert result.outcome is Outcome.NOT_REQUIRED
    assert uow.events() == [] and peers.national.calls == []


def test_stale_and_repeated_events_change_nothing(uow, peers):
    newer = resident(peers, revision=2)
    check(uow, newer, peers)
    older = submitted(RESIDENT, doc_type="1", category="resident", application_id=newer.application_id)
    peers.registration.applications[newer.application_id] = ClearNumber(RESIDENT, 1, 0)  # asked: moved on
    assert check(uow, older, peers) is None
    assert len(uow.events("DedupCompleted")) == 1


def test_a_redelivered_event_is_claimed_once(uow, peers):
    app = submitted()
    with uow:
        uow.claim_event("e-1", "dedup", "ApplicationSubmitted")
        province.application_submitted(uow, app, peers=peers, tree=TREE)
    with uow, pytest.raises(AlreadyHandled):
        uow.claim_event("e-1", "dedup", "ApplicationSubmitted")
        province.application_submitted(
            uow, submitted(application_id=app.application_id, revision=2), peers=peers, tree=TREE
        )
    assert uow.province.application(app.application_id).revision == 1


def test_a_check_reads_outside_any_transaction_then_claims_and_writes_in_one(uow, peers):
    app = resident(peers)
    check(uow, app, peers)
    # reads outside a transaction, ended before the calls; one claim, one commit (issue 16 step 4)
    assert (uow.reads_outside, uow.reads_ended, len(uow.claimed)) == (1, 1, 1)
    assert uow.province.application(app.application_id).outcome == "passed"


def test_a_newer_revision_checked_meanwhile_by_another_worker_wins(uow, peers):
    """Two workers check revisions 1 and 2 of an application at once; 2 is stored first (between the
    reads of 1 and its write): revision 1 writes nothing and publishes nothing."""
    first = submitted()
    newer = submitted(application_id=first.application_id, revision=2)

    class Racing:
        def __init__(self, national):
            self._national = national

        def __getattr__(self, name):
            return getattr(self._national, name)

        def reserve(self, *args, **kwargs):  # while revision 1 calls out, revision 2 is stored
            peers.national = national
            pending = uow._claim  # the fake's one deferred claim: revision 1's, kept aside meanwhile
            check(uow, newer, peers)  # the other worker, on the same rows
            uow._claim = pending
            return national.reserve(*args, **kwargs)

    national = peers.national
    peers.national = Racing(national)
    assert check(uow, first, peers) is None
    assert uow.province.application(first.application_id).revision == 2
    assert [e.revision for e in uow.events("DedupCompleted")] == [2]
    assert len(uow.claimed) == 2  # both events handled (each claimed once)


def test_a_resubmission_with_a_corrected_document_moves_the_reservation(uow, peers, nation):
    first = submitted()
    check(uow, first, peers)
    check(uow, submitted("E87654321", revision=2, application_id=first.application_id), peers)
    assert sorted(r.state for r in nation.national.reservations.values()) == ["active", "released"]
    assert [e.revision for e in uow.events("DedupCompleted")] == [1, 2]


def test_a_register_down_through_every_retry_commits_nothing_and_the_bus_delivers_again(uow, peers):
    app = resident(peers)
    peers.register.down_for = 3
    with uow, pytest.raises(PeerUnavailable):
        uow.claim_event("e-1", "dedup", "ApplicationSubmitted")
        province.application_submitted(uow, app, peers=peers, tree=TREE, retry_delays=(0, 0))
    assert uow.province.application(app.application_id) is None and uow.events() == []
    assert peers.register.calls == 3
    with uow:  # delivered again: the register is back
        uow.claim_event("e-1", "dedup", "ApplicationSubmitted")
        province.application_submitted(uow, app, peers=peers, tree=TREE, retry_delays=(0, 0))
    assert [e.outcome for e in uow.events("DedupCompleted")] == [events_pb2.DEDUP_OUTCOME_PASSED]


def test_a_register_down_for_a_moment_is_retried_within_the_delivery(uow, peers):
    peers.register.down_for = 1
    assert check_with_retries(uow, resident(peers), peers).outcome is Outcome.PASSED


def check_with_retries(uow: FakeDedupUoW, app: province.Submitted, peers: FakePeers):
    with uow:
        return province.application_submitted(uow, app, peers=peers, tree=TREE, retry_delays=(0,))
