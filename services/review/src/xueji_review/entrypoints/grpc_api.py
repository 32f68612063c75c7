"""gRPC entrypoint of review (Reviews): check the caller's role, translate, delegate to the service layer.

Jurisdiction over the cases themselves is checked by the service layer, which knows their schools.
"""
from __future__ import annotations

from xueji.v1 import review_pb2, review_pb2_grpc
from xueji_common.auth import Role
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.paging import Page
from xueji_common.grpcserver.guard import require_role
from xueji_common.grpcserver.server import GrpcBinding
from xueji_review.entrypoints import convert
from xueji_review.entrypoints.grpc_reports import ReportsServicer
from xueji_review.service_layer import decisions, queries
from xueji_review.service_layer.decisions import Decision

_READERS = (Role.SCHOOL_LEADER, Role.SCHOOL_REGISTRAR, Role.DEPARTMENT_REGISTRAR, Role.SYSTEM)
_REVIEWERS = (Role.SCHOOL_LEADER, Role.DEPARTMENT_REGISTRAR)
_DECISIONS = {review_pb2.REVIEW_DECISION_APPROVE: Decision.APPROVE, review_pb2.REVIEW_DECISION_REJECT: Decision.REJECT}


class ReviewsServicer(review_pb2_grpc.ReviewsServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def GetPendingSummary(self, request, context):
        principal = require_role(*_READERS)
        query = queries.review_query(
            self._rt.tree, principal, school_code=request.school_code,
            category=convert.category_from_pb(request.category), kind=convert.kind_from_pb(request.kind),
            department_code=request.department_code,
        )
        summary = queries.summary(self._rt.uow_factory(), query)
        return convert.summary_to_pb(summary, self._rt.tree, with_schools=principal.role is Role.DEPARTMENT_REGISTRAR)

    def ListPendingCases(self, request, context):
        principal = require_role(*_REVIEWERS, Role.SYSTEM)
        if not request.school_code:
            raise InvalidArgument(FieldViolation("school_code", "请指定学校标识码"))
        query = queries.review_query(self._rt.tree, principal, school_code=request.school_code,
                                     category=convert.category_from_pb(request.category),
                                     kind=convert.kind_from_pb(request.kind))
        page = Page.of(request)
        cases, total = queries.page(self._rt.uow_factory(), query, page.offset, page.size)
        return review_pb2.ListPendingCasesResponse(
            cases=[convert.case_to_pb(c, self._rt.tree) for c in cases],
            next_page_token=page.next_token(total), total_size=total,
        )

    def GetCase(self, request, context):
        case, history = queries.get_case(self._rt.uow_factory(), tree=self._rt.tree,
                                         principal=require_role(*_READERS), case_id=request.case_id)
        return convert.case_to_pb(case, self._rt.tree, queries.last_decision(history))

    def ApproveCase(self, request, context):
        return self._decide(request, Decision.APPROVE)

    def RejectCase(self, request, context):
        return self._decide(request, Decision.REJECT)

    def _decide(self, request, decision: Decision):
        case = decisions.decide(
            self._rt.uow_factory(), tree=self._rt.tree, principal=require_role(*_REVIEWERS),
            case_id=request.case_id, decision=decision, opinion=request.opinion,
            expected_version=request.expected_version,
        )
        return self._with_last_decision(case)

    def ReviewCases(self, request, context):
        principal = require_role(*_REVIEWERS)
        if request.decision not in _DECISIONS:
            raise InvalidArgument(FieldViolation("decision", "请选择审核通过或审核不通过"))
        step = decisions.decide_in_sequence(
            self._rt.uow_factory(), tree=self._rt.tree, principal=principal,
            selected_ids=list(request.selected_case_ids), case_id=request.case_id,
            decision=_DECISIONS[request.decision], opinion=request.opinion,
            expected_version=request.expected_version,
        )
        response = review_pb2.ReviewCasesResponse(decided=self._with_last_decision(step.decided),
                                                  remaining=step.remaining)
        if step.next is not None:
            response.next.CopyFrom(convert.case_to_pb(step.next, self._rt.tree))
        return response

    def ApproveAll(self, request, context):
        principal = require_role(*_REVIEWERS)
        schools = list(request.school_codes) or ([principal.org_unit] if principal.role is Role.SCHOOL_LEADER else [])
        approved, refused = decisions.approve_all(
            self._rt.uow_factory(), tree=self._rt.tree, principal=principal, school_codes=schools,
            category=convert.category_from_pb(request.category), kind=convert.kind_from_pb(request.kind),
            opinion=request.opinion,
        )
        return review_pb2.ApproveAllResponse(
            approved=[convert.batch_item(c) for c in approved],
            refused=[convert.batch_item(r.case, r.reason_code, r.reason) for r in refused],
        )

    def GetCaseHistory(self, request, context):
        case_id = request.case_id or request.application_id
        case, history = queries.get_case(self._rt.uow_factory(), tree=self._rt.tree,
                                         principal=require_role(*_READERS), case_id=case_id)
        return convert.history_to_pb(case, history, self._rt.tree)

    def _with_last_decision(self, case):
        # The decision just made is the case's last one; no need to read the history again.
        return convert.case_to_pb(case, self._rt.tree, case.last_event)


def bindings(runtime) -> list[GrpcBinding]:
    return [
        GrpcBinding("xueji.v1.Reviews", review_pb2_grpc.add_ReviewsServicer_to_server, ReviewsServicer(runtime)),
        GrpcBinding("xueji.v1.Reports", review_pb2_grpc.add_ReportsServicer_to_server, ReportsServicer(runtime)),
    ]
