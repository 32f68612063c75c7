"""Building the protobuf events registration publishes (the bus contract, events.proto)."""
from __future__ import annotations

from xueji.v1 import common_pb2, events_pb2
from xueji_common.auth import Principal
from xueji_common.documents import mask_document_number
from xueji_registration.domain.model import Application


def _date(value) -> common_pb2.Date:
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def application_submitted(app: Application, *, county_code: str, by: Principal) -> events_pb2.ApplicationSubmitted:
    doc = app.identity.document
    return events_pb2.ApplicationSubmitted(
        application=events_pb2.ApplicationSnapshot(
            application_id=app.application_id,
            school_code=app.school_code,
            county_code=county_code,
            kind=app.kind.to_proto(),
            category=app.category.to_proto(),
            name=app.identity.name,
            gender=int(app.identity.gender),
            birth_date=_date(app.identity.birth_date),
            document_type=doc.type.to_proto(),
            document_number_masked=mask_document_number(doc.number),
            document_hash=app.document_hash,
            grade=app.form.get("grade", ""),
            class_name=app.form.get("className", ""),
            revision=app.revision,
        ),
        submitted_by=common_pb2.AuditStamp(
            org_unit_code=by.org_unit, user_id=by.user_id, role=by.role.proto,
            time=_timestamp(app.created_at),
        ),
        document_number=doc.number,
    )


def _timestamp(value):
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    ts.FromDatetime(value)
    return ts
