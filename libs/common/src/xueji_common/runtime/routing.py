"""The embedded system's one gRPC front: each call goes to the tier that production would serve it
from, as the ingresses of separate province deployments and of the nation would.

- A province service (registration, review, special-ed; dedup's surfaces for province callers) is
  served by the province of the caller's org unit: a school or department code carries it. A caller
  whose unit is the ministry (the system role, ministry users) names the unit in the request
  (`school_code`, `org_unit_code`, `department_code`); a request naming none (a case or an
  application by id) is asked of each province in turn until one knows it (NOT_FOUND moves on),
  then of the nation where it serves the service too.
- A national service (national-query, accounts, the population register) is served by the nation.
- Dedup and ProblemRecords exist in both tiers: a call whose caller or request is in a province
  goes to that province; one naming the ministry, or a province this system does not run, to the
  national dedup (the ministry's view).

The front calls the chosen servicer in this process (no second hop); the caller is already
authenticated and validated by the front's interceptor, and the servicer raises domain errors as
it does behind its own server.
"""

from __future__ import annotations

import inspect

from xueji_common.errors import DomainError, NotFound
from xueji_common.grpcserver.context import current_principal
from xueji_common.grpcserver.server import GrpcBinding
from xueji_common.orgunits import OrgTree

UNIT_FIELDS = ("school_code", "org_unit_code", "department_code")
# Bound by every dedup runtime, but the register (基础数据库) is the nation's: its own deployment in
# production.
NATIONAL_ONLY = frozenset({"xueji.v1.PopulationRegister"})


class ProvinceNotServed(DomainError):
    status = "FAILED_PRECONDITION"


class ServiceRouter:
    """Stands for one gRPC service's servicer; each method picks the tier's servicer per call."""

    def __init__(
        self, full_name: str, provinces: dict[str, object], national: object | None, tree: OrgTree
    ) -> None:
        self.full_name = full_name
        self._provinces = provinces  # province code → servicer, in the system's order
        self._national = national
        self._tree = tree

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(request, context):
            targets = self.targets(request)
            for target in targets[:-1]:
                try:
                    answer = getattr(target, method)(request, context)
                except NotFound:
                    continue
                return answer
            return getattr(targets[-1], method)(request, context)

        call.__name__ = method
        return call

    def targets(self, request) -> list[object]:
        """The servicer to call; several when nothing names the unit (each asked in turn)."""
        if not self._provinces:
            return [self._national]
        unit = self._unit_of_request(request)
        code = self._province_of_caller() or self._province_of(unit)
        if code in self._provinces:
            return [self._provinces[code]]
        if code and self._national is None:
            raise ProvinceNotServed(
                f"本系统未运行{self._tree.get(code).name}的学籍系统，无法处理该单位的请求"
            )
        if self._national is not None and (code or unit):
            return [self._national]  # another province's, or the ministry's, view
        candidates = [*self._provinces.values(), *([self._national] if self._national is not None else [])]
        if inspect.isgenerator(request) or not hasattr(request, "DESCRIPTOR"):
            return candidates[-1:]  # a request stream is not read twice
        return candidates

    def _province_of_caller(self) -> str:
        principal = current_principal()
        return self._province_of(principal.org_unit) if principal is not None else ""

    def _unit_of_request(self, request) -> str:
        fields = getattr(getattr(request, "DESCRIPTOR", None), "fields_by_name", {})
        return next((getattr(request, n) for n in UNIT_FIELDS if n in fields and getattr(request, n)), "")

    def _province_of(self, unit_code: str) -> str:
        if unit_code not in self._tree:
            return ""
        province = self._tree.province_of(unit_code)
        return province.code if province is not None else ""


def front_bindings(
    provinces: dict[str, list[GrpcBinding]], national: list[GrpcBinding], tree: OrgTree
) -> list[GrpcBinding]:
    """One binding per gRPC service, routing among the tiers' servicers (provinces by code)."""
    adders = {
        b.full_name: b.add_to_server for b in [*national, *(b for bs in provinces.values() for b in bs)]
    }
    out = []
    for full_name, add in adders.items():
        national_servicer = next((b.servicer for b in national if b.full_name == full_name), None)
        by_province = (
            {}
            if full_name in NATIONAL_ONLY
            else {code: b.servicer for code, bs in provinces.items() for b in bs if b.full_name == full_name}
        )
        out.append(
            GrpcBinding(full_name, add, ServiceRouter(full_name, by_province, national_servicer, tree))
        )
    return out
