"""Problem groups as dedup.proto carries them, both ways: to callers of ProblemRecords, between the
tiers (RaiseProblemGroup; a province forwarding reads of the national tier's groups) and from a
province tier's ReportProblemGroup (the former collected view). Numbers only masked."""

from __future__ import annotations

import datetime as dt

from xueji.v1 import common_pb2, dedup_pb2, events_pb2
from xueji_common.auth import Role
from xueji_common.documents import DocumentType
from xueji_common.grpcserver.convert import date_from_pb, date_to_pb, timestamp
from xueji_dedup.domain.problems import (
    GroupStatus,
    ProblemGroup,
    ProblemKind,
    ProblemStudent,
    Resolution,
    StudentStatus,
    school_chain,
)


def _enum(proto_enum, prefix: str, member) -> int:
    return proto_enum.Value(prefix + member.name)


def _member(domain_enum, proto_enum, prefix: str, number: int):
    return domain_enum[proto_enum.Name(number).removeprefix(prefix)]


def group_to_pb(group: ProblemGroup, tree, actions=(), proofs=()) -> dedup_pb2.ProblemGroup:
    resolver = tree.get(group.resolver_unit_code) if group.resolver_unit_code in tree else None
    message = dedup_pb2.ProblemGroup(
        group_id=group.group_id,
        kind=_enum(events_pb2.ProblemKind, "PROBLEM_KIND_", group.kind),
        status=_enum(dedup_pb2.ProblemGroupStatus, "PROBLEM_GROUP_STATUS_", group.status),
        resolver_level=group.resolver_level,
        resolver_unit_code=group.resolver_unit_code,
        resolver_unit_name=resolver.name if resolver else "",
        version=group.version,
        create_time=timestamp(group.create_time),
        update_time=timestamp(group.update_time),
        reporting_province_code=group.reporting_province,
    )
    message.students.extend(student_to_pb(s, tree) for s in group.students)
    for a in actions:
        action = dedup_pb2.ProblemAction(
            record_id=a.record_id,
            resolution=_enum(events_pb2.ProblemResolution, "PROBLEM_RESOLUTION_", Resolution(a.resolution)),
            stamp=common_pb2.AuditStamp(
                org_unit_code=a.org_unit_code,
                org_unit_name=a.org_unit_name,
                user_id=a.user_id,
                role=Role(a.role).proto,
                time=timestamp(a.time),
                opinion=a.opinion,
            ),
            proof_files=[
                common_pb2.FileRef(
                    file_id=p.file_id,
                    file_name=p.file_name,
                    content_type=p.content_type,
                    size_bytes=p.size_bytes,
                )
                for p in proofs
                if p.action_time == a.time
            ],
        )
        if a.corrected_document_type:
            action.corrected_identity.CopyFrom(
                common_pb2.StudentIdentity(
                    name=a.corrected_name,
                    gender=a.corrected_gender,
                    birth_date=date_to_pb(a.corrected_birth_date),
                    document=common_pb2.IdentityDocument(
                        type=DocumentType(a.corrected_document_type).to_proto(),
                        number=a.corrected_document_masked,
                    ),
                )
            )
        message.history.append(action)
    return message


def student_to_pb(s: ProblemStudent, tree, *, with_application: bool = False) -> dedup_pb2.ProblemStudent:
    """One student of a group; its application only between tiers (RaiseProblemGroup), never to users."""
    return dedup_pb2.ProblemStudent(
        record_id=s.record_id,
        national_student_number=s.national_student_number,
        temporary_number=s.temporary_number,
        name=s.name,
        gender=s.gender,
        birth_date=date_to_pb(s.birth_date),
        document=common_pb2.IdentityDocument(
            type=DocumentType(s.document_type).to_proto() if s.document_type else 0, number=s.document_masked
        ),
        school_code=s.school_code,
        school_name=tree.get(s.school_code).name if s.school_code in tree else "",
        province_code=s.province_code,
        status=_enum(dedup_pb2.ProblemStudentStatus, "PROBLEM_STUDENT_STATUS_", s.status),
        reason=s.reason,
        application_id=s.application_id if with_application else "",
    )


def student_from_pb(s: dedup_pb2.ProblemStudent, tree) -> ProblemStudent:
    """Raises ValueError or KeyError on an enum value the domain does not know."""
    return ProblemStudent(
        record_id=s.record_id,
        application_id=s.application_id,
        national_student_number=s.national_student_number,
        temporary_number=s.temporary_number,
        name=s.name,
        gender=s.gender,
        birth_date=date_from_pb(s.birth_date),
        document_type=DocumentType.from_proto(s.document.type).value if s.document.type else "",
        document_masked=s.document.number,
        reason=s.reason,
        status=_member(StudentStatus, dedup_pb2.ProblemStudentStatus, "PROBLEM_STUDENT_STATUS_", s.status)
        if s.status
        else StudentStatus.PENDING,
        **school_chain(tree, s.school_code, s.province_code),
    )


def reported_group(
    message: dedup_pb2.ProblemGroup, province_code: str, tree
) -> tuple[ProblemGroup, list[dict]]:
    """A province tier's report → the national copy (group marked with the reporting province) and its
    audit rows. Raises ValueError or KeyError on an enum value the domain does not know."""
    utc = dt.UTC
    group = ProblemGroup(
        group_id=message.group_id,
        kind=_member(ProblemKind, events_pb2.ProblemKind, "PROBLEM_KIND_", message.kind),
        match_key="",
        resolver_level=message.resolver_level,
        resolver_unit_code=message.resolver_unit_code,
        status=_member(GroupStatus, dedup_pb2.ProblemGroupStatus, "PROBLEM_GROUP_STATUS_", message.status),
        version=message.version,
        create_time=message.create_time.ToDatetime(utc),
        update_time=message.update_time.ToDatetime(utc),
        reporting_province=province_code,
    )
    group.students.extend(student_from_pb(s, tree) for s in message.students)
    actions = []
    for a in message.history:
        c, role = a.corrected_identity, a.stamp.role
        if not 0 < role <= len(Role):
            raise ValueError("stamp.role")
        actions.append(
            dict(
                record_id=a.record_id,
                org_unit_code=a.stamp.org_unit_code,
                org_unit_name=a.stamp.org_unit_name,
                resolution=_member(
                    Resolution, events_pb2.ProblemResolution, "PROBLEM_RESOLUTION_", a.resolution
                ).value,
                user_id=a.stamp.user_id,
                role=list(Role)[role - 1].value,
                time=a.stamp.time.ToDatetime(utc),
                opinion=a.stamp.opinion,
                corrected_name=c.name,
                corrected_gender=c.gender,
                corrected_birth_date=date_from_pb(c.birth_date),
                corrected_document_type=DocumentType.from_proto(c.document.type).value
                if c.document.type
                else "",
                corrected_document_masked=c.document.number,
            )
        )
    return group, actions
