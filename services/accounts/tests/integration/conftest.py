"""The accounts service alone, embedded (SQLite), over a real gRPC socket; its first administrator."""

from __future__ import annotations

import grpc
import pytest
from accounts_harness import ROOT_PASSWORD, first_sign_in

from xueji.v1 import accounts_pb2_grpc
from xueji_accounts.entrypoints.wiring import accounts_of
from xueji_accounts.service_layer import admin
from xueji_common.auth import Role
from xueji_common.config import Settings
from xueji_common.grpcserver.client import bearer
from xueji_common.runtime.embedded import EmbeddedSystem
from xueji_common.testing.infra import free_port


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("accounts"),
        grpc_address=f"127.0.0.1:{free_port()}",
        metrics_port=0,
        jwks_port=free_port(),
    )
    system = EmbeddedSystem(settings, ["accounts"], seed=False)
    system.start()
    admin.create_user(
        accounts_of(system.runtime("accounts")),
        None,
        "root",
        "部用户管理员",
        Role.USER_ADMIN,
        "000000",
        ROOT_PASSWORD,
    )
    yield system
    system.stop()


@pytest.fixture(scope="module")
def stub(system):
    with grpc.insecure_channel(system.settings.grpc_address) as channel:
        yield accounts_pb2_grpc.AccountsStub(channel)


@pytest.fixture(scope="module")
def root(stub):
    """Bearer metadata of the ministry's user administrator."""
    return bearer(first_sign_in(stub, "root", ROOT_PASSWORD).access_token)
