"""学前学籍匹配 (chapter 4): the preschool records that may be a child's, for registration.

The rule is the domain's (domain/preschool.py::match). A call of up to 500 children
(PreschoolRecords.MatchPreschoolRecords, issue 16 step 2) reads the records of all their keys with
one statement and decides each child in memory; the single call is a batch of one. The registrar
decides among several candidates; this service only finds them.
"""

from __future__ import annotations

import datetime as dt

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize
from xueji_common.documents import DocumentError, DocumentType, normalize_document_number, validate_document
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.hashing import document_hash
from xueji_national_query.domain.preschool import ByDocument, ByPerson, MatchKey, PreschoolMatch, match_each
from xueji_national_query.service_layer.unit_of_work import NationalQueryUoW

MAX_BATCH = 500  # children per MatchPreschoolRecords call (the contract's limit)


def admit(principal: Principal | None) -> None:
    """Matching is for the registration service (the system role) only."""
    authorize(principal, (Role.SYSTEM,))


def check_batch_size(count: int) -> None:
    """The contract's limit of a batch (the entrypoint asks before reading the items)."""
    if count > MAX_BATCH:
        raise InvalidArgument(FieldViolation("identities", f"一次最多匹配 {MAX_BATCH} 名儿童"))


def document_key(hash_key: str, doc_type: DocumentType, number: str) -> ByDocument:
    """The key of a child with a document: InvalidArgument (document.number) without a number."""
    number = normalize_document_number(number or "")
    if not number:
        raise InvalidArgument(
            FieldViolation("document.number", "身份证件号不能为空；无证件的儿童请按姓名、性别、出生日期匹配")
        )
    try:  # numbers that fail validation still exist in problem records: match them as written
        number = validate_document(doc_type, number).number
    except DocumentError:
        pass
    return ByDocument(document_hash(hash_key, doc_type.value, number))


def person_key(name: str, gender: int, birth_date: dt.date | None) -> ByPerson:
    """The key of a child without a document: InvalidArgument naming person.name / gender / birth_date."""
    problems = []
    if not name.strip():
        problems.append(FieldViolation("person.name", "姓名不能为空"))
    if gender not in (1, 2):
        problems.append(FieldViolation("person.gender", "性别不能为空"))
    if birth_date is None:
        problems.append(FieldViolation("person.birth_date", "出生日期不能为空"))
    if problems or birth_date is None:
        raise InvalidArgument(problems)
    return ByPerson(name.strip(), gender, birth_date)


def match_keys(uow: NationalQueryUoW, keys: list[MatchKey]) -> list[PreschoolMatch]:
    """The answer of each key, in order: the records of all keys read with one statement, each key
    decided by the domain's rule (domain/preschool.py::match) over the records read for it."""
    check_batch_size(len(keys))
    if not keys:
        return []
    with uow:
        found = uow.records.preschool_matching(keys)
    return match_each(keys, found)
