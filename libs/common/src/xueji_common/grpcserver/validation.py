"""Edge validation of every request, driven by its message descriptor (applied by the interceptor).

Whatever a handler does with a field, it never sees: a string longer than its limit or holding a NUL
character (PostgreSQL cannot store one), a repeated field of more than MAX_ITEMS, an enum number
the proto does not define, a Timestamp outside 0001-01-01..9999-12-31, a Date that is not a
calendar date, a negative page size or a page token not made for this very request (paging.py).
Each is refused as INVALID_ARGUMENT naming the field (path as in the request, e.g. "page_token",
"student.family_members[1].name"). A new RPC cannot escape it: the
walk reads the descriptor of whatever message arrives. A field that legitimately needs longer text
gets its own limit in STRING_LIMITS (bytes fields are bounded by the message size only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor as F

from xueji_common import paging
from xueji_common.errors import FieldViolation, InvalidArgument

MAX_STRING = 1000  # characters of any string field without its own limit
MAX_ITEMS = 50_000  # items of a repeated field (a county's cases in one selection stay far below)
STRING_LIMITS: dict[str, int] = {}  # full field name → characters
NAME_LIMITS = {"page_token": paging.MAX_TOKEN_LENGTH}  # field name (in any message) → characters
MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


def violations(message, prefix: str = "") -> list[FieldViolation]:
    """Every problem of `message` and the messages inside it, one violation per field."""
    found: list[FieldViolation] = []
    _walk(message, prefix, found)
    if not prefix and "page_token" in message.DESCRIPTOR.fields_by_name:
        _paging(message, found)
    return found


def _walk(message, prefix: str, found: list) -> None:
    special = _SPECIAL.get(message.DESCRIPTOR.full_name)
    if special is not None:
        special(message, prefix.rstrip("."), found)
    for field, value in message.ListFields():
        rule = _RULES.get(field) or _rule(field)
        path = prefix + field.name
        if rule.map_entry is not None:
            key_rule, value_rule = rule.map_entry
            for key, item in value.items():
                _value(key_rule, key, f"{path}[{key!r:.20}]", found)
                _value(value_rule, item, f"{path}[{key!r:.20}]", found)
        elif rule.repeated:
            if len(value) > MAX_ITEMS:
                found.append(FieldViolation(path, f"最多{MAX_ITEMS}项"))
                continue
            for i, item in enumerate(value):
                _value(rule, item, f"{path}[{i}]", found)
        else:
            _value(rule, value, path, found)


@dataclass(frozen=True)
class _Rule:
    """What is checked of one field, worked out once per field (descriptor lookups cost µs each)."""

    kind: int
    repeated: bool
    limit: int = 0  # strings
    numbers: frozenset = frozenset()  # enums: the defined numbers
    map_entry: tuple | None = None  # maps: (key rule, value rule)


_RULES: dict = {}


def _rule(field) -> _Rule:
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        rule = _Rule(
            F.TYPE_MESSAGE,
            True,
            map_entry=(_rule(entry.fields_by_name["key"]), _rule(entry.fields_by_name["value"])),
        )
    else:
        rule = _Rule(
            field.type,
            field.is_repeated,
            _limit(field),
            frozenset(field.enum_type.values_by_number) if field.type == F.TYPE_ENUM else frozenset(),
        )
    _RULES[field] = rule
    return rule


def _limit(field) -> int:
    return STRING_LIMITS.get(field.full_name) or NAME_LIMITS.get(field.name, MAX_STRING)


def _value(rule: _Rule, value, path: str, found: list) -> None:
    if rule.kind == F.TYPE_STRING:
        if len(value) > rule.limit:
            found.append(FieldViolation(path, f"长度不能超过{rule.limit}个字符"))
        elif "\x00" in value:
            found.append(FieldViolation(path, "不能包含空字符（NUL）"))
    elif rule.kind == F.TYPE_ENUM:
        if value not in rule.numbers:
            found.append(FieldViolation(path, f"取值无效（{value} 不是已定义的选项）"))
    elif rule.kind == F.TYPE_MESSAGE:
        _walk(value, f"{path}.", found)


def _timestamp(message, path: str, found: list) -> None:
    if not MIN_SECONDS <= message.seconds <= MAX_SECONDS or not 0 <= message.nanos <= 999_999_999:
        found.append(FieldViolation(path, "时间超出有效范围（0001-01-01 至 9999-12-31）"))


def _date(message, path: str, found: list) -> None:
    if not (message.year or message.month or message.day):
        return  # not given: the handler says whether it is required
    try:
        dt.date(message.year, message.month, message.day)
    except ValueError:
        found.append(FieldViolation(path, "不是有效日期"))


def _paging(request, found: list) -> None:
    """The top-level page_size and page_token of a paged request (AIP-158)."""
    if "page_size" in request.DESCRIPTOR.fields_by_name and request.page_size < 0:
        found.append(FieldViolation("page_size", "每页条数不能为负数"))
    if len(request.page_token) <= paging.MAX_TOKEN_LENGTH:  # else the length check names it
        try:
            paging.position_of(request)
        except InvalidArgument as refused:
            found.extend(refused.violations)


_SPECIAL = {
    "google.protobuf.Timestamp": _timestamp,
    "xueji.v1.Date": _date,
}
