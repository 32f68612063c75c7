"""The province tier on ApplicationSubmitted: HMT/foreign document dedup and resident authentication,
province index then the national tier over gRPC; reservations released on withdrawal, kept on return.
The use case's other rules on the fakes: tests/unit/test_dedup_province_checks.py."""

from __future__ import annotations

from dedup_helpers import SCHOOL_JS, deliver, published, record_created, resident, submitted
from sqlalchemy import select

from xueji.v1 import events_pb2
from xueji_common.documents import resident_id_check_digit
from xueji_dedup.adapters.tables import national_reservations

PASSPORT = "E12345678"


def outcomes(rt):
    return [(e.application_id, e.outcome, e.reason_code) for e in published(rt, "DedupCompleted")]


def test_a_passport_passes_then_a_second_school_in_another_province_is_refused_with_the_holder(dedup):
    first = submitted(PASSPORT, doc_type="A")
    second = submitted(PASSPORT, doc_type="A", school=SCHOOL_JS)
    assert deliver(dedup, first) == "handled"
    assert deliver(dedup, second) == "handled"
    [ok, refused] = published(dedup, "DedupCompleted")
    assert (ok.outcome, ok.kind) == (events_pb2.DEDUP_OUTCOME_PASSED, events_pb2.DEDUP_KIND_DOCUMENT_NUMBER)
    assert ok.revision == 1 and ok.application_id == first.application.application_id
    assert refused.outcome == events_pb2.DEDUP_OUTCOME_FAILED
    assert refused.reason_code == "HELD_BY_ANOTHER_APPLICATION"
    assert refused.reason == "该身份证件号已被浙江省杭州市上城区胜利小学的学籍注册申请占用（E******78）"
    assert PASSPORT not in refused.reason


def test_a_record_in_the_province_index_refuses_the_document(dedup):
    first = submitted(PASSPORT, doc_type="A")
    deliver(dedup, first)
    deliver(dedup, record_created(first))
    again = submitted(PASSPORT, doc_type="A", school="1330105001")
    deliver(dedup, again)
    refused = published(dedup, "DedupCompleted")[-1]
    assert refused.reason_code == "HELD_BY_ANOTHER_RECORD"
    assert refused.reason.startswith("该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用")


def test_withdrawal_releases_the_reservation_and_return_keeps_it(dedup):
    first = submitted(PASSPORT, doc_type="A")
    deliver(dedup, first)
    app_id = first.application.application_id
    # Returned by a reviewer: dedup does not hear it (no subscription), the reservation stays.
    assert "RegistrationReturned" not in {c.subscription.event_type for c in dedup.consumers()}
    deliver(dedup, submitted(PASSPORT, doc_type="A", school=SCHOOL_JS))
    assert published(dedup, "DedupCompleted")[-1].outcome == events_pb2.DEDUP_OUTCOME_FAILED  # still held
    deliver(dedup, events_pb2.ApplicationWithdrawn(application_id=app_id))
    with dedup.session_factory() as s:
        assert s.execute(
            select(national_reservations.c.state, national_reservations.c.release_reason)
        ).one() == ("released", "WITHDRAWN")
    deliver(dedup, submitted(PASSPORT, doc_type="A", school=SCHOOL_JS))
    assert published(dedup, "DedupCompleted")[-1].outcome == events_pb2.DEDUP_OUTCOME_PASSED


def test_resident_authentication_passes_for_the_registered_identity(dedup, people):
    deliver(dedup, resident(people[0]))
    [done] = published(dedup, "DedupCompleted")
    assert (done.kind, done.outcome) == (
        events_pb2.DEDUP_KIND_IDENTITY_AUTHENTICATION,
        events_pb2.DEDUP_OUTCOME_PASSED,
    )


def test_resident_authentication_fails_with_the_registers_reason(dedup, people):
    p = people[1]
    deliver(dedup, resident(p, name=p.name + "某"))
    deliver(dedup, resident(p, gender=3 - int(p.gender)))
    first17 = p.resident_id[:14] + ("998" if p.resident_id[14:17] != "998" else "996")  # even: female
    unknown = first17 + resident_id_check_digit(first17)
    deliver(dedup, submitted(unknown, category=1, name=p.name, gender=2, birth=p.birth_date))
    codes = [e.reason_code for e in published(dedup, "DedupCompleted")]
    assert codes == ["NAME_MISMATCH", "GENDER_MISMATCH", "NOT_FOUND"]
    reasons = [e.reason for e in published(dedup, "DedupCompleted")]
    assert reasons[0].startswith("姓名与身份证件号不符（") and p.resident_id not in "".join(reasons)


def test_stale_and_repeated_events_change_nothing(dedup, people):
    event = resident(people[3], revision=2)
    assert deliver(dedup, event, event_id="e-1") == "handled"
    assert deliver(dedup, event, event_id="e-1") == "duplicate"
    older = resident(people[3], revision=1, application_id=event.application.application_id)
    assert deliver(dedup, older) == "handled"
    assert len(published(dedup, "DedupCompleted")) == 1
