"""The one masking policy for document numbers and national student numbers (docs/MASKING.md).

Who sees a full number (`sees_full_numbers`): the users of the school that holds the student and the
system role. Everyone else sees both kinds masked the same way (`mask_document_number`,
`mask_student_number`), so that the two shown side by side reveal nothing more than the masked
document: a formal number (G + the resident ID) would otherwise give the whole ID back. A lookup
returns no more than the caller supplied (`lookup_document_number`, `lookup_student_number`).

`mask_message` applies the policy to any response message by its descriptor: every string field
named `number` or ending in `_number` (`SENSITIVE`) is masked, in nested and repeated messages too,
so that a field added to a response is masked without anyone remembering to. No framework imports
beyond protobuf; the role type is xueji_common.auth's.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from xueji_common.auth import Principal, Role

STUDENT_NUMBER_FIELDS = frozenset({"national_student_number"})
# `*_number` fields that identify nobody outside the school: 学籍辅号, 班内学号. Every other one is
# masked, so that a number field added later is masked unless someone decides otherwise here.
NOT_IDENTIFYING = frozenset({"auxiliary_student_number", "class_student_number"})


def mask_document_number(number: str) -> str:
    """Mask a number for display and logs; the length is always kept.

    * 10 or more characters: keep the first 3 and the last 4 (``110***********123X``);
    * 4 to 9 characters: keep the first 1 and the last 2 (``A******45``);
    * 1 to 3 characters: mask everything; the empty string stays empty.

    So at most 7 characters are ever shown, and at least one is always hidden. Masking a masked
    number changes nothing.
    """
    n = len(number)
    if n >= 10:
        return number[:3] + "*" * (n - 7) + number[-4:]
    if n >= 4:
        return number[:1] + "*" * (n - 3) + number[-2:]
    return "*" * n


def mask_student_number(number: str) -> str:
    """A national student number masked as the document it is made of: the G/L letter, then what
    `mask_document_number` shows of the rest (``G330***********9848`` beside ``330***********9848``)."""
    if len(number) > 10 and number[:1].isalpha():
        return number[0] + mask_document_number(number[1:])
    return mask_document_number(number)


def sees_full_numbers(principal: Principal, school_code: str) -> bool:
    """Full numbers go to the users of the student's own school and to the system role only."""
    if principal.role is Role.SYSTEM:
        return True
    return (
        principal.role in (Role.SCHOOL_REGISTRAR, Role.SCHOOL_LEADER)
        and bool(school_code)
        and principal.org_unit == school_code
    )


# Who is shown the document number they asked a lookup by (national-query): department registrars
# and the system role; school users get the masked form (docs/MASKING.md#lookups).
SEES_SUPPLIED_DOCUMENT = frozenset({Role.SYSTEM, Role.DEPARTMENT_REGISTRAR})


def lookup_document_number(supplied: str, stored_masked: str, role: Role) -> str:
    """What a lookup shows of the document: the caller's own text when they asked by it and their
    role may see it (`SEES_SUPPLIED_DOCUMENT`), the masked form otherwise (a lookup never returns
    more than the caller supplied)."""
    return supplied if supplied and role in SEES_SUPPLIED_DOCUMENT else stored_masked


def lookup_student_number(stored: str, *, supplied_number: str = "", supplied_document: str = "") -> str:
    """What a lookup shows of a national student number: whole when the caller asked by it, or when
    it is the formal number of the document they asked by (G + that resident ID: nothing new);
    masked otherwise (a temporary L number carries a division code and a birth date)."""
    if supplied_number or (supplied_document and stored == "G" + supplied_document):
        return stored
    return mask_student_number(stored)


def is_sensitive(field: FieldDescriptor) -> bool:
    """A document or national student number: a string field `number` or `*_number`
    (NOT_IDENTIFYING aside)."""
    return (
        field.type == FieldDescriptor.TYPE_STRING
        and field.name not in NOT_IDENTIFYING
        and (field.name == "number" or field.name.endswith("_number"))
    )


def sensitive_paths(
    descriptor: Descriptor, prefix: str = "", seen: frozenset[str] = frozenset()
) -> list[str]:
    """The dotted paths of every sensitive field reachable from a message type (for tests and docs)."""
    paths = []
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if is_sensitive(field):
            paths.append(path)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name not in seen:
            paths += sensitive_paths(field.message_type, path + ".", seen | {descriptor.full_name})
    return paths


def mask_message(message: Message) -> Message:
    """Mask every sensitive field of `message` in place (nested and repeated ones too); returns it."""
    for field, value in message.ListFields():
        if is_sensitive(field):
            mask = mask_student_number if field.name in STUDENT_NUMBER_FIELDS else mask_document_number
            if field.is_repeated:
                value[:] = [mask(v) for v in value]
            else:
                setattr(message, field.name, mask(value))
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                continue
            for item in value if field.is_repeated else [value]:
                mask_message(item)
    return message


def shown(message: Message, principal: Principal, school_code: str) -> Message:
    """The message as `principal` may see it for a student of `school_code` (masked in place)."""
    return message if sees_full_numbers(principal, school_code) else mask_message(message)
