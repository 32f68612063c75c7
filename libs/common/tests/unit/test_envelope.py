import pytest

from xueji.v1 import events_pb2
from xueji_common.messaging.bus import InProcessBus, decode_body, encode_body
from xueji_common.messaging.envelope import UnknownEvent, new_envelope, open_envelope


def test_envelope_round_trip_keeps_identity_and_payload():
    event = events_pb2.ApplicationWithdrawn(application_id="a-1")
    envelope = new_envelope(event, producer="registration", aggregate_id="a-1")
    opened, payload = open_envelope(decode_body(encode_body(envelope.SerializeToString())))
    assert opened.event_id == envelope.event_id and len(opened.event_id) == 36
    assert opened.type == "ApplicationWithdrawn"
    assert opened.producer == "registration"
    assert opened.correlation_id == "a-1"
    assert payload == event


def test_payload_of_another_type_than_declared_is_refused():
    envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration")
    envelope.type = "ApplicationSubmitted"
    with pytest.raises(UnknownEvent):
        open_envelope(envelope.SerializeToString())


def test_in_process_bus_delivers_to_subscribers_of_that_producer_and_type_only():
    bus = InProcessBus()
    got = []
    bus.subscribe("registration", "ApplicationSubmitted", got.append)
    bus.publish("registration", "ApplicationSubmitted", b"x")
    bus.publish("registration", "ApplicationWithdrawn", b"y")
    bus.publish("review", "ApplicationSubmitted", b"z")
    assert got == [b"x"]


def test_in_process_bus_delivers_to_every_subscriber_before_raising_the_failure_of_one():
    bus = InProcessBus()
    got = []

    def down(body):
        raise ConnectionError("a dependency is down")

    bus.subscribe("registration", "ApplicationSubmitted", down)
    bus.subscribe("registration", "ApplicationSubmitted", got.append)
    with pytest.raises(ConnectionError):
        bus.publish("registration", "ApplicationSubmitted", b"x")
    assert got == [b"x"]  # the second consumer is not starved by the first


# -- the context an envelope carries (docs/OBSERVABILITY.md#one-trace-per-flow) ---------------------


@pytest.fixture
def traced():
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from xueji_common import tracing

    exporter = InMemorySpanExporter()
    tracing.install("test", exporter=exporter, batch=False)
    yield tracing
    tracing.uninstall()


def test_an_envelope_carries_the_request_id_and_user_of_the_code_that_published_it():
    from xueji_common import callcontext

    with callcontext.bound("req-1", "registrar-1"):
        envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration")
    assert (envelope.request_id, envelope.user, envelope.traceparent) == ("req-1", "registrar-1", "")


def test_with_tracing_off_an_envelope_carries_no_trace():
    envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration")
    assert envelope.traceparent == "" and envelope.request_id == ""


def test_the_consumer_continues_the_publishers_trace_with_its_request_id_and_user(traced):
    from opentelemetry import trace

    from xueji_common import callcontext
    from xueji_common.messaging.envelope import restored_context

    tracer = trace.get_tracer("test", tracer_provider=traced.provider())
    with tracer.start_as_current_span("upload") as upload, callcontext.bound("req-9", "registrar-9"):
        body = new_envelope(
            events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration", aggregate_id="a"
        ).SerializeToString()
    assert callcontext.request_id() == ""
    opened, _ = open_envelope(body)
    assert opened.traceparent.split("-")[:3] == [
        "00",
        f"{upload.context.trace_id:032x}",
        f"{upload.context.span_id:016x}",
    ]
    with restored_context(opened, "review handle ApplicationWithdrawn", {}):
        consumer = trace.get_current_span()
        assert consumer.context.trace_id == upload.context.trace_id
        assert consumer.parent.span_id == upload.context.span_id
        assert (callcontext.request_id(), callcontext.user()) == ("req-9", "registrar-9")
        # what the consumer publishes in turn continues the same trace, from its own span
        onward = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="review")
        assert onward.traceparent.split("-")[1:3] == [
            f"{upload.context.trace_id:032x}",
            f"{consumer.context.span_id:016x}",
        ]
    assert callcontext.request_id() == "" and not trace.get_current_span().get_span_context().is_valid


def test_a_given_traceparent_replaces_the_current_one(traced):
    kept = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    envelope = new_envelope(
        events_pb2.ApplicationWithdrawn(application_id="a"), producer="review", traceparent=kept
    )
    assert envelope.traceparent == kept


def test_an_event_from_outside_any_request_gets_a_request_id_of_its_own():
    from xueji_common import callcontext
    from xueji_common.messaging.envelope import restored_context

    envelope = new_envelope(events_pb2.ApplicationWithdrawn(application_id="a"), producer="registration")
    with restored_context(envelope, "x", {}):
        assert len(callcontext.request_id()) == 32
