"""Registration entry: manual entry (录入), and the batch submission import and 补录 use.

Plain values in, unit of work for state and events. The form is the protobuf JSON of
StudentRecordForm (see domain/form.py); the identity fields travel beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.documents import (
    DocumentCategory,
    DocumentError,
    DocumentType,
    Gender,
    ValidDocument,
    mask_document_number,
    validate_document,
)
from xueji_common.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    PreconditionFailed,
    PreconditionViolation,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters import batch_events, events
from xueji_registration.domain.batches import SubmittedBatch, new_ids
from xueji_registration.domain.files import Purpose
from xueji_registration.domain.form import check_form, without_identity
from xueji_registration.domain.model import Application, EntryChannel, Identity, identity_problems
from xueji_registration.service_layer.access import regions, require_school_registrar
from xueji_registration.service_layer.concurrent_entry import retried
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

__all__ = [
    "CreateApplication",
    "EntryChannel",
    "check_files",
    "create_application",
    "store_batch",
    "store_submitted",
    "submit_applications",
    "validated_identity",
]

MAX_PROOF_MATERIALS = 10


@dataclass(frozen=True)
class CreateApplication:
    school_code: str
    kind: RegistrationKind
    category: DocumentCategory
    name: str
    gender: Gender | None
    birth_date: dt.date | None
    document_type: DocumentType | None
    document_number: str
    form: dict[str, Any] = field(
        default_factory=dict
    )  # StudentRecordForm as protobuf JSON, family members included
    proof_material_ids: tuple[str, ...] = ()
    preschool_transfer_id: str = ""
    import_id: str = ""
    request_id: str = ""  # idempotency key (CreateApplicationRequest.request_id)


def create_application(
    uow: RegistrationUoW, cmd: CreateApplication, *, principal: Principal, tree: OrgTree, hash_key: str
) -> Application:
    """Manual entry (录入) of one application by the school registrar; submits it at once."""
    [outcome] = submit_applications(
        uow, [cmd], principal=principal, tree=tree, hash_key=hash_key, channel=EntryChannel.MANUAL
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def submit_applications(
    uow: RegistrationUoW,
    commands: list[CreateApplication],
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    channel: EntryChannel,
) -> list[Application | DomainError]:
    """Submit several applications of one school in one transaction (manual entry, import, 补录).

    Returns, per command and in order, the submitted application or the DomainError that refused
    it; refused commands write nothing, the others are committed together with their events.
    Caller checks (role, jurisdiction) refuse the whole batch.
    """
    for school in {c.school_code for c in commands}:
        require_school_registrar(principal, tree, school)
    return retried(
        lambda: _submit(uow, commands, principal=principal, tree=tree, hash_key=hash_key, channel=channel)
    )


def _submit(
    uow: RegistrationUoW,
    commands: list[CreateApplication],
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    channel: EntryChannel,
) -> list[Application | DomainError]:
    outcomes: list[Application | DomainError] = []
    repeats: set[int] = set()
    with uow:
        for cmd in commands:
            if cmd.request_id and (earlier := uow.applications.by_request(cmd.school_code, cmd.request_id)):
                repeats.add(len(outcomes))  # a repeated request: the first result, nothing written again
                outcomes.append(earlier)
                continue
            outcome: Application | DomainError
            try:
                outcome = _checked(
                    uow, cmd, principal=principal, tree=tree, hash_key=hash_key, channel=channel
                )
                if cmd.preschool_transfer_id:
                    check_transfer(uow, cmd.school_code, cmd.preschool_transfer_id)
            except DomainError as exc:
                outcome = exc
            outcomes.append(outcome)
        fresh = [i for i, o in enumerate(outcomes) if isinstance(o, Application) and i not in repeats]
        _refuse_duplicates(uow, outcomes, fresh, tree)
        store_submitted(
            uow, [o for i in fresh if isinstance(o := outcomes[i], Application)], principal=principal
        )
        uow.commit()
    return outcomes


def store_submitted(uow: RegistrationUoW, submitted: list[Application], *, principal: Principal) -> None:
    """Write applications that passed every check: rows, their files, ApplicationSubmitted events.

    `submit_applications` checks first; the Excel import, which checks every row itself (the same
    rules, with each problem put on its cell), hands its checked applications here directly."""
    uow.applications.add_many(submitted)
    for app in submitted:
        uow.files.attach([*app.proof_material_ids, *filter(None, [_photo_id(app.form)])], app.application_id)
    uow.publish_many(
        (events.application_submitted(app, county_code=app.county_code, by=principal), app.application_id)
        for app in submitted
    )


def store_batch(uow: RegistrationUoW, batch: SubmittedBatch | None, *, principal: Principal) -> None:
    """`store_submitted` for the applications of an import's chunk: their rows and ApplicationSubmitted
    events in bulk, what they share converted once (import templates carry no files to attach)."""
    if batch is None or not batch.rows:
        return
    uow.applications.add_batch(batch)
    occurred = Timestamp()
    occurred.FromDatetime(now())
    uow.publish_envelopes(
        batch_events.EVENT_TYPE,
        batch_events.submitted_envelopes(
            batch,
            county_code=batch.shared.county_code,
            by=principal,
            producer=uow.producer,
            event_ids=new_ids(len(batch.rows)),
            occurred_at=occurred,
        ),
    )


def _refuse_duplicates(
    uow: RegistrationUoW, outcomes: list[Application | DomainError], fresh: list[int], tree: OrgTree
) -> None:
    """No document number twice: not within the batch, not against an application not withdrawn (the
    refusal names the holder: a record or a live application, its school and province, number masked)."""
    numbered = [
        (i, o) for i in fresh if isinstance(o := outcomes[i], Application) and o.identity.document.number
    ]
    held = uow.applications.active_holders({o.document_hash for _, o in numbered})
    seen: set[str] = set()
    for i, app in numbered:
        number = app.identity.document.number
        if app.document_hash in held:
            outcomes[i] = AlreadyExists(held[app.document_hash].refusal(tree, number))
        elif app.document_hash in seen:
            outcomes[i] = AlreadyExists(f"该身份证件号在本批录入中重复（{mask_document_number(number)}）")
        seen.add(app.document_hash)


def validated_identity(
    name: str,
    gender: Gender | None,
    birth_date: dt.date | None,
    document_type: DocumentType | None,
    document_number: str,
    *,
    form: dict[str, Any],
    category: DocumentCategory,
) -> Identity:
    """The identity and the whole form checked together: one INVALID_ARGUMENT naming every field."""
    document: ValidDocument | DocumentError
    if document_type is None:
        document = DocumentError("document_type", "REQUIRED", "身份证件类型不能为空")
    else:
        try:
            document = validate_document(document_type, document_number)
        except DocumentError as exc:
            document = exc
    problems = identity_problems(
        name, gender, birth_date, document, derived_from_number=document_type is DocumentType.RESIDENT_ID
    )
    valid = document if isinstance(document, ValidDocument) else None
    derived_birth = (valid and valid.birth_date) or birth_date
    actual = valid.category if valid else category
    if actual is not category:  # the entry page chosen does not fit the document: say that, not more
        problems.append(FieldViolation("category", f"证件类别应为“{actual.label_zh}”，与身份证件类型一致"))
    problems += check_form(form, category=actual, birth_date=derived_birth)
    if problems or valid is None:  # a DocumentError is one of the problems
        raise InvalidArgument(problems)
    born = birth_date or valid.birth_date
    sex = gender or valid.gender
    if born is None or sex is None:  # identity_problems names the missing one
        raise InvalidArgument(problems)
    return Identity(name.strip(), sex, born, valid)


def _checked(
    uow: RegistrationUoW,
    cmd: CreateApplication,
    *,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    channel: EntryChannel,
) -> Application:
    """The application, or one INVALID_ARGUMENT naming every bad field: the form's, the missing or
    unusable proof materials and photo together, so that the registrar fixes all in one go."""
    problems: list[FieldViolation] = []
    app = None
    try:
        app = _prepare(cmd, principal=principal, tree=tree, hash_key=hash_key, channel=channel)
    except InvalidArgument as exc:
        problems += exc.violations
    no_document = (
        cmd.document_type is DocumentType.OTHER
        if cmd.document_type is not None
        else cmd.category is DocumentCategory.NO_DOCUMENT
    )
    if no_document and not cmd.proof_material_ids:
        problems.append(FieldViolation("proof_material_ids", "无证件学生必须上传证明材料"))
    try:
        check_files(uow, cmd.school_code, cmd.proof_material_ids, _photo_id(cmd.form))
    except InvalidArgument as exc:
        problems += exc.violations
    if problems or app is None:  # no application: _prepare's problems are among them
        raise InvalidArgument(problems)
    return app


def _prepare(
    cmd: CreateApplication, *, principal: Principal, tree: OrgTree, hash_key: str, channel: EntryChannel
) -> Application:
    if cmd.school_code not in tree or not tree.get(cmd.school_code).is_school:
        raise InvalidArgument(FieldViolation("school_code", "学校标识码不存在"))
    if (
        channel is EntryChannel.MANUAL
        and cmd.kind is RegistrationKind.PRIMARY_FRESHMAN
        and cmd.category is not DocumentCategory.NO_DOCUMENT
    ):
        raise PreconditionFailed(
            "小学新生（居民身份证、港澳台和外籍）须通过学前调档导入或学前档案信息补录注册，不能直接录入",
            [PreconditionViolation("FRESHMAN_USE_PRESCHOOL_TRANSFER", cmd.school_code, "请使用学前调档")],
        )
    form = without_identity(cmd.form)
    identity = validated_identity(
        cmd.name,
        cmd.gender,
        cmd.birth_date,
        cmd.document_type,
        cmd.document_number,
        form=form,
        category=cmd.category,
    )
    app = Application.submit(
        school_code=cmd.school_code,
        kind=cmd.kind,
        category=cmd.category,
        identity=identity,
        form=form,
        document_hash=document_hash(hash_key, identity.document.type.value, identity.document.number),
        created_by=principal.user_id,
        now=now(),
        entry_channel=channel,
        proof_material_ids=tuple(cmd.proof_material_ids),
        preschool_transfer_id=cmd.preschool_transfer_id,
        import_id=cmd.import_id,
        request_id=cmd.request_id,
    )
    for key, code in regions(tree, cmd.school_code).items():
        setattr(app, key, code)
    return app


def _photo_id(form: dict[str, Any]) -> str:
    return str((form.get("photo") or {}).get("fileId", ""))


def check_transfer(uow: RegistrationUoW, school_code: str, transfer_id: str) -> None:
    """The preschool transfer an application names is this school's, and not registered yet."""
    transfer = uow.transfers.get(transfer_id)
    if transfer is None or transfer.school_code != school_code:
        raise InvalidArgument(FieldViolation("preschool_transfer_id", "学前调档信息不存在或不属于本校"))
    transfer.ensure_registrable("注册")


def check_files(
    uow: RegistrationUoW,
    school_code: str,
    proof_ids: Sequence[str],
    photo_id: str = "",
    application_id: str = "",
) -> None:
    """Proof material and photo ids: uploaded by this school, for that purpose, not used elsewhere."""
    if len(proof_ids) > MAX_PROOF_MATERIALS:
        raise InvalidArgument(
            FieldViolation("proof_material_ids", f"证明材料不能超过{MAX_PROOF_MATERIALS}个")
        )
    wanted = [(fid, Purpose.PROOF_MATERIAL, "proof_material_ids") for fid in proof_ids]
    if photo_id:
        wanted.append((photo_id, Purpose.PHOTO, "student.photo.file_id"))
    found = uow.files.get_many({fid for fid, _, _ in wanted})
    problems = []
    for fid, purpose, at in wanted:
        stored = found.get(fid)
        if (
            stored is None
            or stored.school_code != school_code
            or stored.purpose is not purpose
            or stored.application_id not in ("", application_id)
        ):
            problems.append(FieldViolation(at, f"文件 {fid} 不存在、不属于本校或已被其他申请使用"))
    if problems:
        raise InvalidArgument(problems)
