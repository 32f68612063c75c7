"""A bad setting stops a real process at start, with one line naming the variable (no traceback)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command, variable, value",
    [
        ("xueji-review serve", "XUEJI_GRPC_WORKERS", "many"),
        ("xueji-registration serve", "XUEJI_OUTBOX_PURGE_INTERVAL_SECONDS", "-1"),
        ("xueji-review-worker", "XUEJI_HEALTH_INTERVAL", "often"),
        ("xueji serve", "XUEJI_MODE", "cluster"),
    ],
)
def test_a_server_refuses_to_start_with_a_bad_value_and_names_its_variable(
    tmp_path, command, variable, value
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env |= {"XUEJI_DATA_DIR": str(tmp_path), variable: value}
    done = subprocess.run(
        [str(BIN / command.split()[0]), *command.split()[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {variable}: ") and repr(value) in done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())  # stopped before anything was made
