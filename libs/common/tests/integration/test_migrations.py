"""Every service's migrations build exactly the schema its code uses, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from xueji_common.db.engine import make_engine
from xueji_common.db.migrations import current_heads, upgrade
from xueji_common.runtime.spec import load_specs

SPECS = load_specs()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_migrations_match_the_models(spec, backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'db.sqlite'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")()
    )
    engine = make_engine(url)
    upgrade(engine, spec.versions_dir, spec.metadata)
    upgrade(engine, spec.versions_dir, spec.metadata)  # a second run is a no-op
    assert current_heads(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), spec.metadata)
    engine.dispose()
    assert diff == [], f"{spec.name}: models and migrations differ: {diff}"
