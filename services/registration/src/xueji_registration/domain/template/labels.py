"""The code tables with their Chinese names, in the order the drop-down lists show them.

The codes are those of `domain.codes` (and the proto enums); this module only adds the names a
registrar picks from. Each table is a tuple of (stored value, name): the stored value is the code
(民族 "01") or, for fields that are protobuf enums in the form, the enum name
("HEALTH_STATUS_HEALTHY").
"""

from __future__ import annotations

_ETHNIC_NAMES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
ETHNICITY = (
    *((f"{i:02d}", n) for i, n in enumerate(_ETHNIC_NAMES, 1)),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
)

OVERSEAS_CHINESE = (
    ("00", "否"),
    ("01", "香港同胞"),
    ("02", "香港同胞亲属"),
    ("03", "澳门同胞"),
    ("04", "澳门同胞亲属"),
    ("05", "台湾同胞"),
    ("06", "台湾同胞亲属"),
    ("11", "华侨"),
    ("12", "侨眷"),
    ("13", "归侨"),
    ("14", "归侨子女"),
    ("21", "归国留学人员"),
    ("31", "非华裔中国人"),
    ("41", "外籍华裔人"),
    ("51", "外国人"),
    ("99", "其他"),
)

POLITICAL_STATUS = (
    ("01", "中共党员"),
    ("02", "中共预备党员"),
    ("03", "共青团员"),
    ("04", "民革党员"),
    ("05", "民盟盟员"),
    ("06", "民建会员"),
    ("07", "民进会员"),
    ("08", "农工党党员"),
    ("09", "致公党党员"),
    ("10", "九三学社社员"),
    ("11", "台盟盟员"),
    ("12", "无党派人士"),
    ("13", "群众"),
)

HOUSEHOLD_TYPE = (("1", "农业户口"), ("2", "非农业户口"), ("3", "居民户口"), ("9", "其他"))
STUDENT_SOURCE = (("1", "正常入学"), ("2", "借读"), ("3", "其他学校转入"), ("9", "其他"))
COMMUTE_MODE = (
    ("1", "步行"),
    ("2", "自行车（含电动自行车）"),
    ("3", "公共交通"),
    ("4", "家长接送"),
    ("5", "校车"),
    ("9", "其他"),
)
GRADE = (
    ("11", "一年级"),
    ("12", "二年级"),
    ("13", "三年级"),
    ("14", "四年级"),
    ("15", "五年级"),
    ("16", "六年级"),
    ("21", "初一"),
    ("22", "初二"),
    ("23", "初三"),
    ("24", "初四"),
    ("31", "高一"),
    ("32", "高二"),
    ("33", "高三"),
    ("41", "辅读一年级"),
    ("42", "辅读二年级"),
    ("43", "辅读三年级"),
)
RELATIONSHIP = (
    ("51", "父亲"),
    ("52", "母亲"),
    ("61", "祖父"),
    ("62", "祖母"),
    ("63", "外祖父"),
    ("64", "外祖母"),
    ("71", "兄"),
    ("73", "弟"),
    ("75", "姐"),
    ("77", "妹"),
    ("97", "其他亲属"),
    ("99", "非亲属"),
)

# The most frequent nationalities first with their names; every other ISO 3166-1 alpha-3 code is
# accepted as a code (domain.codes.NATIONALITY).
NATIONALITY = (
    ("CHN", "中国"),
    ("HKG", "中国香港"),
    ("MAC", "中国澳门"),
    ("TWN", "中国台湾"),
    ("USA", "美国"),
    ("CAN", "加拿大"),
    ("GBR", "英国"),
    ("AUS", "澳大利亚"),
    ("NZL", "新西兰"),
    ("JPN", "日本"),
    ("KOR", "韩国"),
    ("SGP", "新加坡"),
    ("MYS", "马来西亚"),
    ("THA", "泰国"),
    ("VNM", "越南"),
    ("PHL", "菲律宾"),
    ("IDN", "印度尼西亚"),
    ("IND", "印度"),
    ("RUS", "俄罗斯"),
    ("DEU", "德国"),
    ("FRA", "法国"),
    ("ITA", "意大利"),
    ("ESP", "西班牙"),
    ("NLD", "荷兰"),
    ("BRA", "巴西"),
)

GENDER = (("GENDER_MALE", "男"), ("GENDER_FEMALE", "女"))
YES_NO = ((True, "是"), (False, "否"))

DOCUMENT_TYPE = (
    ("DOCUMENT_TYPE_RESIDENT_ID", "居民身份证"),
    ("DOCUMENT_TYPE_HK_PERMIT", "香港特区护照/身份证明"),
    ("DOCUMENT_TYPE_MACAO_PERMIT", "澳门特区护照/身份证明"),
    ("DOCUMENT_TYPE_TAIWAN_PERMIT", "台湾居民来往大陆通行证"),
    ("DOCUMENT_TYPE_FOREIGN_PERMANENT_RESIDENCE", "境外永久居住证"),
    ("DOCUMENT_TYPE_PASSPORT", "护照"),
    ("DOCUMENT_TYPE_OTHER", "其他"),
)
# JY/T 1001 codes of the document types, also accepted in a cell ("1", "A", "Z").
DOCUMENT_TYPE_CODES: dict[object, str] = dict(
    zip((v for v, _ in DOCUMENT_TYPE), ("1", "6", "7", "8", "9", "A", "Z"))
)

HEALTH_STATUS = (
    ("HEALTH_STATUS_HEALTHY", "健康或良好"),
    ("HEALTH_STATUS_FAIR", "一般或较弱"),
    ("HEALTH_STATUS_CHRONIC_ILLNESS", "有慢性病"),
    ("HEALTH_STATUS_PHYSICAL_DEFECT", "有生理缺陷"),
    ("HEALTH_STATUS_DISABLED", "残疾"),
)
HEALTH_STATUS_CODES: dict[object, str] = dict(
    zip((v for v, _ in HEALTH_STATUS), ("10", "20", "30", "40", "50"))
)
ADMISSION_METHOD = (("ADMISSION_METHOD_NEARBY", "就近入学"), ("ADMISSION_METHOD_OTHER", "其他"))
ATTENDANCE_MODE = (("ATTENDANCE_MODE_DAY", "走读"), ("ATTENDANCE_MODE_BOARDING", "住校"))
LEFT_BEHIND = (
    ("LEFT_BEHIND_STATUS_NO", "非留守儿童"),
    ("LEFT_BEHIND_STATUS_ONE_PARENT", "单亲外出务工"),
    ("LEFT_BEHIND_STATUS_BOTH_PARENTS", "双亲外出务工"),
)
DISABILITY = (
    ("DISABILITY_TYPE_NONE", "无残疾"),
    ("DISABILITY_TYPE_VISUAL", "视力残疾"),
    ("DISABILITY_TYPE_HEARING", "听力残疾"),
    ("DISABILITY_TYPE_SPEECH", "言语残疾"),
    ("DISABILITY_TYPE_PHYSICAL", "肢体残疾"),
    ("DISABILITY_TYPE_INTELLECTUAL", "智力残疾"),
    ("DISABILITY_TYPE_MENTAL", "精神残疾"),
    ("DISABILITY_TYPE_MULTIPLE", "多重残疾"),
    ("DISABILITY_TYPE_OTHER", "其他残疾"),
)
INCLUSIVE_EDUCATION = (
    ("INCLUSIVE_EDUCATION_NONE", "非随班就读"),
    ("INCLUSIVE_EDUCATION_VISUAL", "视力残疾随班就读"),
    ("INCLUSIVE_EDUCATION_HEARING", "听力残疾随班就读"),
    ("INCLUSIVE_EDUCATION_INTELLECTUAL", "智力残疾随班就读"),
    ("INCLUSIVE_EDUCATION_OTHER", "其他残疾随班就读"),
)


def shown(code: str, name: str) -> str:
    """How a coded value appears in a drop-down: "01 汉族"."""
    return f"{code} {name}"


# The codes of the national code tables (JY/T 1001; GB/T 26341 for 残疾人类型; 1 是 / 0 否) of the
# drop-down columns stored as enum names, so that a registrar may type the code instead of the name
# (the template's instructions say 也可填写代码): stored value → code. Every drop-down column has
# codes: its own (民族 "01", stored as the code) or these.
CHOICE_CODES: dict[object, str] = {
    **DOCUMENT_TYPE_CODES,
    **HEALTH_STATUS_CODES,
    "GENDER_MALE": "1",
    "GENDER_FEMALE": "2",
    True: "1",
    False: "0",
    "ADMISSION_METHOD_NEARBY": "1",
    "ADMISSION_METHOD_OTHER": "9",
    "ATTENDANCE_MODE_DAY": "1",
    "ATTENDANCE_MODE_BOARDING": "2",
    "LEFT_BEHIND_STATUS_NO": "0",
    "LEFT_BEHIND_STATUS_ONE_PARENT": "1",
    "LEFT_BEHIND_STATUS_BOTH_PARENTS": "2",
    "DISABILITY_TYPE_NONE": "0",
    "DISABILITY_TYPE_VISUAL": "1",
    "DISABILITY_TYPE_HEARING": "2",
    "DISABILITY_TYPE_SPEECH": "3",
    "DISABILITY_TYPE_PHYSICAL": "4",
    "DISABILITY_TYPE_INTELLECTUAL": "5",
    "DISABILITY_TYPE_MENTAL": "6",
    "DISABILITY_TYPE_MULTIPLE": "7",
    "DISABILITY_TYPE_OTHER": "9",
    "INCLUSIVE_EDUCATION_NONE": "0",
    "INCLUSIVE_EDUCATION_VISUAL": "1",
    "INCLUSIVE_EDUCATION_HEARING": "2",
    "INCLUSIVE_EDUCATION_INTELLECTUAL": "3",
    "INCLUSIVE_EDUCATION_OTHER": "4",
}
