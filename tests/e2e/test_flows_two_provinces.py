"""Two provinces (浙江 and 江苏, each its own services on its own vhost) register the same document at
the same moment. Their dedup services race for the national reservation (dedup-national over gRPC):
exactly one application passes its gate and becomes a record; the other is DEDUP_FAILED with a
masked reason naming the winner's school, and stays refused once the winner's record exists.
Nothing is doubled: one national reservation, one record, one national-query row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.e2e.actors import HMT, NON_PRIMARY, RESIDENT, TREE, S, identity_form, sql, wait_for
from tests.e2e.topologies import both_modes

from xueji_common.documents import mask_document_number
from xueji_common.hashing import student_number_hash

pytestmark = pytest.mark.slow
zj, js = both_modes()  # each case in production topology and in embedded mode
GATE_DONE = (S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW, S.APPLICATION_STATE_DEDUP_FAILED)


def school_place(school_code: str) -> str:
    """The school as dedup names it in a reason: 江苏省南京市秦淮区夫子庙小学."""
    return TREE.get(school_code[1:3] + "0000").name + TREE.get(school_code).name


def submit_at_once(provinces, category: int, identity: dict) -> dict:
    """Both school registrars press 保存 at the same moment; application by province prefix."""
    barrier = threading.Barrier(len(provinces))

    def submit(province):
        barrier.wait()
        return province.create(NON_PRIMARY, category, identity)

    with ThreadPoolExecutor(len(provinces)) as pool:
        return {p.prefix: app for p, app in zip(provinces, pool.map(submit, provinces))}


@pytest.mark.flow
@pytest.mark.parametrize("category", [RESIDENT, HMT], ids=["resident_id", "hk_permit"])
def test_two_provinces_registering_one_document_at_once_one_wins(zj, js, people, category):
    if category == RESIDENT:
        person = people.older()
        identity, number = identity_form(RESIDENT, person), person.resident_id
    else:
        number = people.hk_number()
        identity = identity_form(HMT, number=number, name=f"林{people.serial()}港")
    provinces = {"zj": zj, "js": js}
    apps = submit_at_once(list(provinces.values()), category, identity)
    assert {a.state for a in apps.values()} == {S.APPLICATION_STATE_AWAITING_DEDUP}

    done = {p: provinces[p].wait_state(a.application_id, *GATE_DONE) for p, a in apps.items()}
    [winner] = [p for p, a in done.items() if a.state == S.APPLICATION_STATE_AWAITING_SCHOOL_REVIEW]
    [loser] = [p for p, a in done.items() if a.state == S.APPLICATION_STATE_DEDUP_FAILED]
    win, lose = provinces[winner], provinces[loser]
    reason = done[loser].dedup_failure_reason
    assert reason == (
        f"该身份证件号已被{school_place(win.school)}的学籍注册申请占用（{mask_document_number(number)}）"
    ), reason

    # The winner goes on to its record; once dedup has committed the reservation to it (on
    # StudentRecordCreated), the loser resubmitting is refused because a record holds the document.
    win_id, lose_id = apps[winner].application_id, apps[loser].application_id
    win.approve_all_levels(win_id, category)
    _, record = win.approved(win_id)
    if category == RESIDENT:
        assert record.national_student_number == "G" + number

    def held():  # every reservation of the two, but released ones: one, committed to the winner
        return sql(
            win.cluster,
            "dedup-national",
            "SELECT application_id, state FROM national_reservations"
            " WHERE application_id IN (:a, :b) AND state <> 'released'",
            a=win_id,
            b=lose_id,
        )

    wait_for(lambda: held() == [(win_id, "committed")], "the winner's reservation committed")
    lose.resubmit(lose_id)
    again = wait_for(
        lambda: (a := lose.application(lose_id)).revision == 2 and a.state in GATE_DONE and a,
        "the loser's resubmission checked",
    )
    assert again.state == S.APPLICATION_STATE_DEDUP_FAILED
    transfer = "：该学生已有学籍，应办理转学，不能重复注册" if category == RESIDENT else ""  # a non-freshman
    assert again.dedup_failure_reason == (
        f"该身份证件号已被{school_place(win.school)}的学籍使用（{mask_document_number(number)}）{transfer}"
    ), again.dedup_failure_reason

    # None doubled: one record, one national reservation, one national-query row.
    assert win.count_records(win_id) == 1 and lose.count_records(lose_id) == 0
    assert held() == [(win_id, "committed")]
    number_hash = student_number_hash(
        win.cluster.hash_key, record.national_student_number
    )  # stored encrypted
    rows = wait_for(
        lambda: sql(
            win.cluster,
            "national-query",
            "SELECT province_code FROM national_records WHERE national_student_number_hash = :h",
            h=number_hash,
        ),
        "the record in national-query",
    )
    assert rows == [(win.province,)]
