"""Helpers of the accounts integration tests: first sign-in, creating users as an administrator."""

from __future__ import annotations

import grpc
import pytest

from xueji.v1 import accounts_pb2
from xueji_common.auth import Role

ROOT_PASSWORD = "Ministry-Admin.2026x"
NEW_PASSWORD = "Changed.Pass-2027"


def first_sign_in(
    stub, login: str, password: str, new_password: str = NEW_PASSWORD
) -> accounts_pb2.TokenPair:
    """Sign in as a new user: refused until the password is changed, then tokens."""
    with pytest.raises(grpc.RpcError) as err:
        stub.SignIn(accounts_pb2.SignInRequest(login_name=login, password=password))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION, err.value.details()
    stub.ChangePassword(
        accounts_pb2.ChangePasswordRequest(
            login_name=login, current_password=password, new_password=new_password
        )
    )
    return stub.SignIn(accounts_pb2.SignInRequest(login_name=login, password=new_password))


def create(stub, admin_md, login: str, role: Role, unit: str, name: str = "测试用户") -> str:
    """Creates a user as the administrator of `admin_md`; returns its temporary password."""
    made = stub.CreateUser(
        accounts_pb2.CreateUserRequest(
            login_name=login, display_name=name, role=role.proto, org_unit_code=unit
        ),
        metadata=admin_md,
    )
    return made.temporary_password


def refused(call, *args, code=grpc.StatusCode.UNAUTHENTICATED, **kw) -> str:
    with pytest.raises(grpc.RpcError) as err:
        call(*args, **kw)
    assert err.value.code() == code, err.value.details()
    return err.value.details()
