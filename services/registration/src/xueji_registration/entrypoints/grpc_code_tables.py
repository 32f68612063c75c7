"""Registrations.ListCodeTables: the form's code tables as protobuf, paged (docs/API.md#paging).

A mixin of RegistrationsServicer."""

from __future__ import annotations

from xueji.v1 import registration_pb2
from xueji_common.grpcserver.guard import caller
from xueji_common.paging import Page
from xueji_registration.domain.template.code_tables import CodeTable
from xueji_registration.service_layer.code_tables import list_code_tables


def code_table_pb(table: CodeTable) -> registration_pb2.CodeTable:
    return registration_pb2.CodeTable(
        name=f"codeTables/{table.id}",
        title=table.title,
        fields=table.fields,
        entries=[
            registration_pb2.CodeTableEntry(value=e.value, code=e.code, display_name=e.name)
            for e in table.entries
        ],
    )


class CodeTableMethods:
    def ListCodeTables(self, request, context):
        tables = list_code_tables(principal=caller())
        window = Page.of(request)
        return registration_pb2.ListCodeTablesResponse(
            code_tables=[code_table_pb(t) for t in tables[window.offset : window.offset + window.size]],
            next_page_token=window.next_token(len(tables)),
            total_size=len(tables),
        )
