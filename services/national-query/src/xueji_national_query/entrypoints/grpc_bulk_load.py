"""BulkLoadRecords: the header, then the file in chunks; spooled to a temporary file, then loaded."""

from __future__ import annotations

import tempfile
from pathlib import Path

from xueji.v1 import common_pb2, national_query_pb2
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.guard import caller
from xueji_national_query.adapters import load_files
from xueji_national_query.adapters.holdings_feed import dedup_feed
from xueji_national_query.service_layer.bulk_load import LoadReport, admit, bulk_load

_FORMATS = {
    national_query_pb2.BULK_LOAD_FORMAT_CSV: load_files.CSV,
    national_query_pb2.BULK_LOAD_FORMAT_XLSX: load_files.XLSX,
}


def report_pb(report: LoadReport) -> national_query_pb2.BulkLoadReport:
    return national_query_pb2.BulkLoadReport(
        load_id=report.load_id,
        rows_total=report.rows_total,
        rows_inserted=report.rows_inserted,
        rows_updated=report.rows_updated,
        rows_failed=report.rows_failed,
        errors=[
            common_pb2.ImportRowError(
                row_number=e.row_number, column=e.column, field=e.field, message=e.message
            )
            for e in report.errors
        ],
        errors_truncated=report.errors_truncated,
    )


class BulkLoadMethod:
    """Mixed into NationalQueryServicer. Who may load: bulk_load.admit."""

    def BulkLoadRecords(self, request_iterator, context):
        admit(caller())
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise InvalidArgument(FieldViolation("header", "第一条消息必须是文件头（header）"))
        header = first.header
        fmt = _FORMATS.get(header.format) or (
            load_files.format_of(header.file_name) if not header.format else None
        )
        if fmt is None:
            raise InvalidArgument(FieldViolation("header.format", "文件格式无效，应为CSV或Excel（xlsx）"))
        with tempfile.TemporaryDirectory(prefix="nq-load-") as folder:
            path = Path(folder) / f"upload.{fmt}"
            with open(path, "wb") as out:
                for message in request_iterator:
                    if message.WhichOneof("part") != "chunk":
                        raise InvalidArgument(
                            FieldViolation("header", "文件头只能出现一次，且必须在第一条消息")
                        )
                    out.write(message.chunk)
            report = bulk_load(
                self._rt.uow_factory(),
                path,
                fmt,
                header.province_code.strip(),
                holdings=lambda: dedup_feed(self._rt),
            )  # every record a holder in dedup
        return report_pb(report)
