"""The queued lookup audit without a database: order kept, failures retried, room bounded, nothing
left behind by a clean stop."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from xueji_common.errors import Unavailable
from xueji_national_query.adapters.audit_writer import BufferedAuditWriter
from xueji_national_query.domain.lookup import AuditEntry

AT = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def entry(i: int, user: str = "app") -> AuditEntry:
    return AuditEntry(
        AT, user, "system", "000000", "ipv4:127.0.0.1", "document", "张*", "330***********123X", "found", i
    )


class Sink:
    """Commits groups into a list; fails the first `failures` writes; may be held shut."""

    def __init__(self, failures: int = 0) -> None:
        self.rows: list[AuditEntry] = []
        self.groups = 0
        self.failures = failures
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        self.closed = False

    def write(self, entries):
        self.entered.set()
        self.open.wait(10)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database down")
        self.rows.extend(entries)
        self.groups += 1

    def close(self):
        self.closed = True


def test_entries_are_committed_in_order_and_in_groups():
    sink = Sink()
    sink.open.clear()  # the first group waits: the next ones queue up meanwhile
    writer = BufferedAuditWriter(sink, max_group=50)
    for i in range(200):
        writer.write(entry(i))
    sink.open.set()
    assert writer.flush()
    assert [e.result_count for e in sink.rows] == list(range(200))
    assert sink.groups < 200
    writer.close()


def test_a_burst_from_many_threads_is_committed_whole_by_close():
    sink = Sink()
    writer = BufferedAuditWriter(sink, max_group=7)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: writer.write(entry(i, f"u{i % 8}")), range(1000)))
    writer.close()  # no flush first: close commits what is queued
    assert sorted(e.result_count for e in sink.rows) == list(range(1000))
    assert sink.closed


def test_a_failed_group_is_retried_not_dropped():
    sink = Sink(failures=2)
    writer = BufferedAuditWriter(sink)
    writer.write(entry(1))
    writer.write(entry(2))
    assert writer.flush()
    assert [e.result_count for e in sink.rows] == [1, 2]
    writer.close()


def test_when_the_queue_is_full_a_lookup_is_refused_rather_than_left_unaudited():
    sink = Sink()
    sink.open.clear()  # the database takes nothing
    writer = BufferedAuditWriter(sink, capacity=3, max_group=1, put_timeout=0.05)
    writer.write(entry(0))
    assert sink.entered.wait(10)  # in the writer's hands
    for i in range(1, 4):  # queued
        writer.write(entry(i))
    with pytest.raises(Unavailable):
        writer.write(entry(99))
    sink.open.set()
    writer.close()
    assert [e.result_count for e in sink.rows] == [0, 1, 2, 3]


def test_entries_written_after_close_are_committed_on_the_spot():
    sink = Sink()
    writer = BufferedAuditWriter(sink)
    writer.write(entry(1))
    writer.close()
    writer.write(entry(2))
    assert [e.result_count for e in sink.rows] == [1, 2]
