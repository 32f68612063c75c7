"""Benchmark: the import's two hand-written fast paths against the straightforward code they stand
beside (issue 18 §5: a parallel implementation stays only where a figure shows why).

  rows    RowParser.parse, row by row (every rule, the reasons worded per cell), against
          BatchParser.parse of the same rows a chunk at a time (each distinct value of a column once);
  events  the ApplicationSubmitted envelopes of a batch through the protobuf runtime
          (events.application_submitted + new_envelope + SerializeToString), against
          batch_events.submitted_envelopes writing the same bytes straight in the wire format.

Both pairs give identical results (tests/unit/test_excel_batch.py, tests/unit/test_batch_events.py).
Prints µs per row of each and the ratio, best of 3 interleaved rounds, in one process.

    .venv/bin/python bench/parallel_paths.py [--rows 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from google.protobuf.timestamp_pb2 import Timestamp

from xueji_common.auth import Principal, Role
from xueji_common.documents import DocumentCategory, DocumentType, validate_document
from xueji_common.messaging.envelope import new_envelope
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters import batch_events, events
from xueji_registration.adapters.excel import samples
from xueji_registration.domain.batches import SubmittedBatch, new_ids
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, EntryChannel
from xueji_registration.domain.template.batch import BatchParser, Chunk
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.testing import resident_id, sample_form

TEMPLATE = registration_template(RegistrationKind.NON_PRIMARY_FRESHMAN, DocumentCategory.RESIDENT)
BY = Principal("registrar-7", Role.SCHOOL_REGISTRAR, "1330102001")
CHUNK = 500


def rows_pair(rows: list[list]):
    from xueji_registration.domain.template.rows import RowParser

    def row_by_row() -> None:
        parser = RowParser(TEMPLATE)
        for n, row in enumerate(rows, start=2):
            parser.parse(n, list(row))

    def by_chunk() -> None:
        batch = BatchParser(RowParser(TEMPLATE))
        for i in range(0, len(rows), CHUNK):
            part = rows[i : i + CHUNK]
            numbers = list(range(i + 2, i + 2 + len(part)))
            batch.parse(Chunk(numbers, [list(r) for r in part], list(zip(*part))))

    return row_by_row, by_chunk


def submitted_batch(n: int) -> SubmittedBatch:
    at = dt.datetime(2024, 9, 1, 8, 30, tzinfo=dt.UTC)
    people = [
        validate_document(
            DocumentType.RESIDENT_ID, resident_id("20150601", f"{i % 1000:03d}", f"3301{i // 1000 % 100:02d}")
        )
        for i in range(n)
    ]
    identities = [Identity(f"学生{i}", d.gender, d.birth_date, d) for i, d in enumerate(people)]
    form = sample_form()
    first = Application.submit(
        school_code="1330102001",
        kind=RegistrationKind.NON_PRIMARY_FRESHMAN,
        category=DocumentCategory.RESIDENT,
        identity=identities[0],
        form=form,
        document_hash="h0",
        created_by=BY.user_id,
        now=at,
        entry_channel=EntryChannel.IMPORT,
        import_id="imp-1",
    )
    first.county_code = "330102"
    batch = SubmittedBatch(first)
    for i, who in enumerate(identities):
        batch.add(first.application_id if i == 0 else f"app-{i}", who, f"{i:064x}", form)
    return batch


def events_pair(batch: SubmittedBatch):
    occurred = Timestamp()
    occurred.GetCurrentTime()
    ids = new_ids(len(batch.rows))

    def runtime() -> None:
        for app, event_id in zip(batch.applications(), ids):
            new_envelope(
                events.application_submitted(app, county_code="330102", by=BY),
                producer="registration",
                aggregate_id=app.application_id,
                event_id=event_id,
                occurred_at=occurred,
            ).SerializeToString()

    def wire() -> None:
        batch_events.submitted_envelopes(
            batch, county_code="330102", by=BY, producer="registration", event_ids=ids, occurred_at=occurred
        )

    return runtime, wire


def best(fn, rounds: list[float]) -> None:
    started = time.perf_counter()
    fn()
    rounds.append(time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    rows = [tuple(r) for r in samples.student_rows(TEMPLATE, args.rows)]
    pairs = {"rows": rows_pair(rows), "events": events_pair(submitted_batch(args.rows))}
    names = {"rows": ("RowParser", "BatchParser"), "events": ("protobuf runtime", "wire writer")}
    for key, (plain, fast) in pairs.items():
        times: dict[str, list[float]] = {"plain": [], "fast": []}
        plain(), fast()  # warm up (caches, imports)
        for _ in range(3):
            best(plain, times["plain"])
            best(fast, times["fast"])
        p, f = min(times["plain"]) / args.rows * 1e6, min(times["fast"]) / args.rows * 1e6
        print(f"{key}: {names[key][0]} {p:.1f} µs/row, {names[key][1]} {f:.1f} µs/row: {p / f:.1f}x faster")


if __name__ == "__main__":
    main()
