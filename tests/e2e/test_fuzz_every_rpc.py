"""Every RPC of every service of the embedded system, fuzzed from its descriptor over a real socket.

Requests are built field by field from each method's input descriptor (strings long, empty, with
NUL, LIKE wildcards, SQL, codes of real units; numbers at the int32/int64 edges; enum numbers the
proto does not define; Timestamps beyond year 9999; page tokens of this request, of others, garbled
and huge; random bytes), sent by callers of every role. Asserted for every answer: never UNKNOWN
or INTERNAL (a handler crashed), no internal text in the message or its details (SQL, tracebacks,
exception class names), and every service still SERVING afterwards. The seed is fixed, the count bounded
(PER_RPC requests per method), and the whole run stops after BUDGET_SECONDS.
"""

from __future__ import annotations

import base64
import importlib
import math
import pkgutil
import random
import re
import time
from collections import Counter

import grpc
import pytest
from google.protobuf import descriptor as d
from google.protobuf import message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from tests.e2e.coverage import coverage

import xueji.v1
from xueji_common import paging
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver.errors import field_violations
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.testing.infra import free_port

SEED = 20261207
PER_RPC = 100
BUDGET_SECONDS = 60
CALLERS = (
    (Role.SCHOOL_REGISTRAR, "1330102001"),
    (Role.SCHOOL_LEADER, "1330102001"),
    (Role.DEPARTMENT_REGISTRAR, "330102"),
    (Role.DEPARTMENT_REGISTRAR, "000000"),
    (Role.SYSTEM, "000000"),
)
STRINGS = (
    "",
    " ",
    "1330102001",
    "1330105001",
    "1320104001",
    "330102",
    "330000",
    "000000",
    "张三",
    "张",
    "%",
    "_",
    "张%",
    "\\",
    "%_\\%",
    "' OR 1=1 --",
    "\x00",
    "a\x00b",
    "G" + "9" * 18,
    "330102201501011234",
    "𠀀😀",
    "\u202e",
    "\n\t",
    "张" * 1000,
    "x" * 1001,
    "张" * 60_000,
    "o:1",
    base64.urlsafe_b64encode(b"o:" + b"9" * 40).decode(),
    base64.urlsafe_b64encode(b"o:50").decode(),
    "00000000-0000-0000-0000-000000000000",
    "-1",
    "9" * 30,
)
INT32 = (0, 1, -1, 2, 13, 999, 2**31 - 1, -(2**31))
INT64 = (*INT32, 2**63 - 1, -(2**63), 10**15)
DOUBLES = (0.0, -0.0, 1.5, -3.0, 1e308, -1e308, math.inf, -math.inf, math.nan)
# Values the edge accepts, so that half of the requests reach the handlers' own checks and queries.
MILD_STRINGS = tuple(
    s for s in STRINGS if "\x00" not in s and len(s) <= 1000 and not s.startswith(("o:", "-", "999"))
)
LEAKS = re.compile(
    r"SQL|Traceback|sqlalchemy|sqlite|psycopg|File \"|line \d+|\b[A-Z]\w*(Error|Exception)\b"
    r"|Python|object at 0x|Enum \w+ has no|not valid|<class"
)


def served_methods(services: list[str]) -> list[d.MethodDescriptor]:
    out = []
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            for service in importlib.import_module(
                f"xueji.v1.{module.name}"
            ).DESCRIPTOR.services_by_name.values():
                if service.full_name in services:
                    out.extend(service.methods)
    return sorted(out, key=lambda m: m.full_name)


def fill(message, rng: random.Random, mild: bool, depth: int = 0):
    """Set a random subset of the message's fields (nested messages to depth 3); `mild`: only values
    the edge validation lets through."""
    for field in message.DESCRIPTOR.fields:
        if rng.random() < 0.4:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            continue  # no map fields in the contracts' requests
        count = rng.choice((1, 1, 2, 3)) if field.is_repeated else 1
        for _ in range(count):
            if field.type == field.TYPE_MESSAGE:
                if depth >= 3:
                    break
                target = (
                    getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
                )
                special(target, rng, mild) or fill(target, rng, mild, depth + 1)
                if not field.is_repeated:
                    target.SetInParent()
                continue
            value = scalar(field, rng, mild)
            if field.is_repeated:
                getattr(message, field.name).append(value)
            else:
                setattr(message, field.name, value)
    return message


def paged(request, rng: random.Random, mild: bool):
    """A paged request's top-level page_size and page_token (AIP-158): `mild`, a token made for this
    very request (as a previous response would give it); else also tokens of another request, with
    a changed position, or garbled."""
    if "page_token" not in request.DESCRIPTOR.fields_by_name:
        return request
    request.page_size = rng.choice((0, 1, 500, 501, 2**31 - 1) if mild else INT32)
    bound = paging.binding(request)
    own = paging.encode(rng.choice((50, 100, paging.MAX_OFFSET)), bound)
    garbled = own[:5] + ("B" if own[5] == "A" else "A") + own[6:]
    forged = (
        paging.encode(50, bound + b"other filters"),
        garbled,
        base64.urlsafe_b64encode(b"o:50").decode(),
        "!" * 70,
    )
    request.page_token = rng.choice(("", own) if mild else ("", own, *forged))
    return request


def special(message, rng: random.Random, mild: bool) -> bool:
    """Well-known types get values at their edges."""
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        message.seconds, message.nanos = rng.choice(
            ((1_700_000_000, 0), (0, 0), (253402300799, 999_999_999))
            if mild
            else ((2**62, 0), (-(2**62), 0), (0, -1), (253402300800, 0), (1_700_000_000, 10**9))
        )
        return True
    if name == "xueji.v1.Date":
        message.year, message.month, message.day = rng.choice(
            ((2015, 6, 1), (1, 1, 1), (9999, 12, 31), (2024, 2, 29))
            if mild
            else ((2015, 2, 30), (0, 13, 1), (10_000, 1, 1), (-1, -1, -1), (2**31 - 1, 1, 1))
        )
        return True
    return False


def scalar(field, rng: random.Random, mild: bool):
    t = field.type
    if t == field.TYPE_STRING:
        return rng.choice(MILD_STRINGS if mild else STRINGS)
    if t == field.TYPE_BYTES:
        return rng.choice((b"", b"PK\x03\x04" + rng.randbytes(64), rng.randbytes(rng.randint(1, 512))))
    if t == field.TYPE_BOOL:
        return rng.random() < 0.5
    if t == field.TYPE_ENUM:
        return rng.choice((*field.enum_type.values_by_number, *(() if mild else (999, -1, 2**31 - 1))))
    if t in (field.TYPE_DOUBLE, field.TYPE_FLOAT):
        return rng.choice(DOUBLES)
    if t in (field.TYPE_INT64, field.TYPE_SINT64, field.TYPE_SFIXED64):
        return rng.choice(INT64)
    if t in (field.TYPE_UINT64, field.TYPE_FIXED64):
        return rng.choice((0, 1, 2**64 - 1))
    if t in (field.TYPE_UINT32, field.TYPE_FIXED32):
        return rng.choice((0, 1, 2**32 - 1))
    return rng.choice(INT32)


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        relay_interval=0.1,
    )
    system = EmbeddedSystem(settings)
    system.start()
    yield system
    system.stop()


def leaked_text(error: grpc.RpcError) -> list[str]:
    texts = [error.details() or ""]
    status = rpc_status.from_call(error)
    if status is not None:
        texts += [status.message, *(str(detail) for detail in status.details)]
    return [t[:300] for t in texts if LEAKS.search(t)]


def test_every_rpc_fuzzed_answers_clearly_without_internal_text(system):
    rng = random.Random(SEED)
    tokens = system.runtimes[0].tokens
    metadata = [[("authorization", f"Bearer {tokens.mint(f'fuzz-{r.value}', r, org)}")] for r, org in CALLERS]
    methods = served_methods(system.server.service_names)
    assert len(methods) >= 50
    classes = {m.full_name: message_factory.GetMessageClass(m.input_type) for m in methods}
    failures, calls, started, codes = [], 0, time.monotonic(), Counter()
    with grpc.insecure_channel(
        system.settings.grpc_address, options=[("grpc.max_send_message_length", 64 << 20)]
    ) as channel:
        for i in range(PER_RPC):
            for method in methods:
                if time.monotonic() - started > BUDGET_SECONDS:
                    break
                path = f"/{method.containing_service.full_name}/{method.name}"
                mild = i % 2 == 1
                messages = [
                    paged(fill(classes[method.full_name](), rng, mild), rng, mild)
                    for _ in range(rng.randint(1, 3) if method.client_streaming else 1)
                ]
                if i == 0:
                    messages = [classes[method.full_name]()]  # the empty request first
                stub = (channel.stream_unary if method.client_streaming else channel.unary_unary)(
                    path,
                    request_serializer=lambda m: m.SerializeToString(),
                    response_deserializer=lambda b: b,
                )
                calls += 1
                try:
                    stub(
                        iter(messages) if method.client_streaming else messages[0],
                        metadata=metadata[rng.randrange(len(metadata))],
                        timeout=20,
                    )
                    codes["OK"] += 1
                except grpc.RpcError as exc:
                    codes[exc.code().name] += 1
                    if exc.code() in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL):
                        failures.append(
                            f"{path}: {exc.code().name} {exc.details()[:300]}\n  {messages[0]}"[:800]
                        )
                    if leaked_text(exc):
                        failures.append(f"{path}: internal text {leaked_text(exc)}")
    coverage.bad_inputs += calls
    elapsed = time.monotonic() - started
    print(f"fuzzed {calls} calls over {len(methods)} RPCs in {elapsed:.1f} s: {dict(codes.most_common())}")
    assert not failures, f"{len(failures)} of {calls} calls:\n" + "\n".join(failures[:30])
    assert calls >= len(methods) * min(PER_RPC, 5)

    health = health_pb2_grpc.HealthStub(grpc.insecure_channel(system.settings.grpc_address))
    for name in ["", *system.server.service_names]:
        assert (
            health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
            == health_pb2.HealthCheckResponse.SERVING
        ), name


def _other_filters(request):
    """The request with one filter changed: its first string field, else its first number or enum;
    None for a list without filters (ListCodeTables)."""
    other = type(request)()
    other.CopyFrom(request)
    for field in request.DESCRIPTOR.fields:
        if field.name in paging.PAGING_FIELDS or field.is_repeated or field.message_type is not None:
            continue
        if field.type == field.TYPE_STRING:
            setattr(other, field.name, getattr(request, field.name) + "1")
            return other
        if field.type == field.TYPE_ENUM:
            values = [v for v in field.enum_type.values_by_number if v != getattr(request, field.name)]
            setattr(other, field.name, values[-1])
            return other
    return None


def test_every_paged_rpc_refuses_a_token_of_other_filters_or_garbled(system):
    """AIP-158 across every service: the token of a request continues that request only."""
    token = system.runtimes[0].tokens.mint("pager", Role.DEPARTMENT_REGISTRAR, "330102")
    metadata = [("authorization", f"Bearer {token}")]
    paged_methods = [
        m for m in served_methods(system.server.service_names) if "page_token" in m.input_type.fields_by_name
    ]
    assert len(paged_methods) >= 12
    with grpc.insecure_channel(system.settings.grpc_address) as channel:
        for method in paged_methods:
            path = f"/{method.containing_service.full_name}/{method.name}"
            stub = channel.unary_unary(
                path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=lambda b: b
            )
            request = message_factory.GetMessageClass(method.input_type)(page_size=1)
            own = paging.encode(1, paging.binding(request))
            other = _other_filters(request)
            garbled = own[:5] + ("B" if own[5] == "A" else "A") + own[6:]
            for sent in (
                *([_with_token(other, own)] if other is not None else []),
                _with_token(request, garbled),
                _with_token(request, base64.urlsafe_b64encode(b"o:1").decode()),
            ):
                with pytest.raises(grpc.RpcError) as refused:
                    stub(sent, metadata=metadata, timeout=10)
                assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, path
                assert _violated_fields(refused.value) == ["page_token"], path
            try:
                stub(_with_token(request, own), metadata=metadata, timeout=10)
            except grpc.RpcError as exc:  # e.g. a required school code: refused, but not for the token
                assert "page_token" not in _violated_fields(exc), path


def _with_token(request, token: str):
    sent = type(request)()
    sent.CopyFrom(request)
    sent.page_token = token
    return sent


def _violated_fields(error: grpc.RpcError) -> list[str]:
    return [field for field, _ in field_violations(error)]
