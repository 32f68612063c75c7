"""The embedded front's routing (runtime.routing) and the choice of provinces (runtime.provinces):
each call reaches the tier production would serve it from."""

from __future__ import annotations

import pytest

from xueji.v1 import registration_pb2, review_pb2
from xueji_common.auth import Principal, Role
from xueji_common.errors import NotFound
from xueji_common.grpcserver.context import reset_principal, set_principal
from xueji_common.orgunits import load_default_tree
from xueji_common.runtime.provinces import ProvinceChoiceError, choose
from xueji_common.runtime.routing import ProvinceNotServed, ServiceRouter

TREE = load_default_tree()


class Servicer:
    """Answers with its own name; knows only the ids it is given."""

    def __init__(self, name: str, known=()) -> None:
        self.name, self.known = name, set(known)

    def GetCase(self, request, _context):
        if request.case_id not in self.known:
            raise NotFound("审核记录不存在")
        return self.name

    def GetPendingSummary(self, _request, _context):
        return self.name


def called_as(role: Role, unit: str, call):
    token = set_principal(Principal("u", role, unit))
    try:
        return call()
    finally:
        reset_principal(token)


def router(national=None, **provinces):
    return ServiceRouter("xueji.v1.Reviews", {code: s for code, s in provinces.items()}, national, TREE)


def test_a_school_or_department_caller_reaches_its_own_province():
    reviews = router(**{"330000": Servicer("zj"), "320000": Servicer("js")})
    ask = review_pb2.GetPendingSummaryRequest(
        school_code="1320104001"
    )  # the caller's unit wins over the request's
    assert called_as(Role.SCHOOL_LEADER, "1330102001", lambda: reviews.GetPendingSummary(ask, None)) == "zj"
    assert (
        called_as(Role.DEPARTMENT_REGISTRAR, "320104", lambda: reviews.GetPendingSummary(ask, None)) == "js"
    )


def test_a_ministry_caller_is_routed_by_the_unit_its_request_names():
    reviews = router(**{"330000": Servicer("zj"), "320000": Servicer("js")})
    ask = review_pb2.GetPendingSummaryRequest(school_code="1320104001")
    assert called_as(Role.SYSTEM, "000000", lambda: reviews.GetPendingSummary(ask, None)) == "js"


def test_a_request_naming_no_unit_is_asked_of_each_province_until_one_knows_it():
    reviews = router(**{"330000": Servicer("zj", {"a"}), "320000": Servicer("js", {"b"})})
    assert (
        called_as(
            Role.SYSTEM, "000000", lambda: reviews.GetCase(review_pb2.GetCaseRequest(case_id="b"), None)
        )
        == "js"
    )
    with pytest.raises(NotFound):
        called_as(
            Role.SYSTEM, "000000", lambda: reviews.GetCase(review_pb2.GetCaseRequest(case_id="c"), None)
        )


def test_a_service_of_both_tiers_answers_the_ministry_from_the_nation():
    dedup = router(Servicer("nation"), **{"330000": Servicer("zj")})
    ask = registration_pb2.ListStudentRecordsRequest(org_unit_code="000000")
    assert called_as(Role.SYSTEM, "000000", lambda: dedup.GetPendingSummary(ask, None)) == "nation"
    assert called_as(Role.SCHOOL_REGISTRAR, "1330102001", lambda: dedup.GetPendingSummary(ask, None)) == "zj"


def test_a_province_this_system_does_not_run_is_refused_by_name():
    reviews = router(**{"330000": Servicer("zj")})
    with pytest.raises(ProvinceNotServed, match="江苏省"):
        called_as(
            Role.SCHOOL_LEADER,
            "1320104001",
            lambda: reviews.GetPendingSummary(review_pb2.GetPendingSummaryRequest(), None),
        )


def test_provinces_are_chosen_by_key_or_code_and_default_to_every_province_of_the_tree():
    assert [p.key for p in choose(TREE)] == ["js", "zj"]
    assert [(p.key, p.code, p.name) for p in choose(TREE, "zj")] == [("zj", "330000", "浙江省")]
    assert [p.key for p in choose(TREE, "330000, js")] == ["zj", "js"]
    with pytest.raises(ProvinceChoiceError, match=r"'bj'.*zj \(330000 浙江省\)"):
        choose(TREE, "zj,bj")


def test_serve_refuses_an_unknown_province_naming_the_ones_it_knows():
    from click.testing import CliRunner

    from xueji_common.cli.main import main

    result = CliRunner().invoke(main, ["serve", "--provinces", "bj"])
    assert result.exit_code == 2
    assert "unknown province 'bj'; the org tree has: js (320000 江苏省), zj (330000 浙江省)" in result.output
