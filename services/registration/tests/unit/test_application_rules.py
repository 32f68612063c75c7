import datetime as dt

import pytest

from xueji_common.documents import (
    DocumentCategory,
    DocumentType,
    Gender,
    resident_id_check_digit,
    validate_document,
)
from xueji_common.errors import InvalidArgument
from xueji_common.vocabulary import RegistrationKind
from xueji_registration.domain.model import (
    Application,
    ApplicationState,
    AuthenticationStatus,
    check_identity,
    first_state,
)

FRESHMAN, OTHER = RegistrationKind.PRIMARY_FRESHMAN, RegistrationKind.NON_PRIMARY_FRESHMAN
RESIDENT, HMT, NODOC = DocumentCategory.RESIDENT, DocumentCategory.HMT_FOREIGN, DocumentCategory.NO_DOCUMENT


def resident_id(birth="20150601", seq="123"):
    first17 = "330102" + birth + seq
    return first17 + resident_id_check_digit(first17)


@pytest.mark.parametrize(
    "kind, category, state",
    [
        (FRESHMAN, RESIDENT, ApplicationState.AWAITING_SCHOOL_REVIEW),  # authentication runs in parallel
        (FRESHMAN, HMT, ApplicationState.AWAITING_DEDUP),
        (FRESHMAN, NODOC, ApplicationState.AWAITING_SCHOOL_REVIEW),
        (OTHER, RESIDENT, ApplicationState.AWAITING_DEDUP),  # authentication must pass first
        (OTHER, HMT, ApplicationState.AWAITING_DEDUP),
        (OTHER, NODOC, ApplicationState.AWAITING_SCHOOL_REVIEW),
    ],
)
def test_first_state_follows_the_flow_table(kind, category, state):
    assert first_state(kind, category) is state


def test_resident_id_gives_gender_and_birth_date():
    identity = check_identity(
        "张三", None, None, validate_document(DocumentType.RESIDENT_ID, resident_id(seq="123"))
    )
    assert identity.gender is Gender.MALE  # 17th digit 3 is odd
    assert identity.birth_date == dt.date(2015, 6, 1)


def test_gender_or_birth_date_contradicting_the_resident_id_is_refused():
    doc = validate_document(DocumentType.RESIDENT_ID, resident_id(seq="124"))  # even: female
    with pytest.raises(InvalidArgument) as err:
        check_identity("李四", Gender.MALE, dt.date(2015, 6, 2), doc)
    assert {v.field for v in err.value.violations} == {"student.gender", "student.birth_date"}


def test_every_missing_field_is_named_at_once():
    doc = validate_document(DocumentType.OTHER, "")
    with pytest.raises(InvalidArgument) as err:
        check_identity(" ", None, None, doc)
    assert {v.field for v in err.value.violations} == {"student.name", "student.gender", "student.birth_date"}


def test_category_must_match_the_document_type():
    identity = check_identity("王五", None, None, validate_document(DocumentType.RESIDENT_ID, resident_id()))
    with pytest.raises(InvalidArgument) as err:
        Application.submit(
            school_code="1330102001",
            kind=OTHER,
            category=HMT,
            identity=identity,
            form={},
            document_hash="h",
            created_by="u",
            now=dt.datetime.now(dt.UTC),
        )
    assert err.value.violations[0].field == "category"


def test_no_document_students_need_no_authentication():
    identity = check_identity(
        "赵六", Gender.FEMALE, dt.date(2016, 1, 1), validate_document(DocumentType.OTHER, "")
    )
    app = Application.submit(
        school_code="1330102001",
        kind=FRESHMAN,
        category=NODOC,
        identity=identity,
        form={},
        document_hash="h",
        created_by="u",
        now=dt.datetime.now(dt.UTC),
    )
    assert app.authentication is AuthenticationStatus.NOT_REQUIRED
    assert app.state is ApplicationState.AWAITING_SCHOOL_REVIEW


def test_a_document_holder_is_named_as_a_record_before_a_live_application():
    from xueji_common.orgunits import load_default_tree
    from xueji_registration.domain.model import first_holders

    holders = first_holders(
        [
            ("h1", "1330105001", "330000", "awaiting_school_review"),
            ("h1", "1330102001", "330000", "approved"),
            ("h2", "1330105001", "330000", "returned"),
        ]
    )
    tree = load_default_tree()
    assert (
        holders["h1"].refusal(tree, "H12345678")
        == "该身份证件号已被浙江省杭州市上城区胜利小学的学籍使用（H******78）"
    )
    assert (
        holders["h2"].refusal(tree, "H12345678")
        == "该身份证件号已被浙江省杭州市拱墅区大关小学的学籍注册申请占用（H******78）"
    )
