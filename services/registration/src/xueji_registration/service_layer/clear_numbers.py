"""A document number in clear for the one consumer that must see it, asked over gRPC
(Registrations/GetDocumentNumber): numbers never travel on the bus (events carry the keyed hash and
the masked number). Dedup asks for the population register's check of a resident ID and for the key
check of a hash-key rotation; no other identity may. `document_numbers` answers a batch of
applications (Registrations/GetDocumentNumbers: dedup's check of a batch of submissions) with one
read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xueji_common.auth import Principal, Role
from xueji_common.documents import ValidDocument
from xueji_common.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

READERS = frozenset({"service:dedup"})  # the user id of a service's token (grpcserver.client.ServiceCaller)


@dataclass(frozen=True)
class ClearNumber:
    document: ValidDocument
    document_hash: str
    revision: int = 0  # an application's
    version: int = 0  # a record's


MAX_BATCH = 500  # application ids per GetDocumentNumbers call (the contract's limit)


def admit(principal: Principal | None) -> None:
    if principal is None or principal.role is not Role.SYSTEM or principal.user_id not in READERS:
        raise PermissionDenied("当前角色无权获取证件号")


def document_number(
    uow: RegistrationUoW, *, application_id: str = "", record_id: str = "", principal: Principal
) -> ClearNumber:
    admit(principal)
    if not application_id and not record_id:
        raise InvalidArgument(FieldViolation("owner", "请指定注册申请编号或学籍编号"))
    with uow:
        if application_id:
            app = uow.applications.get(application_id)
            if app is None:
                raise NotFound("注册申请不存在")
            return ClearNumber(app.identity.document, app.document_hash, revision=app.revision)
        record = uow.records.get(record_id)
        if record is None:
            raise NotFound("学籍不存在")
        return ClearNumber(record.identity.document, record.document_hash, version=record.version)


def check_batch(application_ids: Sequence[str]) -> None:
    """The contract's limits of a GetDocumentNumbers call (asked before any read)."""
    if not application_ids:
        raise InvalidArgument(FieldViolation("application_ids", "请指定注册申请编号"))
    if len(application_ids) > MAX_BATCH:
        raise InvalidArgument(FieldViolation("application_ids", f"一次最多获取 {MAX_BATCH} 个证件号"))
    empty = [
        FieldViolation(f"application_ids[{i}]", "不能为空") for i, a in enumerate(application_ids) if not a
    ]
    if empty:
        raise InvalidArgument(empty)


def document_numbers(
    uow: RegistrationUoW, application_ids: Sequence[str], *, principal: Principal
) -> list[ClearNumber | None]:
    """document_number of each application, in the order asked (None: no such application)."""
    admit(principal)
    check_batch(application_ids)
    with uow:
        found = uow.applications.document_numbers(application_ids)
    return [
        ClearNumber(f.document, f.document_hash, revision=f.revision) if (f := found.get(a)) else None
        for a in application_ids
    ]
