"""Manual entry on PostgreSQL: the application and its event commit together; refusals write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from xueji.v1 import events_pb2
from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.errors import AlreadyExists, PermissionDenied, PreconditionFailed
from xueji_common.messaging.envelope import open_envelope
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.service_layer.handlers import CreateApplication, create_application
from xueji_registration.spec import SPEC
from xueji_registration.testing import sample_form

SCHOOL = "1330102001"
REGISTRAR = Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
NUMBER = "33010220150601123X"


@pytest.fixture
def runtime(service_runtime):
    return service_runtime(SPEC)


def command(**changes) -> CreateApplication:
    values = dict(
        school_code=SCHOOL,
        kind=RegistrationKind.NON_PRIMARY_FRESHMAN,
        category=DocumentCategory.RESIDENT,
        name="张三",
        gender=None,
        birth_date=None,
        document_type=DocumentType.RESIDENT_ID,
        document_number=NUMBER,
        form=sample_form(),
    )
    values.update(changes)
    return CreateApplication(**values)


def rows(rt, table) -> int:
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(rt.spec.metadata.tables[table])).scalar_one()


def create(rt, cmd, principal=REGISTRAR):
    return create_application(rt.uow_factory(), cmd, principal=principal, tree=rt.tree, hash_key="k" * 32)


def test_application_and_its_event_are_written_together(runtime):
    app = create(runtime, command())
    with runtime.session_factory() as s:
        body = s.execute(select(runtime.spec.outbox.c.envelope)).scalar_one()
        stored = s.execute(select(runtime.spec.metadata.tables["applications"])).one()
    envelope, event = open_envelope(body)
    assert isinstance(event, events_pb2.ApplicationSubmitted)
    assert envelope.aggregate_id == app.application_id
    assert event.application.county_code == "330102"
    assert event.application.document_number_masked == "330***********123X"
    assert NUMBER not in event.application.SerializeToString().decode("latin-1")  # the snapshot is masked
    assert stored.document_hash == event.application.document_hash != ""


def test_the_same_document_twice_is_refused_and_nothing_is_written(runtime):
    create(runtime, command())
    with pytest.raises(AlreadyExists):
        create(runtime, command(name="李四"))
    assert rows(runtime, "applications") == 1 and rows(runtime, "outbox") == 1


@pytest.mark.parametrize(
    "principal",
    [
        Principal("u2", Role.SCHOOL_REGISTRAR, "1330105001"),  # another school
        Principal("u3", Role.SCHOOL_LEADER, SCHOOL),  # a leader reviews, does not enter
        Principal("u4", Role.DEPARTMENT_REGISTRAR, "330102"),  # the county does not enter either
    ],
)
def test_only_the_schools_own_registrar_enters(runtime, principal):
    with pytest.raises(PermissionDenied):
        create(runtime, command(), principal)
    assert rows(runtime, "applications") == 0 and rows(runtime, "outbox") == 0


def test_primary_freshmen_with_documents_come_through_the_preschool_transfer(runtime):
    with pytest.raises(PreconditionFailed):
        create(runtime, command(kind=RegistrationKind.PRIMARY_FRESHMAN))
    assert rows(runtime, "applications") == 0


def test_a_form_with_several_problems_names_every_field_in_one_answer_missing_proof_included(runtime):
    form = sample_form()
    form["postalCode"] = "12"
    form["familyMembers"] = [{"name": "", "relationshipCode": "51"}]
    cmd = command(
        category=DocumentCategory.NO_DOCUMENT,
        document_type=DocumentType.OTHER,
        document_number="",
        gender=1,
        birth_date=None,
        form=form,
        proof_material_ids=(),
    )
    from xueji_common.errors import InvalidArgument

    with pytest.raises(InvalidArgument) as refused:
        create(runtime, cmd)
    fields = {v.field for v in refused.value.violations}
    assert {
        "student.birth_date",
        "student.postal_code",
        "student.family_members[0].name",
        "proof_material_ids",
    } <= fields, fields
    assert rows(runtime, "applications") == 0
