import datetime as dt

import pytest

from xueji_common.documents import DocumentType, validate_document
from xueji_common.errors import InvalidArgument, PreconditionFailed
from xueji_registration.domain.identity import check_identity
from xueji_registration.domain.preschool import Candidate, MatchStatus, PreschoolTransfer
from xueji_registration.testing import resident_id

NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def transfer(doc_type=DocumentType.RESIDENT_ID, number=None):
    number = resident_id() if number is None else number
    identity = check_identity(
        "张三",
        None if number else 1,
        None if number else dt.date(2018, 1, 1),
        validate_document(doc_type, number),
    )
    return PreschoolTransfer.new(
        school_code="1330102001", identity=identity, document_hash="h", created_by="u", now=NOW
    )


@pytest.mark.parametrize(
    "answer, status",
    [
        (None, MatchStatus.PENDING),
        ([], MatchStatus.NOT_FOUND),
        ([Candidate("a")], MatchStatus.MATCHED),
        ([Candidate("a"), Candidate("b")], MatchStatus.TO_CONFIRM),
    ],
)
def test_matching_outcome(answer, status):
    t = transfer()
    t.apply_match(answer)
    assert t.match_status is status and (t.matched_record is not None) == (status is MatchStatus.MATCHED)


def test_confirm_only_when_to_confirm_and_only_a_candidate():
    t = transfer()
    t.apply_match([Candidate("a"), Candidate("b")])
    with pytest.raises(InvalidArgument):
        t.confirm(candidate_id="z", by={}, now=NOW)
    t.confirm(candidate_id=None, by={"user_id": "u"}, now=NOW)
    assert t.match_status is MatchStatus.NOT_FOUND and t.match_confirmed_by["none_match"]
    with pytest.raises(PreconditionFailed):
        t.confirm(candidate_id="a", by={}, now=NOW)


@pytest.mark.parametrize(
    "state, code", [("awaiting_school_review", "REGISTRATION_STARTED"), ("approved", "HAS_FORMAL_RECORD")]
)
def test_started_or_registered_children_are_locked(state, code):
    t = transfer()
    t.apply_match([Candidate("a")])
    t.application_id, t.registration_state = "app-1", state
    for action in (
        lambda: t.ensure_changeable("修改"),
        t.ensure_supplementable,
        t.ensure_open_for_registration,
    ):
        with pytest.raises(PreconditionFailed) as err:
            action()
        assert err.value.violations[0].type == code
    assert t.export_refusal().code == code


def test_a_withdrawn_application_frees_the_child():
    t = transfer()
    t.application_id, t.registration_state = "app-1", "withdrawn"
    t.ensure_changeable("修改")
    assert t.export_refusal() is None


def test_no_document_children_are_neither_exported_nor_supplemented():
    t = transfer(DocumentType.OTHER, "")
    t.apply_match([Candidate("a")])
    assert t.export_refusal().code == "NO_DOCUMENT_NOT_EXPORTABLE"
    with pytest.raises(PreconditionFailed):
        t.ensure_supplementable()


def _elsewhere():
    from xueji_registration.domain.preschool import FormalRecord

    return FormalRecord("G330***********9848", "1330105001", "拱墅区某小学", "330000")


def test_a_formal_record_elsewhere_refuses_export_but_neither_registration_nor_a_correction():
    from xueji_registration.domain.preschool import MatchAnswer

    t = transfer()
    t.apply_match(MatchAnswer([Candidate("a", name="张三")], (_elsewhere(),)))
    assert t.has_formal_record and t.match_status is MatchStatus.MATCHED
    refusal = t.export_refusal()
    assert refusal.code == "HAS_FORMAL_RECORD" and "已成为正式学籍学生的，不允许导出" in refusal.message
    assert "拱墅区某小学" in refusal.message and "G330***********9848" in refusal.message
    # Registered anyway, the freshman becomes an L-numbered cross-province problem record (dedup).
    t.ensure_supplementable()
    t.ensure_open_for_registration()
    t.ensure_changeable("修改")  # a mistyped number can still be corrected
    t.apply_match(None)  # national-query unreachable: what it said stands
    assert t.formal_record == _elsewhere()
    t.apply_match(MatchAnswer([]))  # asked again, no formal record any more
    assert not t.has_formal_record


def test_a_record_matched_by_the_number_under_another_name_is_a_notice():
    t = transfer()
    t.apply_match([Candidate("a", name="余英")])
    assert t.match_notices == ["学前学籍姓名“余英”与录入的姓名“张三”不一致，请核对"]
    t.apply_match([Candidate("a", name="张三")])
    assert t.match_notices == []
