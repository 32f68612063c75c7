"""Unit tests for the org-unit tree (xueji_common.orgunits)."""

from __future__ import annotations

import pytest

from xueji_common.orgunits import (
    ENV_ORG_UNITS_FILE,
    OrgLevel,
    OrgTree,
    OrgUnitError,
    load_default_tree,
)

HEADER = "code,name,level,parent_code,division_code,stage\n"
GOOD_ROWS = [
    "000000,教育部,ministry,,000000,",
    "330000,浙江省,province,000000,330000,",
    "330100,杭州市,city,330000,330100,",
    "330102,上城区,county,330100,330102,",
    "330106,西湖区,county,330100,330106,",
    "1330102001,杭州市上城区胜利小学,school,330102,330102,primary",
    "1330102002,杭州市上城区望江中学,school,330102,330102,junior",
    "1330106001,杭州市西湖区文新小学,school,330106,330106,primary",
    "320000,江苏省,province,000000,320000,",
    "320100,南京市,city,320000,320100,",
    "320102,玄武区,county,320100,320102,",
    "1320102001,南京市玄武区梅园小学,school,320102,320102,primary",
]


def write_csv(tmp_path, rows):
    path = tmp_path / "units.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path):
    return OrgTree.from_csv(write_csv(tmp_path, GOOD_ROWS))


def test_level_labels_and_parsing():
    assert OrgLevel.COUNTY.label_zh == "区县级"
    assert OrgLevel.MINISTRY.label_zh == "教育部"
    assert OrgLevel.parse("school") is OrgLevel.SCHOOL
    assert OrgLevel.parse("City") is OrgLevel.CITY
    assert OrgLevel.parse("2") is OrgLevel.PROVINCE
    with pytest.raises(ValueError):
        OrgLevel.parse("village")


@pytest.mark.parametrize(
    ("rows", "line", "fragment"),
    [
        # duplicate code (line 4 repeats line 3's code)
        ([*GOOD_ROWS[:3], "330100,杭州市,city,330000,330100,"], 5, "duplicate code 330100"),
        # missing parent
        ([*GOOD_ROWS[:3], "330205,江北区,county,330200,330205,"], 5, "parent 330200 does not exist"),
        # school directly under a city
        ([*GOOD_ROWS[:3], "1330100001,杭州市某小学,school,330100,330100,primary"], 5, "cannot sit under"),
        # county directly under a province
        ([*GOOD_ROWS[:2], "330102,上城区,county,330000,330102,"], 4, "cannot sit under"),
        # bad school code (9 digits)
        ([*GOOD_ROWS[:4], "133010200,杭州市上城区胜利小学,school,330102,330102,primary"], 6, "10 digits"),
        # bad department code
        ([*GOOD_ROWS[:2], "33A100,杭州市,city,330000,33A100,"], 4, "6-digit"),
        # city code not under its province
        ([*GOOD_ROWS[:2], "320100,南京市,city,330000,320100,"], 4, "city code 320100"),
        # county code not under its city
        ([*GOOD_ROWS[:3], "320102,玄武区,county,330100,320102,"], 5, "county code 320102"),
        # school division code differs from its county
        (
            [*GOOD_ROWS[:4], "1330102001,杭州市上城区胜利小学,school,330102,330106,primary"],
            6,
            "division_code",
        ),
        # two roots
        ([*GOOD_ROWS[:2], "999999,另一个部,ministry,,999999,"], 4, "second ministry root"),
        # ministry with a parent
        (["000000,教育部,ministry,330000,000000,"], 2, "no parent_code"),
        # non-ministry without parent
        ([*GOOD_ROWS[:1], "330000,浙江省,province,,330000,"], 3, "missing parent_code"),
        # unknown level and bad stage
        ([*GOOD_ROWS[:1], "330000,浙江省,state,000000,330000,"], 3, "unknown level"),
        ([*GOOD_ROWS[:4], "1330102001,杭州市上城区胜利小学,school,330102,330102,college"], 6, "stage"),
    ],
)
def test_validation_errors_name_the_line(tmp_path, rows, line, fragment):
    with pytest.raises(OrgUnitError) as info:
        OrgTree.from_csv(write_csv(tmp_path, rows))
    assert info.value.line == line
    assert f"line {line}" in str(info.value)
    assert fragment in str(info.value)


def test_no_root_and_missing_columns(tmp_path):
    with pytest.raises(OrgUnitError, match="no ministry root"):
        OrgTree.from_csv(write_csv(tmp_path, GOOD_ROWS[1:2]))
    path = tmp_path / "bad.csv"
    path.write_text("code,name,level\n000000,教育部,ministry\n", encoding="utf-8")
    with pytest.raises(OrgUnitError, match="missing column") as info:
        OrgTree.from_csv(path)
    assert info.value.line == 1


def test_from_rows_accepts_dicts_in_any_order():
    keys = HEADER.strip().split(",")
    rows = [dict(zip(keys, r.split(","), strict=True)) for r in reversed(GOOD_ROWS)]
    tree = OrgTree.from_rows(rows)
    assert len(tree) == len(GOOD_ROWS)
    assert tree.root.code == "000000"
    bad = [*rows, dict(rows[0])]
    with pytest.raises(OrgUnitError) as info:
        OrgTree.from_rows(bad)
    assert info.value.line == len(GOOD_ROWS) + 1


def test_school_division_defaults_to_its_county():
    rows = [
        {"code": "000000", "name": "教育部", "level": "ministry"},
        {"code": "330000", "name": "浙江省", "level": "province", "parent_code": "000000"},
        {"code": "330100", "name": "杭州市", "level": "city", "parent_code": "330000"},
        {"code": "330102", "name": "上城区", "level": "county", "parent_code": "330100"},
        {
            "code": "1330102001",
            "name": "杭州市上城区胜利小学",
            "level": "school",
            "parent_code": "330102",
            "stage": "primary",
        },
    ]
    tree = OrgTree.from_rows(rows)
    assert tree.get("1330102001").division_code == "330102"
    assert tree.get("330100").division_code == "330100"


def test_navigation(tree):
    school = tree.get("1330102001")
    assert school.level is OrgLevel.SCHOOL and school.is_school and school.stage == "primary"
    assert school.division_code == "330102"
    assert "330102" in tree and "999999" not in tree
    assert [u.code for u in tree.children("330100")] == ["330102", "330106"]
    assert [u.code for u in tree.ancestors("1330102001")] == ["330102", "330100", "330000", "000000"]
    assert tree.ancestors("000000") == []
    assert [u.code for u in tree.descendants("330100", OrgLevel.SCHOOL)] == [
        "1330102001",
        "1330102002",
        "1330106001",
    ]
    assert len(tree.descendants("000000")) == len(GOOD_ROWS) - 1
    assert tree.is_within("1330102001", "1330102001")
    assert tree.is_within("1330102001", "330000")
    assert not tree.is_within("330000", "1330102001")
    assert tree.province_of("1330106001").code == "330000"
    assert tree.province_of("000000") is None
    assert tree.county_of("1330102002").code == "330102"
    assert tree.county_of("330106").code == "330106"
    assert tree.county_of("330100") is None
    assert tree.supervising_department("1320102001").name == "玄武区"
    assert [u.code for u in tree.chain_above("1330102001")] == ["330102", "330100", "330000"]
    assert [u.code for u in tree.schools_in("330000")] == ["1330102001", "1330102002", "1330106001"]
    assert tree.schools_in("1330102001") == []


def test_unknown_codes_and_wrong_kinds(tree):
    with pytest.raises(OrgUnitError, match="unknown org unit"):
        tree.get("123456")
    with pytest.raises(KeyError):
        tree.get("123456")
    with pytest.raises(OrgUnitError, match="not a school"):
        tree.supervising_department("330102")
    with pytest.raises(OrgUnitError):
        tree.chain_above("330100")


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ("1330102001", "1330102001", True),  # own unit (school)
        ("330102", "330102", True),  # own unit (county)
        ("330102", "1330102001", True),  # child
        ("330100", "1330102001", True),  # grandchild
        ("330000", "1330106001", True),  # great-grandchild
        ("000000", "1320102001", True),  # the ministry sees everything
        ("1330102001", "1330102002", False),  # sibling school
        ("330102", "330106", False),  # sibling county
        ("330102", "1330106001", False),  # a sibling's school
        ("1330102001", "330102", False),  # parent
        ("330102", "330000", False),  # grandparent
        ("330000", "320102", False),  # other province
        ("330000", "1320102001", False),  # other province's school
        ("330000", "999999", False),  # unknown target
        ("999999", "330000", False),  # unknown actor
    ],
)
def test_may_act_on(tree, actor, target, allowed):
    assert tree.may_act_on(actor, target) is allowed


def test_demo_csv_loads(monkeypatch):
    monkeypatch.delenv(ENV_ORG_UNITS_FILE, raising=False)
    tree = load_default_tree()
    assert tree.root.name == "教育部"
    assert len(tree.schools_in("330000")) >= 30
    assert tree.schools_in("320000")
    assert {u.code for u in tree.children("330000")} == {"330100", "330200", "330300"}
    assert {u.name for u in tree.children("330100")} == {"上城区", "拱墅区", "西湖区"}
    stages = {s.stage for s in tree.schools_in("000000")}
    assert {"primary", "junior", "nine_year", "special"} <= stages
    for school in tree.schools_in("000000"):
        county = tree.supervising_department(school.code)
        assert school.code == "1" + county.code + school.code[7:]
        assert school.division_code == county.code
        assert school.name.startswith(tree.get(county.parent_code).name + county.name)
    for county in tree.units(OrgLevel.COUNTY):
        assert 4 <= len(tree.children(county.code)) <= 6


def test_env_file_overrides_default(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_ORG_UNITS_FILE, str(write_csv(tmp_path, GOOD_ROWS)))
    assert len(load_default_tree()) == len(GOOD_ROWS)
