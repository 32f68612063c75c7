"""`xueji registration demo-people`: the demo's people for each flow, and a sample form that a school
registrar can send as it is (README, "Trying it")."""

from __future__ import annotations

from click.testing import CliRunner
from google.protobuf import json_format
from registration_harness import _system, harness  # noqa: F401 (fixtures)

from xueji.v1 import registration_pb2
from xueji_common import demo
from xueji_common.orgunits import load_default_tree
from xueji_registration.entrypoints.cli import cli


def test_lists_register_people_and_preschool_children_for_the_flows():
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["demo-people", "--count", "2"])
    assert result.exit_code == 0, result.output
    tree = load_default_tree()
    people = demo.population_register(tree)
    preschool = {r.document_number for r in demo.preschool_records(tree, people)}
    listed = [p for p in people if p.resident_id in result.output]
    assert len(listed) >= 4 and any(p.resident_id in preschool for p in listed)
    for flow in ("非小学新生·居民身份证", "小学新生·居民身份证", "港澳台和外籍", "无证件"):
        assert flow in result.output


def test_the_sample_form_creates_an_application(harness):
    result = CliRunner().invoke(cli, ["demo-people", "--form"])
    assert result.exit_code == 0, result.output
    request = json_format.Parse(result.output, registration_pb2.CreateApplicationRequest())
    app = harness.call("CreateApplication", request)
    assert app.application_id and app.state == registration_pb2.APPLICATION_STATE_AWAITING_DEDUP
