"""The rules of a hash-key rotation that need no database: which events announce one, the key check,
and the no-document match key (the same formula before and after a rotation, only the key differs)."""

import datetime as dt

import pytest

from xueji.v1 import events_pb2
from xueji_common.hashing import document_hash
from xueji_dedup.domain.problems import no_document_key
from xueji_dedup.service_layer.rotation import KeyMismatch, announced_by_rotation, check_key

KEY, OTHER = "k" * 32, "o" * 32


def test_only_envelopes_correlated_with_a_rehash_run_announce_a_rotation():
    assert announced_by_rotation(events_pb2.EventEnvelope(correlation_id="rehash:9f1c"))
    assert not announced_by_rotation(events_pb2.EventEnvelope(correlation_id="a1b2-application"))
    assert not announced_by_rotation(events_pb2.EventEnvelope())
    assert not announced_by_rotation(None)


def test_an_announced_hash_must_be_made_with_this_tiers_key():
    check_key(KEY, "1", "330102201506011237", document_hash(KEY, "1", "330102201506011237"))
    check_key(KEY, "Z", "", document_hash(KEY, "Z", ""))  # no document: the hash of the empty number
    with pytest.raises(KeyMismatch):
        check_key(KEY, "1", "330102201506011237", document_hash(OTHER, "1", "330102201506011237"))


def test_the_no_document_key_is_a_keyed_hash_of_what_the_twins_share():
    key = no_document_key(KEY, "赵六", 2, dt.date(2013, 7, 8), "330102")
    assert key == document_hash(KEY, "NODOC", "赵六|2|20130708|330102")
    assert key != no_document_key(OTHER, "赵六", 2, dt.date(2013, 7, 8), "330102")
