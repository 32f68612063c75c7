"""Conversions between protobuf values and plain Python values, shared by every servicer."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from xueji.v1 import common_pb2


def date_from_pb(value: common_pb2.Date) -> dt.date | None:
    """An unset Date (year 0) is None; an impossible one (2月30日) raises ValueError."""
    if not value.year and not value.month and not value.day:
        return None
    return dt.date(value.year, value.month, value.day)


def date_to_pb(value: dt.date | None) -> common_pb2.Date:
    if value is None:
        return common_pb2.Date()
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def timestamp(value: dt.datetime | None) -> Timestamp:
    ts = Timestamp()
    if value is not None:
        ts.FromDatetime(value)
    return ts


_M = TypeVar("_M", bound=Message)


class ProtoEnum(Protocol):
    """A generated protobuf enum (its EnumTypeWrapper)."""

    def Value(self, name: str) -> int: ...


def message_to_dict(message: Message) -> dict[str, Any]:
    """A message as a JSON-able dict (camelCase keys), to store a form as entered."""
    values: dict[str, Any] = json_format.MessageToDict(message)
    return values


def dict_to_message(values: Mapping[str, Any], message: _M) -> _M:
    parsed: _M = json_format.ParseDict(values, message, ignore_unknown_fields=True)
    return parsed


def enum_by_suffix(enum_type: ProtoEnum, prefix: str, member: enum.Enum) -> int:
    """Domain enum → protobuf enum number by name:
    (ApplicationState, "APPLICATION_STATE_", X.AWAITING_DEDUP)."""
    return enum_type.Value(prefix + member.name)
