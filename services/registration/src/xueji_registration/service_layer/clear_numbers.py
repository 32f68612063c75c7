"""A document number in clear for the one consumer that must see it, asked over gRPC
(Registrations/GetDocumentNumber): numbers never travel on the bus (events carry the keyed hash and
the masked number). Dedup asks for the population register's check of a resident ID and for the key
check of a hash-key rotation; no other identity may."""

from __future__ import annotations

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


def document_number(
    uow: RegistrationUoW, *, application_id: str = "", record_id: str = "", principal: Principal
) -> ClearNumber:
    if principal.role is not Role.SYSTEM or principal.user_id not in READERS:
        raise PermissionDenied("当前角色无权获取证件号")
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
