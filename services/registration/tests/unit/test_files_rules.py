"""Uploads: type by magic bytes, declared type must agree, size limit, safe names."""

import pytest

from xueji_common.errors import InvalidArgument
from xueji_registration.domain.files import MAX_BYTES, Purpose, check_upload, safe_name

JPEG, PNG, PDF = b"\xff\xd8\xff\xe0" + b"0" * 20, b"\x89PNG\r\n\x1a\n" + b"0" * 20, b"%PDF-1.7\n" + b"0" * 20


@pytest.mark.parametrize(
    "content, expected", [(JPEG, "image/jpeg"), (PNG, "image/png"), (PDF, "application/pdf")]
)
def test_proof_material_may_be_jpeg_png_or_pdf(content, expected):
    assert check_upload(Purpose.PROOF_MATERIAL, "户口本.x", "", content) == ("户口本.x", expected)


def field_of(purpose, name, declared, content):
    with pytest.raises(InvalidArgument) as err:
        check_upload(purpose, name, declared, content)
    return err.value.violations[0].field


def test_photos_are_images_only():
    assert field_of(Purpose.PHOTO, "a.pdf", "application/pdf", PDF) == "file.content"


def test_content_not_an_allowed_type_is_refused_whatever_its_name():
    assert (
        field_of(Purpose.PROOF_MATERIAL, "proof.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")
        == "file.content"
    )


def test_declared_type_must_match_the_content():
    assert field_of(Purpose.PROOF_MATERIAL, "a.png", "image/png", JPEG) == "file.content_type"
    assert check_upload(Purpose.PHOTO, "a.jpg", "image/jpg", JPEG)[1] == "image/jpeg"


def test_empty_and_too_large_files_are_refused():
    assert field_of(Purpose.PROOF_MATERIAL, "a.pdf", "", b"") == "file.content"
    assert field_of(Purpose.PROOF_MATERIAL, "a.pdf", "", PDF + b"0" * MAX_BYTES) == "file.content"


def test_names_lose_their_path():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\证明.pdf") == "证明.pdf"
