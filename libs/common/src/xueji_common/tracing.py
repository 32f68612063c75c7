"""OpenTelemetry tracing: one trace per flow, from the upload to the last number.

Off unless XUEJI_OTLP_ENDPOINT names a collector (so off by default in embedded mode); then each
process has a TracerProvider that exports through a batch span processor (spans are queued and sent
on a thread of their own, never on the call's), and:

- gRPC: the server interceptor opens a span per call, continuing the caller's `traceparent`
  (grpcserver.server); channels to peers carry it (grpcserver.client.channel);
- SQLAlchemy: a span per statement on every service's engine (runtime.bootstrap);
- events: the envelope carries the W3C `traceparent` of the code that published it
  (messaging.envelope), and the consumer handles it in a span continuing that trace
  (messaging.consumer), so the handlers of one import share its trace across services and workers.

Off, none of that is installed: no provider, no interceptor, no engine hooks; `enabled()` is one
global read and envelopes carry no trace (docs/OBSERVABILITY.md#cost). The flow is CPU-bound
(bench/README.md), so tracing off must cost nothing.

Tests install an in-memory exporter with `install(service, exporter=...)` and `uninstall()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # OpenTelemetry is imported only once tracing is on
    import grpc
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
    from opentelemetry.trace import Link, SpanKind, Tracer, TraceState
    from opentelemetry.util.types import Attributes
    from sqlalchemy.engine import Engine

    from xueji_common.config import Settings

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None  # the SDK TracerProvider while tracing is on
_tracer: Tracer | None = None


def enabled() -> bool:
    return _provider is not None


def provider() -> TracerProvider | None:
    """The SDK TracerProvider while tracing is on (tests open spans of their own with it), else None."""
    return _provider


def setup(settings: Settings, service: str) -> None:
    """Tracing for this process as the settings say (XUEJI_OTLP_ENDPOINT, XUEJI_TRACE_SAMPLE_RATIO)."""
    if not settings.otlp_endpoint or enabled():
        return
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    # http://host:4317: plaintext; https://: TLS with the system's roots (the exporter's own rules).
    install(
        service,
        exporter=OTLPSpanExporter(endpoint=settings.otlp_endpoint),
        sample_ratio=settings.trace_sample_ratio,
    )
    log.info(
        "tracing on",
        extra={
            "fields": {"otlp_endpoint": settings.otlp_endpoint, "sample_ratio": settings.trace_sample_ratio}
        },
    )


# The batch processor's queue: an import's handlers write a few spans per statement; more than the
# SDK's default 2,048 queued spans were seen to drop during a 300-row import.
MAX_QUEUED_SPANS = 16384
EXPORT_EVERY_MS = 1000


def install(service: str, *, exporter: SpanExporter, sample_ratio: float = 1.0, batch: bool = True) -> None:
    """A provider exporting to `exporter` (see _sampler)."""
    global _provider, _tracer
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": f"xueji-{service}", "service.namespace": "xueji"}),
        sampler=_sampler(sample_ratio),
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter, max_queue_size=MAX_QUEUED_SPANS, schedule_delay_millis=EXPORT_EVERY_MS)
        if batch
        else SimpleSpanProcessor(exporter)
    )
    _provider, _tracer = provider, provider.get_tracer("xueji")
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)  # for libraries that trace by themselves (set once only)


def _sampler(ratio: float) -> Sampler:
    """Parent-based: a span inside a trace follows its trace's decision, so that a trace is whole
    or absent. A new trace starts at a call or an event handled, kept at `ratio` (by trace id); a
    statement or an outgoing call outside any trace (the relay's polls, periodic jobs) starts none:
    thousands of one-span traces of background work would bury the flows."""
    from opentelemetry.sdk.trace.sampling import (
        Decision,
        ParentBased,
        Sampler,
        SamplingResult,
        TraceIdRatioBased,
    )
    from opentelemetry.trace import SpanKind

    class RootsAtCallsAndEvents(Sampler):
        def __init__(self) -> None:
            self._ratio = TraceIdRatioBased(ratio)

        def should_sample(
            self,
            parent_context: Context | None,
            trace_id: int,
            name: str,
            kind: SpanKind | None = None,
            attributes: Attributes = None,
            links: Sequence[Link] | None = None,
            trace_state: TraceState | None = None,
        ) -> SamplingResult:
            if kind == SpanKind.CLIENT:
                return SamplingResult(Decision.DROP)
            return self._ratio.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )

        def get_description(self) -> str:
            return f"RootsAtCallsAndEvents({ratio})"

    return ParentBased(root=RootsAtCallsAndEvents())


def uninstall() -> None:
    """Flush and drop the provider (process exit, tests)."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def flush() -> None:
    if _provider is not None:
        _provider.force_flush()


def server_interceptors() -> list[grpc.ServerInterceptor]:
    """The gRPC server interceptor opening a span per call (none when off); health checks and
    reflection are not traced."""
    if not enabled():
        return []
    from opentelemetry.instrumentation.grpc import filters, server_interceptor

    quiet = filters.any_of(filters.health_check(), filters.service_prefix("grpc.reflection"))
    return [server_interceptor(tracer_provider=_provider, filter_=filters.negate(quiet))]


def traced_channel(channel: grpc.Channel) -> grpc.Channel:
    """`channel` with the client interceptor that sends the current trace to the peer (unchanged when off)."""
    if not enabled():
        return channel
    from opentelemetry.instrumentation.grpc import client_interceptor
    from opentelemetry.instrumentation.grpc.grpcext import intercept_channel

    return intercept_channel(channel, client_interceptor(tracer_provider=_provider))


def instrument_engine(engine: Engine) -> None:
    """A span per SQL statement of this engine (nothing when off). The instrumentor's public entry
    instruments one engine per process; embedded mode has one per service, so its EngineTracer is
    attached to each directly."""
    if not enabled():
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    usage = NoOpMeterProvider().get_meter("xueji").create_up_down_counter("db.client.connections.usage")
    EngineTracer(_tracer, engine, usage)


def current_traceparent() -> str:
    """The W3C traceparent of the current span ("" when off or outside any trace)."""
    if _provider is None:
        return ""
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent", "")


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, for log lines; None when there is none."""
    if _provider is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


@contextmanager
def consuming(traceparent: str, name: str, attributes: Mapping[str, str]) -> Iterator[None]:
    """A CONSUMER span `name`, child of the publisher's `traceparent` (a new trace when empty)."""
    if _tracer is None:  # set and unset with _provider
        yield
        return
    from opentelemetry import context, trace
    from opentelemetry.propagate import extract

    parent = extract({"traceparent": traceparent}) if traceparent else context.Context()
    with _tracer.start_as_current_span(
        name, context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
    ):
        yield
