"""gRPC entrypoint of review: translate requests, delegate to the service layer.

Methods not overridden answer UNIMPLEMENTED (generated base class); they arrive with issue #5.
"""
from __future__ import annotations

from xueji.v1 import common_pb2, review_pb2, review_pb2_grpc
from xueji_common.auth import Role
from xueji_common.documents import DocumentCategory
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.guard import require_jurisdiction, require_role
from xueji_common.grpcserver.server import GrpcBinding
from xueji_review.service_layer import handlers

_SCHOOL_ROLES = (Role.SCHOOL_LEADER, Role.SCHOOL_REGISTRAR)


class ReviewsServicer(review_pb2_grpc.ReviewsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def GetPendingSummary(self, request, context):
        principal = require_role(*_SCHOOL_ROLES, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)
        school_code = request.school_code or (principal.org_unit if principal.role in _SCHOOL_ROLES else "")
        if not school_code:
            raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
        require_jurisdiction(self._rt.tree, principal, school_code)
        category = DocumentCategory.from_proto(request.category).value if request.category else None
        summary = handlers.pending_summary(self._rt.uow_factory(), school_code, category)
        return review_pb2.PendingSummary(
            total=summary.total,
            by_category=[
                common_pb2.CategoryCount(category=DocumentCategory(c).to_proto(), count=n)
                for c, n in sorted(summary.by_category.items())
            ],
        )


class ReportsServicer(review_pb2_grpc.ReportsServicer):
    """Report (上报) arrives with issue #5; every method answers UNIMPLEMENTED."""


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding("xueji.v1.Reviews", review_pb2_grpc.add_ReviewsServicer_to_server, ReviewsServicer(runtime)),
        GrpcBinding("xueji.v1.Reports", review_pb2_grpc.add_ReportsServicer_to_server, ReportsServicer()),
    ]
