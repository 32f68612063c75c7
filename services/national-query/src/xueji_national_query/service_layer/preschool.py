"""学前学籍匹配 (chapter 4): the preschool records that may be a child's, for registration.

By document: the keyed hash of (type, number); several records share a number when the child is a
problem record (一人多籍). By name, gender and birth date: for children without a document, among the
preschool records without one (several children may share the key). The registrar decides among
several candidates; this service only finds them.
"""

from __future__ import annotations

import datetime as dt

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.documents import DocumentError, DocumentType, normalize_document_number, validate_document
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.hashing import document_hash
from xueji_national_query.domain.records import NationalRecord
from xueji_national_query.service_layer.unit_of_work import NationalQueryUoW


def admit(principal: Principal | None) -> None:
    """Matching is for the registration service (the system role) only."""
    authorize(principal, (Role.SYSTEM,))


def match_by_document(
    uow: NationalQueryUoW, doc_type: DocumentType, number: str
) -> tuple[list[NationalRecord], list[NationalRecord]]:
    """(the preschool records, the formal records) holding the number: a child with a formal record
    is already a formal student (manual 4.5), wherever it is."""
    number = normalize_document_number(number or "")
    if not number:
        raise InvalidArgument(
            FieldViolation("document.number", "身份证件号不能为空；无证件的儿童请按姓名、性别、出生日期匹配")
        )
    try:  # numbers that fail validation still exist in problem records: match them as written
        number = validate_document(doc_type, number).number
    except DocumentError:
        pass
    key = document_hash(uow.hash_key, doc_type.value, number)
    with uow:
        return uow.records.preschool_by_document(key), uow.records.formal_by_document(key)


def match_by_person(
    uow: NationalQueryUoW, name: str, gender: int, birth_date: dt.date | None
) -> list[NationalRecord]:
    problems = []
    if not name.strip():
        problems.append(FieldViolation("person.name", "姓名不能为空"))
    if gender not in (1, 2):
        problems.append(FieldViolation("person.gender", "性别不能为空"))
    if birth_date is None:
        problems.append(FieldViolation("person.birth_date", "出生日期不能为空"))
    if problems or birth_date is None:
        raise InvalidArgument(problems)
    with uow:
        return uow.records.preschool_by_person(name.strip(), gender, birth_date)
