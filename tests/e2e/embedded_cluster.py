"""`xueji serve --provinces zj,js` as a process, seen through the surface the actors use of a
production Cluster (tests/e2e/cluster.py): `address(name)`, `token(...)`, `db[name]` (SQL on the
final state), `hash_key`, `logs()`, `dir`. Every deployment name answers at the one public address:
the embedded front routes each call to its province or to the nation, as production's ingresses do.

    with EmbeddedCluster(["zj", "js"]) as c:
        Province(c, "zj", "1330102001").create(...)
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.cluster import BIN, START_TIMEOUT, ClusterError

from xueji_common.auth import Role, TokenSigner
from xueji_common.config import DEV_SIGNING_KEY_FILE
from xueji_common.signing import SigningKey
from xueji_common.testing import infra

NATIONAL_DATABASES = {
    "dedup-national": "dedup",
    "population-register": "dedup",
    "national-query": "national-query",
}


class EmbeddedCluster:
    def __init__(self, provinces=("zj", "js")) -> None:
        self.provinces = list(provinces)
        self.dir = Path(tempfile.mkdtemp(prefix="xueji-e2e-embedded-"))
        self.data = self.dir / "data"
        self.hash_key = secrets.token_hex(24)
        self._address = f"127.0.0.1:{infra.free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
        env.update(
            PYTHONUNBUFFERED="1",
            XUEJI_DATA_DIR=str(self.data),
            XUEJI_GRPC_ADDRESS=self._address,
            XUEJI_METRICS_PORT="0",
            XUEJI_CONSOLE_PORT=str(infra.free_port()),
            XUEJI_HASH_KEY=self.hash_key,
            XUEJI_LOG_FORMAT="json",
            XUEJI_RELAY_INTERVAL="0.1",
        )
        self.db = {
            name: f"sqlite:///{self.data / 'nation' / (db + '.db')}"
            for name, db in NATIONAL_DATABASES.items()
        }
        for p in self.provinces:
            for svc in ("registration", "review", "dedup", "special-ed"):
                self.db[f"{p}-{svc}"] = f"sqlite:///{self.data / p / (svc + '.db')}"
        self._log = self.dir / "xueji-serve.log"
        with self._log.open("ab") as out:
            self._proc = subprocess.Popen(
                [str(BIN / "xueji"), "serve", "--provinces", ",".join(self.provinces)],
                cwd=self.dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_in = time.monotonic()
        try:
            if not infra.wait_serving(self._address, self._check_alive, START_TIMEOUT):
                raise ClusterError(f"xueji serve not SERVING after {START_TIMEOUT} s")
        except BaseException:
            self.close(keep_dir=True)
            raise
        self.started_in = time.monotonic() - self.started_in
        key = SigningKey.load(self.data / DEV_SIGNING_KEY_FILE)
        self._signer = TokenSigner(key, "xueji", "xueji")

    def address(self, _name: str) -> str:
        """Any deployment's address: the one front."""
        return self._address

    def token(self, role: Role, org_unit: str, user: str = "e2e-user") -> str:
        return self._signer.mint(user, role, org_unit)

    def logs(self) -> dict[str, str]:
        return {"xueji-serve": self._log.read_text(errors="replace")}

    def _check_alive(self) -> None:
        if self._proc.poll() is not None:
            raise ClusterError(
                f"xueji serve exited with {self._proc.returncode}:\n{self._log.read_text()[-4000:]}"
            )

    def close(self, keep_dir: bool = False) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        if keep_dir:
            print(f"embedded: logs and data kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedCluster:
        return self

    def __exit__(self, exc_type, *_exc) -> None:
        self.close(keep_dir=exc_type is not None)
