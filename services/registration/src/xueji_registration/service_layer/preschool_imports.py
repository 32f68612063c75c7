"""Excel导入 of preschool transfers (4.1): the good rows are stored and matched at once, every problem
of the others is reported per row. One transaction per import, as for applications (imports.py)."""

from __future__ import annotations

import uuid

from xueji_common.auth import Principal
from xueji_common.db.engine import now
from xueji_common.orgunits import OrgTree
from xueji_registration.adapters.excel.reader import Limits, TemplateRows
from xueji_registration.domain.preschool import PreschoolTransfer
from xueji_registration.domain.template.columns import PRESCHOOL_TEMPLATE
from xueji_registration.domain.template.rows import RowParser
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.import_reports import (
    BATCH,
    Checkpoint,
    ImportReport,
    Progress,
    batched,
    new_record,
    report_of,
    stored_row,
)
from xueji_registration.service_layer.preschool import Matcher, hash_of
from xueji_registration.service_layer.unit_of_work import RegistrationUoW


def import_preschool_transfers(
    uow: RegistrationUoW,
    *,
    school_code: str,
    file_name: str,
    content: bytes,
    request_id: str,
    principal: Principal,
    tree: OrgTree,
    hash_key: str,
    matcher: Matcher,
    limits: Limits | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> ImportReport:
    require_school_registrar(principal, tree, school_code)
    template = PRESCHOOL_TEMPLATE
    with uow:
        if request_id and (done := uow.imports.by_request(school_code, request_id)):
            return report_of(uow.imports, done)
    checkpoint = checkpoint or (lambda: None)
    rows = TemplateRows(content, template, limits or Limits(), checkpoint)
    parser = RowParser(template)
    import_id = str(uuid.uuid4())
    with uow:
        imports, transfers = uow.imports, uow.transfers
        seen: dict[str, int] = {}
        total = passed = 0
        for batch in batched(rows, BATCH):
            checkpoint()
            parsed = [parser.parse(number, values) for number, values in batch]
            keys = {p.row_number: hash_of(hash_key, p.identity) for p in parsed if p.identity}
            held = transfers.by_hashes(school_code, [k for k in keys.values() if k])
            for p in parsed:
                key = keys.get(p.row_number)
                if not key:
                    continue
                if key in seen:
                    p.fail(f"与第{seen[key]}行的身份证件号重复", "身份证件号", "student.document.number")
                elif key in held:
                    p.fail(
                        "该身份证件号已经录入学前调档，不允许重复录入",
                        "身份证件号",
                        "student.document.number",
                    )
                seen.setdefault(key, p.row_number)
            good = [(p, p.identity) for p in parsed if p.ok and p.identity is not None]
            answers = matcher.match([identity for _, identity in good])
            created = {}
            new = []
            for (p, identity), answer in zip(good, answers):
                transfer = PreschoolTransfer.new(
                    school_code=school_code,
                    identity=identity,
                    document_hash=keys[p.row_number],
                    created_by=principal.user_id,
                    now=now(),
                    import_id=import_id,
                )
                transfer.apply_match(answer)
                new.append(transfer)
                created[p.row_number] = transfer.transfer_id
            transfers.add_many(new)
            width = len(template.columns)
            imports.add_rows(import_id, [stored_row(p, created.get(p.row_number), width) for p in parsed])
            total += len(parsed)
            passed += len(new)
            if progress:
                progress(total)
        record = new_record(import_id, school_code, template, file_name, total, passed, request_id, principal)
        imports.add(record)
        uow.commit()
        return report_of(imports, record)
