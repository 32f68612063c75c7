"""The code tables of the student record form, for any signed-in caller's forms
(Registrations.ListCodeTables). The tables are the import templates' (domain.template.code_tables)."""

from __future__ import annotations

from xueji_common.auth import Principal
from xueji_common.authz import authorize
from xueji_registration.domain.template.code_tables import CODE_TABLES, CodeTable


def list_code_tables(*, principal: Principal | None) -> tuple[CodeTable, ...]:
    authorize(principal)  # any role: the tables are the same for everyone and hold nothing of a school
    return CODE_TABLES
