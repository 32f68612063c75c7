"""学籍注册查询 (chapter 14) and the generated records: reads within the caller's jurisdiction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Generic, TypeVar

from xueji_common.auth import Principal
from xueji_common.documents import DocumentType, normalize_document_number
from xueji_common.errors import FieldViolation, InvalidArgument, NotFound
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_common.paging import Page as Window
from xueji_registration.domain.model import Application
from xueji_registration.domain.records import StudentRecord
from xueji_registration.service_layer.access import area, require_reader
from xueji_registration.service_layer.repositories import ApplicationQuery, RecordQuery, StoredFile
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

T = TypeVar("T", Application, StudentRecord)
MAX_PAGE = 500  # applications per document type gathered for a number (one child has a handful)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str
    total: int
    numbers: dict[str, str] = dataclasses.field(default_factory=dict)  # record id → national student number


@dataclass(frozen=True)
class ApplicationDetail:
    application: Application
    national_student_number: str  # empty before the record exists
    files: dict[str, StoredFile]  # file id → StoredFile (proof material)


def get_application(
    uow: RegistrationUoW, application_id: str, *, principal: Principal, tree: OrgTree
) -> ApplicationDetail:
    with uow:
        app = uow.applications.get(application_id)
        if app is None:
            raise NotFound("注册申请不存在")
        require_reader(principal, tree, app.school_code)
        numbers = uow.records.numbers_of([app.record_id] if app.record_id else [])
        files = uow.files.get_many(app.proof_material_ids)
    return ApplicationDetail(app, numbers.get(app.record_id, ""), files)


def list_applications(
    uow: RegistrationUoW,
    query: ApplicationQuery,
    *,
    org_unit_code: str,
    document_number: str,
    window: Window,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
) -> Page[Application]:
    """Newest first. A document number is matched through its keyed hash, under each document type
    (the query names no type)."""
    column, code = area(principal, tree, org_unit_code)
    query = dataclasses.replace(query, area_column=column, area_code=code)
    with uow:
        if document_number:
            page = _by_document(uow, query, document_number, window, hash_key)
        else:
            apps, total = uow.applications.list(query, offset=window.offset, limit=window.size)
            page = Page(apps, window.next_token(total), total)
        page.numbers.update(uow.records.numbers_of([a.record_id for a in page.items if a.record_id]))
    return page


def _by_document(
    uow: RegistrationUoW, query: ApplicationQuery, number: str, window: Window, hash_key: str
) -> Page[Application]:
    number = normalize_document_number(number)
    found: list[Application] = []
    for doc_type in DocumentType:
        q = dataclasses.replace(query, document_hash=document_hash(hash_key, doc_type.value, number))
        found += uow.applications.list(q, offset=0, limit=MAX_PAGE)[0]
    found.sort(key=lambda a: (a.submitted_at, a.application_id), reverse=True)
    items = found[window.offset : window.offset + window.size]
    return Page(items, window.next_token(len(found)), len(found))


def get_record(
    uow: RegistrationUoW, *, record_id: str = "", number: str = "", principal: Principal, tree: OrgTree
) -> StudentRecord:
    if not record_id and not number:
        raise InvalidArgument(FieldViolation("key", "请指定学籍编号或全国学籍号"))
    with uow:
        record = uow.records.get(record_id) if record_id else uow.records.by_number(number.strip().upper())
    if record is None:
        raise NotFound("学籍不存在")
    require_reader(principal, tree, record.school_code)
    return record


def list_records(
    uow: RegistrationUoW,
    query: RecordQuery,
    *,
    org_unit_code: str,
    window: Window,
    principal: Principal,
    tree: OrgTree,
) -> Page[StudentRecord]:
    column, code = area(principal, tree, org_unit_code)
    query = dataclasses.replace(query, area_column=column, area_code=code)
    with uow:
        records, total = uow.records.list(query, offset=window.offset, limit=window.size)
    return Page(records, window.next_token(total), total)
