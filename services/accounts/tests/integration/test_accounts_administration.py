"""Administration by level through gRPC: a unit's administrator manages its unit and the units below."""

from __future__ import annotations

import grpc
from accounts_harness import create, first_sign_in, refused
from google.protobuf.field_mask_pb2 import FieldMask

from xueji.v1 import accounts_pb2
from xueji_common.auth import Role
from xueji_common.grpcserver.client import bearer


def update(login_name: str, **fields) -> accounts_pb2.UpdateUserRequest:
    """An UpdateUser of the fields given, and only those (update_mask)."""
    return accounts_pb2.UpdateUserRequest(
        login_name=login_name, update_mask=FieldMask(paths=list(fields)), **fields
    )


def _admin_of(stub, root, login, unit) -> list:
    return bearer(first_sign_in(stub, login, create(stub, root, login, Role.USER_ADMIN, unit)).access_token)


def test_an_administrator_manages_its_unit_and_below_never_above_or_beside(stub, root):
    zj = _admin_of(stub, root, "a.zj", "330000")
    create(stub, zj, "a.zj.county", Role.DEPARTMENT_REGISTRAR, "330102")
    create(stub, zj, "a.zj.school", Role.SCHOOL_REGISTRAR, "1330102001")
    for unit, role in (
        ("320000", Role.DEPARTMENT_REGISTRAR),
        ("1320102001", Role.SCHOOL_REGISTRAR),
        ("000000", Role.DEPARTMENT_REGISTRAR),
    ):
        details = refused(create, stub, zj, f"a.x{unit}", role, unit, code=grpc.StatusCode.PERMISSION_DENIED)
        assert "超出本单位管辖范围" in details
    create(stub, root, "a.js.school", Role.SCHOOL_REGISTRAR, "1320102001")
    for call in (stub.LockUser, stub.DisableUser, stub.ResetPassword):
        refused(
            call,
            accounts_pb2.UserRef(login_name="a.js.school"),
            metadata=zj,
            code=grpc.StatusCode.PERMISSION_DENIED,
        )
    county = _admin_of(stub, zj, "a.county", "330102")
    refused(
        stub.UpdateUser,
        update("a.zj", display_name="改名"),
        metadata=county,
        code=grpc.StatusCode.PERMISSION_DENIED,
    )
    refused(
        stub.UpdateUser,
        update("a.zj.county", org_unit_code="330000"),
        metadata=county,
        code=grpc.StatusCode.PERMISSION_DENIED,
    )  # moving a user above oneself
    listed = stub.ListUsers(accounts_pb2.ListUsersRequest(), metadata=county).users
    assert {u.login_name for u in listed} == {"a.county", "a.zj.county", "a.zj.school"}


def test_roles_must_fit_the_level_of_the_unit_on_create_and_edit(stub, root):
    for role, unit in (
        (Role.SCHOOL_REGISTRAR, "330102"),
        (Role.DEPARTMENT_REGISTRAR, "1330102001"),
        (Role.USER_ADMIN, "1330102001"),
        (Role.SYSTEM, "330000"),
    ):
        details = refused(create, stub, root, "r.bad", role, unit, code=grpc.StatusCode.INVALID_ARGUMENT)
        assert "role" in details
    create(stub, root, "r.school", Role.SCHOOL_LEADER, "1330102001")
    refused(
        stub.UpdateUser,
        update("r.school", org_unit_code="330102"),
        metadata=root,
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )
    refused(
        create, stub, root, "r.school", Role.SCHOOL_LEADER, "1330102001", code=grpc.StatusCode.ALREADY_EXISTS
    )


def test_only_user_administrators_administer(stub, root):
    registrar = bearer(
        first_sign_in(
            stub, "o.reg", create(stub, root, "o.reg", Role.DEPARTMENT_REGISTRAR, "330000")
        ).access_token
    )
    refused(
        stub.ListUsers,
        accounts_pb2.ListUsersRequest(),
        metadata=registrar,
        code=grpc.StatusCode.PERMISSION_DENIED,
    )
    refused(
        create,
        stub,
        registrar,
        "o.x",
        Role.SCHOOL_REGISTRAR,
        "1330102001",
        code=grpc.StatusCode.PERMISSION_DENIED,
    )


def test_lock_disable_and_reset_end_sign_in_until_undone_and_every_change_is_listed(stub, root):
    password = create(stub, root, "c.user", Role.SCHOOL_REGISTRAR, "1330102001")
    pair = first_sign_in(stub, "c.user", password)
    stub.LockUser(accounts_pb2.UserRef(login_name="c.user"), metadata=root)
    assert "锁定" in refused(
        stub.SignIn, accounts_pb2.SignInRequest(login_name="c.user", password="Changed.Pass-2027")
    )
    refused(stub.Refresh, accounts_pb2.RefreshRequest(refresh_token=pair.refresh_token))  # sessions ended
    stub.UnlockUser(accounts_pb2.UserRef(login_name="c.user"), metadata=root)
    stub.SignIn(accounts_pb2.SignInRequest(login_name="c.user", password="Changed.Pass-2027"))
    temporary = stub.ResetPassword(
        accounts_pb2.UserRef(login_name="c.user"), metadata=root
    ).temporary_password
    first_sign_in(stub, "c.user", temporary, "Another.Pass-2028")  # change forced after a reset
    stub.UpdateUser(update("c.user", display_name="新名字"), metadata=root)
    stub.DisableUser(accounts_pb2.UserRef(login_name="c.user"), metadata=root)
    assert "停用" in refused(
        stub.SignIn, accounts_pb2.SignInRequest(login_name="c.user", password="Another.Pass-2028")
    )
    changes = stub.ListAccountChanges(
        accounts_pb2.ListAccountChangesRequest(login_name="c.user"), metadata=root
    )
    assert [c.action for c in reversed(changes.changes)] == [
        "create",
        "change_password",
        "lock",
        "unlock",
        "reset_password",
        "change_password",
        "update",
        "disable",
    ]
    assert {c.actor for c in changes.changes} == {"root", "c.user"}
    assert any("display_name=新名字" in c.detail for c in changes.changes)


def test_users_are_listed_with_filters_and_pages(stub, root):
    for i in range(7):
        create(stub, root, f"p.user{i}", Role.SCHOOL_REGISTRAR, "1330102001")
    request = accounts_pb2.ListUsersRequest(
        login_name_contains="p.user", role=Role.SCHOOL_REGISTRAR.proto, state=accounts_pb2.USER_STATE_ACTIVE
    )
    request.page_size = 3
    first = stub.ListUsers(request, metadata=root)
    assert first.total_size == 7 and len(first.users) == 3 and first.next_page_token
    request.page_token = first.next_page_token
    second = stub.ListUsers(request, metadata=root)
    assert [u.login_name for u in second.users] == ["p.user3", "p.user4", "p.user5"]
    assert second.users[0].org_unit_name


def test_an_update_changes_the_masked_fields_only_and_names_a_bad_mask(stub, root):
    create(stub, root, "m.user", Role.SCHOOL_REGISTRAR, "1330102001")
    # role and unit travel in the request, but only display_name is in the mask
    request = accounts_pb2.UpdateUserRequest(
        login_name="m.user",
        display_name="新名字",
        org_unit_code="330102",
        role=Role.DEPARTMENT_REGISTRAR.proto,
        update_mask=FieldMask(paths=["display_name"]),
    )
    user = stub.UpdateUser(request, metadata=root)
    assert (user.display_name, user.org_unit_code) == ("新名字", "1330102001")
    assert user.role == Role.SCHOOL_REGISTRAR.proto
    user = stub.UpdateUser(update("m.user", org_unit_code="1330102002"), metadata=root)
    assert (user.display_name, user.org_unit_code) == ("新名字", "1330102002")
    for paths in ([], ["login_name"], ["display_name", "password"], ["*", "role"]):
        request.update_mask.Clear()
        request.update_mask.paths.extend(paths)
        details = refused(stub.UpdateUser, request, metadata=root, code=grpc.StatusCode.INVALID_ARGUMENT)
        assert "update_mask" in details, paths
    request.update_mask.Clear()
    request.update_mask.paths.append("*")  # a full replace: all three taken from the request
    user = stub.UpdateUser(request, metadata=root)
    assert (user.org_unit_code, user.role) == ("330102", Role.DEPARTMENT_REGISTRAR.proto)
