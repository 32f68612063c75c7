"""An import's chunk stored as one SubmittedBatch (applications and outbox rows in bulk) is stored as
its applications stored one by one would be, on PostgreSQL and on SQLite."""

import datetime as dt

import pytest
from sqlalchemy import delete, select

from xueji_common.auth import Principal, Role
from xueji_common.config import Settings
from xueji_common.documents import DocumentCategory, DocumentType, validate_document
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters import events
from xueji_registration.adapters.tables import applications, outbox
from xueji_registration.domain.batches import SubmittedBatch
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, EntryChannel
from xueji_registration.service_layer.handlers import store_batch
from xueji_registration.spec import SPEC
from xueji_registration.testing import resident_id, sample_form

BY = Principal("registrar-7", Role.SCHOOL_REGISTRAR, "1330102001")
AT = dt.datetime(2024, 9, 1, 8, 30, tzinfo=dt.UTC)


@pytest.fixture(params=["postgresql", "sqlite"])
def runtime(request, service_runtime, tmp_path):
    if request.param == "postgresql":
        yield service_runtime(SPEC)
        return
    rt = ServiceRuntime(SPEC, Settings(data_dir=tmp_path, metrics_port=0))
    rt.migrate()
    yield rt
    rt.close()


def batch():
    people = []
    for i, born in enumerate(("20150601", "20100228", "20121231")):
        document = validate_document(DocumentType.RESIDENT_ID, resident_id(born, f"{i:03d}"))
        people.append(Identity(f"学生{i}", document.gender, document.birth_date, document))
    forms = [
        sample_form(),
        sample_form(grade="11", documentValidFrom={"year": 2020, "month": 1, "day": 1}),
        sample_form(familyMembers=[]),
    ]
    first = Application.submit(
        school_code="1330102001",
        kind=RegistrationKind.NON_PRIMARY_FRESHMAN,
        category=DocumentCategory.RESIDENT,
        identity=people[0],
        form=forms[0],
        document_hash="0" * 64,
        created_by=BY.user_id,
        now=AT,
        entry_channel=EntryChannel.IMPORT,
        import_id="imp-1",
    )
    first.county_code, first.city_code, first.province_code = "330102", "330100", "330000"
    submitted = SubmittedBatch(first)
    for i, (who, form) in enumerate(zip(people, forms)):
        submitted.add(
            first.application_id if i == 0 else f"app-{i}", who, f"{i}" * 64, form, f"t-{i}" if i else ""
        )
    return submitted


def stored(runtime, table, order):
    with runtime.session_factory() as session:
        return [r._asdict() for r in session.execute(select(table).order_by(order))]


def test_a_batch_is_stored_as_its_applications_one_by_one(runtime):
    submitted = batch()
    with runtime.uow_factory() as uow:
        store_batch(uow, submitted, principal=BY)
        uow.commit()
    in_bulk = stored(runtime, applications, applications.c.application_id)
    events_in_bulk = stored(runtime, outbox, outbox.c.id)
    with runtime.uow_factory() as uow:
        uow.session.execute(delete(applications))
        uow.session.execute(delete(outbox))
        for app in submitted.applications():
            uow.applications.add(app)
        uow.publish_many(
            (events.application_submitted(app, county_code=app.county_code, by=BY), app.application_id)
            for app in submitted.applications()
        )
        uow.commit()
    assert stored(runtime, applications, applications.c.application_id) == in_bulk
    second = next(r for r in in_bulk if r["application_id"] == "app-1")
    assert len(in_bulk) == 3 and second["form"]["documentValidFrom"] == {"year": 2020, "month": 1, "day": 1}
    one_by_one = stored(runtime, outbox, outbox.c.id)
    ignored = ("id", "event_id", "envelope", "created_at")
    assert [{k: v for k, v in r.items() if k not in ignored} for r in events_in_bulk] == [
        {k: v for k, v in r.items() if k not in ignored} for r in one_by_one
    ]
