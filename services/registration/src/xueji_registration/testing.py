"""Valid sample data for tests, benchmarks and demos: a complete 学生基本信息 form per category."""

from __future__ import annotations

import datetime as dt

from xueji_common.documents import resident_id_check_digit


def resident_id(birth: str = "20150601", seq: str = "123", division: str = "330102") -> str:
    first17 = division + birth + seq
    return first17 + resident_id_check_digit(first17)


def family_member(**changes) -> dict:
    member = {
        "name": "张大山",
        "relationshipCode": "51",
        "ethnicityCode": "01",
        "phone": "13800000000",
        "guardian": True,
        "document": {"type": "DOCUMENT_TYPE_RESIDENT_ID", "number": resident_id("19850101", "011")},
    }
    member.update(changes)
    return member


def sample_form(category: str = "resident", **changes) -> dict:
    """The stored form (protobuf JSON of StudentRecordForm) without the identity block."""
    today = dt.date.today()
    form = {
        "birthplaceCode": "330102",
        "nativePlaceCode": "330102",
        "ethnicityCode": "01",
        "nationalityCode": "CHN",
        "overseasChineseCode": "00",
        "healthStatus": "HEALTH_STATUS_HEALTHY",
        "householdRegistrationCode": "330102",
        "householdTypeCode": "2",
        "grade": "21",
        "className": "1班",
        "admissionYearMonth": f"{today.year}09" if today.month >= 9 else f"{today.year - 1}09",
        "admissionMethod": "ADMISSION_METHOD_NEARBY",
        "attendanceMode": "ATTENDANCE_MODE_DAY",
        "currentAddress": "杭州市上城区清波街1号",
        "mailingAddress": "杭州市上城区清波街1号",
        "homeAddress": "杭州市上城区清波街1号",
        "phone": "0571-87000000",
        "postalCode": "310002",
        "onlyChild": True,
        "preschoolEducated": True,
        "familyMembers": [family_member()],
    }
    if category == "hmt_foreign":
        form.update(nationalityCode="HKG", overseasChineseCode="01", birthplaceCode="810000")
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}
