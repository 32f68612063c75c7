"""Identity documents (身份证件类型 / 身份证件号): normalisation, validation and masking.

Pure Python, no framework imports. The rules: ``docs/DOMAIN.md#identity-documents``.

* Normalisation: letters are upper-cased, full-width characters become ASCII (``ａ１（`` -> ``A1(``)
  and all whitespace, including the ideographic space, is removed. Valid numbers are then stored
  in one canonical form: HK and Macao identity cards with the check digit in parentheses
  (``A123456(3)``), the old Taiwan permit without them (``1234567890B``).
* Rejections are :class:`DocumentError` (a ``ValueError``) with a field, a stable rule code and a
  Chinese message for registrars; messages never contain the number.
* Resident IDs (GB 11643-1999): 18 characters only (15-digit first-generation numbers are refused),
  structural division check (see ``validation._division_ok``), birth date 1900..today, MOD 11-2
  check digit; gender (17th digit odd = male), birth date and division code are derived.
  HMT residence permits (810000/820000/830000) follow the same rules under types 6/7/8.
* Masking: see :func:`mask_document_number`.
"""

from .model import DocumentCategory, DocumentError, DocumentType, Gender, ValidDocument, category_of
from .text import mask_document_number, normalize_document_number, resident_id_check_digit
from .validation import PROVINCE_CODES, hkid_check_digit, validate_document

__all__ = [
    "PROVINCE_CODES",
    "DocumentCategory",
    "DocumentError",
    "DocumentType",
    "Gender",
    "ValidDocument",
    "category_of",
    "hkid_check_digit",
    "mask_document_number",
    "normalize_document_number",
    "resident_id_check_digit",
    "validate_document",
]
