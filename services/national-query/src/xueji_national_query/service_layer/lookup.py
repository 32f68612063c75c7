"""全国学籍查询 use cases: issue a captcha, look a student up (captcha, rate limits, audit)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.db.engine import now as utc_now
from xueji_common.documents import mask_document_number
from xueji_common.errors import InvalidArgument
from xueji_national_query.domain import captcha
from xueji_national_query.domain.lookup import (
    BY_DOCUMENT,
    BY_STUDENT_NUMBER,
    CAPTCHA_ROLES,
    AuditEntry,
    LookupQuery,
    mask_name,
    nothing_found,
)
from xueji_national_query.domain.rate_limit import RateLimited, RateLimiter
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.service_layer.unit_of_work import NationalQueryUoW

UowFactory = Callable[[], NationalQueryUoW]
TOO_MANY = "查询过于频繁，请稍后再试"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    address: str  # client address without the port, e.g. "ipv4:10.0.0.7" (behind a trusted
    # gateway: the address the gateway saw)


@dataclass
class LookupPolicy:
    """Abuse limits of the lookup (xueji_national_query.config: the XUEJI_ variables)."""

    people: RateLimiter  # lookups per signed-in user
    addresses: RateLimiter  # lookups per client address (people)
    systems: RateLimiter  # lookups per system caller
    captchas: RateLimiter  # captchas per user
    captcha_ttl: dt.timedelta = dt.timedelta(minutes=2)
    # Gateways whose x-forwarded-for names the client (the address limit and the audit use it).
    trusted_proxies: tuple[str, ...] = ()

    def admit_lookup(self, caller: Caller) -> bool:
        user = f"user:{caller.principal.user_id}"
        if caller.principal.role == Role.SYSTEM:
            return self.systems.allow(user)
        return self.people.allow(user) and self.addresses.allow(f"addr:{caller.address}")


@dataclass(frozen=True)
class IssuedCaptcha:
    captcha_id: str
    png: bytes
    expire_time: dt.datetime


def create_captcha(
    uow: NationalQueryUoW,
    caller: Caller,
    policy: LookupPolicy,
    draw: Callable[[str], bytes],
    now: dt.datetime | None = None,
) -> IssuedCaptcha:
    authorize(caller.principal, CAPTCHA_ROLES)
    if not policy.captchas.allow(f"user:{caller.principal.user_id}"):
        raise RateLimited(TOO_MANY)
    now = now or utc_now()
    answer, captcha_id = captcha.new_answer(), str(uuid.uuid4())
    challenge = captcha.Challenge(
        captcha_id,
        captcha.answer_digest(uow.hash_key, captcha_id, answer),
        caller.principal.user_id,
        now + policy.captcha_ttl,
    )
    with uow:
        uow.captchas.purge_expired(now - dt.timedelta(hours=1))
        uow.captchas.add(challenge)
        uow.commit()
    return IssuedCaptcha(captcha_id, draw(answer), challenge.expire_time)


@dataclass(frozen=True)
class LookupRequest:
    name: str
    document_number: str = ""
    national_student_number: str = ""
    captcha_id: str = ""
    captcha_answer: str = ""


class RecordReader(Protocol):
    def by_document(self, name: str, hashes: list[str]) -> list[NationalRecord]: ...

    def by_student_number(self, name: str, student_number: str) -> list[NationalRecord]: ...


@dataclass(frozen=True)
class LookupStores:
    """Where a lookup reads and audits. People's lookups run in one transaction (captcha claim, read,
    audit row). System lookups make one indexed query outside a transaction, and every audit entry
    written outside a transaction (system lookups, refusals before the captcha) goes to a writer that
    queues it before the answer and commits queued entries in groups shortly after (all of them
    by the end of a clean stop)."""

    uow_factory: UowFactory
    reader: RecordReader
    write_audit: Callable[[AuditEntry], None]
    hash_key: str


def lookup_student(
    stores: LookupStores,
    request: LookupRequest,
    caller: Caller,
    policy: LookupPolicy,
    now: dt.datetime | None = None,
) -> tuple[LookupQuery, list[NationalRecord]]:
    """The records of the student; NotFound when none. Ministry systems (system role) skip the
    captcha; everyone else redeems one per lookup, whatever the result. Every call is audited."""
    authorize(caller.principal, (*CAPTCHA_ROLES, Role.SYSTEM))
    now = now or utc_now()
    audit = _Audit(
        caller,
        now,
        BY_DOCUMENT if request.document_number else BY_STUDENT_NUMBER,
        request.name,
        request.document_number or request.national_student_number,
    )
    if not policy.admit_lookup(caller):
        stores.write_audit(audit.entry("rate_limited"))
        raise RateLimited(TOO_MANY)
    try:
        query = LookupQuery.parse(request.name, request.document_number, request.national_student_number)
    except InvalidArgument:
        stores.write_audit(audit.entry("invalid"))
        raise
    audit.query = query
    if caller.principal.role == Role.SYSTEM:
        found = _find(stores.reader, query, stores.hash_key)
        stores.write_audit(audit.entry("found" if found else "not_found", len(found)))
    else:
        with stores.uow_factory() as uow:
            try:
                _redeem(uow, request, caller, now)
            except InvalidArgument:
                uow.audit.record(audit.entry("captcha_refused"))
                uow.commit()
                raise
            found = _find(uow.records, query, uow.hash_key)
            uow.audit.record(audit.entry("found" if found else "not_found", len(found)))
            uow.commit()
    if not found:
        raise nothing_found()
    return query, found


def _find(records: RecordReader, query: LookupQuery, hash_key: str) -> list[NationalRecord]:
    if query.document_number:
        return records.by_document(query.name, query.document_hashes(hash_key))
    return records.by_student_number(query.name, query.national_student_number)


def _redeem(uow: NationalQueryUoW, request: LookupRequest, caller: Caller, now: dt.datetime) -> None:
    if not request.captcha_id or not request.captcha_answer.strip():
        raise captcha.refuse("请输入验证码")
    challenge, claimed = uow.captchas.claim(request.captcha_id, now)
    captcha.check_redeemed(
        challenge,
        claimed=claimed,
        user_id=caller.principal.user_id,
        answer=request.captcha_answer,
        key=uow.hash_key,
        now=now,
    )


class _Audit:
    """The audit entry of one call: masked from the raw request until the query parses."""

    __slots__ = ("caller", "kind", "now", "query", "raw_key", "raw_name")

    def __init__(self, caller: Caller, now: dt.datetime, kind: str, raw_name: str, raw_key: str) -> None:
        self.caller, self.now, self.kind, self.raw_name, self.raw_key = caller, now, kind, raw_name, raw_key
        self.query: LookupQuery | None = None

    def entry(self, outcome: str, count: int = 0) -> AuditEntry:
        if self.query is not None:
            name_masked, key_masked = self.query.masked()
        else:
            name_masked, key_masked = (
                mask_name(self.raw_name.strip()),
                mask_document_number(self.raw_key.strip()),
            )
        p = self.caller.principal
        return AuditEntry(
            self.now,
            p.user_id,
            p.role.value,
            p.org_unit,
            self.caller.address[:100],
            self.kind,
            name_masked[:100],
            key_masked[:40],
            outcome,
            count,
        )
