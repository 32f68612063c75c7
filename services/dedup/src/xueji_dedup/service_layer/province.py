"""The province tier's part of the registration flow (docs/FLOWS.md §2): gate checks of submitted
applications, releasing reservations of withdrawn ones.

Event handlers: they get an open unit of work whose inbox claim is deferred (see unit_of_work), read
what they need, end the read, call the peers, then claim, write and commit. A submission's check is
one transaction (issue 16 step 4): its reads before the calls run outside any (autocommit on
PostgreSQL, `read_outside_transaction`), so no lock or snapshot is held while a peer answers, and
the claim, the stored result and DedupCompleted are written together; a newer revision stored
meanwhile by another handler wins (`save_check`: nothing written, nothing published). The clear
document number, which only the population register needs, is asked of registration over gRPC
(`peers.registration.application_number`, never on the bus) and is never stored or logged.
A batch of submissions (one bus message) is checked by service_layer/province_batch.py: the same
decisions, with one call of each peer and a constant number of statements per batch.

The population register down: the call is retried here with growing pauses; if it stays down the
handler raises PeerUnavailable, nothing is committed, and the bus delivers the event again later
(nameko requeues it; the embedded relay retries its outbox row with backoff). No event goes out in
the meantime, so the application stays 未查重认证. Retrying through the bus rather than a table of
pending checks keeps the clear number out of this database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_chain,
    wait_fixed,
)

from xueji_common.db.engine import now
from xueji_common.holders import describe_school
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_dedup.adapters import events
from xueji_dedup.domain import checks
from xueji_dedup.domain.checks import CheckResult, Holding, Outcome
from xueji_dedup.service_layer import rotation
from xueji_dedup.service_layer.ports import Peers, PeerUnavailable, PopulationRegister
from xueji_dedup.service_layer.unit_of_work import DedupUoW

log = logging.getLogger(__name__)

REGISTER_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # seconds between attempts within one delivery


@dataclass(frozen=True)
class Submitted:
    application_id: str
    revision: int
    school_code: str
    kind: str
    category: str  # resident | hmt_foreign | no_document
    document_type: str  # JY/T code
    document_hash: str
    document_masked: str
    name: str
    gender: int
    birth_date: dt.date | None


def application_submitted(
    uow: DedupUoW,
    app: Submitted,
    *,
    peers: Peers,
    tree: OrgTree,
    retry_delays: Sequence[float] | None = None,
    rotation_announced: bool = False,
) -> CheckResult | None:
    """Check a (re)submitted application; returns the result, None for a stale revision. Announced
    again by a hash-key rotation at the revision already checked: only re-keyed (rotation)."""
    number = None
    if rotation_announced or app.category == "resident":  # before any read: no transaction held
        number = peers.registration.application_number(app.application_id)
        if number is None or number.revision != app.revision:
            uow.commit()  # registration moved on (or never had it): the newer announcement decides
            return None
    uow.read_outside_transaction()
    previous = uow.province.application(app.application_id)
    if rotation_announced:
        assert number is not None  # asked above
        rotation.check_key(uow.hash_key, app.document_type, number.number, app.document_hash)
        if previous is not None and previous.revision == app.revision:
            rotation.application_rekeyed(uow, app, previous, peers=peers, tree=tree)
            return None
    if previous is not None and previous.revision >= app.revision:
        uow.commit()  # stale or repeated: nothing changes
        return None
    in_province = (
        []
        if app.category == "no_document"
        else uow.province.record_holdings(
            app.document_type, app.document_hash, except_application=app.application_id
        )
    )
    uow.end_reads()

    if previous is not None and previous.reservation_id and previous.document_hash != app.document_hash:
        peers.national.release(previous.reservation_id, "CORRECTED")  # the document was corrected
    reservation_id = previous.reservation_id if previous is not None else ""
    if app.category == "no_document":
        result = CheckResult(Outcome.NOT_REQUIRED)
    else:
        delays = REGISTER_RETRY_DELAYS if retry_delays is None else retry_delays
        result, reservation_id = _check(
            app, number.number if number else "", in_province, peers, tree, delays
        )

    uow.claim_now()
    stored = uow.province.save_check(check_row(app, result, reservation_id, now()))
    if not stored:  # a newer revision was checked meanwhile (another worker): it decides
        uow.commit()
        return None
    if result.outcome is not Outcome.NOT_REQUIRED:
        uow.publish(
            events.dedup_completed(app.application_id, app.revision, app.category, result),
            aggregate_id=app.application_id,
        )
    uow.commit()
    return result


def check_row(app: Submitted, result: CheckResult, reservation_id: str, at: dt.datetime) -> dict[str, object]:
    """The province_applications row of an application's check."""
    return dict(
        application_id=app.application_id,
        revision=app.revision,
        school_code=app.school_code,
        kind=app.kind,
        category=app.category,
        document_type=app.document_type,
        document_hash=app.document_hash,
        document_masked=app.document_masked,
        outcome=result.outcome.value,
        reason_code=result.reason_code,
        reason=result.reason,
        reservation_id=reservation_id,
        state="active",
        update_time=at,
    )


def _check(
    app: Submitted,
    number: str,
    in_province: list[Holding],
    peers: Peers,
    tree: OrgTree,
    retry_delays: Sequence[float],
) -> tuple[CheckResult, str]:
    """Register (resident ID), then the province index, then the national reservation."""
    if app.category == "resident":
        refusal = verify_with_retries(peers.register, app, number, retry_delays)
        if refusal:
            return checks.register_refusal(refusal, app.document_masked), ""
    if in_province:
        return held(in_province, app, tree), ""
    province = tree.province_of(app.school_code)
    got = peers.national.reserve(
        app.document_type,
        app.document_hash,
        app.application_id,
        province.code if province else "",
        app.school_code,
    )
    if isinstance(got, Holding):
        return held([got], app, tree), ""
    return checks.PASSED, got


def verify_with_retries(
    register: PopulationRegister, app: Submitted, number: str, retry_delays: Sequence[float]
) -> str:
    """The register's answer; PeerUnavailable once it stayed down through every pause of `retry_delays`."""
    retrying = register_retrying(retry_delays, {"application_id": app.application_id})
    return retrying(register.verify, app.name, app.gender, app.birth_date, number)


def register_retrying(retry_delays: Sequence[float], fields: dict[str, object]) -> Retrying:
    """Calls of the population register retried while it is unavailable, with the pauses given,
    each failed attempt logged with `fields`; then PeerUnavailable."""

    def logged(state: RetryCallState) -> None:
        log.warning(
            "population register unavailable",
            extra={
                "fields": {
                    **fields,
                    "attempt": state.attempt_number,
                    "status": str(state.outcome.exception()) if state.outcome else "",
                }
            },
        )

    return Retrying(
        retry=retry_if_exception_type(PeerUnavailable),
        stop=stop_after_attempt(len(retry_delays) + 1),
        wait=wait_chain(*(wait_fixed(d) for d in retry_delays)) if retry_delays else wait_fixed(0),
        after=logged,
        reraise=True,
    )


def held(holdings: list[Holding], app: Submitted, tree: OrgTree) -> CheckResult:
    """The refusal of an application whose document the first of `holdings` holds."""
    holding = checks.first_holding(holdings)
    assert holding is not None  # of a list not empty
    province = holding.province_code
    found = tree.province_of(holding.school_code) if not province and holding.school_code in tree else None
    if found is not None:
        province = found.code
    enrolled = app.category == "resident" and app.kind != RegistrationKind.PRIMARY_FRESHMAN.value
    return checks.held(
        holding,
        describe_school(tree, holding.school_code, province),
        app.document_masked,
        enrolled_resident=enrolled,
    )


def application_withdrawn(uow: DedupUoW, application_id: str, *, peers: Peers) -> None:
    """Withdrawn: its reservation is given up (the document is free again)."""
    previous = uow.province.application(application_id)
    uow.end_reads()
    if previous is not None and previous.reservation_id:
        peers.national.release(previous.reservation_id, "WITHDRAWN")
    uow.claim_now()
    if previous is not None:
        uow.province.update_application(application_id, state="withdrawn", update_time=now())
    uow.commit()
