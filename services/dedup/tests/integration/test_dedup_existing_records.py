"""The nation's existing records, bulk-loaded by `xueji national-query load`, are holders in the
national dedup exactly like records created here (docs/DOMAIN.md#existing-national-records;
issue 12 §1): the load streams its rows to Dedup.LoadRecordHoldings over a real socket, all or nothing."""

from __future__ import annotations

import csv

import pytest
from dedup_helpers import (
    HASH_KEY,
    SCHOOL,
    deliver,
    published,
    pull_national_events,
    record_created,
    resident,
    submitted,
)
from sqlalchemy import func, select

from xueji.v1 import events_pb2
from xueji_common.config import Settings
from xueji_common.errors import Unavailable
from xueji_common.hashing import loaded_record_id, student_number_hash
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.tables import national_records
from xueji_national_query.adapters.holdings_feed import dedup_feed
from xueji_national_query.adapters.tables import national_records as nq_records
from xueji_national_query.service_layer.bulk_load import bulk_load
from xueji_national_query.spec import SPEC as NQ

HK = "H24681357"
JS_SCHOOL = "1320102001"  # 江苏省南京市玄武区梅园小学
JS_PLACE = "江苏省南京市玄武区梅园小学"
HEADER = [
    "全国学籍号",
    "姓名",
    "性别",
    "出生日期",
    "身份证件类型",
    "身份证件号",
    "所在省份",
    "学校标识码",
    "学校名称",
    "就读学段",
    "就读状态",
    "是否问题学籍",
    "最新学籍变动时间",
]


def row(nsn, name, doc_type, number, birth="2012-05-06", stage="小学"):
    return [
        nsn,
        name,
        "1",
        birth,
        doc_type,
        number,
        "320000",
        JS_SCHOOL,
        "梅园小学",
        stage,
        "在读",
        "否",
        "2026-09-01 08:00:00",
    ]


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


@pytest.fixture
def national_query(service_runtime, dedup):
    """National-query on its own database, its dedup peer the dedup server of the test."""
    return service_runtime(
        NQ, Settings(hash_key=HASH_KEY, peers={"dedup-national": dedup.settings.grpc_address})
    )


def load(nq, path):
    return bulk_load(nq.uow_factory(), path, "csv", holdings=lambda: dedup_feed(nq))


def count(rt, table) -> int:
    with rt.session_factory() as s:
        return s.execute(select(func.count()).select_from(table)).scalar()


def test_an_hk_permit_held_by_a_loaded_record_elsewhere_fails_national_dedup_naming_it(
    dedup, national_query, tmp_path
):
    report = load(national_query, write(tmp_path / "a.csv", [row("L320102201205061234", "陈大文", "6", HK)]))
    assert report.rows_inserted == 1 and count(dedup, national_records) == 1
    deliver(dedup, submitted(HK, doc_type="6", school=SCHOOL))
    [refused] = published(dedup, "DedupCompleted")
    assert (refused.outcome, refused.reason_code) == (
        events_pb2.DEDUP_OUTCOME_FAILED,
        "HELD_BY_ANOTHER_RECORD",
    )
    assert refused.reason == f"该身份证件号已被{JS_PLACE}的学籍使用（H******57）"


def test_a_resident_enrolled_elsewhere_is_returned_to_a_non_freshman_registrar_to_transfer(
    dedup, national_query, people, tmp_path
):
    p = people[3]
    load(
        national_query,
        write(
            tmp_path / "a.csv",
            [row("G" + p.resident_id, p.name, "1", p.resident_id, p.birth_date.isoformat())],
        ),
    )
    deliver(dedup, resident(p))
    [refused] = published(dedup, "DedupCompleted")
    assert refused.outcome == events_pb2.DEDUP_OUTCOME_FAILED
    assert refused.reason.startswith(f"该身份证件号已被{JS_PLACE}的学籍使用（")
    assert (
        refused.reason.endswith("：该学生已有学籍，应办理转学，不能重复注册")
        and p.resident_id not in refused.reason
    )


def test_a_freshman_enrolled_elsewhere_gets_a_cross_province_problem_group_with_the_loaded_record(
    dedup, national_query, people, tmp_path
):
    p = people[4]
    load(
        national_query,
        write(
            tmp_path / "a.csv",
            [row("G" + p.resident_id, p.name, "1", p.resident_id, p.birth_date.isoformat())],
        ),
    )
    app = resident(p, kind=1)  # a primary freshman: authentication in parallel, a record with an L number
    deliver(dedup, app)
    assert published(dedup, "DedupCompleted")[0].outcome == events_pb2.DEDUP_OUTCOME_FAILED
    deliver(dedup, record_created(app))
    assert published(dedup, "ProblemRaised") == []  # raised at its home, the national tier, ...
    pull_national_events(dedup)  # ... and heard back through its deliveries
    # one database playing every province hears it once per province holding a member
    raised, *again = published(dedup, "ProblemRaised")
    assert {r.problem_group_id for r in again} <= {raised.problem_group_id}
    assert raised.kind == events_pb2.PROBLEM_KIND_SHARED_DOCUMENT
    # National-query flags the loaded record too, under the id its load gave it (never the number).
    assert loaded_record_id(student_number_hash(HASH_KEY, "G" + p.resident_id)) in raised.record_ids
    with dedup.uow_factory() as uow:
        group = uow.problems.get(raised.problem_group_id)
    assert group.resolver_level == 1  # the ministry: across provinces
    assert sorted(s.school_code for s in group.students) == sorted([SCHOOL, JS_SCHOOL])


def test_a_load_the_national_dedup_cannot_take_leaves_nothing_in_either_store(
    dedup, service_runtime, tmp_path
):
    nq = service_runtime(
        NQ, Settings(hash_key=HASH_KEY, peers={"dedup-national": f"127.0.0.1:{free_port()}"})
    )
    with pytest.raises(Unavailable):
        load(
            nq,
            write(
                tmp_path / "a.csv",
                [row(f"L32010220120506{i:04d}", "陈大文", "6", f"H{i:08d}") for i in range(3000)],
            ),
        )
    assert count(nq, nq_records) == 0 and count(dedup, national_records) == 0


def test_loading_again_replaces_the_holdings_and_keeps_one_per_record(dedup, national_query, tmp_path):
    rows = [row(f"L32010220120506{i:04d}", "陈大文", "6", f"H{i:08d}") for i in range(2500)]
    load(national_query, write(tmp_path / "a.csv", rows))
    load(national_query, write(tmp_path / "b.csv", rows))
    assert count(dedup, national_records) == 2500


def test_a_first_load_leaves_the_keys_and_indexes_as_the_migrations_made_them(
    dedup, national_query, tmp_path
):
    def indexes():
        with dedup.engine.connect() as conn:
            return sorted(
                conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'national_records'"
                ).all()
            )

    before = indexes()
    load(
        national_query,
        write(
            tmp_path / "a.csv",
            [row(f"L32010220120506{i:04d}", "陈大文", "6", f"H{i:08d}") for i in range(50)],
        ),
    )
    assert indexes() == before and len(before) == 2


def test_preschool_records_are_not_holders_a_freshman_registers_from_them(
    dedup, national_query, people, tmp_path
):
    p = people[5]
    report = load(
        national_query,
        write(
            tmp_path / "a.csv",
            [row("G" + p.resident_id, p.name, "1", p.resident_id, p.birth_date.isoformat(), stage="学前")],
        ),
    )
    assert report.rows_inserted == 1 and count(dedup, national_records) == 0
    deliver(dedup, resident(p, kind=1))
    assert published(dedup, "DedupCompleted")[0].outcome == events_pb2.DEDUP_OUTCOME_PASSED
