"""The periodic jobs' settings and wiring, the rematch tally, and the operator's Chinese output."""

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from xueji_common.config import ConfigError
from xueji_common.runtime.periodic import PeriodicRunner
from xueji_registration.config import RegistrationSettings
from xueji_registration.domain.preschool import MatchStatus
from xueji_registration.entrypoints import cli_maintenance, maintenance
from xueji_registration.entrypoints.cli import cli
from xueji_registration.entrypoints.maintenance import periodic_tasks
from xueji_registration.service_layer.preschool import RematchTally

VARIABLES = (
    "XUEJI_IMPORT_MEMORY_MB",
    "XUEJI_FILES_DIR",
    "XUEJI_IMPORT_RETENTION_DAYS",
    "XUEJI_IMPORT_PURGE_INTERVAL_SECONDS",
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
    settings = RegistrationSettings.from_env()
    assert (settings.preschool_rematch_interval_seconds, settings.upload_purge_interval_seconds) == (
        300,
        3600,
    )
    assert settings.upload_max_age == dt.timedelta(hours=24)
    env.setenv("XUEJI_PRESCHOOL_REMATCH_INTERVAL_SECONDS", "60")
    env.setenv("XUEJI_UPLOAD_PURGE_INTERVAL_SECONDS", "0")
    env.setenv("XUEJI_UPLOAD_MAX_AGE_HOURS", "1.5")
    settings = RegistrationSettings.from_env()
    assert (settings.preschool_rematch_interval_seconds, settings.upload_purge_interval_seconds) == (60, 0)
    assert settings.upload_max_age == dt.timedelta(minutes=90)


@pytest.mark.parametrize("raw", ["five", "-1"])
def test_a_bad_setting_names_its_variable(env, raw):
    env.setenv("XUEJI_UPLOAD_MAX_AGE_HOURS", raw)
    with pytest.raises(ConfigError, match="XUEJI_UPLOAD_MAX_AGE_HOURS"):
        RegistrationSettings.from_env()


def test_the_worker_runs_its_jobs_and_an_interval_of_zero_turns_one_off():
    tasks = periodic_tasks(
        object(),
        RegistrationSettings(preschool_rematch_interval_seconds=60, upload_purge_interval_seconds=3600),
    )
    assert [(t.name, t.interval) for t in tasks] == [
        ("preschool-rematch", 60),
        ("upload-purge", 3600),
        ("import-purge", 3600),
    ]
    off = PeriodicRunner(
        periodic_tasks(
            object(),
            RegistrationSettings(preschool_rematch_interval_seconds=0, import_purge_interval_seconds=0),
        )
    )
    assert [t.name for t in off.tasks] == ["upload-purge"]


def test_the_import_retention_is_seven_days_unless_set(env):
    assert RegistrationSettings.from_env().import_retention == dt.timedelta(days=7)
    env.setenv("XUEJI_IMPORT_RETENTION_DAYS", "2")
    assert RegistrationSettings.from_env().import_retention == dt.timedelta(days=2)


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


def test_the_import_memory_bound_and_the_files_directory_come_from_their_variables(env, tmp_path):
    from xueji_common.config import Settings
    from xueji_registration.adapters.excel.reader import MB, Limits
    from xueji_registration.adapters.files import files_dir

    assert Limits.from_env() == Limits()
    assert files_dir(Settings(data_dir=tmp_path)) == tmp_path / "files"
    env.setenv("XUEJI_IMPORT_MEMORY_MB", "128")
    env.setenv("XUEJI_FILES_DIR", "/srv/files")
    assert Limits.from_env().memory_bytes == 128 * MB
    assert str(files_dir(Settings(data_dir=tmp_path))) == "/srv/files"
    env.setenv("XUEJI_IMPORT_MEMORY_MB", "32")  # once silently ignored, now refused at start
    with pytest.raises(ConfigError, match=r"^XUEJI_IMPORT_MEMORY_MB: .*greater than or equal to 64"):
        Limits.from_env()
