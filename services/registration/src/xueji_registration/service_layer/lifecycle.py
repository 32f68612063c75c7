"""The school registrar's part of the flow after submission: correct, resubmit, withdraw."""

from __future__ import annotations

from typing import Any

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.documents import DocumentType, Gender
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import OrgTree
from xueji_registration.adapters import events
from xueji_registration.domain.form import identity_block, identity_fields, without_identity
from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, Stamp
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.concurrent_entry import retried
from xueji_registration.service_layer.handlers import check_files, validated_identity
from xueji_registration.service_layer.unit_of_work import RegistrationUoW


def whole_form(app: Application) -> dict[str, Any]:
    """The stored form with its identity block put back."""
    i = app.identity
    return {
        **app.form,
        **identity_block(i.name, int(i.gender), i.birth_date, i.document.type.value, i.document.number),
    }


def _load(
    uow: RegistrationUoW, application_id: str, expected_version: int, principal: Principal, tree: OrgTree
) -> Application:
    app = uow.applications.get(application_id)
    if app is None:
        raise NotFound("注册申请不存在")
    require_school_registrar(principal, tree, app.school_code)
    if expected_version and expected_version != app.version:
        raise ConcurrentModification("该注册申请已被他人修改，请刷新后重试")
    return app


def _checked(
    uow: RegistrationUoW, app: Application, form: dict[str, Any], hash_key: str, tree: OrgTree
) -> tuple[Identity, str]:
    name, gender, birth, doc_type, number = identity_fields(form)
    identity = validated_identity(
        name,
        Gender(gender) if gender else None,
        birth,
        DocumentType(doc_type) if doc_type else None,
        number,
        form=without_identity(form),
        category=app.category,
    )
    digest = document_hash(hash_key, identity.document.type.value, identity.document.number)
    if identity.document.number and digest != app.document_hash:
        holder = uow.applications.active_holders({digest}).get(digest)  # not this one: its hash differs
        if holder is not None:
            raise AlreadyExists(holder.refusal(tree, identity.document.number))
    return identity, digest


def update_application(
    uow: RegistrationUoW,
    application_id: str,
    *,
    form_changes: dict[str, Any],
    proof_material_ids: tuple[str, ...] | None,
    expected_version: int,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
) -> Application:
    """UpdateApplication: `form_changes` maps top-level form keys to new values (None clears one)."""
    if not form_changes and proof_material_ids is None:
        raise InvalidArgument(FieldViolation("update_mask", "请指定要修改的字段"))
    return retried(
        lambda: _update(
            uow, application_id, form_changes, proof_material_ids, expected_version, principal, tree, hash_key
        )
    )


def _update(
    uow: RegistrationUoW,
    application_id: str,
    form_changes: dict[str, Any],
    proof_material_ids: tuple[str, ...] | None,
    expected_version: int,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
) -> Application:
    with uow:
        app = _load(uow, application_id, expected_version, principal, tree)
        form = whole_form(app)
        for key, value in form_changes.items():
            if value is None:
                form.pop(key, None)
            else:
                form[key] = value
        identity, digest = _checked(uow, app, form, hash_key, tree)
        proofs = app.proof_material_ids if proof_material_ids is None else tuple(proof_material_ids)
        if app.category.value == "no_document" and not proofs:
            raise InvalidArgument(FieldViolation("proof_material_ids", "无证件学生必须上传证明材料"))
        photo = (form.get("photo") or {}).get("fileId", "")
        check_files(uow, app.school_code, proofs, photo, application_id=app.application_id)
        expected = app.version
        app.correct(
            identity=identity,
            document_hash=digest,
            form=without_identity(form),
            proof_material_ids=proofs,
            now=now(),
        )
        uow.files.attach([*proofs, *filter(None, [photo])], app.application_id)
        uow.applications.save(app, expected)
        uow.commit()
    return app


def resubmit_application(
    uow: RegistrationUoW,
    application_id: str,
    *,
    expected_version: int,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
) -> Application:
    """ResubmitApplication: revision + 1; emits ApplicationSubmitted again (dedup and review restart)."""
    with uow:
        app = _load(uow, application_id, expected_version, principal, tree)
        _checked(uow, app, whole_form(app), hash_key, tree)  # the stored form must still validate
        expected = app.version
        app.resubmit(now())
        uow.applications.save(app, expected)
        uow.publish(
            events.application_submitted(app, county_code=app.county_code, by=principal),
            aggregate_id=app.application_id,
        )
        uow.commit()
    return app


def withdraw_application(
    uow: RegistrationUoW,
    application_id: str,
    *,
    reason: str,
    expected_version: int,
    principal: Principal,
    tree: OrgTree,
) -> Application:
    """WithdrawApplication (撤销): emits ApplicationWithdrawn (dedup releases, review closes)."""
    with uow:
        app = _load(uow, application_id, expected_version, principal, tree)
        expected = app.version
        app.withdraw(
            Stamp(principal.org_unit, principal.user_id, principal.role.value, now(), reason.strip()[:200])
        )
        uow.applications.save(app, expected)
        uow.publish(events.application_withdrawn(app, by=principal), aggregate_id=app.application_id)
        uow.commit()
    return app
