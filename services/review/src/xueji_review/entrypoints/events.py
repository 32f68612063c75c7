"""Event entrypoint: translate bus events (protobuf) into review use cases."""
from __future__ import annotations

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common.documents import DocumentCategory, DocumentType
from xueji_common.messaging.consumer import Subscription
from xueji_common.vocabulary import RegistrationKind
from xueji_review.service_layer import handlers


def _date(value) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def on_application_submitted(event: events_pb2.ApplicationSubmitted, uow, envelope) -> None:
    app = event.application
    handlers.open_case(
        uow,
        application_id=app.application_id,
        revision=app.revision,
        submitted_at=envelope.occurred_at.ToDatetime(tzinfo=dt.timezone.utc),
        school_code=app.school_code,
        county_code=app.county_code,
        kind=RegistrationKind.from_proto(app.kind).value,
        category=DocumentCategory.from_proto(app.category).value,
        name=app.name,
        gender=app.gender,
        birth_date=_date(app.birth_date),
        document_type=DocumentType.from_proto(app.document_type).value,
        document_masked=app.document_number_masked,
    )


def on_application_withdrawn(event: events_pb2.ApplicationWithdrawn, uow, envelope) -> None:
    handlers.withdraw_case(uow, event.application_id)


SUBSCRIPTIONS = [
    Subscription("registration", "ApplicationSubmitted", on_application_submitted),
    Subscription("registration", "ApplicationWithdrawn", on_application_withdrawn),
]
