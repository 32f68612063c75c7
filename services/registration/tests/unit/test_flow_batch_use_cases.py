"""The flow's events in batches (service_layer/flow_batch.py) on the in-memory unit of work: each item
decided as the single use case decides it (flow.py, the reference), stale, repeated and unknown items
changing nothing, the records of an approval batch numbered with one call. Same events through both
paths: tests/integration/test_flow_batches.py."""

from __future__ import annotations

import copy
import dataclasses

from registration_fakes import SCHOOL, FakeRegistrationUoW, get
from test_flow_use_cases import create, freshman_resident

from xueji_registration.domain.model import Application, ApplicationState, AuthenticationStatus
from xueji_registration.domain.records import NumberKind
from xueji_registration.service_layer import flow, flow_batch
from xueji_registration.testing import resident_id

REPORT, COUNTY = ApplicationState.AWAITING_REPORT, ApplicationState.AWAITING_COUNTY_REVIEW


def step(app: Application, state: ApplicationState, unit: str, revision: int = 0) -> flow_batch.ReviewStep:
    return flow_batch.ReviewStep(app.application_id, revision or app.revision, state, unit)


def passed(app: Application, ok: bool = True, revision: int = 0) -> flow_batch.DedupResult:
    return flow_batch.DedupResult(app.application_id, revision or app.revision, ok, "" if ok else "不通过")


def approval(app: Application) -> flow_batch.Approval:
    return flow_batch.Approval(app.application_id, app.revision)


def one_by_one(uow: FakeRegistrationUoW, items: list) -> None:
    """The single use cases, each event in its own unit of work (the consumer's single path)."""
    single = {
        flow_batch.ReviewStep: flow.review_progressed,
        flow_batch.DedupResult: flow.dedup_completed,
        flow_batch.Approval: flow.registration_approved,
    }
    for item in items:
        with uow:
            single[type(item)](uow, **item._asdict())


def as_batch(uow: FakeRegistrationUoW, items: list) -> None:
    batch = {
        flow_batch.ReviewStep: flow_batch.review_progressed,
        flow_batch.DedupResult: flow_batch.dedup_completed,
        flow_batch.Approval: flow_batch.registration_approved,
    }[type(items[0])]
    with uow:
        batch(uow, items)
        uow.commit()  # the consumer's


def state(uow: FakeRegistrationUoW) -> tuple:
    """What the flow decides: applications and records without their clocks, and the events. An L
    number's last 4 digits are drawn (the fake counts): only its layout is compared."""
    apps = {i: dataclasses.replace(a, updated_at=None) for i, a in uow.applications.rows.items()}
    records = {
        i: dataclasses.replace(
            r,
            created_at=None,
            updated_at=None,
            national_student_number=r.national_student_number[: 15 if r.temporary else None],
        )
        for i, r in uow.records.rows.items()
    }
    published = [
        (type(e).__name__, e.record.record_id, e.record.temporary_number, e.record.problem_record)
        for e in uow.events()
        if hasattr(e, "record")
    ]
    return apps, records, published


def both_ways(uow: FakeRegistrationUoW, items: list) -> FakeRegistrationUoW:
    """Runs items as one batch on `uow` and one by one on a copy; asserts the same outcome."""
    shared = (uow.collaborators.data_keys, uow.collaborators.tree)  # read only, and not copyable
    reference = copy.deepcopy(uow, {id(o): o for o in shared})
    one_by_one(reference, items)
    as_batch(uow, items)
    assert state(uow) == state(reference)
    return uow


def test_a_stale_review_step_changes_nothing_and_the_others_of_its_batch_apply():
    uow = FakeRegistrationUoW()
    apps = [create(uow, number=resident_id(seq=f"{i:03d}")) for i in range(3)]
    one_by_one(uow, [passed(a) for a in apps])
    apps = [get(uow, a) for a in apps]
    stale = step(apps[0], REPORT, SCHOOL, revision=7)
    both_ways(uow, [stale, step(apps[1], REPORT, SCHOOL), step(apps[2], REPORT, SCHOOL)])
    assert [get(uow, a).state for a in apps] == [ApplicationState.AWAITING_SCHOOL_REVIEW, REPORT, REPORT]
    assert get(uow, apps[0]).version == apps[0].version  # not written


def test_a_repeated_or_late_step_in_a_batch_is_applied_once_and_two_steps_count_two_versions():
    uow = FakeRegistrationUoW()
    app = create(uow)
    one_by_one(uow, [passed(app)])
    app = get(uow, app)
    items = [step(app, REPORT, SCHOOL), step(app, REPORT, SCHOOL), step(app, COUNTY, "330102")]
    both_ways(uow, [*items, step(app, REPORT, SCHOOL)])  # the late one after the county's
    after = get(uow, app)
    assert (after.state, after.handling_unit_code, after.version) == (COUNTY, "330102", app.version + 2)


def test_an_unknown_application_in_a_batch_changes_nothing():
    uow = FakeRegistrationUoW()
    app = create(uow)
    ghost = dataclasses.replace(app, application_id="00000000-0000-0000-0000-000000000000")
    both_ways(uow, [passed(ghost), passed(app)])
    assert get(uow, app).state is ApplicationState.AWAITING_SCHOOL_REVIEW
    assert set(uow.applications.rows) == {app.application_id}


def test_an_approval_batch_numbers_its_records_with_one_call_and_a_taken_g_falls_back_to_l():
    uow = FakeRegistrationUoW()
    apps = [create(uow, number=resident_id(seq=f"{i:03d}")) for i in range(3)] + [create(uow, "no_document")]
    one_by_one(uow, [passed(a) for a in apps])
    one_by_one(uow, [step(get(uow, a), REPORT, SCHOOL) for a in apps])
    one_by_one(uow, [step(get(uow, a), COUNTY, "330102") for a in apps])
    uow.numbers.taken["G" + apps[1].identity.document.number] = "a record of another province"
    apps = [get(uow, a) for a in apps]
    both_ways(uow, [approval(a) for a in apps] + [approval(apps[0])])  # the last one repeated
    assert uow.numbers.batch_calls == 2  # the batch's numbers, then the L numbers of the taken G ones
    records = {r.application_id: r for r in uow.records.rows.values()}
    kinds = [(records[a.application_id].number_kind, records[a.application_id].problem_record) for a in apps]
    assert kinds == [
        (NumberKind.FORMAL, False),
        (NumberKind.TEMPORARY, True),  # 一人多籍: its G number is held elsewhere
        (NumberKind.FORMAL, False),
        (NumberKind.TEMPORARY, False),  # no document
    ]
    assert [get(uow, a).record_id for a in apps] == [records[a.application_id].record_id for a in apps]
    assert len(uow.events("StudentRecordCreated")) == 4


def test_a_freshman_approved_before_authentication_gets_its_record_from_the_dedup_batch():
    uow = FakeRegistrationUoW()
    waiting = freshman_resident(uow)
    failing = freshman_resident(uow, resident_id(seq="141"))
    for app in (waiting, failing):
        one_by_one(uow, [step(get(uow, app), REPORT, SCHOOL), step(get(uow, app), COUNTY, "330102")])
    both_ways(uow, [approval(get(uow, waiting)), approval(get(uow, failing))])
    assert not uow.records.rows  # authentication still runs: no number yet
    both_ways(
        uow, [passed(get(uow, waiting)), passed(get(uow, failing), ok=False), passed(get(uow, waiting))]
    )
    records = {r.application_id: r for r in uow.records.rows.values()}
    assert records[waiting.application_id].number_kind is NumberKind.FORMAL
    assert records[failing.application_id].number_kind is NumberKind.TEMPORARY
    assert get(uow, failing).authentication is AuthenticationStatus.FAILED
