"""Every contract follows docs/API.md: List methods page with top-level fields, Updates carry a mask."""

from __future__ import annotations

import importlib
import pkgutil

from google.protobuf.descriptor import FieldDescriptor as F

import xueji.v1


def methods() -> list:
    found = []
    for module in pkgutil.iter_modules(xueji.v1.__path__):
        if module.name.endswith("_pb2"):
            for service in importlib.import_module(
                f"xueji.v1.{module.name}"
            ).DESCRIPTOR.services_by_name.values():
                found.extend(service.methods)
    return found


def _field(message, name: str, kind: int) -> bool:
    field = message.fields_by_name.get(name)
    return field is not None and field.type == kind and not field.is_repeated


def test_every_list_method_pages_with_top_level_fields():
    lists = [m for m in methods() if m.name.startswith("List")]
    assert len(lists) >= 11
    for method in lists:
        request, response = method.input_type, method.output_type
        assert _field(request, "page_size", F.TYPE_INT32) and _field(request, "page_token", F.TYPE_STRING), (
            method.full_name
        )
        assert _field(response, "next_page_token", F.TYPE_STRING) and _field(
            response, "total_size", F.TYPE_INT64
        ), method.full_name


def test_no_request_or_response_nests_its_paging():
    for method in methods():
        for message in (method.input_type, method.output_type):
            nested = [
                f.name
                for f in message.fields
                if f.message_type is not None
                and {"page_token", "next_page_token"} & set(f.message_type.fields_by_name)
            ]
            assert not nested, (method.full_name, nested)


def test_every_update_method_takes_an_update_mask():
    updates = [m for m in methods() if m.name.startswith("Update")]
    assert {m.name for m in updates} >= {
        "UpdateUser",
        "UpdateApplication",
        "UpdatePreschoolTransfer",
        "UpdateSpecialEdInfo",
    }
    for method in updates:
        mask = method.input_type.fields_by_name.get("update_mask")
        assert mask is not None and mask.message_type.full_name == "google.protobuf.FieldMask", (
            method.full_name
        )
