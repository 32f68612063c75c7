"""The masking policy (docs/MASKING.md): who sees full numbers, how both kinds are masked, and the
descriptor-driven walk that masks every document or national student number of any response."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from google.protobuf.descriptor import FieldDescriptor

import xueji.v1
from xueji_common.auth import Principal, Role
from xueji_common.masking import (
    NOT_IDENTIFYING,
    is_sensitive,
    lookup_student_number,
    mask_document_number,
    mask_message,
    mask_student_number,
    sees_full_numbers,
    sensitive_paths,
)

ID = "330102201903129848"
G = "G" + ID
L = "L3301022019031200017"[:19]
SCHOOL, OTHER = "1330102001", "1330102002"


def test_a_formal_number_beside_its_document_reveals_nothing_more_than_the_masked_document():
    document, number = mask_document_number(ID), mask_student_number(G)
    assert document == "330***********9848"
    assert number == "G330***********9848"  # the same characters of the ID, as the issue asked
    shown = {i for i, c in enumerate(document) if c != "*"}
    assert {i - 1 for i, c in enumerate(number) if c != "*" and i > 0} == shown
    assert mask_student_number(number) == number and mask_document_number(document) == document


def test_a_temporary_number_is_masked_the_same_way():
    assert mask_student_number(L) == "L" + mask_document_number(L[1:])
    assert "20190312" not in mask_student_number(L)


@pytest.mark.parametrize(
    "principal, full",
    [
        (Principal("u", Role.SCHOOL_REGISTRAR, SCHOOL), True),
        (Principal("u", Role.SCHOOL_LEADER, SCHOOL), True),
        (Principal("u", Role.SYSTEM, "000000"), True),
        (Principal("u", Role.SCHOOL_REGISTRAR, OTHER), False),
        (Principal("u", Role.DEPARTMENT_REGISTRAR, "330102"), False),
        (Principal("u", Role.DEPARTMENT_REGISTRAR, SCHOOL), False),  # a department is never a school's user
    ],
)
def test_full_numbers_go_to_the_schools_own_users_and_the_system_role_only(principal, full):
    assert sees_full_numbers(principal, SCHOOL) is full


def test_a_lookup_returns_no_more_than_the_caller_supplied():
    assert lookup_student_number(G, supplied_document=ID) == G  # G + the ID they typed
    assert lookup_student_number(L, supplied_document=ID) == mask_student_number(L)
    assert lookup_student_number(L, supplied_number=L) == L
    assert lookup_student_number(G) == mask_student_number(G)


def _responses():
    """Every response type of every RPC of the contracts."""
    out = {}
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            for service in importlib.import_module(
                f"xueji.v1.{module.name}"
            ).DESCRIPTOR.services_by_name.values():
                for method in service.methods:
                    out[f"{service.name}/{method.name}"] = method.output_type
    return out


def _filled(message, seen=frozenset()):
    """Every sensitive field of `message` (nested, one element of each repeated message) set to a
    full number: the G number for national student numbers, the ID for the others."""
    for field in message.DESCRIPTOR.fields:
        if is_sensitive(field):
            value = G if field.name == "national_student_number" else ID
            if field.is_repeated:
                getattr(message, field.name).append(value)
            else:
                setattr(message, field.name, value)
        elif (
            field.type == FieldDescriptor.TYPE_MESSAGE
            and not field.message_type.GetOptions().map_entry
            and field.message_type.full_name not in seen
        ):
            child = getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
            _filled(child, seen | {message.DESCRIPTOR.full_name})
    return message


def _values(message):
    for field, value in message.ListFields():
        if is_sensitive(field):
            yield from (value if field.is_repeated else [value])
        elif field.type == FieldDescriptor.TYPE_MESSAGE and not field.message_type.GetOptions().map_entry:
            for item in value if field.is_repeated else [value]:
                yield from _values(item)


RESPONSES = _responses()


def test_the_contracts_carry_the_numbers_the_policy_knows_of():
    carrying = {name for name, d in RESPONSES.items() if sensitive_paths(d)}
    assert {
        "Registrations/GetStudentRecord",
        "PreschoolTransfers/CreatePreschoolTransfer",
        "NationalQuery/LookupStudent",
        "ProblemRecords/GetProblemGroup",
        "SpecialEd/GetSpecialEdInfo",
    } <= carrying
    assert "student.national_student_number" in sensitive_paths(RESPONSES["SpecialEd/GetSpecialEdInfo"])
    assert not any(p.endswith(tuple(NOT_IDENTIFYING)) for d in RESPONSES.values() for p in sensitive_paths(d))


@pytest.mark.parametrize("rpc", sorted(n for n, d in RESPONSES.items() if sensitive_paths(d)))
def test_every_number_of_every_response_is_masked_by_the_one_walk(rpc):
    message = _filled(RESPONSES[rpc]._concrete_class())
    values = list(_values(message))
    assert len(values) == len(sensitive_paths(message.DESCRIPTOR)) > 0
    mask_message(message)
    for value in _values(message):
        assert ID not in value and "*" in value, (rpc, value)
        assert value in (mask_document_number(ID), mask_student_number(G))
