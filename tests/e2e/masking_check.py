"""The masking policy over the real answers of the security matrix (docs/MASKING.md): every document
or national student number a department registrar receives is masked, unless the caller supplied it.

The fields are found by the policy's own descriptor rule (xueji_common.masking.is_sensitive) on the
RPC's response type, so an RPC or a number field added later is checked without being listed here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor

import xueji.v1
from xueji_common.auth import Role
from xueji_common.masking import is_sensitive


@cache
def response_class(service: str, method: str):
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            found = importlib.import_module(f"xueji.v1.{module.name}").DESCRIPTOR.services_by_name.get(
                service
            )
            if found is not None:
                return message_factory.GetMessageClass(found.methods_by_name[method].output_type)
    raise KeyError(f"{service}/{method}")


def _strings(message, only_sensitive: bool):
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if not field.message_type.GetOptions().map_entry:
                for item in value if field.is_repeated else [value]:
                    yield from _strings(item, only_sensitive)
        elif field.type == FieldDescriptor.TYPE_STRING and (is_sensitive(field) or not only_sensitive):
            yield from (value if field.is_repeated else [value])


def unmasked_numbers(cell, request, answer: bytes | None) -> list[str]:
    """The numbers of the answer shown in full to a caller the policy gives masked ones (a department
    registrar), other than those the request carried; [] for every other caller."""
    if cell.caller.role is not Role.DEPARTMENT_REGISTRAR or not answer:
        return []
    supplied = set()
    for message in request if isinstance(request, list) else [request]:
        supplied |= set(_strings(message, only_sensitive=False))
    response = response_class(cell.rpc.service, cell.rpc.method).FromString(answer)
    return [v for v in _strings(response, only_sensitive=True) if v and "*" not in v and v not in supplied]
