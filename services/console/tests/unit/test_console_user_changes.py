"""The change log's detail in the manual's words (views/users.describe_change)."""

from xueji_console.views.users import describe_change


def test_a_change_detail_is_shown_with_chinese_field_names_and_role_titles():
    assert describe_change("display_name=孙修改 role=school_leader") == "姓名：孙修改；角色：学校学籍主管领导"


def test_a_name_with_spaces_stays_whole():
    assert (
        describe_change("display_name=Anna Maria Li org_unit=1330106003")
        == "姓名：Anna Maria Li；所属机构：1330106003"
    )


def test_a_detail_of_another_shape_is_shown_as_it_is():
    assert describe_change("") == ""
    assert describe_change("temporary password issued") == "temporary password issued"
