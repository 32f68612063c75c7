"""The embedded demo's preschool records in the national read model."""

from sqlalchemy import func, select

from xueji_national_query.adapters.tables import national_records
from xueji_national_query.spec import SPEC


def test_preschool_records_are_seeded_once_some_children_twice(service_runtime):
    rt = service_runtime(SPEC)
    SPEC.seed_demo(rt)
    count_once = _count(rt)
    SPEC.seed_demo(rt)
    assert _count(rt) == count_once > 0
    with rt.session_factory() as s:
        shared = s.execute(
            select(national_records.c.document_hash)
            .where(national_records.c.document_hash != "")
            .group_by(national_records.c.document_hash)
            .having(func.count() > 1)
        ).all()
        no_document = s.execute(
            select(func.count()).select_from(national_records).where(national_records.c.document_type == "Z")
        ).scalar_one()
    assert len(shared) == 5  # children with two preschool records: matching finds several
    assert no_document == 20


def _count(rt) -> int:
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(national_records)).scalar_one()
