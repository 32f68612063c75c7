"""The special-ed use cases on the in-memory unit of work (tests/unit/sped_fakes.py): the students
kept from record snapshots, adding and maintaining information with its rules and versions, and who
may do what. The SQL, the masking and the gRPC wiring of the same are tests/integration's."""

from __future__ import annotations

import pytest
from sped_fakes import HASH_KEY, FakeSpecialEdUoW

from xueji_common.auth import Principal, Role
from xueji_common.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from xueji_common.hashing import document_hash
from xueji_common.orgunits import load_default_tree
from xueji_common.paging import Page
from xueji_special_ed.domain.codes import Degree, DisabilityType, InclusiveEducation, ProofType
from xueji_special_ed.domain.model import SpecialEdInfo, Student
from xueji_special_ed.service_layer import handlers, projection

SCHOOL, OTHER_SCHOOL, COUNTY = "1330102001", "1330105001", "330102"
ID = "33010220150601123X"
REGISTRAR = Principal("u1", Role.SCHOOL_REGISTRAR, SCHOOL)
COUNTY_REGISTRAR = Principal("c1", Role.DEPARTMENT_REGISTRAR, COUNTY)
TREE = load_default_tree()
PAGE = Page(0, 50)


@pytest.fixture
def uow():
    return FakeSpecialEdUoW()


def student(
    record_id="r1", disability="visual", school=SCHOOL, version=1, name="张三", number=ID, enrolled=True
) -> Student:
    return Student(
        record_id,
        "G" + number,
        name,
        1,
        None,
        school,
        disability,
        "",
        "1",
        document_hash(HASH_KEY, "1", number),
        enrolled,
        version,
    )


def known(uow, *students: Student) -> None:
    for s in students:
        projection.apply_snapshot(uow, s)


def new_info(record_id="r1", **kw) -> SpecialEdInfo:
    values = {
        "record_id": record_id,
        "disability_type": DisabilityType.VISUAL,
        "proof_type": ProofType.CERTIFICATE,
        "degree": Degree.GRADE_2,
        "certificate_number": ID + "12",
        "inclusive_education": InclusiveEducation.VISUAL,
    }
    return SpecialEdInfo(**(values | kw))


def create(uow, info=None, principal=REGISTRAR):
    return handlers.create_info(uow, principal, TREE, info or new_info())


def test_a_snapshot_is_applied_in_version_order_and_a_stale_one_changes_nothing(uow):
    assert projection.apply_snapshot(uow, student(disability="none"))
    assert projection.apply_snapshot(uow, student(disability="intellectual", version=3))
    assert not projection.apply_snapshot(uow, student(disability="none", version=2))
    assert not projection.apply_snapshot(uow, student(disability="none", version=3))  # a redelivery
    assert (uow.repo.students["r1"].disability_type, uow.commits) == ("intellectual", 2)


def test_candidates_are_the_callers_schools_disabled_enrolled_students_without_information(uow):
    known(
        uow,
        student("r1"),
        student("r2", "none", number="330102201506017777"),
        student("r3", "hearing", school=OTHER_SCHOOL),
        student("r4", "hearing", enrolled=False),
        student("r5", "hearing", name="李四"),
    )

    def listed(prefix=""):
        return handlers.list_candidates(uow, REGISTRAR, TREE, "", prefix, PAGE)

    assert [s.record_id for s in listed()[0]] == ["r1", "r5"]  # by name
    assert [s.record_id for s in listed(" 李 ")[0]] == ["r5"]
    create(uow)
    assert ([s.record_id for s in listed()[0]], listed()[1]) == (["r5"], 1)


def test_adding_information_stamps_version_one_and_the_caller(uow):
    known(uow, student())
    info, shown = create(uow, new_info(disability_type=None))
    assert (info.version, info.updated.user_id, info.updated.org_unit, shown.name) == (
        1,
        "u1",
        SCHOOL,
        "张三",
    )
    assert info.disability_type is DisabilityType.VISUAL  # taken from the record when not given
    assert (uow.repo.infos["r1"], uow.commits) == (info, 2)  # one snapshot, one creation


def test_information_breaking_the_rules_is_refused_by_field_and_writes_nothing(uow):
    known(uow, student())
    with pytest.raises(InvalidArgument) as err:
        create(
            uow, new_info(degree=None, certificate_number="", inclusive_education=InclusiveEducation.HEARING)
        )
    assert {v.field for v in err.value.violations} == {
        "info.degree",
        "info.certificate_number",
        "info.inclusive_education",
    }
    with pytest.raises(InvalidArgument) as err:  # another child's resident ID (checked by the record's hash)
        create(uow, new_info(certificate_number="330102201506017777" + "12"))
    assert [(v.field, v.description) for v in err.value.violations] == [
        ("info.certificate_number", "残疾证书号前18位应与学生的居民身份证号一致")
    ]
    assert not uow.repo.infos and uow.commits == 1


@pytest.mark.parametrize(
    "record, error, reason",
    [
        (student("r2", "none"), PreconditionFailed, "NOT_DISABLED"),
        (student("r2", enrolled=False), PreconditionFailed, "NOT_ENROLLED_AT_SCHOOL"),
        (student("r2", school=OTHER_SCHOOL), PermissionDenied, "超出本单位管辖范围"),
    ],
)
def test_information_is_added_only_for_a_disabled_student_enrolled_at_the_callers_school(
    uow, record, error, reason
):
    known(uow, record)
    with pytest.raises(error, match=reason):
        create(uow, new_info("r2"))
    assert not uow.repo.infos


def test_adding_is_refused_for_an_unknown_record_twice_for_a_student_and_to_a_department(uow):
    known(uow, student())
    with pytest.raises(NotFound):
        create(uow, new_info("nope"))
    with pytest.raises(PermissionDenied):
        create(uow, principal=COUNTY_REGISTRAR)
    first, _ = create(uow)
    with pytest.raises(AlreadyExists):
        create(uow, new_info(degree=Degree.GRADE_3))
    assert uow.repo.infos["r1"] == first


def test_maintaining_changes_the_given_fields_on_the_version_read(uow):
    known(uow, student())
    create(uow)
    updated, _ = handlers.update_info(uow, REGISTRAR, TREE, "r1", {"degree": Degree.GRADE_3}, 1)
    assert (updated.version, updated.degree, updated.proof_type) == (2, Degree.GRADE_3, ProofType.CERTIFICATE)
    with pytest.raises(ConcurrentModification):
        handlers.update_info(uow, REGISTRAR, TREE, "r1", {"degree": Degree.GRADE_1}, 1)
    assert uow.repo.infos["r1"] == updated


def test_maintaining_checks_the_result_and_edits_only_the_editable_fields(uow):
    known(uow, student())
    with pytest.raises(NotFound, match="请先添加"):
        handlers.update_info(uow, REGISTRAR, TREE, "r1", {"degree": Degree.GRADE_3}, 0)
    create(uow)
    with pytest.raises(InvalidArgument) as err:
        handlers.update_info(uow, REGISTRAR, TREE, "r1", {"proof_type": ProofType.OBVIOUS_SYMPTOMS}, 1)
    assert [v.field for v in err.value.violations] == ["info.symptom_description"]
    with pytest.raises(ValueError, match="version"):
        handlers.update_info(uow, REGISTRAR, TREE, "r1", {"version": 7}, 1)
    assert uow.repo.infos["r1"].version == 1


def test_departments_read_their_area_and_a_school_only_its_own(uow):
    known(uow, student())
    create(uow)
    rows, total = handlers.list_infos(uow, COUNTY_REGISTRAR, TREE, "", "", None, PAGE)
    assert ([i.record_id for i, _ in rows], total) == (["r1"], 1)
    assert handlers.get_info(uow, COUNTY_REGISTRAR, TREE, "r1")[0].record_id == "r1"
    elsewhere = Principal("p1", Role.DEPARTMENT_REGISTRAR, "320000")
    other_school = Principal("u2", Role.SCHOOL_REGISTRAR, OTHER_SCHOOL)
    leader = Principal("l1", Role.SCHOOL_LEADER, SCHOOL)
    for refused in (
        lambda: handlers.get_info(uow, elsewhere, TREE, "r1"),
        lambda: handlers.get_info(uow, other_school, TREE, "r1"),
        lambda: handlers.list_infos(uow, COUNTY_REGISTRAR, TREE, "330100", "", None, PAGE),
        lambda: handlers.list_candidates(uow, leader, TREE, "", "", PAGE),
        lambda: handlers.list_candidates(uow, other_school, TREE, SCHOOL, "", PAGE),
    ):
        with pytest.raises(PermissionDenied):
            refused()
    assert handlers.list_infos(uow, elsewhere, TREE, "", "", None, PAGE) == ([], 0)


def test_the_list_is_paged_and_filtered_by_disability_type(uow):
    from xueji_common.documents import resident_id_check_digit

    for n in range(5):
        number = f"3301022015060{n:04d}"
        number += resident_id_check_digit(number)
        known(uow, student(f"r{n}", name=f"王{n}", number=number))
        create(uow, new_info(f"r{n}", certificate_number=number + "12"))
    rows, total = handlers.list_infos(uow, REGISTRAR, TREE, "", "", None, Page(2, 2))
    assert ([i.record_id for i, _ in rows], total) == (["r2", "r3"], 5)
    assert handlers.list_infos(uow, REGISTRAR, TREE, "", "", DisabilityType.HEARING.value, PAGE) == ([], 0)
