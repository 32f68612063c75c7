"""How a nameko worker process is patched for eventlet: everything but threads.

nameko needs green sockets, select and time. Threads stay real, because the event handlers run
on real threads (eventlet.tpool: their database and gRPC calls block) and share locks with the hub
thread: logging's handler locks, prometheus-client's metric locks, SQLAlchemy's pool. Patched, those
are green locks, and a green lock contended from two real threads hangs for good: the waiter sleeps
in its own thread's hub and the releasing thread wakes it in another (seen end to end: a worker
that stops consuming, with a tpool thread waiting in its private hub). Real locks are held for
short, non-yielding stretches there, so the hub never blocks on one for long.
"""

from __future__ import annotations

import warnings


def patch() -> None:
    """Call first, before anything opens a socket (the worker entrypoint, the nameko test suite)."""
    with warnings.catch_warnings():  # eventlet warns on import that it is in bugfix-only mode
        warnings.simplefilter("ignore")
        import eventlet

    eventlet.monkey_patch(thread=False)
