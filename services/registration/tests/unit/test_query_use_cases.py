"""学籍注册查询 (chapter 14), the records and a number in clear as use cases on the in-memory unit of
work: the caller's area bounds every list, a document number is found under any document type, reads
outside the jurisdiction are refused. (Filters as SQL, views, masking and page tokens over gRPC:
tests/integration/test_query_registrations.py.)"""

from __future__ import annotations

import pytest
from registration_fakes import (
    HASH_KEY,
    OTHER_SCHOOL,
    SCHOOL,
    TREE,
    FakeRegistrationUoW,
    dedup_completed,
    entry,
    get,
    registrar,
    through_review,
    upload,
)

from xueji_common.auth import Principal, Role
from xueji_common.errors import InvalidArgument, NotFound, PermissionDenied
from xueji_common.paging import Page as Window
from xueji_registration.service_layer import clear_numbers, query
from xueji_registration.service_layer.handlers import create_application
from xueji_registration.service_layer.repositories import ApplicationQuery, RecordQuery
from xueji_registration.testing import resident_id

COUNTY = Principal(user_id="county-1", role=Role.DEPARTMENT_REGISTRAR, org_unit="330102")
NEIGHBOUR = Principal(user_id="county-2", role=Role.DEPARTMENT_REGISTRAR, org_unit="330105")


@pytest.fixture
def uow() -> FakeRegistrationUoW:
    return FakeRegistrationUoW()


def create(uow, category="resident", **kw):
    return create_application(uow, entry(category, **kw), principal=registrar(), tree=TREE, hash_key=HASH_KEY)


def listed(uow, principal, number="", unit="", size=10, **filters) -> query.Page:
    return query.list_applications(
        uow,
        ApplicationQuery(**filters),
        org_unit_code=unit,
        document_number=number,
        window=Window(0, size),
        principal=principal,
        tree=TREE,
        hash_key=HASH_KEY,
    )


def test_a_list_is_bounded_by_the_callers_area_newest_first(uow):
    first = create(uow, number=resident_id(seq="111"))
    second = create(uow, "hmt_foreign")
    theirs = create_application(
        uow, entry(school=OTHER_SCHOOL), principal=registrar(OTHER_SCHOOL), tree=TREE, hash_key=HASH_KEY
    )
    page = listed(uow, registrar())
    assert [a.application_id for a in page.items] == [second.application_id, first.application_id]
    assert page.total == 2 and not page.next_token
    assert (
        listed(uow, COUNTY).total == 2
        and listed(uow, NEIGHBOUR).items[0].application_id == theirs.application_id
    )
    with pytest.raises(PermissionDenied):
        listed(uow, NEIGHBOUR, unit=SCHOOL)
    with pytest.raises(InvalidArgument):
        listed(uow, COUNTY, unit="nowhere")
    assert listed(uow, registrar(), size=1).next_token


def test_a_document_number_is_found_under_any_type_normalised(uow):
    hmt = create(uow, "hmt_foreign")
    create(uow)
    assert [a.application_id for a in listed(uow, registrar(), number="h12345678").items] == [
        hmt.application_id
    ]


def test_the_detail_carries_the_number_of_its_record_and_its_files(uow):
    proof = upload(uow)
    app = create(uow, "no_document", proofs=(proof,))
    detail = query.get_application(uow, app.application_id, principal=registrar(), tree=TREE)
    assert detail.national_student_number == "" and list(detail.files) == [proof]
    through_review(uow, app, up_to_province=True)
    detail = query.get_application(uow, app.application_id, principal=COUNTY, tree=TREE)
    assert detail.national_student_number.startswith("L330102")
    with pytest.raises(PermissionDenied):
        query.get_application(uow, app.application_id, principal=NEIGHBOUR, tree=TREE)
    with pytest.raises(NotFound):
        query.get_application(uow, "nope", principal=registrar(), tree=TREE)


def test_records_are_read_by_id_or_number_and_listed_within_jurisdiction(uow):
    app = create(uow)
    dedup_completed(uow, app)
    through_review(uow, get(uow, app))
    record_id = get(uow, app).record_id
    by_number = query.get_record(uow, number=" g" + resident_id(), principal=COUNTY, tree=TREE)
    assert by_number.record_id == record_id  # trimmed and upper-cased
    with pytest.raises(PermissionDenied):
        query.get_record(uow, record_id=record_id, principal=NEIGHBOUR, tree=TREE)
    with pytest.raises(InvalidArgument):
        query.get_record(uow, principal=COUNTY, tree=TREE)
    page = query.list_records(
        uow, RecordQuery(), org_unit_code="", window=Window(0, 10), principal=COUNTY, tree=TREE
    )
    assert [r.record_id for r in page.items] == [record_id]
    assert (
        query.list_records(
            uow, RecordQuery(), org_unit_code="", window=Window(0, 10), principal=NEIGHBOUR, tree=TREE
        ).total
        == 0
    )


def test_only_dedup_gets_a_number_in_clear(uow):
    app = create(uow)
    dedup = Principal(user_id="service:dedup", role=Role.SYSTEM, org_unit="000000")
    clear = clear_numbers.document_number(uow, application_id=app.application_id, principal=dedup)
    assert (clear.document.number, clear.revision) == (resident_id(), 1)
    for someone in (Principal(user_id="service:review", role=Role.SYSTEM, org_unit="000000"), registrar()):
        with pytest.raises(PermissionDenied):
            clear_numbers.document_number(uow, application_id=app.application_id, principal=someone)
    with pytest.raises(NotFound):
        clear_numbers.document_number(uow, record_id="nope", principal=dedup)


def test_document_numbers_of_a_batch_answer_each_application_in_order_or_not_found(uow):
    first, second = create(uow), create(uow, number=resident_id(seq="202"))
    dedup = Principal(user_id="service:dedup", role=Role.SYSTEM, org_unit="000000")
    asked = [second.application_id, "nope", first.application_id]
    got = clear_numbers.document_numbers(uow, asked, principal=dedup)
    assert [(c.document.number, c.revision) if c else None for c in got] == [
        (resident_id(seq="202"), 1),
        None,
        (resident_id(), 1),
    ]
    assert got[0] == clear_numbers.document_number(uow, application_id=asked[0], principal=dedup)
    with pytest.raises(PermissionDenied):
        clear_numbers.document_numbers(uow, asked, principal=registrar())
    for bad in ([], [""], ["a"] * 501):
        with pytest.raises(InvalidArgument):
            clear_numbers.document_numbers(uow, bad, principal=dedup)
