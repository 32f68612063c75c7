"""Page tokens (AIP-158): opaque, bound to the request they continue, refused otherwise."""

from __future__ import annotations

import base64

import pytest

from xueji.v1 import accounts_pb2, dedup_pb2, registration_pb2
from xueji_common import paging
from xueji_common.errors import InvalidArgument
from xueji_common.grpcserver.validation import violations


def listing(**filters) -> dedup_pb2.ListProblemGroupsRequest:
    return dedup_pb2.ListProblemGroupsRequest(org_unit_code="330102", statuses=[1], **filters)


def next_of(request, total: int = 1000) -> str:
    return paging.Page.of(request).next_token(total)


def test_a_token_continues_the_request_it_was_made_for():
    first = listing(page_size=20)
    token = next_of(first)
    page = paging.Page.of(listing(page_size=20, page_token=token))
    assert (page.offset, page.size) == (20, 20)
    assert next_of(listing(page_size=20, page_token=token)) not in ("", token)


def test_the_page_size_may_change_between_pages():
    token = next_of(listing(page_size=20))
    assert paging.Page.of(listing(page_size=100, page_token=token)).offset == 20


def test_the_last_page_has_no_next_token():
    assert paging.Page.of(listing(page_size=20)).next_token(20) == ""
    assert paging.Page.of(listing(page_size=20)).next_token(21) != ""


def test_a_token_does_not_show_its_offset():
    token = next_of(listing(page_size=150))
    assert "150" not in token and b"150" not in base64.urlsafe_b64decode(token + "==")


@pytest.mark.parametrize(
    "changed",
    [
        dict(name="张"),
        dict(org_unit_code="330105"),
        dict(statuses=[2]),
        dict(statuses=[1, 2]),
        dict(national_student_number="G330102201501011234"),
        dict(resolver_level=3),
    ],
)
def test_a_token_reused_with_other_filters_is_refused_naming_page_token(changed):
    token = next_of(listing(page_size=20))
    request = listing(page_size=20, page_token=token)
    for name, value in changed.items():
        request.ClearField(name)
        if isinstance(value, list):
            getattr(request, name).extend(value)
        else:
            setattr(request, name, value)
    with pytest.raises(InvalidArgument) as refused:
        paging.Page.of(request)
    [violation] = refused.value.violations
    assert violation.field == "page_token" and "查询条件" in violation.description
    assert [v.field for v in violations(request)] == ["page_token"]  # the edge refuses it first


def test_a_token_of_another_method_is_refused_even_with_the_same_fields():
    token = next_of(accounts_pb2.ListSignInAttemptsRequest(login_name="a", page_size=5))
    with pytest.raises(InvalidArgument):
        paging.Page.of(accounts_pb2.ListAccountChangesRequest(login_name="a", page_size=5, page_token=token))


def _flipped(token: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: _flipped(t, 4),  # the position changed
        lambda t: _flipped(t, 10),  # the digest changed
        lambda t: _flipped(t, 0),  # another version
        lambda t: t[:-3],  # cut short
        lambda t: t + "AAAA",  # lengthened
        lambda t: base64.urlsafe_b64encode(b"o:50").decode(),  # the old offset format
        lambda t: base64.urlsafe_b64encode(b"o:" + b"9" * 40).decode(),
        lambda t: "!!!",
        lambda t: "b" * 65,
        lambda t: "٣٣٣٣",
    ],
    ids=[
        "position",
        "digest",
        "version",
        "short",
        "long",
        "old_format",
        "huge",
        "not_base64",
        "too_long",
        "unicode",
    ],
)
def test_forged_or_garbled_tokens_are_refused(forge):
    request = listing(page_size=20, page_token=forge(next_of(listing(page_size=20))))
    with pytest.raises(InvalidArgument) as refused:
        paging.Page.of(request)
    assert [v.field for v in refused.value.violations] == ["page_token"]


def test_positions_are_bounded():
    bound = paging.binding(listing())
    with pytest.raises(ValueError):
        paging.encode(paging.MAX_OFFSET + 1, bound)
    assert paging.decode(paging.encode(paging.MAX_OFFSET, bound), bound) == paging.MAX_OFFSET


def test_sizes_default_cap_and_refuse_negatives():
    assert paging.Page.of(listing()).size == paging.DEFAULT_PAGE_SIZE
    assert paging.Page.of(listing(page_size=10_000)).size == paging.MAX_PAGE_SIZE
    assert (
        paging.Page.of(registration_pb2.GetImportReportRequest(import_id="i"), default=100, maximum=1000).size
        == 100
    )
    with pytest.raises(InvalidArgument) as refused:
        paging.Page.of(listing(page_size=-1))
    assert [v.field for v in refused.value.violations] == ["page_size"]
