"""db.engine.make_engine: no round trip on checkout, yet a connection the server closed (a restart
terminates every backend) is replaced before anyone uses it."""

from sqlalchemy import event, text

from xueji_common.db.engine import make_engine


def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout_without_a_ping(pg_database):
    engine = make_engine(pg_database(), pool_size=1)
    admin = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as conn:  # the same pooled connection, no SELECT 1 before it
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
        assert statements == ["SELECT pg_backend_pid()"] * 2
        with admin.connect() as conn:  # what a restart does to every backend (and waits for it)
            assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
        with engine.connect() as conn:  # no error: a new connection
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()
        admin.dispose()
