"""gRPC entrypoint of review (Reviews): translate, delegate to the service layer, which checks the
caller's role and jurisdiction (xueji_common.authz)."""

from __future__ import annotations

from xueji.v1 import review_pb2, review_pb2_grpc
from xueji_common.auth import Role
from xueji_common.grpcserver.guard import caller
from xueji_common.grpcserver.server import GrpcBinding
from xueji_common.paging import Page
from xueji_review.entrypoints import convert
from xueji_review.entrypoints.grpc_reports import ReportsServicer
from xueji_review.service_layer import decisions, queries
from xueji_review.service_layer.decisions import Decision

_DECISIONS = {
    review_pb2.REVIEW_DECISION_APPROVE: Decision.APPROVE,
    review_pb2.REVIEW_DECISION_REJECT: Decision.REJECT,
}


class ReviewsServicer(review_pb2_grpc.ReviewsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def GetPendingSummary(self, request, context):
        principal = caller()
        summary = queries.pending_summary(
            self._rt.uow_factory(),
            self._rt.tree,
            principal,
            school_code=request.school_code,
            category=convert.category_from_pb(request.category),
            kind=convert.kind_from_pb(request.kind),
            department_code=request.department_code,
        )
        return convert.summary_to_pb(
            summary, self._rt.tree, with_schools=principal.role is Role.DEPARTMENT_REGISTRAR
        )

    def ListPendingCases(self, request, context):
        page = Page.of(request)
        cases, total = queries.pending_page(
            self._rt.uow_factory(),
            self._rt.tree,
            caller(),
            school_code=request.school_code,
            category=convert.category_from_pb(request.category),
            kind=convert.kind_from_pb(request.kind),
            offset=page.offset,
            limit=page.size,
        )
        return review_pb2.ListPendingCasesResponse(
            cases=[convert.case_to_pb(c, self._rt.tree) for c in cases],
            next_page_token=page.next_token(total),
            total_size=total,
        )

    def GetCase(self, request, context):
        case, history = queries.get_case(
            self._rt.uow_factory(), tree=self._rt.tree, principal=caller(), case_id=request.case_id
        )
        return convert.case_to_pb(case, self._rt.tree, queries.last_decision(history))

    def ApproveCase(self, request, context):
        return self._decide(request, Decision.APPROVE)

    def RejectCase(self, request, context):
        return self._decide(request, Decision.REJECT)

    def _decide(self, request, decision: Decision):
        case = decisions.decide(
            self._rt.uow_factory(),
            tree=self._rt.tree,
            principal=caller(),
            case_id=request.case_id,
            decision=decision,
            opinion=request.opinion,
            expected_version=request.expected_version,
        )
        return self._with_last_decision(case)

    def ReviewCases(self, request, context):
        step = decisions.decide_in_sequence(
            self._rt.uow_factory(),
            tree=self._rt.tree,
            principal=caller(),
            selected_ids=list(request.selected_case_ids),
            case_id=request.case_id,
            decision=_DECISIONS.get(request.decision),
            opinion=request.opinion,
            expected_version=request.expected_version,
        )
        response = review_pb2.ReviewCasesResponse(
            decided=self._with_last_decision(step.decided), remaining=step.remaining
        )
        if step.next is not None:
            response.next.CopyFrom(convert.case_to_pb(step.next, self._rt.tree))
        return response

    def ApproveAll(self, request, context):
        approved, refused = decisions.approve_all(
            self._rt.uow_factory(),
            tree=self._rt.tree,
            principal=caller(),
            school_codes=list(request.school_codes),
            category=convert.category_from_pb(request.category),
            kind=convert.kind_from_pb(request.kind),
            opinion=request.opinion,
        )
        return review_pb2.ApproveAllResponse(
            approved=[convert.batch_item(c) for c in approved],
            refused=[convert.batch_item(r.case, r.reason_code, r.reason) for r in refused],
        )

    def GetCaseHistory(self, request, context):
        case_id = request.case_id or request.application_id
        case, history = queries.get_case(
            self._rt.uow_factory(), tree=self._rt.tree, principal=caller(), case_id=case_id
        )
        return convert.history_to_pb(case, history, self._rt.tree)

    def _with_last_decision(self, case):
        # The decision just made is the case's last one; no need to read the history again.
        return convert.case_to_pb(case, self._rt.tree, case.last_event)


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding(
            "xueji.v1.Reviews", review_pb2_grpc.add_ReviewsServicer_to_server, ReviewsServicer(runtime)
        ),
        GrpcBinding(
            "xueji.v1.Reports", review_pb2_grpc.add_ReportsServicer_to_server, ReportsServicer(runtime)
        ),
    ]
