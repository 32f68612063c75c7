"""Which event other services hear of each step (docs/FLOWS.md step 4)."""

import datetime as dt

from xueji.v1 import events_pb2
from xueji_common.orgunits import OrgLevel
from xueji_review.adapters.events import bus_event
from xueji_review.domain.model import Actor, ReviewCase

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
ABOVE = {OrgLevel.COUNTY: "330102", OrgLevel.CITY: "330100", OrgLevel.PROVINCE: "330000"}
LEADER = Actor("1330102001", OrgLevel.SCHOOL, "leader", "school_leader")


def name(code):
    return {"330102": "上城区"}.get(code, "某单位")


def case(category):
    return ReviewCase.open(
        submitted_at=NOW,
        application_id="a1",
        revision=3,
        school_code="1330102001",
        county_code="330102",
        kind="primary_freshman",
        category=category,
        name="张三",
        gender=1,
        birth_date=None,
        document_type="Z",
        document_masked="",
    )


def step(c, fn):
    fn(c)
    return bus_event(c, c.last_event, name)


def test_each_step_of_a_no_document_case_tells_registration_where_it_is():
    c = case("no_document")
    assert bus_event(c, c.last_event, name) is None  # the submission came from registration
    progressed = step(c, lambda c: c.approve(LEADER, NOW, {}))
    assert (progressed.stage, progressed.handling_unit_code, progressed.revision) == (
        events_pb2.REVIEW_STAGE_AWAITING_REPORT,
        "1330102001",
        3,
    )
    reported = step(c, lambda c: c.report(Actor("1330102001", OrgLevel.SCHOOL, "r", "school_registrar"), NOW))
    assert (reported.stage, reported.handling_unit_code) == (
        events_pb2.REVIEW_STAGE_AWAITING_COUNTY_REVIEW,
        "330102",
    )
    county = Actor("330102", OrgLevel.COUNTY, "c", "department_registrar")
    to_city = step(c, lambda c: c.approve(county, NOW, ABOVE, "同意"))
    assert (to_city.stage, to_city.handling_unit_code) == (
        events_pb2.REVIEW_STAGE_AWAITING_CITY_REVIEW,
        "330100",
    )
    assert (to_city.decided_by.org_unit_name, to_city.decided_by.opinion) == ("上城区", "同意")
    to_province = step(
        c, lambda c: c.approve(Actor("330100", OrgLevel.CITY, "m", "department_registrar"), NOW, ABOVE)
    )
    assert to_province.stage == events_pb2.REVIEW_STAGE_AWAITING_PROVINCE_REVIEW
    approved = step(
        c, lambda c: c.approve(Actor("330000", OrgLevel.PROVINCE, "p", "department_registrar"), NOW, ABOVE)
    )
    assert isinstance(approved, events_pb2.RegistrationApproved) and approved.approved_by.user_id == "p"


def test_a_rejection_is_heard_as_returned_with_the_stamp():
    c = case("resident")
    returned = step(c, lambda c: c.reject(LEADER, NOW, "照片不符"))
    assert isinstance(returned, events_pb2.RegistrationReturned)
    stamp = returned.rejected_by
    assert (stamp.org_unit_code, stamp.user_id, stamp.role, stamp.opinion) == (
        "1330102001",
        "leader",
        2,
        "照片不符",
    )
    assert stamp.time.ToDatetime(tzinfo=dt.UTC) == NOW
