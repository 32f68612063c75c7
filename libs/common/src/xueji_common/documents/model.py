"""Document types, categories, gender, the validated document and the error."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from .text import normalize_document_number

NUMBER = "document_number"
TYPE = "document_type"


class DocumentError(ValueError):
    """A rejected document type or number.

    ``field`` is ``"document_number"`` or ``"document_type"``, ``rule`` a stable machine code
    (``"RESIDENT_ID_CHECK_DIGIT"``...), ``message`` the Chinese text a registrar reads, which is
    also ``str(err)``. Messages never contain the number (personal data that ends up in logs).
    """

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field, self.rule, self.message = field, rule, message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, str, str]]:
        # keep it picklable: it may cross process boundaries
        return type(self), (self.field, self.rule, self.message)


class DocumentCategory(str, enum.Enum):
    """证件类别: decides the registration channel."""

    RESIDENT = "resident"
    HMT_FOREIGN = "hmt_foreign"
    NO_DOCUMENT = "no_document"

    @property
    def label_zh(self) -> str:
        return {"resident": "居民身份证", "hmt_foreign": "港澳台和外籍", "no_document": "无证件"}[self.value]

    def to_proto(self) -> int:
        return _CATEGORY_PROTO[self]

    @classmethod
    def from_proto(cls, value: int) -> DocumentCategory:
        for member, number in _CATEGORY_PROTO.items():
            if number == value:
                return member
        raise ValueError(f"unknown DocumentCategory proto value: {value!r}")


_CATEGORY_PROTO = dict(zip(DocumentCategory, (1, 2, 3)))


class DocumentType(str, enum.Enum):
    """JY/T 1001 身份证件类型 codes accepted by the student templates."""

    RESIDENT_ID = "1"
    HK = "6"
    MACAO = "7"
    TAIWAN = "8"
    FOREIGN_PERMANENT_RESIDENCE = "9"
    PASSPORT = "A"
    OTHER = "Z"

    @property
    def label_zh(self) -> str:
        return _TYPE_LABELS[self]

    @property
    def category(self) -> DocumentCategory:
        return category_of(self)

    def to_proto(self) -> int:
        return _TYPE_PROTO[self]

    @classmethod
    def from_proto(cls, value: int) -> DocumentType:
        """Map a ``xueji.v1.DocumentType`` number; 0 (unspecified) and unknown numbers are rejected."""
        for member, number in _TYPE_PROTO.items():
            if number == value:
                return member
        if value == 0:
            raise DocumentError(TYPE, "REQUIRED", "身份证件类型不能为空")
        raise DocumentError(TYPE, "DOCUMENT_TYPE_UNKNOWN", "身份证件类型无效")

    @classmethod
    def from_code(cls, code: str) -> DocumentType:
        """Accept a code (``"1"``, ``"a"``, full-width too) or the Chinese label (``"护照"``)."""
        found = (
            _TYPE_BY_TEXT.get(code) if isinstance(code, str) else None
        )  # the usual case: a code or label as written here
        if found is not None:
            return found
        text = normalize_document_number(code) if isinstance(code, str) else ""
        if not text:
            raise DocumentError(TYPE, "REQUIRED", "身份证件类型不能为空")
        for member in cls:
            if text in (member.value, _TYPE_LABELS[member]):
                return member
        raise DocumentError(TYPE, "DOCUMENT_TYPE_UNKNOWN", "身份证件类型无效")

    @classmethod
    def coerce(cls, value: object) -> DocumentType:
        """A DocumentType as is, a code or label via :meth:`from_code`; anything else is rejected."""
        if isinstance(value, cls):
            return value
        if value is None or isinstance(value, str):
            return cls.from_code(value or "")
        raise DocumentError(TYPE, "DOCUMENT_TYPE_UNKNOWN", "身份证件类型无效")


_TYPE_LABELS = {
    DocumentType.RESIDENT_ID: "居民身份证",
    DocumentType.HK: "香港特区护照/身份证明",
    DocumentType.MACAO: "澳门特区护照/身份证明",
    DocumentType.TAIWAN: "台湾居民来往大陆通行证",
    DocumentType.FOREIGN_PERMANENT_RESIDENCE: "境外永久居住证",
    DocumentType.PASSPORT: "护照",
    DocumentType.OTHER: "其他",
}
_TYPE_PROTO = dict(zip(DocumentType, (1, 6, 7, 8, 9, 10, 11)))
# Codes and labels already normalised (normalize_document_number leaves them as they are).
_TYPE_BY_TEXT = {text: member for member, label in _TYPE_LABELS.items() for text in (member.value, label)}


def category_of(doc_type: DocumentType | str) -> DocumentCategory:
    doc_type = DocumentType.coerce(doc_type)
    if doc_type is DocumentType.RESIDENT_ID:
        return DocumentCategory.RESIDENT
    if doc_type is DocumentType.OTHER:
        return DocumentCategory.NO_DOCUMENT
    return DocumentCategory.HMT_FOREIGN


class Gender(enum.IntEnum):
    """性别 (code table 1 男 2 女, equal to the proto numbers)."""

    MALE = 1
    FEMALE = 2

    @property
    def label_zh(self) -> str:
        return "男" if self is Gender.MALE else "女"


@dataclass(frozen=True)
class ValidDocument:
    """A validated document; ``number`` is normalised and canonical.

    ``form`` names the concrete document the number was recognised as (``"resident_id"``,
    ``"hk_identity_card"``, ...). Gender, birth date and division code are set where the number
    carries them.
    """

    type: DocumentType
    number: str
    category: DocumentCategory
    gender: Gender | None = None
    birth_date: dt.date | None = None
    division_code: str | None = None
    form: str = ""
