"""Preschool transfers (学前调档) and the supplementary entry (补录) as use cases on the in-memory unit
of work, with national-query's matching as a fake: matching on add and change, duplicates, repeated
requests, confirmation, deletion, listing, the rematch of the transfers left 匹配中.
(gRPC, update masks, page tokens and the SQL: tests/integration/test_preschool_transfers.py and
test_preschool_rematch.py.)"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from registration_fakes import HASH_KEY, SCHOOL, TREE, FakeRegistrationUoW, registrar

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentType, Gender
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidArgument,
    PermissionDenied,
    PreconditionFailed,
)
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import ApplicationState, EntryChannel
from xueji_registration.domain.preschool import Candidate, MatchAnswer, MatchStatus, PreschoolTransfer
from xueji_registration.service_layer import preschool
from xueji_registration.service_layer.preschool import IdentityInput
from xueji_registration.service_layer.repositories import TransferFilter
from xueji_registration.testing import resident_id, sample_form


class FakeMatcher:
    """National-query's preschool records by document number; `down`: no answer at all."""

    def __init__(self) -> None:
        self.by_number: dict[str, list[Candidate]] = {}
        self.down = False
        self.asked: list[list[str]] = []
        self.meanwhile = lambda: None  # what happens between the question and the answer

    def match(self, identities: list[Identity]) -> list[MatchAnswer | None]:
        self.asked.append([i.name for i in identities])
        self.meanwhile()
        if self.down:
            return [None for _ in identities]
        return [MatchAnswer(self.by_number.get(i.document.number, [])) for i in identities]


@pytest.fixture
def uow() -> FakeRegistrationUoW:
    return FakeRegistrationUoW()


@pytest.fixture
def matcher() -> FakeMatcher:
    return FakeMatcher()


def child(seq: str = "123", name: str = "张三", **kw) -> IdentityInput:
    fields = dict(name=name, gender=None, birth_date=None, document_type=DocumentType.RESIDENT_ID)
    return IdentityInput(document_number=resident_id(seq=seq), **{**fields, **kw})


def add(uow, matcher, given=None, principal=None, request_id="") -> PreschoolTransfer:
    return preschool.create_transfer(
        uow,
        SCHOOL,
        given or child(),
        principal=principal or registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
        matcher=matcher,
        request_id=request_id,
    )


def stored(uow, transfer) -> PreschoolTransfer:
    found = uow.transfers.get(transfer.transfer_id)
    assert found is not None
    return found


def test_add_matches_at_once_and_the_registrar_confirms_one_of_several(uow, matcher):
    matcher.by_number = {
        resident_id(seq="123"): [Candidate("r1")],
        resident_id(seq="125"): [Candidate("r2"), Candidate("r3")],
    }
    matched = add(uow, matcher, child("123"))
    assert matched.match_status is MatchStatus.MATCHED and matched.matched_record == Candidate("r1")
    assert matched.identity.gender is Gender.MALE and matched.identity.birth_date.year == 2015
    assert add(uow, matcher, child("127")).match_status is MatchStatus.NOT_FOUND
    several = add(uow, matcher, child("125", "李四"))
    assert several.match_status is MatchStatus.TO_CONFIRM and len(several.candidates) == 2
    confirm = preschool.confirm_match
    with pytest.raises(InvalidArgument):
        confirm(uow, several.transfer_id, "r9", several.version, principal=registrar(), tree=TREE)
    chosen = confirm(uow, several.transfer_id, "r3", several.version, principal=registrar(), tree=TREE)
    assert stored(uow, several).matched_record == Candidate("r3") and chosen.version == several.version + 1
    assert stored(uow, several).match_confirmed_by["user_id"] == registrar().user_id
    with pytest.raises(PreconditionFailed):
        confirm(uow, several.transfer_id, None, chosen.version, principal=registrar(), tree=TREE)


def test_identity_rules_duplicates_and_national_query_down(uow, matcher):
    add(uow, matcher)
    with pytest.raises(AlreadyExists):
        add(uow, matcher, child(name="另一个"))
    with pytest.raises(InvalidArgument) as err:
        add(uow, matcher, child("131", gender=Gender.FEMALE))
    assert [(v.field, v.description) for v in err.value.violations] == [
        ("identity.gender", "性别与身份证件号不符")
    ]
    matcher.down = True
    assert add(uow, matcher, child("133")).match_status is MatchStatus.PENDING
    with pytest.raises(PermissionDenied):
        add(uow, matcher, child("135"), Principal(user_id="l", role=Role.SCHOOL_LEADER, org_unit=SCHOOL))
    assert len(uow.transfers.rows) == 2


def test_the_same_number_added_at_the_same_moment_is_refused_as_a_duplicate(uow, matcher):
    def another_registrar_adds() -> None:  # commits between this one's check and its insert
        with uow:
            uow.transfers.add_many([_made(uow, matcher)])
            uow.commit()

    matcher.meanwhile = another_registrar_adds
    with pytest.raises(AlreadyExists):
        add(uow, matcher)
    assert list(uow.transfers.rows) == ["other"]


def _made(uow, matcher) -> PreschoolTransfer:
    return dataclasses.replace(
        PreschoolTransfer.new(
            school_code=SCHOOL,
            identity=preschool.checked_identity(child()),
            document_hash=preschool.hash_of(HASH_KEY, preschool.checked_identity(child())),
            created_by="someone",
            now=dt.datetime.now(dt.UTC),
        ),
        transfer_id="other",
    )


def test_a_repeated_request_returns_the_first_transfer_and_adds_nothing(uow, matcher):
    first = add(uow, matcher, request_id="req-1")
    again = add(uow, matcher, child("141"), request_id="req-1")
    assert again.transfer_id == first.transfer_id and len(uow.transfers.rows) == 1


def test_a_change_rematches_and_a_stale_version_is_refused(uow, matcher):
    first = add(uow, matcher)
    matcher.by_number = {resident_id(seq="141"): [Candidate("r7")]}
    update = preschool.update_transfer
    kw = dict(principal=registrar(), tree=TREE, hash_key=HASH_KEY, matcher=matcher)
    changed = update(uow, first.transfer_id, child("141"), first.version, **kw)
    assert changed.match_status is MatchStatus.MATCHED and changed.version == first.version + 1
    with pytest.raises(ConcurrentModification):
        update(uow, first.transfer_id, child("143"), first.version, **kw)
    renamed = update(uow, first.transfer_id, child("999", "王五"), changed.version, fields=("name",), **kw)
    assert (renamed.identity.name, renamed.identity.document.number) == ("王五", resident_id(seq="141"))
    other = add(uow, matcher, child("145"))
    with pytest.raises(AlreadyExists):
        update(uow, other.transfer_id, child("141"), other.version, **kw)


def test_deletion_checks_the_version_and_listing_filters_and_pages(uow, matcher):
    made = [add(uow, matcher, child(seq, "李" + seq)) for seq in ("143", "145", "147", "149")]
    listed, total = preschool.list_transfers(
        uow, TransferFilter(), "", 0, 3, principal=registrar(), tree=TREE
    )
    assert len(listed) == 3 and total == 4
    county = Principal(user_id="c", role=Role.DEPARTMENT_REGISTRAR, org_unit="330102")
    assert (
        preschool.list_transfers(
            uow, TransferFilter(name_prefix="李14"), "", 0, 10, principal=county, tree=TREE
        )[1]
        == 4
    )
    with pytest.raises(PermissionDenied):
        preschool.list_transfers(uow, TransferFilter(), "330105", 0, 10, principal=county, tree=TREE)
    delete = preschool.delete_transfer
    with pytest.raises(ConcurrentModification):
        delete(uow, made[0].transfer_id, made[0].version + 1, principal=registrar(), tree=TREE)
    delete(uow, made[0].transfer_id, made[0].version, principal=registrar(), tree=TREE)
    assert made[0].transfer_id not in uow.transfers.rows and len(uow.transfers.rows) == 3


def test_the_supplementary_entry_submits_the_freshman_and_locks_the_child(uow, matcher):
    matcher.by_number = {resident_id(seq="151"): [Candidate("r1")]}
    transfer = add(uow, matcher, child("151"))
    app = preschool.submit_supplementary_entry(
        uow,
        transfer.transfer_id,
        sample_form(grade="11"),
        transfer.version,
        principal=registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
        request_id="req-2",
    )
    assert (
        app.entry_channel is EntryChannel.SUPPLEMENTARY and app.preschool_transfer_id == transfer.transfer_id
    )
    assert (
        app.state is ApplicationState.AWAITING_SCHOOL_REVIEW and len(uow.events("ApplicationSubmitted")) == 1
    )
    locked = stored(uow, transfer)
    assert locked.registration_started and locked.application_id == app.application_id
    with pytest.raises(PreconditionFailed):
        preschool.delete_transfer(uow, transfer.transfer_id, locked.version, principal=registrar(), tree=TREE)
    again = preschool.submit_supplementary_entry(
        uow,
        transfer.transfer_id,
        {},
        99,
        principal=registrar(),
        tree=TREE,
        hash_key=HASH_KEY,
        request_id="req-2",
    )
    assert again.application_id == app.application_id and len(uow.applications.rows) == 1


def test_the_supplementary_entry_keeps_the_transfers_identity(uow, matcher):
    matcher.by_number = {resident_id(seq="153"): [Candidate("r1")]}
    transfer = add(uow, matcher, child("153"))
    form = {**sample_form(grade="11"), "name": "别人"}
    with pytest.raises(InvalidArgument) as err:
        preschool.submit_supplementary_entry(
            uow,
            transfer.transfer_id,
            form,
            transfer.version,
            principal=registrar(),
            tree=TREE,
            hash_key=HASH_KEY,
        )
    assert [v.field for v in err.value.violations] == ["student.name"] and not uow.applications.rows


# -- the rematch of the transfers national-query did not answer ---------------------------------


def pending_children(uow, matcher, *seqs) -> list[PreschoolTransfer]:
    matcher.down = True
    made = [add(uow, matcher, child(s, "童" + s)) for s in seqs]
    matcher.down = False
    return made


def rematch(uow, matcher, **kw):
    return preschool.rematch_pending(uow, matcher, at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1), **kw)


def test_unreachable_stays_pending_then_a_rematch_stores_the_answers(uow, matcher):
    a, b, c = pending_children(uow, matcher, "201", "203", "205")
    matcher.down = True
    down = rematch(uow, matcher)
    assert (down.unreachable, down.stopped, down.matched) == (3, True, 0)
    assert {(stored(uow, t).match_status, stored(uow, t).version) for t in (a, b, c)} == {
        (MatchStatus.PENDING, 1)
    }
    matcher.down = False
    matcher.by_number = {
        resident_id(seq="201"): [Candidate("r1")],
        resident_id(seq="205"): [Candidate("r2"), Candidate("r3")],
    }
    up = rematch(uow, matcher)
    assert (up.matched, up.not_found, up.to_confirm, up.unreachable, up.changed, up.stopped) == (
        1,
        1,
        1,
        0,
        0,
        False,
    )
    assert (stored(uow, a).match_status, stored(uow, a).version) == (MatchStatus.MATCHED, 2)
    assert stored(uow, b).match_status is MatchStatus.NOT_FOUND
    assert stored(uow, c).match_status is MatchStatus.TO_CONFIRM
    asked = len(matcher.asked)
    assert (
        rematch(uow, matcher).examined == 0 and len(matcher.asked) == asked
    )  # nothing pending is asked again


def test_oldest_first_in_batches_and_a_down_peer_stops_the_run(uow, matcher):
    pending_children(uow, matcher, "211", "213", "215")
    matcher.down, matcher.asked = True, []
    down = rematch(uow, matcher, batch=1)
    assert (down.unreachable, down.stopped, len(matcher.asked)) == (3, True, 1)  # one batch asked
    matcher.down, matcher.asked = False, []
    assert rematch(uow, matcher, batch=2).not_found == 3
    assert matcher.asked == [["童211", "童213"], ["童215"]]
    [fresh] = pending_children(uow, matcher, "217")
    assert preschool.rematch_pending(uow, matcher, older_than=dt.timedelta(minutes=1)).examined == 0
    assert stored(uow, fresh).match_status is MatchStatus.PENDING  # matched a moment ago


def test_a_transfer_changed_or_deleted_meanwhile_is_skipped_not_overwritten(uow, matcher):
    changed, deleted, untouched = pending_children(uow, matcher, "221", "223", "225")
    matcher.by_number = {resident_id(seq="227"): [Candidate("r9")], resident_id(seq="221"): [Candidate("r1")]}

    def registrar_edits() -> None:
        matcher.meanwhile = lambda: None
        kw = dict(principal=registrar(), tree=TREE, hash_key=HASH_KEY, matcher=matcher)
        preschool.update_transfer(uow, changed.transfer_id, child("227", "改名"), changed.version, **kw)
        preschool.delete_transfer(uow, deleted.transfer_id, deleted.version, principal=registrar(), tree=TREE)

    matcher.meanwhile = registrar_edits
    tally = rematch(uow, matcher)
    assert (tally.changed, tally.not_found) == (2, 1)
    kept = stored(uow, changed)
    assert (kept.identity.name, kept.matched_record, kept.version) == (
        "改名",
        Candidate("r9"),
        2,
    )  # the registrar's
    assert deleted.transfer_id not in uow.transfers.rows  # not written back
    assert stored(uow, untouched).match_status is MatchStatus.NOT_FOUND
