"""Counting the SQL statements a piece of code sends, for tests that a batch costs a constant number
of statements whatever its size (issue 16 step 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The statements sent through `engine` inside the block, in order (COPY's rows travel on the
    driver's connection, so a COPY counts once or not at all, never per row)."""
    sent: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)
