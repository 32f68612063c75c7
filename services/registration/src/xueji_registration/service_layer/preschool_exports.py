"""调档学生导出 of a whole query (4.5): every child of the school matching the list's filters, in the
category's registration template, written row by row into a file the caller streams, so that
neither the service's memory nor the answer grows with the query. The rules are those of the export
of selected children (`PreschoolTransfer.export_refusal`): a child that cannot be exported refuses
the whole export, named (the first five), as for a selection."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from typing import IO

from xueji_common.auth import Principal
from xueji_common.documents import DocumentCategory
from xueji_common.errors import FieldViolation, InvalidArgument, PreconditionFailed, PreconditionViolation
from xueji_common.orgunits import OrgTree
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.adapters.excel.writer import write_template_rows
from xueji_registration.domain.preschool import Refused
from xueji_registration.domain.template.columns import registration_template
from xueji_registration.domain.template.rows import form_cells
from xueji_registration.service_layer.access import require_school_registrar
from xueji_registration.service_layer.preschool import Matcher, _identity_form, _refresh_formal_records
from xueji_registration.service_layer.repositories import TransferFilter
from xueji_registration.service_layer.unit_of_work import RegistrationUoW

PAGE = 500  # children read (and asked of national-query for formal records) at a time
NAMED = 5  # refused children named in the refusal


def export_query(
    uow: RegistrationUoW,
    f: TransferFilter,
    unit_code: str,
    *,
    principal: Principal,
    tree: OrgTree,
    matcher: Matcher | None = None,
) -> tuple[str, IO[bytes]]:
    """(file name, a temporary file holding the workbook, at its start; the caller closes it)."""
    school = unit_code or principal.org_unit
    require_school_registrar(principal, tree, school)
    category = DocumentCategory(f.category) if f.category else None
    if category not in (DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN):
        raise InvalidArgument(
            FieldViolation(
                "category",
                "请先选择证件类型（居民身份证或港澳台和外籍）再导出全部查询结果：一次导出一种证件类型",
            )
        )
    template = registration_template(RegistrationKind.PRIMARY_FRESHMAN, category)
    f = replace(f, school_codes=(school,))
    refusals: list[Refused] = []
    exported = 0

    def rows() -> Iterator[list[str]]:
        nonlocal exported
        offset = 0
        while True:
            with uow:
                page, _ = uow.transfers.list(f, offset, PAGE)
            if not page:
                return
            _refresh_formal_records(page, matcher)
            for transfer in page:
                refusal = transfer.export_refusal()
                if refusal is not None:
                    refusals.append(refusal)
                elif not refusals:  # once refused, the rest is only checked
                    exported += 1
                    yield form_cells(template, _identity_form(transfer.identity))
            offset += PAGE

    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    try:
        write_template_rows(template, rows(), out)
        if refusals:
            more = f"…等{len(refusals)}名学生" if len(refusals) > NAMED else ""
            raise PreconditionFailed(
                "；".join(r.message for r in refusals[:NAMED]) + more + "。可按处理状态筛选后再导出",
                [v for r in refusals[:100] for v in r.violations],
            )
        if not exported:
            message = "查询结果中没有可导出的学生"
            raise PreconditionFailed(message, [PreconditionViolation("NOTHING_TO_EXPORT", school, message)])
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return f"学前调档导出-{category.label_zh}.xlsx", out
