"""StudentRecordCreated in batches at the province tier (issue 16 step 3) and the national tier's
CommitReservations, on the fakes: each item decided as the single use case decides it."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace

import pytest
from dedup_fake_peers import FakePeers
from dedup_fakes import FakeDedupUoW
from test_dedup_problem_use_cases import KEY, SCHOOL, SCHOOL_B, TREE, snapshot

from xueji_common.documents import mask_document_number
from xueji_common.errors import ConcurrentModification, NotFound
from xueji_common.hashing import document_hash
from xueji_dedup.domain.problems import RuleRefused
from xueji_dedup.service_layer import national, province, record_batches, records


class World:
    def __init__(self) -> None:
        self.nation = FakeDedupUoW(TREE, scope="national", hash_key=KEY)
        self.peers = FakePeers(self.nation)
        self.uow = FakeDedupUoW(TREE, hash_key=KEY)

    def submitted(self, record_id: str, passport: str, school: str = SCHOOL) -> records.RecordSnapshot:
        """An application checked (its document reserved nationally) and the record it becomes."""
        rec = snapshot(record_id, number=passport, school=school, application_id=f"app-{record_id}")
        app = province.Submitted(
            rec.application_id, 1, school, "non_primary_freshman", "hmt_foreign", "A",
            rec.document_hash, mask_document_number(passport), rec.name, rec.gender, rec.birth_date,
        )  # fmt: skip
        with self.uow:
            province.application_submitted(self.uow, app, peers=self.peers, tree=TREE, retry_delays=())
        assert self.uow.province.application(rec.application_id).reservation_id
        return rec

    def one_by_one(self, recs) -> None:
        for rec in recs:
            with self.uow:
                self.uow.claim_event(str(uuid.uuid4()), "dedup", "StudentRecordCreated")
                records.record_created(self.uow, rec, peers=self.peers, tree=TREE)

    def as_batch(self, recs) -> None:
        with self.uow:
            commits = self.uow.commits
            record_batches.records_created(self.uow, recs, peers=self.peers, tree=TREE)
            assert self.uow.commits == commits  # the consumer commits
            self.uow.commit()

    def state(self):
        rows = {k: {**asdict(v), "update_time": None} for k, v in self.uow.province.records.items()}
        groups = sorted(
            (g.kind.value, g.match_key, tuple(s.record_id for s in g.students))
            for g in self.uow.problems.groups.values()
        )
        raised = [sorted(e.record_ids) for e in self.uow.events("ProblemRaised")]
        reservations = sorted(
            (r.application_id, r.state, r.record_id) for r in self.nation.national.reservations.values()
        )
        held = {
            k: (v.document_hash, v.application_id, v.school_code)
            for k, v in self.nation.national.records.items()
        }
        return rows, groups, raised, reservations, held


def snap(record_id: str, **kw) -> records.RecordSnapshot:
    return snapshot(record_id, application_id=f"app-{record_id}", **kw)


def scenario(world: World) -> list[records.RecordSnapshot]:
    """Setup in `world` (single path) and the batch's records: a clean commit, a document another
    record holds, a refused commit, a stale snapshot, two no-document twins."""
    world.one_by_one([snap("r0", number="E0000002"), replace(snap("r5", number="E0000005"), version=3)])
    clean, refused = world.submitted("r1", "E0000001"), world.submitted("r6", "E0000006")
    corrected = world.submitted("r2", "E0000007")  # reserved, then corrected to r0's document:
    sharing = replace(corrected, document_hash=document_hash(KEY, "A", "E0000002"))  # it registers
    reservation = world.uow.province.application(refused.application_id).reservation_id
    national.release_reservation(world.nation, reservation, "WITHDRAWN")
    twin = dict(number="", doc_type="Z", category="no_document")
    return [
        clean,
        sharing,
        snap("r3", school=SCHOOL, **twin),
        replace(snap("r5", number="E0000005"), version=2),  # stale
        refused,
        snap("r4", school=SCHOOL_B, **twin),
    ]


def test_a_mixed_batch_ends_as_one_by_one_would():
    single, batched = World(), World()
    items_single, items_batched = scenario(single), scenario(batched)
    single.one_by_one(items_single)
    batched.as_batch(items_batched)
    assert batched.state() == single.state()
    rows, groups, _, reservations, held = batched.state()
    assert sorted(rows) == ["r0", "r1", "r2", "r3", "r4", "r5", "r6"] and rows["r5"]["snapshot_version"] == 3
    assert [g[0] for g in groups] == ["no_document_duplicate", "shared_document"]
    assert ("committed", "r1") in {(state, record) for _, state, record in reservations}
    assert {"r1", "r2", "r6"} <= set(held)


def test_the_batch_asks_the_nation_once_to_commit_and_once_to_check():
    world = World()
    recs = [world.submitted(f"r{i}", f"E00000{i:02d}") for i in range(5)]
    world.peers.national.calls.clear()
    world.as_batch(recs)
    assert world.peers.national.calls == ["commit_each", "check_each"]
    assert all(r.state == "committed" for r in world.nation.national.reservations.values())


def test_a_stale_or_redelivered_item_changes_nothing():
    world = World()
    rec = world.submitted("r1", "E0000001")
    world.one_by_one([replace(rec, version=2)])
    before = world.state()
    world.peers.national.calls.clear()
    world.as_batch([rec])
    assert world.state() == before and world.peers.national.calls == []


@pytest.mark.parametrize("pair", ["same record", "same document"])
def test_records_of_a_batch_that_would_see_each_other_go_one_by_one(pair):
    world = World()
    first = world.submitted("r1", "E0000001")
    second = replace(first, version=2) if pair == "same record" else snapshot("r2", number="E0000001")
    with pytest.raises(ConcurrentModification):
        world.as_batch([first, second])
    assert world.uow.province.records == {}


def test_commit_reservations_decides_each_item_as_commit_reservation():
    nation = FakeDedupUoW(TREE, scope="national", hash_key=KEY)
    ids = [
        national.reserve_identity(
            nation, national.ReserveIdentity("A", h * 64, f"a{h}", "330000", SCHOOL)
        ).reservation_id
        for h in "abc"
    ]
    national.release_reservation(nation, ids[2], "WITHDRAWN")
    items = [
        national.CommitItem(ids[0], "r1", "L1"),
        national.CommitItem(ids[1], "r2", "L2"),
        national.CommitItem(ids[0], "r1", "L1"),  # again: the same answer
        national.CommitItem(ids[1], "r9", "L9"),  # committed to r2 just before
        national.CommitItem(ids[2], "r3", "L3"),  # released
        national.CommitItem("no-such-reservation", "r4", "L4"),
    ]
    got = national.commit_reservations(nation, items)
    assert [r.record_id for r in got[:3]] == ["r1", "r2", "r1"]
    assert [type(e) for e in got[3:]] == [RuleRefused, RuleRefused, NotFound]
    assert [e.code for e in got[3:5]] == ["COMMITTED_TO_ANOTHER_RECORD", "RELEASED"]
    assert sorted(nation.national.records) == ["r1", "r2"]
    assert [type(x) for x in national.commit_reservations(nation, items)] == [type(x) for x in got]  # a retry


def test_more_than_500_commits_are_refused_before_any():
    nation = FakeDedupUoW(TREE, scope="national", hash_key=KEY)
    with pytest.raises(national.InvalidArgument):
        national.commit_reservations(nation, [national.CommitItem("x", "r", "")] * 501)
