"""A number already carried at another school is refused at entry (manual entry, correction, import)
naming the holder as dedup does: a record (学籍, its application approved) or a live application
(学籍注册申请), its school with its province, and the number masked (issue 12 §2)."""

from __future__ import annotations

import grpc
import pytest
from registration_harness import OTHER_SCHOOL, _system, create_request, harness  # noqa: F401 (fixtures)

from xueji_common.documents import mask_document_number

HK = "H24681357"
HOLDER = "浙江省杭州市上城区胜利小学"  # SCHOOL 1330102001 with its province


def create_elsewhere(h, number: str):
    request = create_request("hmt_foreign", number=number)
    request.school_code = OTHER_SCHOOL
    return h.call("CreateApplication", request, org=OTHER_SCHOOL)


def refusal(h, number: str) -> str:
    with pytest.raises(grpc.RpcError) as err:
        create_elsewhere(h, number)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    return err.value.details()


def test_a_number_held_by_a_record_is_refused_naming_the_record_its_school_and_province(harness):
    app = harness.create("hmt_foreign", number=HK)
    harness.dedup_completed(app)
    harness.through_review(harness.get(app))
    assert harness.get(app).record_id
    assert refusal(harness, HK) == f"该身份证件号已被{HOLDER}的学籍使用（{mask_document_number(HK)}）"


def test_a_number_held_by_a_live_application_is_refused_naming_the_application(harness):
    number = "H13572468"
    harness.create("hmt_foreign", number=number)
    assert (
        refusal(harness, number)
        == f"该身份证件号已被{HOLDER}的学籍注册申请占用（{mask_document_number(number)}）"
    )
