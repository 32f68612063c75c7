"""Embedded demo: load the synthetic population register (基础数据库) on first start."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from xueji_common import demo
from xueji_common.hashing import document_hash
from xueji_dedup.adapters.tables import population


def seed(runtime) -> None:
    with runtime.engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(population)).scalar_one():
            return
        people = demo.population_register(runtime.tree)
        conn.execute(
            insert(population),
            [
                {
                    "document_hash": document_hash(runtime.settings.hash_key, "1", p.resident_id),
                    "name": p.name,
                    "gender": int(p.gender),
                    "birth_date": p.birth_date,
                    "household_division": p.household_division,
                }
                for p in people
            ],
        )
