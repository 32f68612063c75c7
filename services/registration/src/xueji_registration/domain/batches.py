"""Applications submitted together (an Excel import): what they share is held once.

An import submits thousands of applications of one school, kind and category, by one registrar, at
one moment: `SubmittedBatch.shared` is the first of them, a whole `Application` as `submit` makes
it, and every application of the batch is that one with its own id, identity, document hash, form
and preschool transfer (`Submission`). Stores and events read the shared fields once per batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from xueji_registration.domain.identity import Identity
from xueji_registration.domain.model import Application, require_category

_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as text, as str(uuid.uuid4()) writes them."""
    data = os.urandom(16 * count).hex()
    return [
        f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
        for h in (data[i : i + 32] for i in range(0, 32 * count, 32))
    ]


class Submission(NamedTuple):
    """What one application of a batch has of its own."""

    application_id: str
    identity: Identity
    document_hash: str
    form: dict[str, Any]
    preschool_transfer_id: str


@dataclass
class SubmittedBatch:
    shared: Application
    rows: list[Submission] = field(default_factory=list)

    def add(
        self,
        application_id: str,
        identity: Identity,
        document_hash: str,
        form: dict[str, Any],
        preschool_transfer_id: str = "",
    ) -> None:
        """One more application like `shared` (the rules of `Application.submit` hold for it)."""
        require_category(identity, self.shared.category)
        self.rows.append(Submission(application_id, identity, document_hash, form, preschool_transfer_id))

    def applications(self) -> Iterator[Application]:
        """Each application of the batch in full."""
        for row in self.rows:
            yield replace(
                self.shared,
                application_id=row.application_id,
                identity=row.identity,
                document_hash=row.document_hash,
                form=row.form,
                preschool_transfer_id=row.preschool_transfer_id,
            )
