"""The ApplicationSubmitted envelopes of a SubmittedBatch, written straight in protobuf's wire format.

An import publishes one event per application; building two messages per row through the protobuf
runtime costs more than checking the row. Everything the batch's applications share (school,
county, kind, category, revision, who submitted them and when, the envelope's type, time and
producer) is serialised once by the runtime; each row adds its own fields, in field-number order and
leaving out empty ones as the runtime does, so that the bytes are exactly what
`new_envelope(events.application_submitted(app, ...)).SerializeToString()` gives
(tests/unit/test_batch_events.py compares them), the import's trace, request id and user included.
Why: 7.7 µs an application against the runtime's 37.2 (4.8 ×, `bench/parallel_paths.py --rows 5000`,
7 Dec 2026).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from google.protobuf import any_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import common_pb2, events_pb2
from xueji_common.auth import Principal
from xueji_common.documents import DocumentType, mask_document_number
from xueji_common.grpcserver.convert import timestamp
from xueji_common.messaging.envelope import context_tail
from xueji_registration.domain.batches import SubmittedBatch

EVENT_TYPE = "ApplicationSubmitted"
_TYPE_URL = any_pb2.Any()
_TYPE_URL.Pack(events_pb2.ApplicationSubmitted())
_PROTO_TYPES = {t.value: t.to_proto() for t in DocumentType}  # by code: an enum member hashes in Python


def _varint(n: int) -> bytes:
    if n < 0x80:
        return _BYTE[n]
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_BYTE = [bytes((n,)) for n in range(0x100)]
# Field keys (field number << 3 | wire type), as bytes.
_LEN = {n: _BYTE[n << 3 | 2] for n in range(1, 16)}  # length-delimited: string, bytes, message
_VARINT = {n: _BYTE[n << 3] for n in range(1, 16)}  # int32, enum


def _bytes(field: int, data: bytes) -> bytes:
    """A length-delimited field (string, bytes, message): key, length, data."""
    n = len(data)
    return _LEN[field] + (_BYTE[n] if n < 0x80 else _varint(n)) + data


def _text(field: int, value: str) -> bytes:
    return _bytes(field, value.encode()) if value else b""


def _number(field: int, value: int) -> bytes:
    return _VARINT[field] + _varint(value) if value else b""


class _Remembered(dict[Any, bytes]):
    """Field bytes of the values a batch repeats (grades, classes, birth dates), made once each."""

    def __init__(self, encode: Callable[[Any], bytes]) -> None:
        super().__init__()
        self.encode = encode

    def __missing__(self, value: Any) -> bytes:
        self[value] = made = self.encode(value)
        return made


def submitted_envelopes(
    batch: SubmittedBatch,
    *,
    county_code: str,
    by: Principal,
    producer: str,
    event_ids: list[str],
    occurred_at: Timestamp,
) -> list[tuple[str, str, bytes]]:
    """(event id, application id, envelope) of every application of the batch, in order."""
    app = batch.shared
    shared_snapshot = events_pb2.ApplicationSnapshot(
        school_code=app.school_code,
        county_code=county_code,
        kind=cast("common_pb2.RegistrationKind", app.kind.to_proto()),
        category=cast("common_pb2.DocumentCategory", app.category.to_proto()),
    ).SerializeToString()  # fields 2-5
    revision = events_pb2.ApplicationSnapshot(revision=app.revision).SerializeToString()  # field 14
    stamp = events_pb2.ApplicationSubmitted(
        submitted_by=common_pb2.AuditStamp(
            org_unit_code=by.org_unit,
            user_id=by.user_id,
            role=cast("common_pb2.Role", by.role.proto),
            time=timestamp(app.submitted_at or app.created_at),
        )
    ).SerializeToString()  # field 2
    head = events_pb2.EventEnvelope(
        type=EVENT_TYPE, occurred_at=occurred_at, producer=producer
    ).SerializeToString()  # fields 2-4
    type_url = _text(1, _TYPE_URL.type_url)
    tail = context_tail()  # fields 8-10
    doc_types = _Remembered(lambda code: _number(9, _PROTO_TYPES[code]))
    born_on = _Remembered(lambda d: _bytes(8, _number(1, d.year) + _number(2, d.month) + _number(3, d.day)))
    grades = _Remembered(lambda v: _text(12, v))
    classes = _Remembered(lambda v: _text(13, v))
    genders = [_number(7, g) for g in range(3)]
    out = []
    for event_id, row in zip(event_ids, batch.rows):
        identity, form = row.identity, row.form
        doc = identity.document
        aggregate = _text(5, row.application_id)
        snapshot = b"".join(
            (
                _LEN[1],
                aggregate[1:],
                shared_snapshot,
                _text(6, identity.name),
                genders[identity.gender],
                born_on[identity.birth_date],
                doc_types[doc.type._value_],
                _text(10, mask_document_number(doc.number)),
                _text(11, row.document_hash),
                grades[form.get("grade", "")],
                classes[form.get("className", "")],
                revision,
            )
        )
        payload = _bytes(1, snapshot) + stamp  # no clear number: events.application_submitted
        envelope = b"".join(
            (
                _text(1, event_id),
                head,
                aggregate,
                _LEN[6],
                aggregate[1:],
                _bytes(7, type_url + _bytes(2, payload)),
                tail,
            )
        )
        out.append((event_id, row.application_id, envelope))
    return out
