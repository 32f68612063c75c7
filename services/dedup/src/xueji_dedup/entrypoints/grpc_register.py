"""The default PopulationRegister (基础数据库) adapter: verifies identities against the
`population_register` table the deployment loads (keyed hashes, never numbers). A real register
replaces it by serving the same contract at XUEJI_PEER_POPULATION_REGISTER."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from xueji.v1 import population_register_pb2 as pb
from xueji.v1 import population_register_pb2_grpc
from xueji_common.documents import DocumentError, DocumentType, validate_document
from xueji_common.errors import FieldViolation, InvalidArgument
from xueji_common.grpcserver.convert import date_from_pb
from xueji_common.grpcserver.guard import caller
from xueji_common.hashing import document_hash
from xueji_dedup.adapters.tables import population
from xueji_dedup.service_layer import national

log = logging.getLogger(__name__)

MAX_BATCH = 500  # identities per VerifyIdentities call (the contract's limit)


def verify(row, name: str, gender: int, birth_date) -> int:
    """The first failing check, in the contract's order (0 = verified)."""
    if row is None:
        return pb.IDENTITY_VERIFICATION_REASON_NOT_FOUND
    if row.name != name.strip():
        return pb.IDENTITY_VERIFICATION_REASON_NAME_MISMATCH
    if row.gender != gender:
        return pb.IDENTITY_VERIFICATION_REASON_GENDER_MISMATCH
    if row.birth_date != birth_date:
        return pb.IDENTITY_VERIFICATION_REASON_BIRTH_DATE_MISMATCH
    return pb.IDENTITY_VERIFICATION_REASON_UNSPECIFIED


class PopulationRegisterServicer(population_register_pb2_grpc.PopulationRegisterServicer):
    def __init__(self, runtime) -> None:
        self._rt = runtime

    def VerifyIdentity(self, request, context):
        national.admit(caller())
        name, gender, birth, key = self._validated(request)
        with self._rt.engine.connect() as conn:
            row = conn.execute(select(population).where(population.c.document_hash == key)).first()
        reason = verify(row, name, gender, birth)
        log.info("identity verified", extra={"fields": {"matches": reason == 0, "reason": reason}})
        return pb.VerifyIdentityResponse(exists=row is not None, matches=reason == 0, reason=reason)

    def VerifyIdentities(self, request, context):
        """VerifyIdentity of each, with one read of the register's rows (SELECT ... IN)."""
        national.admit(caller())
        if len(request.identities) > MAX_BATCH:
            raise InvalidArgument(FieldViolation("identities", f"一次最多核验 {MAX_BATCH} 个身份"))
        asked, problems = [], []
        for i, item in enumerate(request.identities):
            try:
                asked.append(self._validated(item))
            except InvalidArgument as exc:
                problems += [
                    FieldViolation(f"identities[{i}].{v.field}", v.description) for v in exc.violations
                ]
        if problems:
            raise InvalidArgument(problems)
        keys = sorted({key for *_, key in asked})
        with self._rt.engine.connect() as conn:
            rows = (
                {
                    r.document_hash: r
                    for r in conn.execute(select(population).where(population.c.document_hash.in_(keys)))
                }
                if keys
                else {}
            )
        results = []
        for name, gender, birth, key in asked:
            reason = verify(rows.get(key), name, gender, birth)
            results.append(pb.VerifyIdentityResponse(exists=key in rows, matches=reason == 0, reason=reason))
        matched = sum(r.matches for r in results)
        log.info("identities verified", extra={"fields": {"count": len(results), "matches": matched}})
        return pb.VerifyIdentitiesResponse(results=results)

    def _validated(self, request) -> tuple[str, int, dt.date | None, str]:
        """(name, gender, birth date, the number's keyed hash); INVALID_ARGUMENT naming the fields."""
        problems = []
        try:
            doc = validate_document(DocumentType.RESIDENT_ID, request.resident_id_number)
        except DocumentError as exc:
            problems.append(FieldViolation("resident_id_number", exc.message))
        if not request.name.strip():
            problems.append(FieldViolation("name", "姓名不能为空"))
        try:
            birth = date_from_pb(request.birth_date)
        except ValueError:
            problems.append(FieldViolation("birth_date", "出生日期不是有效日期"))
        if problems:
            raise InvalidArgument(problems)
        key = document_hash(self._rt.settings.hash_key, DocumentType.RESIDENT_ID.value, doc.number)
        return request.name, request.gender, birth, key
