"""The preschool rematch on PostgreSQL: transfers left 匹配中 while national-query (its peer contract,
as a gRPC test double) did not answer are matched once it answers again: a transfer changed
meanwhile is not overwritten (the version check of the SQL), the `xueji registration rematch`
command. The rematch's batches and tallies: tests/unit/test_preschool_use_cases.py; the worker's
job: test_maintenance_worker.py."""

import re

from click.testing import CliRunner
from google.protobuf.field_mask_pb2 import FieldMask
from intake_harness import intake, record  # noqa: F401 (fixture)
from test_preschool_transfers import MATCHED, NOT_FOUND, create, identity

from xueji.v1 import registration_pb2 as P
from xueji_registration.adapters.preschool_records import PreschoolRecords
from xueji_registration.entrypoints.cli import cli
from xueji_registration.service_layer.preschool import rematch_pending
from xueji_registration.testing import resident_id

PENDING = P.PRESCHOOL_MATCH_STATUS_PENDING


def table(output: str) -> dict[str, int]:
    return {label: int(n) for label, n in re.findall(r"│ (\S+)\s*│ (\d+)\s*│", output)}


def rematch(intake, matcher=None, **kw):
    return rematch_pending(intake.runtime.uow_factory(), matcher or PreschoolRecords(intake.runtime), **kw)


def get(intake, transfer):
    return intake.call(
        "GetPreschoolTransfer", P.GetPreschoolTransferRequest(transfer_id=transfer.transfer_id)
    )


def pending_children(intake, *seqs):
    intake.records.unavailable = True
    made = [create(intake, identity(resident_id(seq=s), name="童" + s)) for s in seqs]
    assert {t.match_status for t in made} == {PENDING}
    intake.records.unavailable = False
    return made


class Recording:
    """The real adapter, noting which children each batch asked about and doing `meanwhile` before
    answering."""

    def __init__(self, runtime, meanwhile=None):
        self.real, self.meanwhile, self.batches = PreschoolRecords(runtime), meanwhile, []

    def match(self, identities):
        self.batches.append([i.name for i in identities])
        answers = self.real.match(identities)
        if self.meanwhile:
            self.meanwhile()
        return answers


def test_a_transfer_changed_or_deleted_meanwhile_is_skipped_not_overwritten(intake):
    changed, deleted, untouched = pending_children(intake, "221", "223", "225")
    edited_number = resident_id(seq="227")
    intake.records.by_number = {edited_number: [record("r9")], resident_id(seq="221"): [record("r1")]}

    def registrar_edits():
        intake.call(
            "UpdatePreschoolTransfer",
            P.UpdatePreschoolTransferRequest(
                transfer_id=changed.transfer_id,
                identity=identity(edited_number, name="改名"),
                update_mask=FieldMask(paths=["identity"]),
                expected_version=changed.version,
            ),
        )
        intake.call(
            "DeletePreschoolTransfer",
            P.DeletePreschoolTransferRequest(
                transfer_id=deleted.transfer_id, expected_version=deleted.version
            ),
        )

    tally = rematch(intake, Recording(intake.runtime, registrar_edits))
    assert (tally.changed, tally.not_found) == (2, 1)
    kept = get(intake, changed)
    assert (kept.identity.name, kept.matched_record.record_id, kept.version) == (
        "改名",
        "r9",
        2,
    )  # the registrar's
    assert intake.count("preschool_transfers") == 2  # the deleted one is not written back
    assert get(intake, untouched).match_status == NOT_FOUND


def test_the_rematch_command_reports_in_chinese(intake):
    a, _b = pending_children(intake, "231", "233")
    env = {
        "XUEJI_DATABASE_URL": intake.runtime.database_url,
        "COLUMNS": "200",
        "XUEJI_DATA_DIR": str(intake.runtime.settings.data_dir),  # the development key the peers trust
        "XUEJI_PEER_NATIONAL_QUERY": intake.runtime.settings.peer("national-query"),
    }
    intake.records.unavailable = True
    down = CliRunner().invoke(cli, ["rematch"], env=env)
    assert down.exit_code == 0, down.output
    assert (
        table(down.output)["仍无法查询（仍为匹配中）"] == 2 and "全国学籍查询服务暂时无法连接" in down.output
    )
    intake.records.unavailable = False
    intake.records.by_number = {resident_id(seq="231"): [record("r1")]}
    up = CliRunner().invoke(cli, ["rematch"], env=env)
    assert up.exit_code == 0, up.output
    assert table(up.output) == {
        "已匹配学前学籍": 1,
        "未查到学前学籍": 1,
        "待确认学前学籍": 0,
        "仍无法查询（仍为匹配中）": 0,
    }
    assert get(intake, a).match_status == MATCHED
    assert "没有“匹配中”的学前调档学生" in CliRunner().invoke(cli, ["rematch"], env=env).output
