"""Structured logs (one JSON object per line) that never print a document number unmasked.

Code masks document numbers itself (documents.mask_document_number); the filter here is the safety
net: anything in a log record that looks like a resident ID, a residence permit or a permanent
residence card number is masked before it is written.

Every line carries what it was written for, when there is something: `request_id` (callcontext),
`user`, and while a trace is recorded `trace_id` and `span_id` (tracing). They are read when the
line is formatted, on the thread that logs it (the handler formats synchronously).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

from xueji_common import callcontext, tracing

# 15-18 character runs of digits (optionally ending in X): resident IDs, residence permits, new
# foreign permanent residence cards, first-generation IDs. Passports are too short and too varied to
# recognise in free text; code must mask them explicitly.
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{8,11}(\d{3}[\dXx])(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    return _ID_LIKE.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 7) + m.group(2), text)


def context_fields() -> dict:
    """request_id, user, trace_id, span_id of the code running on this thread (those it has)."""
    found = callcontext.fields()
    ids = tracing.current_ids()
    if ids is not None:
        found["trace_id"], found["span_id"] = ids
    return found


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **context_fields(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {**context_fields(), **(getattr(record, "fields", None) or {})}
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return scrub(line)


def configure(level: str = "INFO", fmt: str = "json", service: str = "") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    if service:
        logging.getLogger("xueji").info("logging configured", extra={"fields": {"service": service}})


def fields(**values) -> dict:
    """`log.info("msg", extra=fields(application_id=...))` attaches structured fields."""
    return {"fields": values}
