"""`xueji national-query load | lookup`."""

from __future__ import annotations

import csv

from click.testing import CliRunner
from nq_support import created
from sqlalchemy import func, select

from xueji_common.auth import Role
from xueji_common.config import DEV_SIGNING_KEY_FILE, Settings
from xueji_common.hashing import loaded_record_id, student_number_hash
from xueji_common.runtime.bootstrap import ServiceRuntime
from xueji_common.testing.infra import free_port
from xueji_dedup.adapters.tables import national_records as holdings
from xueji_national_query.adapters.tables import national_records
from xueji_national_query.domain import captcha
from xueji_national_query.domain.load_rows import COLUMNS
from xueji_national_query.entrypoints.cli import cli
from xueji_national_query.spec import SPEC

NUMBER = "33010220150601123X"


def embedded_load_env(monkeypatch, tmp_path, runtime, dedup_address: str) -> None:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    key = (
        data / DEV_SIGNING_KEY_FILE
    )  # the development issuer the national dedup trusts signs the CLI's calls
    key.write_bytes((runtime.settings.data_dir / DEV_SIGNING_KEY_FILE).read_bytes())
    key.chmod(0o600)
    monkeypatch.setenv("XUEJI_DATA_DIR", str(data))
    monkeypatch.delenv("XUEJI_DATABASE_URL", raising=False)
    monkeypatch.setenv("XUEJI_PEER_DEDUP_NATIONAL", dedup_address)
    monkeypatch.setenv("XUEJI_HASH_KEY", runtime.settings.hash_key)


def test_load_writes_into_the_service_database_and_reports_bad_rows(
    tmp_path, monkeypatch, runtime, national_dedup
):
    embedded_load_env(monkeypatch, tmp_path, runtime, national_dedup.settings.grpc_address)
    good = [
        "G" + NUMBER,
        "张三",
        "1",
        "2015-06-01",
        "1",
        NUMBER,
        "330000",
        "",
        "",
        "小学",
        "在读",
        "否",
        "2026-09-01 08:00:00",
    ]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[c.header for c in COLUMNS], good, good])
    result = CliRunner().invoke(cli, ["load", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "共 2 行：新增 1，更新 0，未导入 1" in result.output
    assert "全国学籍号与第2行重复" in result.output
    assert (tmp_path / "data" / "national-query.db").exists()
    with national_dedup.session_factory() as session:  # the record is a holder in the national dedup
        assert session.execute(select(holdings.c.record_id)).scalars().all() == [
            loaded_record_id(student_number_hash(runtime.settings.hash_key, "G" + NUMBER))
        ]


def test_a_load_the_national_dedup_cannot_take_writes_nothing(tmp_path, monkeypatch, runtime):
    embedded_load_env(monkeypatch, tmp_path, runtime, f"127.0.0.1:{free_port()}")
    good = [
        "G" + NUMBER,
        "张三",
        "1",
        "2015-06-01",
        "1",
        NUMBER,
        "330000",
        "",
        "",
        "小学",
        "在读",
        "否",
        "2026-09-01 08:00:00",
    ]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[c.header for c in COLUMNS], good])
    result = CliRunner().invoke(cli, ["load", str(tmp_path / "r.csv")])
    assert result.exit_code == 1 and "全国查重服务暂时无法访问" in result.output
    nq = ServiceRuntime(SPEC, Settings.from_env())
    with nq.session_factory() as session:
        assert session.execute(select(func.count()).select_from(national_records)).scalar() == 0
    nq.close()


def test_lookup_as_a_person_with_the_captcha_and_as_a_system(serve, runtime, monkeypatch):
    monkeypatch.setattr(captcha, "new_answer", lambda: "AB3K")
    created(runtime)
    channel = serve()
    address = channel._channel.target().decode()
    runner = CliRunner(
        env={
            "XUEJI_DATA_DIR": str(runtime.settings.data_dir),  # its development key
            "COLUMNS": "250",
        }
    )
    person = runner.invoke(
        cli,
        [
            "lookup",
            "--name",
            "张三",
            "--document-number",
            NUMBER,
            "--address",
            address,
            "--role",
            "school_registrar",
            "--org",
            "1330102001",
        ],
        input="ab3k\n",
    )
    assert person.exit_code == 0, person.output
    assert (
        "验证码图片" in person.output and "330***********123X" in person.output and "浙江省" in person.output
    )
    system = runner.invoke(
        cli,
        [
            "lookup",
            "--name",
            "李四",
            "--student-number",
            "G" + NUMBER,
            "--address",
            address,
            "--role",
            Role.SYSTEM.value,
            "--org",
            "000000",
        ],
    )
    assert system.exit_code == 1 and "未查询到符合条件的学籍信息" in system.output


def test_after_key_rotations_rehash_and_reencrypt_rewrite_each_stored_number_once(
    tmp_path, monkeypatch, runtime, national_dedup
):
    from xueji_common.datakeys import DEV_DATA_KEY, key_id_of, new_key_text

    embedded_load_env(monkeypatch, tmp_path, runtime, national_dedup.settings.grpc_address)
    good = [
        "G" + NUMBER,
        "张三",
        "1",
        "2015-06-01",
        "1",
        NUMBER,
        "330000",
        "",
        "",
        "小学",
        "在读",
        "否",
        "2026-09-01 08:00:00",
    ]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[c.header for c in COLUMNS], good])
    assert CliRunner().invoke(cli, ["load", str(tmp_path / "r.csv")]).exit_code == 0
    assert "全国学籍 0 行" in CliRunner().invoke(cli, ["rehash"]).output  # same key: nothing to do

    monkeypatch.setenv("XUEJI_HASH_KEY", "rotated-key-" + "r" * 30)
    outputs = [CliRunner().invoke(cli, ["rehash"]).output for _ in range(2)]
    assert "全国学籍 1 行" in outputs[0] and "全国学籍 0 行" in outputs[1]

    new_key = new_key_text("k2")
    monkeypatch.setenv("XUEJI_DATA_KEY", new_key)
    monkeypatch.setenv("XUEJI_DATA_KEY_PREVIOUS", DEV_DATA_KEY)
    outputs = [CliRunner().invoke(cli, ["reencrypt"]).output for _ in range(2)]
    assert "全国学籍 1 行" in outputs[0] and "全国学籍 0 行" in outputs[1]
    reader = ServiceRuntime(SPEC, Settings.from_env())
    try:
        with reader.engine.connect() as conn:
            [stored] = (
                conn.exec_driver_sql("SELECT national_student_number FROM national_records").scalars().all()
            )
    finally:
        reader.close()
    assert key_id_of(stored) == "k2"
