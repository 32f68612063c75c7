"""Benchmark: Accounts.SignIn over gRPC with argon2id at its configured cost, on PostgreSQL.

A server process hosts the accounts service (production code, the settings' argon2 parameters:
XUEJI_ARGON2_* or the defaults); the client signs N users in, one after the other and then from
`--threads` threads at once. Baselines measured in the same run:
  argon2   PasswordHasher.verify alone with the same parameters (the cost sign-in must pay);
  floor    Accounts.GetSigningKeys on the same server (the gRPC round trip, no password).
Prints p50/p99 of each. Target: sign-in p99 < 300 ms.

    .venv/bin/python bench/accounts_sign_in.py [--users 40] [--rounds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from xueji_common.testing import infra

PASSWORD = "Bench-Sign.In2026"


def serve(url: str, address: str, data_dir: str, users: int, ready) -> None:
    from pathlib import Path

    from xueji_accounts.entrypoints.wiring import accounts_of
    from xueji_accounts.service_layer import admin, signin
    from xueji_accounts.spec import SPEC
    from xueji_common.auth import Role
    from xueji_common.config import Settings
    from xueji_common.grpcserver.server import GrpcServer
    from xueji_common.runtime.bootstrap import ServiceRuntime

    rt = ServiceRuntime(
        SPEC, Settings(grpc_address=address, metrics_port=0, data_dir=Path(data_dir)), database_url=url
    )
    rt.migrate()
    accounts = accounts_of(rt)
    for i in range(users):
        admin.create_user(
            accounts, None, f"bench{i}", "压测用户", Role.SCHOOL_REGISTRAR, "1330102001", PASSWORD + "x"
        )
        signin.change_password(accounts, f"bench{i}", PASSWORD + "x", PASSWORD, "bench")
    server = GrpcServer(SPEC.grpc_bindings(rt), address, rt.tokens, public_methods=SPEC.public_methods)
    server.start()
    ready.set()
    time.sleep(3600)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(name: str, ms: list[float]) -> str:
    return f"{name:8} n={len(ms):4}  p50 {statistics.median(ms):7.1f} ms  p99 {pct(ms, 99):7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    import tempfile

    import grpc
    from argon2 import PasswordHasher

    from xueji.v1 import accounts_pb2, accounts_pb2_grpc
    from xueji_accounts.config import AccountsSettings

    settings = AccountsSettings.from_env()
    print(
        f"argon2id t={settings.argon2_time_cost} m={settings.argon2_memory_kib} KiB "
        f"p={settings.argon2_parallelism}"
    )
    url, address = infra.new_database("xueji_bench_accounts"), f"127.0.0.1:{infra.free_port()}"
    spawn = mp.get_context("spawn")  # a fresh process: no grpc state inherited from this one
    ready = spawn.Event()
    with tempfile.TemporaryDirectory() as data_dir:
        proc = spawn.Process(target=serve, args=(url, address, data_dir, args.users, ready), daemon=True)
        proc.start()
        try:
            if not ready.wait(600):
                raise SystemExit("server did not start")
            stub = accounts_pb2_grpc.AccountsStub(grpc.insecure_channel(address))

            def timed(call) -> float:
                started = time.perf_counter()
                call()
                return (time.perf_counter() - started) * 1000

            def sign_in(i: int) -> float:
                return timed(
                    lambda: stub.SignIn(
                        accounts_pb2.SignInRequest(login_name=f"bench{i % args.users}", password=PASSWORD),
                        timeout=30,
                    )
                )

            floor = [
                timed(lambda: stub.GetSigningKeys(accounts_pb2.GetSigningKeysRequest())) for _ in range(200)
            ]
            hasher = PasswordHasher(
                settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
            )
            digest = hasher.hash(PASSWORD)
            raw = [timed(lambda: hasher.verify(digest, PASSWORD)) for _ in range(args.users * args.rounds)]
            sequential = [sign_in(i) for i in range(args.users * args.rounds)]
            with ThreadPoolExecutor(args.threads) as pool:
                concurrent = list(pool.map(sign_in, range(args.users * args.rounds)))
        finally:
            proc.terminate()
            infra.drop(url)
    print(line("argon2", raw))
    print(line("floor", floor))
    print(line("signin", sequential))
    print(line(f"signin x{args.threads}", concurrent))
    worst = max(pct(sequential, 99), pct(concurrent, 99))
    print(
        f"sign-in p99 {worst:.1f} ms (target < 300 ms): {'met' if worst < 300 else 'NOT met'}; "
        f"sequential p50 = {statistics.median(sequential) / statistics.median(raw):.2f} x argon2 alone"
    )


if __name__ == "__main__":
    main()
