"""Helpers of national-query's integration tests (a module of its own: `conftest` names clash
across test directories)."""

from __future__ import annotations

import datetime as dt

from limits.storage import MemoryStorage

from xueji.v1 import common_pb2, events_pb2
from xueji_common.messaging.envelope import new_envelope
from xueji_national_query.adapters.rate_limits import CountedLimit
from xueji_national_query.domain.rate_limit import Limit
from xueji_national_query.service_layer.lookup import LookupPolicy


def policy(
    people="100/60", addresses="1000/60", systems="0", captchas="100/60", *, counts=None, trusted_proxies=()
) -> LookupPolicy:
    """A lookup policy counting in `counts` (a `limits` storage; default: a fresh memory storage)."""
    counts = counts or MemoryStorage()
    return LookupPolicy(
        CountedLimit("lookup-user", Limit.parse(people), counts),
        CountedLimit("lookup-address", Limit.parse(addresses), counts),
        CountedLimit("lookup-system", Limit.parse(systems), counts),
        CountedLimit("captcha-user", Limit.parse(captchas), counts),
        trusted_proxies=trusted_proxies,
    )


from xueji_common.config import DEV_HASH_KEY  # noqa: E402
from xueji_common.documents import mask_document_number  # noqa: E402
from xueji_common.hashing import document_hash  # noqa: E402
from xueji_common.testing.bus import consumer_of  # noqa: E402
from xueji_common.testing.numbers import sealed  # noqa: E402


def snapshot(
    record_id="r1", number="33010220150601123X", version=1, **kw
) -> events_pb2.StudentRecordSnapshot:
    values = dict(
        record_id=record_id,
        **sealed("G" + number),
        school_code="1330102001",
        province_code="330000",
        stage=events_pb2.SCHOOL_STAGE_PRIMARY,
        enrolment_status=events_pb2.ENROLMENT_STATUS_ENROLLED,
        name="张三",
        gender=1,
        birth_date=common_pb2.Date(year=2015, month=6, day=1),
        document_type=common_pb2.DOCUMENT_TYPE_RESIDENT_ID,
        document_number_masked=mask_document_number(number),
        document_hash=document_hash(DEV_HASH_KEY, "1", number),
        version=version,
    )  # as registration sends
    if "national_student_number" in kw:  # sealed, as registration sends it
        kw.update(sealed(kw.pop("national_student_number")))
    values.update(kw)
    snap = events_pb2.StudentRecordSnapshot(**values)
    snap.changed_at.FromDatetime(dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=version))
    return snap


def deliver(runtime, event, producer="registration", aggregate_id="r1", envelope=None) -> str:
    envelope = envelope or new_envelope(event, producer=producer, aggregate_id=aggregate_id)
    consumer = consumer_of(runtime, envelope.type)
    return consumer(envelope.SerializeToString())


def created(runtime, number="33010220150601123X", **kw) -> str:
    snap = snapshot(number=number, **kw)
    return deliver(runtime, events_pb2.StudentRecordCreated(record=snap), aggregate_id=snap.record_id)


class AuditHeld:
    """Holds the lookup audit table locked against inserts (reads go on), so that the server's audit
    entries stay queued in memory until release() (e.g. from a timer while the server stops)."""

    def __init__(self, runtime) -> None:
        self._conn = runtime.engine.connect()
        self._conn.exec_driver_sql("LOCK TABLE lookup_audit IN EXCLUSIVE MODE")

    def release(self) -> None:
        self._conn.rollback()
        self._conn.close()
