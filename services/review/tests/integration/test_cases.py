"""Review cases on PostgreSQL: opened from events, versioned updates, the pending summary."""
from __future__ import annotations

import datetime as dt

import pytest

from xueji_common.errors import ConcurrentModification
from xueji_review.service_layer import handlers
from xueji_review.spec import SPEC

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
SCHOOL = "1330102001"


@pytest.fixture
def runtime(service_runtime):
    return service_runtime(SPEC)


def open_case(rt, application_id, category="resident", revision=1, **kw):
    identity = dict(school_code=SCHOOL, county_code="330102", kind="non_primary_freshman", category=category,
                    name="张三", gender=1, birth_date=dt.date(2015, 6, 1), document_type="1",
                    document_masked="330***********1234")
    identity.update(kw)
    with rt.uow_factory() as uow:
        handlers.open_case(uow, application_id=application_id, revision=revision, submitted_at=NOW, **identity)


def test_pending_summary_counts_per_category(runtime):
    open_case(runtime, "a1")
    open_case(runtime, "a2")
    open_case(runtime, "a3", category="hmt_foreign")
    open_case(runtime, "a4", school_code="1330102002")
    summary = handlers.pending_summary(runtime.uow_factory(), SCHOOL, None)
    assert (summary.total, summary.by_category) == (3, {"resident": 2, "hmt_foreign": 1})
    assert handlers.pending_summary(runtime.uow_factory(), SCHOOL, "hmt_foreign").total == 1


def test_withdrawn_cases_leave_the_summary(runtime):
    open_case(runtime, "a1")
    with runtime.uow_factory() as uow:
        handlers.withdraw_case(uow, "a1")
    assert handlers.pending_summary(runtime.uow_factory(), SCHOOL, None).total == 0


def test_two_writers_of_one_case_one_wins(runtime):
    open_case(runtime, "a1")
    with runtime.uow_factory() as first, runtime.uow_factory() as second:
        case1, case2 = first.cases.get("a1"), second.cases.get("a1")
        case1.withdraw()
        first.cases.save(case1, expected_version=1)
        first.commit()
        case2.withdraw()
        with pytest.raises(ConcurrentModification):
            second.cases.save(case2, expected_version=1)
