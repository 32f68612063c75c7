"""Code tables of the national student form (学生基本信息), as docs/DOMAIN.md#code-tables lists them.

Only codes: labels live with the templates and the CLI. Where that page names a national standard
without listing it (户口性质, 学生来源, 上下学交通方式, 年级, 关系), the table below is the one this
service accepts; the choice is written next to it.
"""

from __future__ import annotations

import functools
import re

from xueji_common.documents import PROVINCE_CODES, DocumentType

# 民族, GB/T 3304: 01–56, 97 其他, 98 外国血统中国籍人士.
ETHNICITY = frozenset({f"{n:02d}" for n in range(1, 57)} | {"97", "98"})

# 港澳台侨外: 00 否; 01–06 香港/澳门/台湾同胞(亲属); 11–14 华侨/侨眷/归侨(子女);
# 21, 31, 41, 51 外国人; 99 其他.
OVERSEAS_CHINESE = frozenset(
    {"00", "01", "02", "03", "04", "05", "06", "11", "12", "13", "14", "21", "31", "41", "51", "99"}
)
NOT_OVERSEAS = "00"

# 政治面貌, GB/T 4762: 01 中共党员 … 13 群众.
POLITICAL_STATUS = frozenset(f"{n:02d}" for n in range(1, 14))

# 户口性质: 1 农业户口, 2 非农业户口, 3 居民户口 (after the household reform), 9 其他.
HOUSEHOLD_TYPE = frozenset({"1", "2", "3", "9"})

# 学生来源: 1 正常入学, 2 借读, 3 其他学校转入, 9 其他.
STUDENT_SOURCE = frozenset({"1", "2", "3", "9"})

# 上下学交通方式: 1 步行, 2 自行车(含电动自行车), 3 公共交通, 4 家长接送, 5 校车, 9 其他.
COMMUTE_MODE = frozenset({"1", "2", "3", "4", "5", "9"})

# 年级 (JY/T 1001 grade codes): 11–16 小学一至六年级, 17 小学七年级 (五四制 none), 21–24 初中,
# 31–33 高中, 41–43 特殊教育 (辅读) — a school's stage is not checked against the grade here.
GRADE = frozenset(
    {"11", "12", "13", "14", "15", "16", "21", "22", "23", "24", "31", "32", "33", "41", "42", "43"}
)

# 家庭成员关系, GB/T 4761: 1x 配偶, 2x 子, 3x 女, 4x 孙, 5x 父母 (51 父亲, 52 母亲, 53 公公…),
# 6x 祖父母, 7x 兄弟姐妹, 8x 其他亲属 (81 伯父…), 97 其他亲属, 99 非亲属.
RELATIONSHIP = frozenset({f"{head}{tail}" for head in "12345678" for tail in "0123456789"} | {"97", "99"})

# 国籍/地区, ISO 3166-1 alpha-3.
NATIONALITY = frozenset(
    """
ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR BHR
BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG COK COL
COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK
FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV
HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO
LBN LBR LBY LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG
MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN
PER PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE
SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO
TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
""".split()
)
CHINA = "CHN"

# Enum fields of the form, by their protobuf names (the stored form is protobuf JSON).
HEALTH_STATUS = frozenset(
    {
        "HEALTH_STATUS_HEALTHY",
        "HEALTH_STATUS_FAIR",
        "HEALTH_STATUS_CHRONIC_ILLNESS",
        "HEALTH_STATUS_PHYSICAL_DEFECT",
        "HEALTH_STATUS_DISABLED",
    }
)
ADMISSION_METHOD = frozenset({"ADMISSION_METHOD_NEARBY", "ADMISSION_METHOD_OTHER"})
ATTENDANCE_MODE = frozenset({"ATTENDANCE_MODE_DAY", "ATTENDANCE_MODE_BOARDING"})
LEFT_BEHIND = frozenset(
    {"LEFT_BEHIND_STATUS_NO", "LEFT_BEHIND_STATUS_ONE_PARENT", "LEFT_BEHIND_STATUS_BOTH_PARENTS"}
)
DISABILITY_NONE = "DISABILITY_TYPE_NONE"
DISABILITY = frozenset(
    {
        DISABILITY_NONE,
        "DISABILITY_TYPE_VISUAL",
        "DISABILITY_TYPE_HEARING",
        "DISABILITY_TYPE_SPEECH",
        "DISABILITY_TYPE_PHYSICAL",
        "DISABILITY_TYPE_INTELLECTUAL",
        "DISABILITY_TYPE_MENTAL",
        "DISABILITY_TYPE_MULTIPLE",
        "DISABILITY_TYPE_OTHER",
    }
)
INCLUSIVE_NONE = "INCLUSIVE_EDUCATION_NONE"
# 随班就读 → the disability types it is consistent with.
INCLUSIVE_FOR = {
    INCLUSIVE_NONE: DISABILITY,
    "INCLUSIVE_EDUCATION_VISUAL": frozenset({"DISABILITY_TYPE_VISUAL"}),
    "INCLUSIVE_EDUCATION_HEARING": frozenset({"DISABILITY_TYPE_HEARING"}),
    "INCLUSIVE_EDUCATION_INTELLECTUAL": frozenset({"DISABILITY_TYPE_INTELLECTUAL"}),
    "INCLUSIVE_EDUCATION_OTHER": frozenset(
        {
            "DISABILITY_TYPE_SPEECH",
            "DISABILITY_TYPE_PHYSICAL",
            "DISABILITY_TYPE_MENTAL",
            "DISABILITY_TYPE_MULTIPLE",
            "DISABILITY_TYPE_OTHER",
        }
    ),
}

_DIVISION = re.compile(r"[0-9]{6}")
# Division prefixes besides the mainland provinces: 71 台湾, 81 香港, 82 澳门.
_DIVISION_PREFIXES = PROVINCE_CODES | {"71", "81", "82"}


@functools.lru_cache(
    maxsize=1 << 16
)  # a few thousand codes exist: imports check the same ones again and again
def is_division_code(code: str) -> bool:
    """GB/T 2260 structure: 6 digits, a known province prefix, no county under a missing city."""
    return (
        bool(_DIVISION.fullmatch(code))
        and code[:2] in _DIVISION_PREFIXES
        and not (code[2:4] == "00" and code[4:6] != "00")
    )


# 身份证件类型 by protobuf enum name (family members' documents in the stored form).
# The codes are xueji_common's DocumentType values.
DOCUMENT_TYPE_BY_NAME = {
    f"DOCUMENT_TYPE_{name}": t.value
    for name, t in (
        ("RESIDENT_ID", DocumentType.RESIDENT_ID),
        ("HK_PERMIT", DocumentType.HK),
        ("MACAO_PERMIT", DocumentType.MACAO),
        ("TAIWAN_PERMIT", DocumentType.TAIWAN),
        ("FOREIGN_PERMANENT_RESIDENCE", DocumentType.FOREIGN_PERMANENT_RESIDENCE),
        ("PASSPORT", DocumentType.PASSPORT),
        ("OTHER", DocumentType.OTHER),
    )
}
