"""Errors the domain and service layers raise; the gRPC layer turns them into status codes.

No framework imports: domain code raises these, `grpcserver.errors` maps them. Messages are the
Chinese text a registrar reads.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base class. `message` is shown to the user (Chinese)."""

    status = "FAILED_PRECONDITION"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldViolation:
    field: str  # request field path, e.g. "student.document.number" or "rows[12].姓名"
    description: str  # Chinese reason


class InvalidArgument(DomainError):
    """Bad input; carries one violation per field (gRPC BadRequest details)."""

    status = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation] | FieldViolation, message: str = "") -> None:
        if isinstance(violations, FieldViolation):
            violations = [violations]
        self.violations = list(violations)
        summary = message or "；".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(summary)


class NotFound(DomainError):
    status = "NOT_FOUND"


class PermissionDenied(DomainError):
    status = "PERMISSION_DENIED"


class AlreadyExists(DomainError):
    status = "ALREADY_EXISTS"


@dataclass(frozen=True)
class PreconditionViolation:
    type: str  # machine code of the rule, e.g. "NOT_REVIEWABLE"
    subject: str  # what it is about, e.g. a case id
    description: str  # Chinese reason


class PreconditionFailed(DomainError):
    """The operation is not allowed in the current state (a refusal with the rule's reason).

    Optional `violations` name each object that failed the rule (gRPC PreconditionFailure details).
    """

    status = "FAILED_PRECONDITION"

    def __init__(
        self, message: str, violations: list[PreconditionViolation] | tuple[PreconditionViolation, ...] = ()
    ) -> None:
        super().__init__(message)
        self.violations = list(violations)


class ConcurrentModification(DomainError):
    """Someone else changed the object first (optimistic version check)."""

    status = "ABORTED"


class Unavailable(DomainError):
    """A dependency (the population register, another service) cannot be reached right now."""

    status = "UNAVAILABLE"


class Unauthenticated(DomainError):
    """The caller's credentials are refused (sign-in, refresh, service token)."""

    status = "UNAUTHENTICATED"
