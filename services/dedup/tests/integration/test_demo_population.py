"""The embedded demo's population register: loaded once, keyed hashes only."""

from sqlalchemy import func, select

from xueji_common import demo
from xueji_common.hashing import document_hash
from xueji_dedup.adapters.tables import population
from xueji_dedup.spec import SPEC


def test_population_register_is_seeded_once_with_hashes_not_numbers(service_runtime):
    rt = service_runtime(SPEC)
    SPEC.seed_demo(rt)
    SPEC.seed_demo(rt)
    person = demo.population_register(rt.tree)[0]
    with rt.session_factory() as s:
        assert s.execute(select(func.count()).select_from(population)).scalar_one() == 2000
        row = s.execute(
            select(population).where(
                population.c.document_hash == document_hash(rt.settings.hash_key, "1", person.resident_id)
            )
        ).one()
        assert row.name == person.name
        stored = " ".join(str(v) for r in s.execute(select(population)).all() for v in r)
    assert person.resident_id not in stored
