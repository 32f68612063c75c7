"""The national tier's use cases (the Dedup gRPC surface): check, reserve, commit, release, record
holdings, numbers, and the cross-province problem groups the province tiers report.

Each opens the unit of work itself and commits. Idempotent as dedup.proto promises: a repeated
reservation of one document for one application returns the same reservation (expiry extended).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.db.engine import now
from xueji_common.errors import AlreadyExists, DomainError, FieldViolation, InvalidArgument, NotFound
from xueji_common.hashing import document_hash
from xueji_dedup.domain import numbers
from xueji_dedup.domain.checks import Holding, HoldingKind, first_holding
from xueji_dedup.domain.problems import ProblemGroup, RuleRefused
from xueji_dedup.service_layer.unit_of_work import DedupUoW, HoldingsReader, Reservation, Values


def admit(principal: Principal | None) -> None:
    """Who may call the national tier's Dedup RPCs (and the population register it serves): services
    and ministry systems, the system role only. The servicer calls it first: the streamed holdings
    load is refused before any of it is read."""
    authorize(principal, (Role.SYSTEM,))


# An application can spend months in review; an ACTIVE reservation not committed by then lapses.
RESERVATION_TTL = dt.timedelta(days=180)


class NumbersExhausted(DomainError):
    status = "RESOURCE_EXHAUSTED"


class HeldElsewhere(AlreadyExists):
    """ALREADY_EXISTS: the document is held by a record or by another application's reservation."""

    def __init__(self, holding: Holding) -> None:
        kind = "学籍" if holding.kind is HoldingKind.RECORD else "学籍注册申请"
        super().__init__(f"该身份证件号已被{holding.province_code}省份的{kind}占用")
        self.holding = holding


def check_document(
    reader: HoldingsReader, document_type: str, document_hash_: str, application_id: str = ""
) -> list[Holding]:
    """Read only, outside the unit of work (adapters.holdings_reads): the hot path."""
    return reader.holdings(document_type, document_hash_, now(), application_id)


MAX_BATCH = 500  # documents per CheckDocuments call (the contract's limit)


@dataclass(frozen=True)
class DocumentCheck:
    document_type: str
    document_hash: str
    except_application: str = ""


def check_batch_size(count: int) -> None:
    """The contract's limit of a CheckDocuments call (the entrypoint asks before reading the items)."""
    if count > MAX_BATCH:
        raise InvalidArgument(FieldViolation("documents", f"一次最多查询 {MAX_BATCH} 个证件"))


def check_documents(reader: HoldingsReader, checks: list[DocumentCheck]) -> list[list[Holding]]:
    """check_document for each, in one statement (adapters.holdings_reads); answers in the order asked."""
    check_batch_size(len(checks))
    held = reader.holdings_of_each([(c.document_type, c.document_hash) for c in checks], now())
    return [
        [
            h
            for h in held[(c.document_type, c.document_hash)]
            if not (c.except_application and h.application_id == c.except_application)
        ]
        for c in checks
    ]


@dataclass(frozen=True)
class ReserveIdentity:
    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str


def reserve_identity(uow: DedupUoW, cmd: ReserveIdentity) -> Reservation:
    at = now()
    with uow:
        store = uow.national
        store.expire_stale(cmd.document_type, cmd.document_hash, at)
        current = store.holding_reservation(cmd.document_type, cmd.document_hash)
        if current is not None and current.application_id == cmd.application_id:
            if current.state == "active":
                current.expire_time, current.update_time = at + RESERVATION_TTL, at
                store.save_reservation(current)
                uow.commit()
            return current
        records = [
            h
            for h in store.holdings(
                cmd.document_type, cmd.document_hash, at, except_application=cmd.application_id
            )
            if h.kind is HoldingKind.RECORD
        ]
        if (record := first_holding(records)) is not None:
            raise HeldElsewhere(record)
        reservation_id = store.try_reserve(
            dict(
                document_type=cmd.document_type,
                document_hash=cmd.document_hash,
                application_id=cmd.application_id,
                province_code=cmd.province_code,
                school_code=cmd.school_code,
                create_time=at,
                expire_time=at + RESERVATION_TTL,
                update_time=at,
            )
        )
        if reservation_id is None:
            holder = store.holding_reservation(cmd.document_type, cmd.document_hash)
            uow.rollback()
            assert holder is not None  # the reservation the insert lost to (it waited for its commit)
            if holder.application_id == cmd.application_id:  # our own concurrent repeat won
                return holder
            raise HeldElsewhere(
                Holding(
                    HoldingKind.RESERVATION,
                    holder.reservation_id,
                    holder.province_code,
                    holder.school_code,
                    "",
                    holder.application_id,
                )
            )
        reservation = store.reservation(reservation_id)
        assert reservation is not None  # inserted just now
        uow.commit()
        return reservation


@dataclass(frozen=True)
class CommitItem:
    reservation_id: str
    record_id: str
    national_student_number: str


def check_commit_batch_size(count: int) -> None:
    """The contract's limit of a CommitReservations call (the entrypoint asks before the items)."""
    if count > MAX_BATCH:
        raise InvalidArgument(FieldViolation("reservations", f"一次最多提交 {MAX_BATCH} 个预留"))


def check_identities_size(count: int) -> None:
    """The contract's limit of a ReserveIdentities call (the entrypoint asks before reading the items)."""
    if count > MAX_BATCH:
        raise InvalidArgument(FieldViolation("identities", f"一次最多预留 {MAX_BATCH} 个身份"))


def commit_reservation(
    uow: DedupUoW, reservation_id: str, record_id: str, national_student_number: str
) -> Reservation:
    """CommitReservation: a batch of one, its refusal raised."""
    [outcome] = commit_reservations(uow, [CommitItem(reservation_id, record_id, national_student_number)])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def commit_reservations(uow: DedupUoW, items: list[CommitItem]) -> list[Reservation | DomainError]:
    """Each item's reservation turned into the holding of its record, or why not (NotFound,
    RuleRefused), decided in the order asked; one transaction, the reservations read and locked with
    one statement (in id order), saved and their records' holdings written with one each."""
    check_commit_batch_size(len(items))
    at = now()
    with uow:
        found = uow.national.reservations_of(sorted({i.reservation_id for i in items}))
        outcomes: list[Reservation | DomainError] = []
        committed: dict[str, Reservation] = {}
        for item in items:
            r = found.get(item.reservation_id)
            try:
                if _commit(r, item, at):
                    assert r is not None
                    committed[r.reservation_id] = r
            except DomainError as exc:
                outcomes.append(exc)
                continue
            assert r is not None
            outcomes.append(r)
        if committed:
            uow.national.save_reservations(list(committed.values()))
            uow.national.upsert_records(
                [
                    dict(
                        record_id=r.record_id,
                        document_type=r.document_type,
                        document_hash=r.document_hash,
                        application_id=r.application_id,
                        province_code=r.province_code,
                        school_code=r.school_code,
                        national_student_number=r.national_student_number,
                        update_time=at,
                    )
                    for r in committed.values()
                ]
            )
            uow.commit()
        return outcomes


def _commit(r: Reservation | None, item: CommitItem, at: dt.datetime) -> bool:
    """CommitReservation's rule: True when `r` was committed now, False when it was committed to the
    record before (the same answer); raises the refusal."""
    if r is None:
        raise NotFound("预留记录不存在")
    if r.state == "committed":
        if r.record_id != item.record_id:
            raise RuleRefused("COMMITTED_TO_ANOTHER_RECORD", "该预留已用于另一条学籍")
        return False
    if r.state != "active":
        raise RuleRefused(r.state.upper(), "该预留已释放或已过期，不能再用于生成学籍")
    r.state, r.record_id, r.national_student_number, r.update_time = (
        "committed",
        item.record_id,
        item.national_student_number,
        at,
    )
    return True


def release_reservation(uow: DedupUoW, reservation_id: str, reason: str) -> Reservation:
    with uow:
        r = uow.national.reservation(reservation_id, for_update=True)
        if r is None:
            raise NotFound("预留记录不存在")
        if r.state == "committed":
            raise RuleRefused("COMMITTED", "该预留已生成学籍，不能释放")
        if r.state == "active":
            r.state, r.release_reason, r.update_time = "released", reason[:40], now()
            uow.national.save_reservation(r)
            uow.commit()
        return r


@dataclass(frozen=True)
class RegisterRecord:
    record_id: str
    document_type: str
    document_hash: str
    application_id: str
    province_code: str
    school_code: str
    national_student_number: str


def register_record(uow: DedupUoW, cmd: RegisterRecord) -> list[Holding]:
    """The record now holds its document (upsert); returns the document's other holdings (none for a
    record deleted as a duplicate in a group held here: it holds nothing). A holding
    that moves to another hash (a correction, a hash-key rotation) takes the record's committed
    reservation with it."""
    at = now()
    with uow:
        if uow.problems.record_deleted(cmd.record_id):
            # deleted as a duplicate (a group held here): it holds nothing, whatever a late event says
            uow.national.remove_record(cmd.record_id)
            uow.national.release_committed(cmd.record_id, "DELETED", at)
            uow.commit()
            return []
        held = uow.national.record_document(cmd.record_id)
        if held is not None and held != (cmd.document_type, cmd.document_hash):
            uow.national.follow_record(cmd.record_id, held, cmd.document_type, cmd.document_hash, at)
        uow.national.upsert_record(dict(cmd.__dict__, update_time=at))
        others = uow.national.holdings(
            cmd.document_type,
            cmd.document_hash,
            at,
            except_application=cmd.application_id,
            except_record=cmd.record_id,
        )
        uow.commit()
        return others


def unregister_record(uow: DedupUoW, record_id: str, reason: str) -> bool:
    """A record deleted as a duplicate: its holding goes, and so does the hold of its committed
    reservation, so that the document is no longer counted as held by it (idempotent)."""
    with uow:
        removed = uow.national.remove_record(record_id)
        uow.national.release_committed(record_id, reason or "DELETED", now())
        uow.commit()
        return removed


def report_group(uow: DedupUoW, group: ProblemGroup, actions: list[Values]) -> bool:
    """The ministry's collected view keeps the newest version a province tier reported of a
    cross-province group (an older or repeated report changes nothing). A group this database holds
    as its own (the embedded mode: one database plays both tiers) is never replaced by a report."""
    with uow:
        held = uow.problems.held_copy(group.group_id)
        if held is not None and (not held.reporting_province or held.version >= group.version):
            return False
        uow.problems.put_reported(group, actions)
        uow.commit()
        return True


@dataclass(frozen=True)
class ReserveNumber:
    kind: numbers.NumberKind
    owner_id: str
    division_code: str = ""
    birth_date: dt.date | None = None
    resident_id: str = ""  # FORMAL only, in clear: hashed, never stored


def reserve_student_number(
    uow: DedupUoW, cmd: ReserveNumber, hash_key: str, rng: random.Random | None = None
) -> str:
    """The number reserved for the owner (the same one when asked again)."""
    with uow:
        number = reserve_number_in(uow, cmd, number_key(hash_key), rng or random.Random())
        uow.commit()
        return number


def number_key(hash_key: str) -> Callable[[str], str]:
    """A student number's keyed hash, under which student_numbers keeps it."""
    return lambda number: document_hash(hash_key, "NSN", number)


def reserve_number_in(
    uow: DedupUoW, cmd: ReserveNumber, key: Callable[[str], str], rng: random.Random
) -> str:
    """reserve_student_number's rule inside an open unit of work (no commit): also the batch's
    (national_numbers.reserve_student_numbers) for the items its bulk path does not settle."""
    existing = uow.national.number_of_owner(cmd.owner_id, cmd.kind.value)
    if cmd.kind is numbers.NumberKind.FORMAL:
        number = numbers.formal(cmd.resident_id)
        if existing is not None and existing.number_hash == key(number):
            return number
        if existing is not None and uow.national.number_owner(key(number)) is None:
            # The owner's formal number stored under another key (XUEJI_HASH_KEY was rotated):
            # an owner holds one formal number, now keyed with the current key.
            uow.national.rekey_number(existing.number_hash, key(number), now())
            return number
        if not uow.national.try_take_number(key(number), cmd.kind.value, cmd.owner_id, "", now()):
            raise AlreadyExists("该正式学籍号已分配给另一条学籍")
        return number
    if existing is not None:
        return existing.national_student_number
    if cmd.birth_date is None:  # the entrypoint refuses it first
        raise InvalidArgument(FieldViolation("birth_date", "出生日期不能为空或无效"))
    for number in candidates(cmd, rng):
        if uow.national.number_owner(key(number)) is None and uow.national.try_take_number(
            key(number), cmd.kind.value, cmd.owner_id, number, now()
        ):
            return number
    raise NumbersExhausted("该地区该出生日期的学籍号已用尽")


def candidates(cmd: ReserveNumber, rng: random.Random) -> Iterator[str]:
    """The L or J numbers to try for a TEMPORARY or PROVINCIAL number, in order."""
    assert cmd.birth_date is not None
    if cmd.kind is numbers.NumberKind.TEMPORARY:
        return iter(numbers.temporary_candidates(cmd.division_code, cmd.birth_date, rng))
    return iter(numbers.provincial_candidates(cmd.division_code, cmd.birth_date))
