"""The eventlet-patched worker continues the publisher's trace (docs/OBSERVABILITY.md#one-trace-per-flow):
its handler runs on a real thread in a span whose parent is the envelope's traceparent, with the
request id and user of the publisher, and the batch span processor exports from the worker process."""

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_worker import EVENT, publish, recorder, wait_for, withdrawn

from xueji_common import callcontext, tracing
from xueji_common.messaging.consumer import Subscription


def test_the_worker_handles_an_event_in_the_trace_of_the_code_that_published_it(
    store, start_worker, amqp_uri
):
    exporter = InMemorySpanExporter()
    tracing.install("nameko-test-worker", exporter=exporter)  # batched, as in production
    try:
        seen = []
        record = recorder(store)

        def handler(event, uow, envelope):
            seen.append(
                (callcontext.request_id(), callcontext.user(), trace.get_current_span().get_span_context())
            )
            record(event, uow, envelope)

        start_worker(Subscription("registration", EVENT, handler))
        tracer = trace.get_tracer("test", tracer_provider=tracing.provider())
        with tracer.start_as_current_span("withdraw") as call, callcontext.bound("req-w", "registrar-1"):
            envelope = withdrawn("app-1")
        publish(amqp_uri, envelope)
        wait_for(lambda: seen, "the event to be handled")

        def exported():
            tracing.flush()
            return [s for s in exporter.get_finished_spans() if s.kind.name == "CONSUMER"]

        [span] = wait_for(exported, "the consumer span to be exported")
        request_id, user, ctx = seen[0]
        assert (request_id, user) == ("req-w", "registrar-1")
        assert ctx.trace_id == span.context.trace_id == call.context.trace_id
        assert span.parent.span_id == call.context.span_id
        assert span.name.startswith("nameko_test_") and span.name.endswith(" handle ApplicationWithdrawn")
    finally:
        tracing.uninstall()
