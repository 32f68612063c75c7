"""Registration use cases. Plain values in, unit of work for state and events."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from xueji_common.auth import Principal, Role
from xueji_common.db.engine import now
from xueji_common.documents import DocumentCategory, DocumentError, DocumentType, Gender, validate_document
from xueji_common.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from xueji_common.grpcserver.guard import require_jurisdiction
from xueji_common.hashing import document_hash
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters import events
from xueji_registration.domain.model import Application, check_identity
from xueji_registration.service_layer.unit_of_work import RegistrationUnitOfWork


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
    form: dict = field(default_factory=dict)
    proof_material_ids: tuple[str, ...] = ()


class EntryChannel(str, enum.Enum):
    MANUAL = "manual"                # 录入
    IMPORT = "import"                # 导入
    SUPPLEMENTARY = "supplementary"  # 学前档案信息补录


def create_application(uow: RegistrationUnitOfWork, cmd: CreateApplication, *, principal: Principal, tree, hash_key: str) -> Application:
    """Manual entry (录入) of one application by the school registrar; submits it at once."""
    [outcome] = submit_applications(uow, [cmd], principal=principal, tree=tree, hash_key=hash_key,
                                    channel=EntryChannel.MANUAL)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def submit_applications(
    uow: RegistrationUnitOfWork,
    commands: list[CreateApplication],
    *,
    principal: Principal,
    tree,
    hash_key: str,
    channel: EntryChannel,
) -> list[Application | DomainError]:
    """Submit several applications of one school in one transaction (manual entry, import, 补录).

    Returns, per command and in order, the submitted application or the DomainError that refused
    it; refused commands write nothing, the others are committed together with their events.
    Caller checks (role, jurisdiction) refuse the whole batch.
    """
    if principal.role is not Role.SCHOOL_REGISTRAR:
        raise PermissionDenied("只有学校学籍管理员可以录入或导入注册申请")
    for school in {c.school_code for c in commands}:
        require_jurisdiction(tree, principal, school)
    outcomes: list[Application | DomainError] = []
    seen: set[str] = set()
    with uow:
        for cmd in commands:
            try:
                app = _prepare(cmd, principal=principal, tree=tree, hash_key=hash_key, channel=channel)
                if app.identity.document.number:
                    if app.document_hash in seen or uow.applications.active_with_document(app.document_hash):
                        raise AlreadyExists("该身份证件号已有注册申请，不能重复录入")
                    seen.add(app.document_hash)
            except DomainError as exc:
                outcomes.append(exc)
                continue
            outcomes.append(app)
        submitted = [o for o in outcomes if isinstance(o, Application)]
        for app in submitted:
            uow.applications.add(app)
            county = tree.county_of(app.school_code)
            uow.publish(
                events.application_submitted(app, county_code=county.code if county else "", by=principal),
                aggregate_id=app.application_id,
            )
        uow.commit()
    return outcomes


def _prepare(cmd: CreateApplication, *, principal: Principal, tree, hash_key: str, channel: EntryChannel) -> Application:
    if cmd.school_code not in tree or not tree.get(cmd.school_code).is_school:
        raise InvalidArgument(FieldViolation("school_code", "学校标识码不存在"))
    if (channel is EntryChannel.MANUAL and cmd.kind is RegistrationKind.PRIMARY_FRESHMAN
            and cmd.category is not DocumentCategory.NO_DOCUMENT):
        raise PreconditionFailed("小学新生（居民身份证、港澳台和外籍）须通过学前调档导入或学前档案信息补录注册，不能直接录入")
    if cmd.document_type is None:
        raise InvalidArgument(FieldViolation("student.document.type", "身份证件类型不能为空"))
    try:
        document = validate_document(cmd.document_type, cmd.document_number)
    except DocumentError as exc:
        document = exc
    identity = check_identity(cmd.name, cmd.gender, cmd.birth_date, document)
    if identity.document.category is DocumentCategory.NO_DOCUMENT and not cmd.proof_material_ids:
        raise InvalidArgument(FieldViolation("proof_material_ids", "无证件学生必须上传证明材料"))
    return Application.submit(
        school_code=cmd.school_code, kind=cmd.kind, category=cmd.category, identity=identity,
        form=cmd.form, document_hash=document_hash(hash_key, identity.document.type.value, identity.document.number),
        created_by=principal.user_id, now=now(),
    )


def get_application(uow: RegistrationUnitOfWork, application_id: str, *, principal: Principal, tree) -> Application:
    with uow:
        app = uow.applications.get(application_id)
    if app is None:
        raise NotFound("注册申请不存在")
    require_jurisdiction(tree, principal, app.school_code)
    return app
