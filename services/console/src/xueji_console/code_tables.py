"""The registration service's code tables (Registrations.ListCodeTables) as the record forms'
drop-downs: field path -> (value, text) options, kept for a few minutes in the console process.

The tables are the same for every user and change only with a release of the service, so one copy
serves every session; after TTL_SECONDS the next form that needs them asks again (a failed refresh
keeps showing the copy it has, logged). Which codes exist is the service's alone."""

from __future__ import annotations

import logging
import threading
import time

from starlette.concurrency import run_in_threadpool

from xueji.v1 import registration_pb2 as r
from xueji_console.backend import Failure, call

log = logging.getLogger(__name__)
TTL_SECONDS = 300.0

Options = tuple[tuple[str, str], ...]


def entry_text(entry: r.CodeTableEntry) -> str:
    """How an entry reads in a drop-down: "01 汉族" for a code field (as the template's lists show
    it), the name alone for an enum field ("健康或良好"), the code when it has no name ("ZWE")."""
    if not entry.display_name:
        return entry.code or entry.value
    if entry.value == entry.code:
        return f"{entry.code} {entry.display_name}"
    return entry.display_name


def options_by_field(tables) -> dict[str, Options]:
    """Each form field path of the tables ("ethnicity_code", "family_members.relationship_code")
    -> its options."""
    found: dict[str, Options] = {}
    for table in tables:
        options = tuple((e.value, entry_text(e)) for e in table.entries)
        for path in table.fields:
            found[path] = options
    return found


class CodeTables:
    def __init__(self, ttl: float = TTL_SECONDS, clock=time.monotonic) -> None:
        self._ttl, self._clock = ttl, clock
        self._lock = threading.Lock()
        self._options: dict[str, Options] | None = None
        self._fetched_at = 0.0

    def options(self, registrations, token: str) -> dict[str, Options]:
        """The options by field path, fetched with `token` (any signed-in user's) when the copy is
        older than the TTL. Called from a worker thread: it may block on the service."""
        with self._lock:
            if self._options is not None and self._clock() - self._fetched_at < self._ttl:
                return self._options
            try:
                self._options = options_by_field(_fetch(registrations, token))
            except Failure as failure:
                if self._options is None:
                    raise
                log.warning(
                    "code tables not refreshed (status %s), the previous copy is kept", failure.status
                )
            self._fetched_at = self._clock()
            return self._options


def _fetch(registrations, token: str) -> list[r.CodeTable]:
    tables, page_token = [], ""
    while True:
        response = call(
            registrations.ListCodeTables,
            r.ListCodeTablesRequest(page_size=500, page_token=page_token),
            token,
        )
        tables.extend(response.code_tables)
        page_token = response.next_page_token
        if not page_token:
            return tables


async def for_form(request, session) -> dict[str, Options]:
    """The options of the record forms, for a page about to render one."""
    console = request.app.state.console
    return await run_in_threadpool(
        console.code_tables.options, console.backend.registrations, session.access_token
    )
