"""Preschool transfer use cases (学前调档, chapter 4) and the supplementary entry (补录, chapter 5).

The matching asks national-query (`matcher`, adapters.preschool_records) outside the transaction,
then stores its answer with the change. Every call checks the role and the school, except
`rematch_pending`, the system's own retry of the matchings national-query did not answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from xueji_common.auth import Principal, Role
from xueji_common.authz import authorize, require_jurisdiction
from xueji_common.db.engine import now
from xueji_common.documents import (
    DocumentError,
    DocumentType,
    Gender,
    ValidDocument,
    normalize_document_number,
    validate_document,
)
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel.writer import template_workbook
from xueji_registration.domain.form import identity_block
from xueji_registration.domain.identity import Identity, check_identity
from xueji_registration.domain.model import Application, EntryChannel
from xueji_registration.domain.preschool import MatchAnswer, MatchStatus, PreschoolTransfer
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.handlers import CreateApplication, submit_applications
from xueji_registration.service_layer.repositories import DuplicateTransfer, TransferFilter
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

log = logging.getLogger(__name__)
REMATCH_BATCH = 200
# Who may read transfers (writing them: the school's registrar, access.require_school_registrar).
TRANSFER_READERS = (Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)


class Matcher(Protocol):
    def match(self, identities: list[Identity]) -> list[MatchAnswer | None]: ...


@dataclass(frozen=True)
class IdentityInput:
    name: str
    gender: Gender | None
    birth_date: dt.date | None
    document_type: DocumentType | None
    document_number: str


def checked_identity(given: IdentityInput, prefix: str = "identity") -> Identity:
    """The five fields; for a resident ID gender and birth date come from the number (4.2)."""
    if given.document_type is None:
        document: ValidDocument | DocumentError = DocumentError(
            "document_type", "REQUIRED", "身份证件类型不能为空"
        )
    else:
        try:
            document = validate_document(given.document_type, given.document_number)
        except DocumentError as exc:
            document = exc
    return check_identity(given.name, given.gender, given.birth_date, document, prefix=prefix)


def number_hashes(hash_key: str, number: str) -> tuple[str, ...]:
    """The keyed hashes a document number may be stored under (its type is not given in a search)."""
    text = normalize_document_number(number)
    return tuple(document_hash(hash_key, t.value, text) for t in DocumentType if t is not DocumentType.OTHER)


def hash_of(hash_key: str, identity: Identity) -> str | None:
    doc = identity.document
    return document_hash(hash_key, doc.type.value, doc.number) if doc.number else None


def _duplicate() -> AlreadyExists:
    return AlreadyExists("该身份证件号已经录入学前调档，不允许重复录入")


def create_transfer(
    uow: RegistrationUoW,
    school_code: str,
    given: IdentityInput,
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    matcher: Matcher,
    request_id: str = "",
) -> PreschoolTransfer:
    """新增 (4.2); a repeated `request_id` returns the transfer the first request added."""
    require_school_registrar(principal, tree, school_code)
    request = request_id.strip()[:64] or None
    if request and (earlier := _requested(uow, school_code, request)):
        return earlier
    identity = checked_identity(given)
    key = hash_of(hash_key, identity)
    if key:
        with uow:
            if uow.transfers.holder_of(school_code, key):
                raise _duplicate()
    transfer = PreschoolTransfer.new(
        school_code=school_code, identity=identity, document_hash=key, created_by=principal.user_id, now=now()
    )
    transfer.request_id = request
    [answer] = matcher.match([identity])
    transfer.apply_match(answer)
    with uow:
        try:
            uow.transfers.add_many([transfer])
            uow.commit()
        except DuplicateTransfer:  # the same number (or the same request, retried) at the same moment
            if request and (earlier := _requested(uow, school_code, request)):
                return earlier
            raise _duplicate() from None
    return transfer


def _requested(uow: RegistrationUoW, school_code: str, request_id: str) -> PreschoolTransfer | None:
    with uow:
        return uow.transfers.by_request(school_code, request_id)


def get_transfer(
    uow: RegistrationUoW, transfer_id: str, *, principal: Principal, tree: OrgTree, write: bool = False
) -> PreschoolTransfer:
    with uow:
        transfer = uow.transfers.get(transfer_id)
    if transfer is None:
        raise NotFound("学前调档信息不存在")
    _check_access(principal, tree, transfer.school_code, write)
    return transfer


def _check_access(principal: Principal, tree: OrgTree, school_code: str, write: bool) -> None:
    if write:
        require_school_registrar(principal, tree, school_code)
    else:
        authorize(principal, TRANSFER_READERS, refusal="当前角色无权查看学前调档信息")
    require_jurisdiction(tree, principal, school_code)


IDENTITY_FIELDS = ("name", "gender", "birth_date", "document")  # what UpdatePreschoolTransfer may change


def update_transfer(
    uow: RegistrationUoW,
    transfer_id: str,
    given: IdentityInput,
    expected_version: int,
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    matcher: Matcher,
    fields: Sequence[str] = IDENTITY_FIELDS,
) -> PreschoolTransfer:
    """修改 (4.3): refused once registration started or a record exists; re-runs the matching. Only
    the identity `fields` named (the update_mask's) are taken from `given`; the others stay."""
    transfer = get_transfer(uow, transfer_id, principal=principal, tree=tree, write=True)
    transfer.ensure_changeable("修改")
    identity = checked_identity(_merged(transfer.identity, given, fields))
    [answer] = matcher.match([identity])
    with uow:
        repo = uow.transfers
        current = repo.get(transfer_id)
        if current is None:
            raise NotFound("学前调档信息不存在")
        key = hash_of(hash_key, identity)
        if key and repo.holder_of(current.school_code, key) not in (None, transfer_id):
            raise AlreadyExists("该身份证件号已经录入为其他学生，不允许重复录入")
        current.change_identity(identity, key, now())
        current.apply_match(answer)
        try:
            repo.save(current, expected_version)
            uow.commit()
        except DuplicateTransfer:
            raise _duplicate() from None
    return current


def _merged(current: Identity, given: IdentityInput, fields: Sequence[str]) -> IdentityInput:
    keep = IdentityInput(
        current.name, current.gender, current.birth_date, current.document.type, current.document.number
    )
    return IdentityInput(
        name=given.name if "name" in fields else keep.name,
        gender=given.gender if "gender" in fields else keep.gender,
        birth_date=given.birth_date if "birth_date" in fields else keep.birth_date,
        document_type=given.document_type if "document" in fields else keep.document_type,
        document_number=given.document_number if "document" in fields else keep.document_number,
    )


def delete_transfer(
    uow: RegistrationUoW, transfer_id: str, expected_version: int, *, principal: Principal, tree: OrgTree
) -> None:
    get_transfer(uow, transfer_id, principal=principal, tree=tree, write=True)
    with uow:
        repo = uow.transfers
        current = repo.get(transfer_id)
        if current is None:
            raise NotFound("学前调档信息不存在")
        current.ensure_changeable("删除")
        repo.delete(current, expected_version)
        uow.commit()


def list_transfers(
    uow: RegistrationUoW,
    f: TransferFilter,
    unit_code: str,
    offset: int,
    limit: int,
    *,
    principal: Principal,
    tree: OrgTree,
) -> tuple[list[PreschoolTransfer], int]:
    authorize(principal, TRANSFER_READERS, refusal="当前角色无权查看学前调档信息")
    unit_code = unit_code or principal.org_unit  # never "" for "everything": the root is the whole tree
    if not unit_code or unit_code not in tree:
        raise InvalidArgument(FieldViolation("org_unit_code", "单位代码不存在"))
    require_jurisdiction(tree, principal, unit_code)
    unit = tree.get(unit_code)
    schools = (
        None
        if unit_code == tree.root.code
        else (unit_code,)
        if unit.is_school
        else tuple(s.code for s in tree.schools_in(unit_code))
    )
    with uow:
        return uow.transfers.list(replace(f, school_codes=schools), offset, limit)


def confirm_match(
    uow: RegistrationUoW,
    transfer_id: str,
    candidate_id: str | None,
    expected_version: int,
    *,
    principal: Principal,
    tree: OrgTree,
) -> PreschoolTransfer:
    """确认学前学籍 (图12, 图13)."""
    get_transfer(uow, transfer_id, principal=principal, tree=tree, write=True)
    with uow:
        repo = uow.transfers
        current = repo.get(transfer_id)
        if current is None:
            raise NotFound("学前调档信息不存在")
        by = {"user_id": principal.user_id, "org_unit": principal.org_unit, "role": principal.role.value}
        current.confirm(candidate_id=candidate_id, by=by, now=now())
        repo.save(current, expected_version)
        uow.commit()
    return current


def export_transfers(
    uow: RegistrationUoW,
    school_code: str,
    transfer_ids: list[str],
    *,
    principal: Principal,
    tree: OrgTree,
    matcher: Matcher | None = None,
) -> tuple[str, bytes]:
    """调档学生导出 (4.5): the children, all of one category, in that category's freshman template.

    已成为正式学籍学生的，不允许导出: national-query is asked again for the children's formal records
    (one may have been registered anywhere since the matching); unanswered, the stored ones stand."""
    require_school_registrar(principal, tree, school_code)
    if not transfer_ids:
        raise InvalidArgument(FieldViolation("transfer_ids", "请选择要导出的学生"))
    with uow:
        found = {t.transfer_id: t for t in uow.transfers.get_many(list(set(transfer_ids)))}
    missing = [i for i in transfer_ids if i not in found or found[i].school_code != school_code]
    if missing:
        raise NotFound(f"学前调档信息不存在：{missing[0]}")
    chosen = [found[i] for i in dict.fromkeys(transfer_ids)]
    _refresh_formal_records(chosen, matcher)
    refusals = [r for r in (t.export_refusal() for t in chosen) if r is not None]
    if refusals:
        raise PreconditionFailed(
            "；".join(r.message for r in refusals[:5]) + ("…" if len(refusals) > 5 else ""),
            [v for r in refusals for v in r.violations],
        )
    categories = {t.category for t in chosen}
    if len(categories) > 1:
        raise InvalidArgument(
            FieldViolation(
                "transfer_ids", "不同证件类型的学生不能一起导出：居民身份证学生和港澳台和外籍学生请分别导出"
            )
        )
    category = categories.pop()
    template = registration_template(RegistrationKind.PRIMARY_FRESHMAN, category)
    rows = [form_cells(template, _identity_form(t.identity)) for t in chosen]
    return f"学前调档导出-{category.label_zh}.xlsx", template_workbook(template, rows)


def _refresh_formal_records(transfers: list[PreschoolTransfer], matcher: Matcher | None) -> None:
    numbered = [t for t in transfers if t.identity.document.number]
    if matcher is None or not numbered:
        return
    for transfer, answer in zip(numbered, matcher.match([t.identity for t in numbered])):
        if isinstance(answer, MatchAnswer) and answer.formal_records:
            transfer.formal_record = answer.formal_records[0]


def _identity_form(identity: Identity) -> dict[str, Any]:
    return identity_block(
        identity.name,
        int(identity.gender),
        identity.birth_date,
        identity.document.type.value,
        identity.document.number,
    )


def submit_supplementary_entry(
    uow: RegistrationUoW,
    transfer_id: str,
    form: dict[str, Any],
    expected_version: int,
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    request_id: str = "",
) -> Application:
    """学前档案信息补录 (chapter 5): the matched child's form; saving submits the freshman registration.

    The identity fields of the form must be the transfer's (blank ones are taken from it). A repeated
    `request_id` returns the application the first request submitted.
    """
    transfer = get_transfer(uow, transfer_id, principal=principal, tree=tree, write=True)
    request_id = request_id.strip()[:64]
    if request_id:
        with uow:
            earlier = uow.applications.by_request(transfer.school_code, request_id)
        if earlier is not None:
            return earlier
    transfer.ensure_supplementable()
    if transfer.version != expected_version:
        raise ConcurrentModification("该学前调档信息已被他人修改，请刷新后重试")
    identity = transfer.identity
    whole = {**_identity_form(identity), **{k: v for k, v in form.items() if v not in (None, "", {}, [])}}
    mismatched = [
        f
        for f, key in (
            ("student.name", "name"),
            ("student.gender", "gender"),
            ("student.birth_date", "birthDate"),
            ("student.document", "document"),
        )
        if whole[key] != _identity_form(identity)[key]
    ]
    if mismatched:
        raise InvalidArgument(
            [
                FieldViolation(f, "身份信息须与学前调档信息一致（如需修改请先修改学前调档）")
                for f in mismatched
            ]
        )
    command = CreateApplication(
        school_code=transfer.school_code,
        kind=RegistrationKind.PRIMARY_FRESHMAN,
        category=transfer.category,
        name=identity.name,
        gender=identity.gender,
        birth_date=identity.birth_date,
        document_type=identity.document.type,
        document_number=identity.document.number,
        form=whole,
        preschool_transfer_id=transfer.transfer_id,
        request_id=request_id,
    )
    [outcome] = submit_applications(
        uow, [command], principal=principal, tree=tree, hash_key=hash_key, channel=EntryChannel.SUPPLEMENTARY
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@dataclass
class RematchTally:
    """What a rematch run did. `unreachable`: still 匹配中 (asked without an answer, or not asked
    because national-query was down); `changed`: changed or deleted by a registrar meanwhile, left as is."""

    matched: int = 0
    not_found: int = 0
    to_confirm: int = 0
    unreachable: int = 0
    changed: int = 0
    stopped: bool = False  # a whole batch went unanswered: the rest was not asked

    def count(self, status: MatchStatus) -> None:
        field = {
            MatchStatus.MATCHED: "matched",
            MatchStatus.NOT_FOUND: "not_found",
            MatchStatus.TO_CONFIRM: "to_confirm",
        }[status]
        setattr(self, field, getattr(self, field) + 1)

    @property
    def examined(self) -> int:
        return self.matched + self.not_found + self.to_confirm + self.unreachable + self.changed


def rematch_pending(
    uow: RegistrationUoW,
    matcher: Matcher,
    *,
    older_than: dt.timedelta = dt.timedelta(0),
    batch: int = REMATCH_BATCH,
    at: dt.datetime | None = None,
) -> RematchTally:
    """Ask national-query again for the transfers still 匹配中 whose last matching is older than
    `older_than`, oldest first, `batch` at a time, and store the answers at the version read: a
    transfer changed or deleted meanwhile is counted and skipped, never overwritten. A batch with no
    answer at all means national-query is down: the run stops and the rest waits for the next one."""
    tally = RematchTally()
    before = (at or now()) - older_than
    after = None
    while True:
        with uow:
            transfers = uow.transfers.pending(before, after, batch)
        if not transfers:
            break
        after = (transfers[-1].created_at, transfers[-1].transfer_id)
        answers = matcher.match([t.identity for t in transfers])
        answered = [(t, a) for t, a in zip(transfers, answers) if a is not None]
        tally.unreachable += len(transfers) - len(answered)
        if not answered:
            with uow:
                tally.unreachable += uow.transfers.count_pending(before, after)
            tally.stopped = True
            break
        _store_answers(uow, answered, tally)
        if len(transfers) < batch:
            break
    if tally.examined:
        log.info(
            "preschool transfers rematched",
            extra={
                "fields": {
                    "matched": tally.matched,
                    "not_found": tally.not_found,
                    "to_confirm": tally.to_confirm,
                    "unreachable": tally.unreachable,
                    "changed_meanwhile": tally.changed,
                    "stopped": tally.stopped,
                }
            },
        )
    return tally


def _store_answers(
    uow: RegistrationUoW, answered: list[tuple[PreschoolTransfer, MatchAnswer]], tally: RematchTally
) -> None:
    """One transaction for the batch: a version that no longer matches updates no row (no error), so
    the other transfers of the batch are stored all the same."""
    at = now()
    with uow:
        repo = uow.transfers
        stored = []
        for transfer, answer in answered:
            expected = transfer.version
            transfer.apply_match(answer)
            transfer.updated_at = at
            try:
                repo.save(transfer, expected)
            except ConcurrentModification:
                tally.changed += 1
                continue
            stored.append(transfer.match_status)
        uow.commit()
    for status in stored:  # counted once committed
        tally.count(status)
