"""The province tier's gate for a batch of submissions (service_layer/province_batch.py) on the fakes:
each item decided as the single use case decides it (the reference: every case is run both ways on
two fresh worlds and compared), with one call of each batch RPC, stale and repeated items changing
nothing, and what the batch leaves to the single path."""

from __future__ import annotations

import uuid

import pytest
from dedup_fake_peers import FakePeers, Person
from dedup_fakes import FakeDedupUoW
from test_dedup_province_checks import KEY, RESIDENT, SCHOOL, SCHOOL_JS, TREE, ZHANG, check, submitted

from xueji_dedup.domain.checks import Outcome
from xueji_dedup.service_layer import province, province_batch
from xueji_dedup.service_layer.ports import ClearNumber, PeerUnavailable

OTHER = "330102201506021232"  # not in the register


class World:
    """A province (uow), its national tier and its peers, fresh."""

    def __init__(self) -> None:
        self.nation = FakeDedupUoW(TREE, scope="national", hash_key=KEY)
        self.peers = FakePeers(self.nation)
        self.peers.register.people[RESIDENT] = ZHANG
        self.uow = FakeDedupUoW(TREE, hash_key=KEY)

    def known(self, *apps: province.Submitted, revision: int | None = None) -> None:
        """Registration holds these residents' numbers (at `revision`, else the event's)."""
        for a in apps:
            number = RESIDENT if a.name == ZHANG.name else OTHER
            self.peers.registration.applications[a.application_id] = ClearNumber(
                number, revision or a.revision, 0
            )

    def batch(self, apps: list[province.Submitted], retry_delays=()):
        """As the consumer runs a batch handler: one transaction, the events claimed, one commit."""
        with self.uow:
            self.uow.claim_events([str(uuid.uuid4()) for _ in apps], "dedup", "ApplicationSubmitted")
            got = province_batch.applications_submitted(
                self.uow, apps, peers=self.peers, tree=TREE, retry_delays=retry_delays
            )
            self.uow.commit()
        return got

    def one_by_one(self, apps: list[province.Submitted]):
        return [check(self.uow, a, self.peers) for a in apps]

    def state(self):
        rows = {
            a.application_id: (a.revision, a.outcome, a.reason_code, a.reason, bool(a.reservation_id))
            for a in self.uow.province.applications.values()
        }
        done = [(e.application_id, e.revision, e.outcome, e.reason_code, e.reason) for e in self.uow.events()]
        held = sorted((r.application_id, r.state) for r in self.nation.national.reservations.values())
        return rows, done, held


def resident(number: str = RESIDENT, person: Person = ZHANG, **kw) -> province.Submitted:
    return submitted(number, doc_type="1", category="resident", person=person, **kw)


def both_ways(setup, apps) -> tuple[World, World]:
    """The same batch through the batch use case and one by one, each on a fresh world."""
    batched, single = World(), World()
    for w in (batched, single):
        setup(w)
    results = batched.batch(apps), single.one_by_one(apps)
    assert results[0] == results[1]
    assert batched.state() == single.state()
    return batched, single


def test_a_mixed_batch_is_decided_item_by_item_as_one_by_one():
    taken = submitted("E00000001", school=SCHOOL_JS)  # a passport reserved by another application before
    residents = [resident(), resident(OTHER, person=Person("李四", 2, ZHANG.birth_date))]
    apps = [
        submitted(),  # passes
        submitted("E00000001"),  # held by `taken`'s reservation
        *residents,  # passes; refused by the register (not found)
        submitted("", doc_type="Z", category="no_document"),  # no gate
        resident(school=SCHOOL_JS),  # the same resident ID, a second application: held
    ]

    def setup(w: World) -> None:
        w.known(*residents, apps[-1])
        w.one_by_one([taken])

    batched, _ = both_ways(setup, apps)
    rows = batched.uow.province.applications
    assert [rows[a.application_id].outcome for a in apps] == [
        "passed",
        "failed",
        "passed",
        "failed",
        "not_required",
        "failed",
    ]
    # one call of each batch RPC for the whole batch
    assert batched.peers.registration.batch_calls == 1 and batched.peers.register.batch_calls == 1
    assert batched.peers.national.calls == ["reserve", "reserve_many"]  # `taken`'s, then the batch's


def test_stale_items_change_nothing_and_the_others_of_the_batch_go_on():
    moved_on = resident(revision=1)  # registration has revision 2 already
    checked = submitted(revision=2)  # revision 2 was checked before: revision 1 is repeated
    older = submitted(application_id=checked.application_id, revision=1)
    fresh = submitted("E00000002")

    def setup(w: World) -> None:
        w.known(moved_on, revision=2)
        w.one_by_one([checked])

    batched, _ = both_ways(setup, [moved_on, older, fresh])
    got = batched.state()[0]
    assert moved_on.application_id not in got and got[checked.application_id][0] == 2
    assert got[fresh.application_id][1] == "passed"


def test_an_item_already_checked_at_its_revision_is_a_duplicate_and_changes_nothing():
    app = submitted()
    w = World()
    w.one_by_one([app])
    before = w.state()
    assert w.batch([app, submitted("E00000003")])[0] is None
    after = w.state()
    assert after[0][app.application_id] == before[0][app.application_id]
    assert len(after[1]) == len(before[1]) + 1  # the other item's DedupCompleted only


def test_an_application_twice_in_one_batch_or_a_rotation_announcement_goes_one_by_one():
    app = submitted()
    w = World()
    with pytest.raises(province_batch.OneByOne):
        w.batch([app, submitted(application_id=app.application_id, revision=2)])
    with w.uow, pytest.raises(province_batch.OneByOne):
        province_batch.applications_submitted(
            w.uow, [app], peers=w.peers, tree=TREE, rotation_announced=[True]
        )
    assert w.state() == ({}, [], []) and w.peers.national.calls == []


def test_a_register_down_through_every_retry_fails_the_whole_batch_and_commits_nothing():
    apps = [resident(), submitted()]
    w = World()
    w.known(apps[0])
    w.peers.register.down_for = 3
    with pytest.raises(PeerUnavailable):
        w.batch(apps, retry_delays=(0, 0))
    assert w.state()[:2] == ({}, []) and w.uow.claimed == []
    assert w.peers.register.batch_calls == 3
    w.batch(apps, retry_delays=(0, 0))  # delivered again: the register is back
    assert [r.outcome for r in w.uow.province.applications.values()] == ["passed", "passed"]


def test_a_register_down_for_a_moment_is_retried_within_the_delivery():
    w = World()
    app = resident()
    w.known(app)
    w.peers.register.down_for = 1
    [result] = w.batch([app], retry_delays=(0,))
    assert result is not None and result.outcome is Outcome.PASSED


def test_a_corrected_document_gives_up_the_former_reservation_as_one_by_one():
    first = submitted()
    corrected = submitted("E87654321", revision=2, application_id=first.application_id)
    batched, _ = both_ways(lambda w: w.one_by_one([first]), [corrected])
    assert sorted(s for _, s in batched.state()[2]) == ["active", "released"]


def test_the_reads_end_before_the_calls_and_the_claim_is_written_with_the_results():
    w = World()
    app = resident(school=SCHOOL)
    w.known(app)
    w.batch([app])
    # claim_events read, then the batch's reads ended before the calls; one claim of the batch
    assert w.uow.reads_outside == 1 and w.uow.reads_ended == 1 and len(w.uow.claimed) == 1
