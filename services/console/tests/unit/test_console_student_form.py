"""The record form as posted -> StudentRecordForm: paths into nested and repeated fields, what was
typed kept, and what cannot be read at all named at its input (nothing is decided here)."""

from xueji.v1 import common_pb2 as c
from xueji_console import student_form

RESIDENT = c.DOCUMENT_CATEGORY_RESIDENT


def test_typed_paths_fill_nested_and_repeated_fields():
    form, unreadable = student_form.to_message(
        {
            "student.name": "张三",
            "student.document.type": "DOCUMENT_TYPE_RESIDENT_ID",
            "student.birth_date": "2015-06-01",
            "student.only_child": "false",
            "student.family_members[0].name": "张大山",
            "student.family_members[0].guardian": "true",
        },
        RESIDENT,
    )
    assert unreadable == {}
    assert form.name == "张三" and form.document.type == c.DOCUMENT_TYPE_RESIDENT_ID
    assert (form.birth_date.year, form.birth_date.month, form.birth_date.day) == (2015, 6, 1)
    assert form.HasField("only_child") and form.only_child is False  # "否" is an answer, not a blank
    assert form.family_members[0].name == "张大山" and form.family_members[0].guardian is True


def test_blank_inputs_are_not_sent_and_an_empty_family_member_is_dropped():
    form, _ = student_form.to_message({"student.name": "张三", "student.only_child": ""}, RESIDENT)
    assert not form.HasField("only_child")
    assert len(form.family_members) == 0


def test_a_blank_first_member_before_a_filled_second_keeps_its_place():
    form, _ = student_form.to_message({"student.family_members[1].name": "李二"}, RESIDENT)
    assert [m.name for m in form.family_members] == ["", "李二"]  # the service names member [0]'s blanks


def test_blanking_the_second_member_of_a_correction_removes_it():
    stored, _ = student_form.to_message(
        {"student.family_members[0].name": "张大山", "student.family_members[1].name": "李二"}, RESIDENT
    )
    values = student_form.from_message(stored, RESIDENT)
    values["student.family_members[1].name"] = ""
    corrected, _ = student_form.to_message(values, RESIDENT, base=stored)
    assert [m.name for m in corrected.family_members] == ["张大山"]


def test_a_date_that_is_not_a_date_is_named_at_its_input():
    _, unreadable = student_form.to_message({"student.birth_date": "2015年6月"}, RESIDENT)
    assert list(unreadable) == ["student.birth_date"]


def test_a_choice_none_of_the_offered_ones_is_refused_without_a_crash():
    _, unreadable = student_form.to_message({"student.health_status": "NOT_A_STATUS"}, RESIDENT)
    assert "student" in unreadable


def test_input_ids_are_the_paths_made_safe_for_html():
    member = next(i for i in student_form.all_inputs(RESIDENT) if i.path == "student.family_members[0].name")
    assert member.id == "student-family_members-0-name"


def test_the_transfers_identity_becomes_the_typed_values_of_the_form():
    identity = c.StudentIdentity(
        name="李四",
        gender=c.GENDER_FEMALE,
        birth_date=c.Date(year=2019, month=3, day=1),
        document=c.IdentityDocument(type=c.DOCUMENT_TYPE_RESIDENT_ID, number="X"),
    )
    assert student_form.from_identity(identity) == {
        "student.name": "李四",
        "student.document.number": "X",
        "student.document.type": "DOCUMENT_TYPE_RESIDENT_ID",
        "student.gender": "GENDER_FEMALE",
        "student.birth_date": "2019-03-01",
    }


def test_a_corrected_form_keeps_what_the_page_has_no_input_for_and_clears_what_was_blanked():
    stored, _ = student_form.to_message(
        {"student.name": "张三", "student.phone": "0571-1", "student.family_members[0].name": "张大山"},
        RESIDENT,
    )
    stored.specialty = "书法"  # no input on the page
    stored.family_members.add(name="李二")  # the second member
    values = student_form.from_message(stored, RESIDENT)
    assert values["student.name"] == "张三" and values["student.family_members[0].name"] == "张大山"
    values.update({"student.name": "张叁", "student.phone": ""})
    corrected, unreadable = student_form.to_message(values, RESIDENT, base=stored)
    assert unreadable == {}
    assert corrected.name == "张叁" and corrected.phone == "" and corrected.specialty == "书法"
    assert [m.name for m in corrected.family_members] == ["张大山", "李二"]


def test_a_distance_is_a_number_or_named_at_its_input():
    form, unreadable = student_form.to_message({"student.commute_distance_km": "1.5"}, RESIDENT)
    assert unreadable == {} and form.commute_distance_km == 1.5
    _, unreadable = student_form.to_message({"student.commute_distance_km": "一公里"}, RESIDENT)
    assert list(unreadable) == ["student.commute_distance_km"]
