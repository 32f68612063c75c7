"""The periodic jobs' settings and wiring, the rematch tally, and the operator's Chinese output."""

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from xueji_common.config import ConfigError
from xueji_common.runtime.periodic import PeriodicRunner
from xueji_registration.domain.preschool import MatchStatus
from xueji_registration.entrypoints import cli_maintenance, maintenance
from xueji_registration.entrypoints.cli import cli
from xueji_registration.entrypoints.maintenance import MaintenanceSettings, periodic_tasks
from xueji_registration.service_layer.preschool import RematchTally

VARIABLES = (
    "XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS",
    "XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS",
    "XUEJI_UPLOAD_MAX_AGE_HOURS",
)


@pytest.fixture
def env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_default_to_five_minutes_an_hour_and_a_day(env):
    assert MaintenanceSettings.from_env() == MaintenanceSettings(300, 3600, dt.timedelta(hours=24))
    env.setenv("XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS", "60")
    env.setenv("XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS", "0")
    env.setenv("XUEJI_UPLOAD_MAX_AGE_HOURS", "1.5")
    assert MaintenanceSettings.from_env() == MaintenanceSettings(60, 0, dt.timedelta(minutes=90))


@pytest.mark.parametrize("raw", ["five", "-1"])
def test_a_bad_setting_names_its_variable(env, raw):
    env.setenv("XUEJI_UPLOAD_MAX_AGE_HOURS", raw)
    with pytest.raises(ConfigError, match="XUEJI_UPLOAD_MAX_AGE_HOURS"):
        MaintenanceSettings.from_env()


def test_the_worker_runs_its_jobs_and_an_interval_of_zero_turns_one_off():
    tasks = periodic_tasks(object(), MaintenanceSettings(60, 3600))
    assert [(t.name, t.interval) for t in tasks] == [
        ("preschool-rematch", 60),
        ("upload-purge", 3600),
        ("import-purge", 3600),
    ]
    off = PeriodicRunner(periodic_tasks(object(), MaintenanceSettings(0, 3600, import_purge_interval=0)))
    assert [t.name for t in off.tasks] == ["upload-purge"]


def test_the_import_retention_is_seven_days_unless_set(env):
    assert MaintenanceSettings.from_env().import_retention == dt.timedelta(days=7)
    env.setenv("XUEJI_IMPORT_RETENTION_DAYS", "2")
    assert MaintenanceSettings.from_env().import_retention == dt.timedelta(days=2)


def test_the_tally_counts_each_outcome_once():
    tally = RematchTally(unreachable=2, changed=1)
    for status in (MatchStatus.MATCHED, MatchStatus.MATCHED, MatchStatus.NOT_FOUND, MatchStatus.TO_CONFIRM):
        tally.count(status)
    assert (tally.matched, tally.not_found, tally.to_confirm, tally.examined) == (2, 1, 1, 7)
    with pytest.raises(KeyError):
        tally.count(MatchStatus.PENDING)  # a still pending transfer is `unreachable`, never stored


class _Runtime:
    def close(self):
        pass


def _run_cli(monkeypatch, outcome, *args):
    def job(runtime, older_than):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(cli_maintenance, "_runtime", _Runtime)
    monkeypatch.setattr(maintenance, "rematch", job)
    monkeypatch.setattr(maintenance, "purge_uploads", job)
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_rematch_reports_in_chinese_what_it_did(monkeypatch):
    result = _run_cli(
        monkeypatch,
        RematchTally(matched=3, not_found=1, to_confirm=2, unreachable=4, stopped=True),
        "rematch",
    )
    assert result.exit_code == 0, result.output
    rows = dict(re.findall(r"│ (\S+)\s*│ (\d+)\s*│", result.output))
    assert rows == {
        "已匹配学前学籍": "3",
        "未查到学前学籍": "1",
        "待确认学前学籍": "2",
        "仍无法查询（仍为匹配中）": "4",
    }
    assert "全国学籍查询服务暂时无法连接" in result.output
    assert "没有“匹配中”" in _run_cli(monkeypatch, RematchTally(), "rematch").output
    busy = _run_cli(monkeypatch, maintenance.Busy(), "rematch")
    assert busy.exit_code == 1 and "工作进程正在进行重新匹配" in busy.output


def test_purge_uploads_reports_the_count_and_the_age(monkeypatch, env):
    result = _run_cli(monkeypatch, 7, "purge-uploads", "--older-than", "48")
    assert result.exit_code == 0 and "已删除 7 个上传超过 48 小时且未关联注册申请的文件" in result.output
    env.setenv("XUEJI_UPLOAD_MAX_AGE_HOURS", "12")
    assert "超过 12 小时" in _run_cli(monkeypatch, 0, "purge-uploads").output
