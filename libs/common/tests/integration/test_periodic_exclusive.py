"""runtime.periodic.exclusive: one process at a time holds a job's key (PostgreSQL advisory lock)."""

from xueji_common.db.engine import make_engine
from xueji_common.runtime.periodic import exclusive


def test_a_second_holder_is_refused_until_the_first_is_done(pg_database):
    engine, other = make_engine(pg_database()), None
    try:
        other = make_engine(engine.url.render_as_string(hide_password=False))  # another process's pool
        with exclusive(engine, "registration:preschool-rematch") as first:
            assert first
            with exclusive(other, "registration:preschool-rematch") as second:
                assert not second
            with exclusive(other, "registration:upload-purge") as unrelated:
                assert unrelated
        with exclusive(other, "registration:preschool-rematch") as after:
            assert after
    finally:
        engine.dispose()
        if other is not None:
            other.dispose()


def test_sqlite_has_one_process_and_always_holds(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with exclusive(engine, "k") as first, exclusive(engine, "k") as second:
        assert first and second
    engine.dispose()
