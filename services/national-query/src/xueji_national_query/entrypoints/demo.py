"""Embedded demo: load synthetic preschool records (学前学籍) into the national read model."""

from __future__ import annotations

from sqlalchemy import func, insert, select

from xueji_common import demo
from xueji_common.db.engine import now
from xueji_common.documents import mask_document_number
from xueji_common.hashing import document_hash, student_number_hash
from xueji_national_query.adapters.tables import national_records


def seed(runtime) -> None:
    with runtime.engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(national_records)).scalar_one():
            return
        tree = runtime.tree
        people = demo.population_register(tree)
        stamp = now()
        records = demo.preschool_records(tree, people)
        # One child holding two records under one number: both are problem records (一人多籍).
        numbers = [r.document_number for r in records if r.document_number]
        shared = {n for n in numbers if numbers.count(n) > 1}
        conn.execute(
            insert(national_records),
            [
                {
                    "record_id": r.record_id,
                    "national_student_number": r.national_student_number,
                    "national_student_number_hash": student_number_hash(
                        runtime.settings.hash_key, r.national_student_number
                    ),
                    "name": r.name,
                    "gender": int(r.gender),
                    "birth_date": r.birth_date,
                    "document_type": r.document_type,
                    "document_hash": document_hash(
                        runtime.settings.hash_key, r.document_type, r.document_number
                    )
                    if r.document_number
                    else "",
                    "document_masked": mask_document_number(r.document_number),
                    "province_code": r.county_code[:2] + "0000",
                    "school_code": "",
                    "school_name": r.kindergarten_name,
                    "stage": "preschool",
                    "enrolment_status": "graduated",
                    "problem": r.document_number in shared,
                    "version": 1,
                    "changed_at": stamp,
                }
                for r in records
            ],
        )
