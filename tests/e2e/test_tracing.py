"""One import is one trace, from the upload to the last number (docs/OBSERVABILITY.md#one-trace-per-flow).

The embedded system with tracing on (an in-memory exporter behind the batch span processor, as
production has an OTLP one): a registrar imports a workbook; dedup authenticates the student,
review opens a case, the school leader, the school registrar and the county decide in calls of
their own, registration creates the record and its number, and dedup, national-query and
special-ed hear of it. Every event handler of that flow runs in the trace the upload started, and
every log line it writes carries that trace id, and the upload's request id and user until a
reviewer's call takes over.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.e2e.actors import NON_PRIMARY, RESIDENT, People, Province, identity_form

from xueji_common import tracing
from xueji_common.auth import Role, TokenSigner
from xueji_common.config import DEV_SIGNING_KEY_FILE, Settings
from xueji_common.logs import JsonFormatter
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.signing import SigningKey
from xueji_common.testing.infra import free_port
from xueji_registration.testing import sample_form

REQUEST_ID = "import-7f3a-test"


class _Embedded:
    """What tests.e2e.actors.Province needs of a cluster, answered by an embedded system."""

    def __init__(self, system: EmbeddedSystem) -> None:
        self.system = system
        key = SigningKey.load(system.settings.data_dir / DEV_SIGNING_KEY_FILE)
        self._signer = TokenSigner(key, system.settings.token_issuer, system.settings.token_audience)

    def address(self, name: str) -> str:
        return self.system.settings.grpc_address

    def token(self, role: Role, org: str, user: str) -> str:
        return self._signer.mint(user, role, org, 3600)


class _Lines(logging.Handler):
    """Log lines as JSON, formatted when written (on the thread that writes them), as in production."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    exporter = InMemorySpanExporter()
    tracing.install("embedded", exporter=exporter)
    lines = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines)
    root.setLevel(logging.INFO)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        relay_interval=0.1,
    )
    system = EmbeddedSystem(settings)
    system.start()
    try:
        yield system, exporter, lines
    finally:
        system.stop()
        root.removeHandler(lines)
        root.setLevel(level)
        tracing.uninstall()


@pytest.fixture(scope="module")
def imported(traced):
    """The flow of one imported student, to its number; (application id, the application)."""
    system, exporter, _lines = traced
    zj = Province(_Embedded(system))
    registrar_md = zj.md
    # the upload, and only it, comes with the caller's own request id
    zj.md = lambda role, org=None, user="": [*registrar_md(role, org, user), ("x-request-id", REQUEST_ID)]
    report = zj.import_rows(
        NON_PRIMARY, RESIDENT, [{**sample_form("resident"), **identity_form(RESIDENT, People().older())}]
    )
    zj.md = registrar_md
    assert (report.rows_passed, report.rows_failed) == (1, 0), report.errors
    [app_id] = report.created_ids
    zj.approve_all_levels(app_id, RESIDENT)
    app, _ = zj.approved(app_id)
    # StudentRecordCreated reaches dedup, national-query and special-ed after the number is set.
    for _ in range(100):
        tracing.flush()
        if len(_consumer_spans(exporter, app.record_id, "StudentRecordCreated")) >= 3:
            break
        time.sleep(0.1)
    tracing.flush()
    zj.close()
    return app_id, app


def _consumer_spans(exporter, app_id: str, event_type: str = ""):
    return [
        s
        for s in exporter.get_finished_spans()
        if s.attributes.get("xueji.aggregate_id") == app_id
        and (not event_type or s.attributes.get("xueji.event.type") == event_type)
    ]


def _upload_span(exporter):
    [span] = [
        s for s in exporter.get_finished_spans() if s.name == "/xueji.v1.Registrations/ImportApplications"
    ]
    return span


def test_every_event_handler_of_an_imported_student_runs_in_the_uploads_trace(traced, imported):
    _, exporter, _ = traced
    app_id, app = imported
    assert app.national_student_number
    trace_id = _upload_span(exporter).context.trace_id
    handled = _consumer_spans(exporter, app_id) + _consumer_spans(
        exporter, app.record_id
    )  # the record's events
    by_service = {
        (s.attributes["xueji.event.type"], s.name.split()[0]) for s in handled
    }  # "<service> handle <type>"
    # registration → dedup → review → the reviewers' decisions → the record and its number → its consumers
    assert {
        ("ApplicationSubmitted", "dedup"),
        ("ApplicationSubmitted", "review"),
        ("DedupCompleted", "registration"),
        ("DedupCompleted", "review"),
        ("ReviewProgressed", "registration"),
        ("RegistrationApproved", "registration"),
        ("StudentRecordCreated", "dedup"),
        ("StudentRecordCreated", "national-query"),
        ("StudentRecordCreated", "special-ed"),
    } <= by_service
    assert {s.context.trace_id for s in handled} == {trace_id}


def test_the_uploads_trace_holds_its_sql_and_the_calls_between_services(traced, imported):
    _, exporter, _ = traced
    trace_id = _upload_span(exporter).context.trace_id
    in_trace = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
    kinds = {s.kind.name for s in in_trace}
    assert {"SERVER", "CONSUMER", "CLIENT"} <= kinds
    assert any(s.attributes.get("db.system") or s.attributes.get("db.system.name") for s in in_trace)
    # dedup asks the population register (a gRPC call) within the same trace
    assert any(s.kind.name == "SERVER" and "PopulationRegister" in s.name for s in in_trace)
    # a span continuing the trace names a parent of the trace
    ids = {s.context.span_id for s in in_trace}
    assert all(
        s.parent is None or s.parent.span_id in ids
        for s in in_trace
        if s.name != "/xueji.v1.Registrations/ImportApplications"
    )


def test_the_reviewers_calls_are_traces_of_their_own(traced, imported):
    _, exporter, _ = traced
    trace_id = _upload_span(exporter).context.trace_id
    approvals = [s for s in exporter.get_finished_spans() if s.name == "/xueji.v1.Reviews/ApproveCase"]
    assert approvals and all(s.context.trace_id != trace_id for s in approvals)


def test_log_lines_of_the_flow_carry_its_trace_request_id_and_user(traced, imported):
    _, exporter, lines = traced
    trace_hex = format(_upload_span(exporter).context.trace_id, "032x")
    of_upload = [line for line in lines.lines if line.get("request_id") == REQUEST_ID]
    messages = {line["msg"] for line in of_upload}
    assert {"rpc", "event handled"} <= messages
    assert {line.get("trace_id") for line in of_upload} == {trace_hex}
    # the registrar's, and dedup's own in the calls it makes for the upload (the request id goes along)
    assert {line.get("user") for line in of_upload if line["msg"] == "event handled"} == {
        "school_registrar-1330102001"
    }
    assert all(
        line.get("user") == "school_registrar-1330102001" or line.get("user", "").startswith("service:")
        for line in of_upload
    )
    [access] = [line for line in of_upload if line["msg"] == "rpc"]
    assert access["method"] == "xueji.v1.Registrations/ImportApplications" and access["code"] == "OK"
    # the record's creation, in the county's approval request, still belongs to the upload's trace
    created = [
        line
        for line in lines.lines
        if line["msg"] == "event handled"
        and line.get("type") == "RegistrationApproved"
        and line.get("trace_id") == trace_hex
    ]
    assert created and created[0]["request_id"] != REQUEST_ID
